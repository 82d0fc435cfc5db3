# SPDX-License-Identifier: GPL-2.0
#
# ipvs_rs.ko, an out-of-tree Rust kernel module.
#
#   make KDIR=<Rust-enabled kernel build tree> [LLVM=1] [RUSTC=...]   build the module
#   make clean | modules_install
#   make check     fresh machine -> toolchain, test kernel, host tests, VM tests
#   make demo      fresh machine -> a VM where stock ipvsadm drives ipvs_rs and traffic is balanced
#   make host-test cargo tests of the pure logic (no kernel needed)
#   make sched-bench ns per scheduling decision, every scheduler, 8/64/1024 destinations (host)
#   make ctl-matrix the long differential ipvsadm command matrix against C ip_vs
#   make fuzz      the long generic-netlink fuzz run (FUZZ_COUNT=100000)
#   make check-debug the VM suite (or TESTS="t_x.sh ...") on the debug kernel (KASAN, lockdep...)
#   make check-vm    the VM suite (or TESTS="t_x.sh ...") on the test kernel
#   make sync-interop C ip_vs and ipvs_rs as sync master and backup, both ways (two VMs)
#   make bench       the benchmark: ipvs_rs vs C ip_vs vs plain forwarding (bench-results/)
#   make bench-profile the traffic part of the benchmark, plus perf profiles of both (BENCH_PROFILE=1)
#   make fmt       rustfmt every Rust file with the kernel's settings (.rustfmt.toml); fmtcheck: check

KDIR ?= /lib/modules/$(shell uname -r)/build
LLVM ?= 1
RUSTC ?= rustc
RUSTFMT ?= rustfmt
BINDGEN ?= bindgen
export KDIR LLVM RUSTC BINDGEN

# The kernel's configuration as Kbuild sees it.
kconf = $(KDIR)/include/config/auto.conf

.PHONY: all modules clean modules_install preflight check check-debug check-vm bench bench-profile demo host-test sched-bench ctl-matrix sync-interop fuzz fmt fmtcheck

all modules: preflight
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) modules

# One-line, actionable errors for the usual setup mistakes.
preflight:
	@test -f $(KDIR)/Makefile -a -f $(kconf) || { echo "error: KDIR=$(KDIR) is not a configured, built kernel tree; pass KDIR=<Rust-enabled kernel build tree> (make check/demo build one)"; exit 1; }
	@grep -qx 'CONFIG_RUST=y' $(kconf) || { echo "error: the kernel in KDIR=$(KDIR) has no CONFIG_RUST=y; build a Rust-enabled kernel (see README)"; exit 1; }
	@test -f $(KDIR)/rust/libkernel.rmeta || { echo "error: KDIR=$(KDIR) lacks rust/libkernel.rmeta; it must be the full build tree the kernel was built in, not a headers package"; exit 1; }
	@want=$$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="*\([^"]*\)"*$$/\1/p' $(kconf)); have=$$($(RUSTC) --version 2>/dev/null); \
	 test "$$want" = "$$have" || { echo "error: RUSTC=$(RUSTC) is '$$have' but the kernel was built with '$$want'; pass RUSTC=<that rustc>"; exit 1; }
	@$(BINDGEN) --version >/dev/null 2>&1 || { echo "error: BINDGEN=$(BINDGEN) does not run; the build reads the module's C header through bindgen (as the kernel's own Rust build does): install bindgen-cli or pass BINDGEN=<path>"; exit 1; }
	@if grep -qx 'CONFIG_RUST_INLINE_HELPERS=y' $(kconf); then \
	   want=$$(( $$(sed -n 's/^CONFIG_CLANG_VERSION=//p' $(kconf)) / 10000 )); \
	   case "$(LLVM)" in 1) cc=clang ;; */) cc="$(LLVM)clang" ;; *) cc="clang$(LLVM)" ;; esac; \
	   have=$$($$cc -dumpversion 2>/dev/null | cut -d. -f1); \
	   test "$$want" = "$$have" || { echo "error: the kernel inlines its C helpers into Rust (CONFIG_RUST_INLINE_HELPERS), which takes its own LLVM $$want, but LLVM=$(LLVM) gives clang $${have:-(none)}; pass LLVM=-$$want"; exit 1; }; \
	 fi

clean:
	@test -f $(KDIR)/Makefile && $(MAKE) -C $(KDIR) M=$(CURDIR) clean || rm -f *.o *.bc *.ko *.mod *.mod.c .*.cmd rust/*.o rust/*.bc rust/.*.cmd Module.symvers modules.order

modules_install: preflight
	$(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) modules_install

# Every Rust file of the tree (the module, its host tests, the benchmark's load tool).
rs_files = find $(CURDIR) -name '*.rs' -not -path '*/target/*' -not -path '$(CURDIR)/out/*'

fmt:
	$(rs_files) | xargs $(RUSTFMT) --edition 2021

# rustfmt's differences, then the module's lines over 100 columns that rustfmt leaves (comments;
# a line with a string literal may pass, as checkpatch lets user-visible strings be whole).
fmtcheck:
	@$(rs_files) | xargs $(RUSTFMT) --edition 2021 --check || { echo "error: rustfmt differences (above): run make fmt"; exit 1; }
	@long=$$($(rs_files) -not -path '$(CURDIR)/tests/*' | xargs awk 'length > 100 && !/"/ { print FILENAME ":" FNR }'); \
	 test -z "$$long" || { echo "error: lines over 100 columns:" $$long; exit 1; }

host-test:
	cd tests/host && cargo test

sched-bench:
	cd tests/host && cargo bench --bench sched

check:
	tests/run.sh check

check-debug:
	tests/run.sh debug

# Named VM tests (TESTS="t_x.sh ...", default all) on the test kernel, e.g. long forms.
check-vm:
	tests/run.sh vm

# ipvs_rs against C ip_vs and plain forwarding, same VM boot; tables in bench-results/.
bench:
	tests/run.sh bench

# Where the director's CPU time goes under C ip_vs and ipvs_rs (perf, cpu-clock samples).
bench-profile:
	BENCH_PROFILE=1 BENCH_PARTS=$${BENCH_PARTS:-traffic} tests/run.sh bench

demo:
	tests/run.sh demo

# The full differential ipvsadm matrix against C ip_vs (not yet all equal: see README Status).
ctl-matrix:
	tests/run.sh matrix

# Connection synchronisation between C ip_vs and ipvs_rs, both ways (two VMs, about 5 minutes).
sync-interop:
	tests/run.sh interop

# The long generic-netlink fuzz run (FUZZ_COUNT messages; the suite runs 5000).
fuzz:
	FUZZ_COUNT=$${FUZZ_COUNT:-100000} tests/run.sh fuzz
