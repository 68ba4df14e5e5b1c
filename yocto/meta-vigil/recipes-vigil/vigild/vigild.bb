# SPDX-License-Identifier: GPL-2.0
SUMMARY = "vigil agent: on-device motion detection fused with a PIR sensor"
DESCRIPTION = "vigild: one io_uring event loop capturing frames zero-copy \
from vigil.ko, detecting motion, fusing it with PIR events, and writing \
events; libvigil (the detector, fusion and formats) and the tools \
vigil-lat, vigil-scene and vigil-score."
HOMEPAGE = "https://github.com/vigil-camera/vigil"
LICENSE = "GPL-2.0-or-later & LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://LICENSES/GPL-2.0;md5=e6a75371ba4d16749254a51215d13f97 \
                    file://LICENSES/LGPL-2.1;md5=4fbd65380cdd255951079008b364516c"

require inc/vigil-source.inc
SRC_URI += "file://run-ptest"

# libdrm, libjpeg-turbo and zstd are in oe-core; libgpiod (2.x), libinih,
# libsodium, liburing and xxhash are in meta-openembedded's meta-oe.
DEPENDS = "alsa-lib kissfft libdrm libgpiod libinih libjpeg-turbo libsodium liburing xxhash zstd"
# MQTT and push (issue #9): curl is in oe-core, mosquitto (libmosquitto) in
# meta-openembedded's meta-networking.
DEPENDS += "curl mosquitto"

inherit systemd pkgconfig ptest

# The person check (issue #16): OpenCV's HOG people detector in libvigil
# and vigild (policy person-confirmed). opencv is in meta-oe; it adds about
# 38 MB of libraries to the image, so it is off unless asked for:
#   PACKAGECONFIG:append:pn-vigild = " person"
PACKAGECONFIG ??= ""
PACKAGECONFIG[person] = "PERSON=1,PERSON=0,opencv"
# its detector module, loaded by libvigil with dlopen() at first use
FILES:${PN} += "${libdir}/vigil/libvigil-person-hog.so"

# The top-level Makefile: `userspace` builds, `install` installs programs,
# library, header, unit, example configuration and man pages.  CC, CFLAGS
# and LDFLAGS come from the environment bitbake exports.
EXTRA_OEMAKE = "PREFIX=${prefix} UNITDIR=${systemd_system_unitdir} \
                SYSCONFDIR=${sysconfdir} LIBDIR=${libdir} ${PACKAGECONFIG_CONFARGS}"

do_configure[noexec] = "1"

do_compile() {
	oe_runmake userspace
}

do_install() {
	oe_runmake install DESTDIR=${D}
	install -d ${D}${sysconfdir}/vigil
	install -m 0644 ${S}/userspace/vigild.conf.example ${D}${sysconfdir}/vigil/vigild.conf
}

SYSTEMD_SERVICE:${PN} = "vigild.service"
# The unit has ConditionPathExists on the configuration installed above.
SYSTEMD_AUTO_ENABLE:${PN} = "enable"
CONFFILES:${PN} = "${sysconfdir}/vigil/vigild.conf"

PACKAGES =+ "${PN}-tools"
FILES:${PN}-tools = "${bindir}/vigil-* ${mandir}/man1/vigil-*"
RRECOMMENDS:${PN} += "${PN}-tools"

# ptest: the unit tests and the fuzz corpus replays (userspace/Makefile's
# `all` built them), with the data they read: the scenarios, the example
# configuration and the corpus.  test-vigild runs the installed vigild.
do_install_ptest() {
	b=${S}/build/userspace
	install -d ${D}${PTEST_PATH}/bin ${D}${PTEST_PATH}/src/userspace \
		${D}${PTEST_PATH}/src/tests
	for t in $b/tests/test-* $b/fuzz/fuzz-*; do
		case $t in *.d) continue ;; esac
		install -m 0755 $t ${D}${PTEST_PATH}/bin/
	done
	install -m 0644 ${S}/userspace/vigild.conf.example ${D}${PTEST_PATH}/src/userspace/
	# the sound-alert tests synthesise their audio at run time (sox, espeak-ng)
	install -d ${D}${PTEST_PATH}/src/userspace/tests
	install -m 0755 ${S}/userspace/tests/audio-fixtures.sh ${D}${PTEST_PATH}/src/userspace/tests/
	cp -R --no-dereference --preserve=mode,links ${S}/tests/scenarios \
		${D}${PTEST_PATH}/src/tests/
	cp -R --no-dereference --preserve=mode,links ${S}/userspace/fuzz \
		${D}${PTEST_PATH}/src/userspace/
	rm -f ${D}${PTEST_PATH}/src/userspace/fuzz/*.c ${D}${PTEST_PATH}/src/userspace/fuzz/*.h
}
RDEPENDS:${PN}-ptest += "${PN}"
