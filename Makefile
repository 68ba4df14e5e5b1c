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

.PHONY: all userspace modules modules-all modules-sparse modules_install \
	install check check-host demo bench deps kernels checkpatch clean \
	distclean test-progs

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

test-progs:
	$(MAKE) -C tests/progs BUILD=$(BUILD)/tests

install: userspace
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

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

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/userspace $(BUILD)/userspace-san \
		$(BUILD)/userspace-gpiod2 $(BUILD)/userspace-san-gpiod2 \
		$(BUILD)/tests $(BUILD)/vm $(BUILD)/bench $(BUILD)/test
	rm -f *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -f kmod/*.o kmod/.*.cmd

distclean: clean
	rm -rf $(BUILD)
