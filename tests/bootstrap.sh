#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Brings a fresh Debian 12 machine to the point where ipvs_rs.ko can be built and tested:
# toolchain packages, bindgen, virtme-ng, Debian's linux-source-7.3 and a test kernel built
# from tinyconfig + a checked-in fragment. Idempotent; everything large is cached in
# $IPVS_CACHE (default ~/.cache/ipvs-rs), keyed by source version + fragment hash.
#
# Usage: tests/bootstrap.sh [test|debug]   (prints the kernel build directory on the last line)
#
# The kernel (and then the module) is built with the LLVM of Debian's rustc-web, 22: with one
# LLVM for C and Rust, CONFIG_RUST_INLINE_HELPERS inlines the kernel crate's C helpers (atomics,
# RCU read locks, refcounts, spinlocks) into Rust code. IPVS_LLVM=19 builds with Debian 12's
# own clang instead, IPVS_INLINE_HELPERS=0 without inlining (each its own cache entry).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
flavour=${1:-test}
cache=${IPVS_CACHE:-$HOME/.cache/ipvs-rs}
mkdir -p "$cache"

step() { printf '[bootstrap %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. Debian packages -------------------------------------------------------------------
llvm=${IPVS_LLVM:-22}
inline=${IPVS_INLINE_HELPERS:-1}
pkgs=(rustc-web rust-web-src rust-web-clippy rustfmt-web "clang-$llvm" "lld-$llvm" "llvm-$llvm" "libclang-$llvm-dev" flex bison bc
      libelf-dev libssl-dev cpio qemu-system-x86 ipvsadm udev socat iproute2 kmod util-linux
      python3-pip python3-venv xz-utils make gcc libcap2-bin nftables keepalived
      prometheus-node-exporter conntrack iptables python3-pyftpdlib)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# The kernel source comes from trixie-backports, served by the same archive as the machine's
# own Debian suites: take its URI from the configured sources, never from this repository.
bpo_list=/etc/apt/sources.list.d/ipvs-rs-trixie-backports.sources
if [ ! -e "$bpo_list" ]; then
	uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '/^deb / && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "cannot find a Debian archive URI in /etc/apt/sources.list.d/*.sources"
	step "adding trixie-backports (source packages only needed: linux-source-7.3) from $uri"
	printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | as_root tee "$bpo_list" >/dev/null
	# Never let the newer suite replace installed packages.
	printf 'Package: *\nPin: release n=trixie-backports\nPin-Priority: 1\n' |
		as_root tee /etc/apt/preferences.d/ipvs-rs-trixie-backports >/dev/null
	apt_updated=
fi
if [ ${#missing[@]} -gt 0 ] || [ -z "${apt_updated-x}" ]; then
	step "apt-get update"
	as_root apt-get update -qq >&2
fi
if [ ${#missing[@]} -gt 0 ]; then
	step "installing packages: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- 2. bindgen and virtme-ng ----------------------------------------------------------------
export PATH="$HOME/.cargo/bin:$cache/venv/bin:$PATH"
if ! command -v bindgen >/dev/null; then
	command -v cargo >/dev/null || die "cargo not found: install Rust's cargo (rustup) to build bindgen-cli"
	step "cargo install bindgen-cli"
	LIBCLANG_PATH=/usr/lib/llvm-$llvm/lib cargo install bindgen-cli --locked -q >&2
fi
if ! command -v vng >/dev/null; then
	step "pip install virtme-ng into $cache/venv"
	python3 -m venv "$cache/venv" >&2
	"$cache/venv/bin/pip" install -q virtme-ng >&2
fi

# --- 3. kernel source ---------------------------------------------------------------------------
srcver=$(apt-cache policy linux-source-7.3 | awk '/Candidate:/ {print $2}')
[ -n "$srcver" ] && [ "$srcver" != "(none)" ] || die "linux-source-7.3 not found in apt (trixie-backports)"
src=$cache/src/linux-source-7.3-$srcver
if [ ! -f "$src/.unpacked" ]; then
	step "downloading linux-source-7.3 $srcver"
	rm -rf "$src" "$cache/dl" && mkdir -p "$cache/dl" "$src"
	(cd "$cache/dl" && apt-get download -q "linux-source-7.3=$srcver" >&2)
	step "unpacking"
	dpkg-deb --fsys-tarfile "$cache"/dl/linux-source-7.3_*.deb |
		tar -x -C "$cache/dl" --wildcards './usr/src/linux-source-7.3.tar.xz'
	tar -xJf "$cache/dl/usr/src/linux-source-7.3.tar.xz" -C "$src" --strip-components=1
	rm -rf "$cache/dl"
	touch "$src/.unpacked"
fi

# --- 4. test kernel -------------------------------------------------------------------------
case $flavour in
test) frags=("$here/kernel/test.config") ;;
debug) frags=("$here/kernel/test.config" "$here/kernel/debug.config") ;;
*) die "unknown flavour '$flavour' (test|debug)" ;;
esac
# Inlining needs rustc's LLVM to be clang's (the option depends on it).
rustc_llvm=$(/usr/bin/rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if [ "$inline" = 1 ] && [ "$rustc_llvm" = "$llvm" ]; then
	frags+=("$here/kernel/inline-helpers.config")
elif [ "$inline" = 1 ]; then
	step "note: rustc's LLVM ($rustc_llvm) is not clang-$llvm's: the C helpers stay out of line"
fi
hash=$({ cat "${frags[@]}"; [ "$llvm" = 19 ] || echo "LLVM=-$llvm"; } | sha256sum | cut -c1-12)
build=$cache/build-$srcver-$flavour-$hash
kmake=(make -C "$src" O="$build" LLVM="-$llvm" RUSTC=/usr/bin/rustc BINDGEN=bindgen
       RUST_LIB_SRC=$(ls -d /usr/src/rustc-*/library | sort -V | tail -1) -j"$(nproc)")
if [ ! -f "$build/.complete" ]; then
	step "configuring $flavour kernel in $build"
	mkdir -p "$build"
	"${kmake[@]}" -s tinyconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${frags[@]}" >/dev/null
	"${kmake[@]}" -s olddefconfig >&2
	# Every =y/=m line of the fragment whose symbol this kernel still has must survive
	# olddefconfig (a lost one means an unmet dependency).
	known=$(find "$src" -name 'Kconfig*' -exec grep -hE '^[[:space:]]*(menu)?config[[:space:]]' {} + |
		awk '{print "CONFIG_" $2}' | sort -u)
	lost=
	for f in "${frags[@]}"; do
		while IFS= read -r line; do
			case $line in CONFIG_*=[ym])
				grep -qx "${line%%=*}" <<<"$known" || { step "note: ${line%%=*} does not exist in this kernel"; continue; }
				grep -qx "$line" "$build/.config" || lost="$lost $line" ;;
			esac
		done <"$f"
	done
	[ -z "$lost" ] || die "kernel config lost (unmet dependency? fix the fragment):$lost"
	"${kmake[@]}" -s rustavailable >&2 || die "Rust toolchain not usable for this kernel"
	step "building bzImage + modules ($(nproc) jobs; 13 to 28 min for the test flavour on 2 cores)"
	"${kmake[@]}" -s bzImage modules >&2
	step "installing kernel modules into $build/mod"
	rm -rf "$build/mod"
	"${kmake[@]}" -s INSTALL_MOD_PATH="$build/mod" modules_install >&2
	touch "$build/.complete"
	step "kernel ready"
fi
echo "$build"
