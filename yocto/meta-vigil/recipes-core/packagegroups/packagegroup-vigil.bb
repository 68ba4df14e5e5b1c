# SPDX-License-Identifier: GPL-2.0
SUMMARY = "vigil: the kernel module, the agent and its tools"
LICENSE = "GPL-2.0-only"

# The module's packages are machine-specific, so this group is too.
PACKAGE_ARCH = "${MACHINE_ARCH}"

inherit packagegroup

RDEPENDS:${PN} = "kernel-module-vigil vigild vigild-tools"
RRECOMMENDS:${PN} = "vigil-mod-overlays"
