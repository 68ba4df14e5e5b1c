# SPDX-License-Identifier: GPL-2.0
SUMMARY = "vigil agent: on-device motion detection fused with a PIR sensor"
DESCRIPTION = "vigild: one io_uring event loop capturing frames zero-copy \
from vigil.ko, detecting motion, fusing it with PIR events, and writing events."
LICENSE = "GPL-2.0-or-later & LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://LICENSES/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97 \
                    file://LICENSES/LGPL-2.1;md5=4fbd65380cdd255951079008b364516c"

DEPENDS = "liburing zstd libgpiod libdrm libinih libsodium xxhash"

VIGIL_SRC_URI ??= "git://${TOPDIR}/../vigil;protocol=file;branch=main"
SRC_URI = "${VIGIL_SRC_URI} file://run-ptest"
SRCREV ??= "${AUTOREV}"
S = "${WORKDIR}/git"

inherit systemd pkgconfig ptest

SYSTEMD_SERVICE:${PN} = "vigild.service"

EXTRA_OEMAKE = "-C userspace CC='${CC}' PKG_CONFIG=pkg-config PREFIX=${prefix}"

do_compile() {
    oe_runmake
}

do_install() {
    oe_runmake install DESTDIR=${D}
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/userspace/vigild.service ${D}${systemd_system_unitdir}/
}

do_compile_ptest() {
    oe_runmake tests
}

do_install_ptest() {
    install -d ${D}${PTEST_PATH}/tests
    cp -r ${S}/build/userspace/tests/. ${D}${PTEST_PATH}/tests/
}
