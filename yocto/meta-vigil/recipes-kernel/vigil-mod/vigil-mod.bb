# SPDX-License-Identifier: GPL-2.0
SUMMARY = "vigil V4L2 camera driver with PIR interrupt (vigil.ko)"
DESCRIPTION = "Capture driver with zero-copy videobuf2 buffers, hard-IRQ \
timestamped PIR events, privacy masks, and a virtual board for testing; \
plus vigil's device-tree overlays."
HOMEPAGE = "https://github.com/vigil-camera/vigil"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://LICENSES/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97"

require inc/vigil-source.inc

inherit module

DEPENDS += "dtc-native"

# module.bbclass runs `make KERNEL_SRC=${STAGING_KERNEL_DIR} O=... modules`
# and `make ... modules_install`: the top-level Makefile takes exactly these.
# Each module the Kbuild file builds is packaged as kernel-module-<name>
# automatically; a second module (for example vigil-gpio-sim.ko) needs one
# more word in KERNEL_MODULE_AUTOLOAD only if it should load at boot.
RPROVIDES:${PN} += "kernel-module-vigil"
KERNEL_MODULE_AUTOLOAD += "vigil"

# The overlays (dts/overlays/*.dtso) compiled with dtc -@, in their own
# package, installed where boot firmware and U-Boot look for them.
VIGIL_OVERLAY_DIR ?= "/boot/overlays"
PACKAGES =+ "${PN}-overlays"
FILES:${PN}-overlays = "${VIGIL_OVERLAY_DIR}/*.dtbo"

do_compile:append() {
	for f in ${S}/dts/overlays/*.dtso; do
		n=$(basename "$f" .dtso)
		dtc -@ -I dts -O dtb -o "${B}/$n.dtbo" "$f"
	done
}

do_install:append() {
	install -d ${D}${VIGIL_OVERLAY_DIR}
	install -m 0644 ${B}/*.dtbo ${D}${VIGIL_OVERLAY_DIR}/
}
