# SPDX-License-Identifier: GPL-2.0
SUMMARY = "vigil V4L2 camera driver with PIR interrupt (vigil.ko)"
DESCRIPTION = "Capture driver with zero-copy videobuf2 buffers, hard-IRQ \
timestamped PIR events, privacy masks, and a virtual board for testing."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://LICENSES/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97"

inherit module

# Point VIGIL_SRC_URI at your clone or release of vigil, e.g. in local.conf:
#   VIGIL_SRC_URI = "git://example.org/vigil.git;protocol=https;branch=main"
#   SRCREV:pn-vigil-mod = "<commit>"
VIGIL_SRC_URI ??= "git://${TOPDIR}/../vigil;protocol=file;branch=main"
SRC_URI = "${VIGIL_SRC_URI}"
SRCREV ??= "${AUTOREV}"
S = "${WORKDIR}/git"

# The top-level Makefile takes KERNEL_SRC (module.bbclass passes it) and
# provides modules / modules_install.
EXTRA_OEMAKE += "KERNEL_SRC=${STAGING_KERNEL_DIR}"

RPROVIDES:${PN} += "kernel-module-vigil"
KERNEL_MODULE_AUTOLOAD += "vigil"
