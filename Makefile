# SPDX-License-Identifier: GPL-2.0
# Makefile - build, test and install ipchannel: module, library, tests.
#
# Kbuild (not this file) describes the module to the kernel build system.
# Run "make help" for the targets.

SHELL := /bin/bash
REPO := $(CURDIR)
BUILD := $(REPO)/build

KDIR ?= /lib/modules/$(shell uname -r)/build
# Kernel for kmod, vm-test and vm-run: the first one the VM tests use.
KVER ?= $(shell $(REPO)/tests/vm/kernels.sh | head -n 1)
PREFIX ?= /usr/local
DESTDIR ?=
CMD ?= true
# The demo: four worker processes of the example application.
DEMO_KVER ?= $(shell $(REPO)/tests/vm/kernels.sh | sed -n 2p)
DEMO_CMD ?= /opt/ipchannel/examples/workers 4
# The benchmarks: a 6.12 guest under -icount, so that the figures repeat.
BENCH_CMD ?= /opt/ipchannel/bin/bench && \
	{ [ ! -x /opt/ipchannel/node/run.sh ] || /opt/ipchannel/node/run.sh; }
# Seen twice with QEMU 7.2 under -icount: a double fault with corrupt
# EFLAGS at SLUB's cmpxchg16b fast path, in processes that do not use the
# module. Without cx16 SLUB takes its locked path, for every method alike.
BENCH_CPU ?= max,cx16=off
# Passed through the environment, so that any quoting survives.
export CMD DEMO_CMD BENCH_CMD

CHECKPATCH := $(BUILD)/checkpatch/checkpatch.pl
CHECKPATCH_FILES = $(wildcard module/*.c module/*.h module/uapi/linux/*.h)

# The one version of the module, the library and the tool; dkms.conf keeps
# a literal copy (DKMS sources it as shell), which tests/install checks.
VERSION := $(shell grep -v "^#" $(REPO)/VERSION)

all:
	@if [ -e "$(KDIR)/Makefile" ]; then \
		$(MAKE) module; \
	else \
		echo "note: no kernel build tree at $(KDIR);" \
		     "skipping the module (try make kmod KVER=...)"; \
	fi
	@$(MAKE) --no-print-directory lib examples

help:
	@echo 'all         module for the running kernel (if its headers are'
	@echo '            installed), library and examples'
	@echo 'module      ipchannel.ko in place; KDIR=kernel build tree'
	@echo 'kmod        ipchannel.ko in build/kmod/KVER/; fails on warnings'
	@echo 'lib         userlib/ (libipchannel)'
	@echo 'examples    examples/'
	@echo 'selftests   tests/selftests/*_test.c into build/selftests/'
	@echo 'deps        install the Debian packages needed (scripts/deps.sh)'
	@echo 'checkpatch  checkpatch.pl --strict on the module sources'
	@echo 'lint        checkpatch, sparse and W=1 on the module for each'
	@echo '            VM test kernel, the -Werror user-space build,'
	@echo '            cppcheck on the library and the tool'
	@echo 'vm-test     selftests in a QEMU guest running KVER (or debug)'
	@echo 'vm-run      CMD=... in a QEMU guest running KVER'
	@echo 'vm-shell    interactive shell in a QEMU guest running KVER'
	@echo 'check       deps, build, lint, install tests, vm-test on 6.1,'
	@echo '            6.12, debug'
	@echo 'demo        the example workers in a 6.12 guest (DEMO_CMD=...)'
	@echo 'bench       tests/bench in a 6.12 guest under -icount; writes'
	@echo '            build/bench/results.csv, docs/benchmarks.md, .png'
	@echo 'stress      the stress tool for DURATION seconds (1800) in a'
	@echo '            guest (STRESS_KVER, default debug)'
	@echo 'fuzz        the device fuzzer for FUZZ_DURATION seconds (600)'
	@echo '            in a guest (FUZZ_KVER, default debug)'
	@echo 'install     as root: library, headers, pkg-config file, tool,'
	@echo '            man pages, modules-load.d entry; the module through'
	@echo '            DKMS, loaded. DESTDIR=... stages all but the module'
	@echo 'uninstall   removes what install installed (DESTDIR alike)'
	@echo 'install-module / install-dkms   the module alone, for this'
	@echo '            machine (uninstall-dkms removes the DKMS one)'
	@echo 'clean       remove everything built'

# --- module ----------------------------------------------------------

module:
	$(MAKE) -C $(KDIR) M=$(REPO) modules

kmod:
	@test -n "$(KVER)" || { echo "no kernel to build for" >&2; exit 1; }
	+$(REPO)/scripts/kmod.sh "$(KVER)"

# --- user space ------------------------------------------------------

lib:
	@if [ -f userlib/Makefile ]; then \
		$(MAKE) -C userlib; \
	else \
		echo "note: userlib/Makefile does not exist yet"; \
	fi

examples: lib
	@if [ -f examples/Makefile ]; then $(MAKE) -C examples; fi

ksrc:
	@$(REPO)/scripts/ksrc.sh $(BUILD)

# The benchmark program too: bench_test runs its smoke pass.
selftests: ksrc lib
	$(MAKE) -C tests/selftests REPO=$(REPO)
	$(MAKE) -C tests/bench REPO=$(REPO)
	$(MAKE) -C tests/stress REPO=$(REPO)
	$(MAKE) -C tests/fuzz REPO=$(REPO)

# --- checks ----------------------------------------------------------

deps:
	$(REPO)/scripts/deps.sh

checkpatch: ksrc
	@test -n "$(CHECKPATCH_FILES)" || { echo "nothing to check"; exit 0; }
	@out=$$($(CHECKPATCH) --strict --no-tree --show-types --quiet \
		-f $(CHECKPATCH_FILES) 2>&1); status=$$?; \
	if [ $$status -ne 0 ] || \
	   grep -qE '^(ERROR|WARNING|CHECK)' <<<"$$out"; then \
		echo "$$out"; echo "checkpatch: not clean" >&2; exit 1; \
	fi; \
	echo "checkpatch: $(words $(CHECKPATCH_FILES)) files clean"

# Static checks; scripts/lint.sh says which and what fails them.
lint:
	+$(REPO)/scripts/lint.sh

vm-test: kmod selftests examples
	$(REPO)/tests/vm/run.sh --no-build --kernel "$(KVER)" --tests

# A command or a shell does not need every selftest to compile.
vm-run: kmod examples
	-$(MAKE) selftests
	$(REPO)/tests/vm/run.sh --no-build --kernel "$(KVER)" --cmd "$$CMD"

vm-shell: kmod examples
	-$(MAKE) selftests
	$(REPO)/tests/vm/run.sh --no-build --kernel "$(KVER)" --shell

# Installing packages comes first: the rest needs them to be evaluated.
check:
	$(REPO)/scripts/deps.sh
	$(REPO)/scripts/check.sh

demo:
	$(REPO)/scripts/deps.sh
	$(MAKE) kmod examples KVER="$(DEMO_KVER)"
	$(REPO)/tests/vm/run.sh --no-build --kernel "$(DEMO_KVER)" \
		--cmd "$$DEMO_CMD"

# $(call long_run,KVER,SECONDS,COMMAND): one guest of KVER (the debug
# kernel is built first if needed) runs COMMAND for about SECONDS.
define long_run
	$(REPO)/scripts/deps.sh
	@if [ "$(1)" = debug ]; then $(REPO)/scripts/debug-kernel.sh; fi
	$(MAKE) kmod selftests KVER="$(1)"
	$(REPO)/tests/vm/run.sh --no-build --kernel "$(1)" \
		--timeout $$(($(2) + 900)) --test-timeout $$(($(2) + 600)) \
		--cmd "$(3)"
endef

# A long stress run (tests/stress) in one guest, the debug kernel unless
# STRESS_KVER says otherwise; STRESS_ARGS adds options (--seed N, ...).
DURATION ?= 1800
STRESS_KVER ?= debug
stress:
	$(call long_run,$(STRESS_KVER),$(DURATION),/opt/ipchannel/bin/stress \
		--duration $(DURATION) --epoch 20 $(STRESS_ARGS))

# A long fuzzer run (tests/fuzz), the same way; FUZZ_ARGS adds options.
FUZZ_DURATION ?= 600
FUZZ_KVER ?= debug
fuzz:
	$(call long_run,$(FUZZ_KVER),$(FUZZ_DURATION),/opt/ipchannel/bin/fuzz \
		--duration $(FUZZ_DURATION) $(FUZZ_ARGS))

# The figures go to build/bench/results.csv, docs/benchmarks.md and .png.
# The Node.js rivals (tests/bench/node) run where the host has node and
# npm: VM_NODE puts node and build/bench/node in the guest.
bench:
	$(REPO)/scripts/deps.sh
	$(MAKE) kmod lib KVER="$(DEMO_KVER)"
	$(MAKE) -C tests/bench REPO=$(REPO)
	if command -v node >/dev/null && command -v npm >/dev/null; then \
		$(MAKE) -C tests/bench/node REPO=$(REPO) && \
		export VM_NODE=$(BUILD)/bench/node; \
	fi; \
	QEMU_CPU="$(BENCH_CPU)" \
	$(REPO)/tests/vm/run.sh --no-build --icount --kernel "$(DEMO_KVER)" \
		--timeout 2400 --test-timeout 2000 --cmd "$$BENCH_CMD"
	BENCH_CPU="$(BENCH_CPU)" $(REPO)/scripts/bench-report.sh \
		"$(BUILD)/vm/$(DEMO_KVER)/output.log" "$(DEMO_KVER)"

# --- install ---------------------------------------------------------

# With DESTDIR, "make install" only stages the user-space part and the
# modules-load.d entry, for a package. Without it, as root on the machine
# itself, it also hands the module sources to DKMS, which builds them for
# the running kernel now and for every kernel installed later, and loads
# the module. "make uninstall" undoes either.
MODULES_LOAD_DIR ?= /etc/modules-load.d
# DKMS and where it finds the sources; tests/install points both at
# throwaway trees and another kernel.
DKMS ?= dkms
DKMS_SRCROOT ?= /usr/src
DKMS_SRC = $(DKMS_SRCROOT)/ipchannel-$(VERSION)
DKMS_KVER ?= $(shell uname -r)
DKMS_FILES := VERSION Kbuild Makefile dkms.conf module

install: lib
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" != 0 ]; then \
		echo "make install: run as root, or set DESTDIR" >&2; \
		exit 1; \
	fi
	$(MAKE) -C userlib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 644 /dev/null \
		$(DESTDIR)$(MODULES_LOAD_DIR)/ipchannel.conf
	echo ipchannel >$(DESTDIR)$(MODULES_LOAD_DIR)/ipchannel.conf
	@if [ -z "$(DESTDIR)" ]; then \
		ldconfig && $(MAKE) --no-print-directory install-dkms && \
		modprobe ipchannel; \
	fi

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" != 0 ]; then \
		echo "make uninstall: run as root, or set DESTDIR" >&2; \
		exit 1; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
		$(MAKE) --no-print-directory uninstall-dkms; \
	fi
	$(MAKE) -C userlib uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(MODULES_LOAD_DIR)/ipchannel.conf
	@if [ -z "$(DESTDIR)" ]; then ldconfig; fi

install-module: module
	$(MAKE) -C $(KDIR) M=$(REPO) modules_install
	depmod -a

# Register the sources with DKMS and build and install the module for
# DKMS_KVER. A version added before is removed first, so that the sources
# DKMS builds are these.
install-dkms:
	@command -v $(firstword $(DKMS)) >/dev/null || \
		{ echo "dkms is missing: apt-get install dkms" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status ipchannel/$(VERSION))" ]; then \
		echo "$(DKMS) remove ipchannel/$(VERSION) --all"; \
		$(DKMS) remove ipchannel/$(VERSION) --all; \
	fi
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -a $(DKMS_FILES) $(DKMS_SRC)/
	$(DKMS) add ipchannel/$(VERSION)
	$(DKMS) build ipchannel/$(VERSION) -k $(DKMS_KVER)
	$(DKMS) install ipchannel/$(VERSION) -k $(DKMS_KVER)

# Unload the module, remove it from every kernel DKMS built it for, and
# remove its sources.
uninstall-dkms:
	if [ -d /sys/module/ipchannel ]; then modprobe -r ipchannel; fi
	@if [ -n "$$($(DKMS) status ipchannel/$(VERSION) 2>/dev/null)" ]; \
	then \
		echo "$(DKMS) remove ipchannel/$(VERSION) --all"; \
		$(DKMS) remove ipchannel/$(VERSION) --all; \
	fi
	rm -rf $(DKMS_SRC)

# --- clean -----------------------------------------------------------

# What "make module" leaves in the source tree.
module-clean:
	rm -f *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order
	rm -f module/*.o module/.*.cmd .module-common.o

clean: module-clean
	rm -rf $(BUILD)
	@if [ -f userlib/Makefile ]; then $(MAKE) -C userlib clean; fi
	@if [ -f examples/Makefile ]; then $(MAKE) -C examples clean; fi

.PHONY: all help module kmod lib examples ksrc selftests deps checkpatch \
	lint vm-test vm-run vm-shell check demo bench stress fuzz install \
	install-module \
	install-dkms uninstall uninstall-dkms module-clean clean
