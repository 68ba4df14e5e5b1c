# SPDX-License-Identifier: GPL-2.0
#
# vigil: top-level build.  `make demo` and `make check` do all set-up on a
# fresh Debian 12 machine (scripts/deps).  Kernel module targets follow the
# out-of-tree conventions that Yocto's module.bbclass and DKMS call:
#   make modules KERNEL_SRC=<headers>   (KDIR is an alias)
#   make modules_install KERNEL_SRC=<headers> [INSTALL_MOD_PATH=...]

ROOT := $(CURDIR)
BUILD := $(ROOT)/build
KDIR ?=
KERNEL_SRC ?= $(KDIR)
# Target kernel for the plain `make`: an alias of scripts/kernels.
KERNEL ?= 6.12
KERNELS ?= 6.1 6.12 rt
PREFIX ?= /usr/local
DESTDIR ?=
MANDIR ?= $(PREFIX)/share/man

.PHONY: all userspace modules modules-all modules-sparse modules_install \
	install check check-host demo bench accuracy-real deps kernels checkpatch \
	clean distclean test-progs dt-check deb cross cross-deb arm64-boot

all: userspace modules

deps:
	@scripts/deps

userspace:
	$(MAKE) -C userspace

# Without KERNEL_SRC: the default target kernel, from the private cache.
ifeq ($(KERNEL_SRC),)
modules:
	@scripts/build-kmod $(KERNEL)
else
modules:
	$(MAKE) -C $(KERNEL_SRC) M=$(ROOT) modules
endif

modules_install:
	$(if $(KERNEL_SRC),,$(error modules_install needs KERNEL_SRC=<kernel build dir>))
	$(MAKE) -C $(KERNEL_SRC) M=$(ROOT) modules_install

# Every target kernel with W=1, failing on any warning.
modules-all:
	@scripts/kmod-check build $(KERNELS)

# Every target kernel with sparse (C=2), failing on any warning.
modules-sparse:
	@scripts/kmod-check sparse $(KERNELS)

checkpatch:
	@scripts/kmod-check checkpatch

# Device-tree bindings (dt-schema) and overlays (dtc -@, fdtoverlay).
dt-check:
	@scripts/dt-check

# Debian packages (debian/) into build/deb, built in a copy of the tree.
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/vigil
	git ls-files -z --cached --others --exclude-standard | \
		cpio -0 -pdm --quiet $(BUILD)/deb/vigil
	cd $(BUILD)/deb/vigil && dpkg-buildpackage -us -uc -b
	rm -rf $(BUILD)/deb/vigil

# arm64: userspace and vigil.ko cross-built and checked (scripts/cross).
cross:
	@scripts/cross check

# arm64: the .debs of vigild, libvigil0, libvigil-dev cross-built (scripts/cross).
cross-deb:
	@scripts/cross debs

# arm64: Debian's kernel in qemu-system-aarch64, vigil probed from the DT.
arm64-boot:
	@scripts/arm64-boot

test-progs:
	$(MAKE) -C tests/progs BUILD=$(BUILD)/tests

install: userspace
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	ln -sf vigild.conf.5 $(DESTDIR)$(MANDIR)/man5/vigil.conf.5

check-host: userspace test-progs
	$(MAKE) -C userspace check
	$(MAKE) -C userspace SAN=1 check
	$(MAKE) -C userspace check-gpiod2

check: deps
	@tests/run

demo: deps
	@scripts/demo

bench: deps
	@scripts/bench

# vigil's detector against OpenCV's MOG2 on real footage (scripts/detect-compare).
accuracy-real:
	@scripts/deps --packages
	@scripts/detect-compare

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/userspace $(BUILD)/userspace-san $(BUILD)/userspace-noperson \
		$(BUILD)/userspace-gpiod2 $(BUILD)/userspace-san-gpiod2 \
		$(BUILD)/tests $(BUILD)/vm $(BUILD)/bench $(BUILD)/test \
		$(BUILD)/dt/work $(BUILD)/dt/schemas $(BUILD)/deb $(BUILD)/cross-arm64 \
		$(BUILD)/arm64-boot
	rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -f kmod/*.o kmod/.*.cmd

distclean: clean
	rm -rf $(BUILD)
