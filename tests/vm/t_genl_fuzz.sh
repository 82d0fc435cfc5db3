#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Short run of the generic-netlink fuzzer (FUZZ_COUNT messages, default 5000): random and
# mutated IPVS messages. Afterwards there must be no kernel report (guest.sh checks dmesg),
# stock ipvsadm must still work, and the module must unload and load cleanly.
. "$(dirname "$0")/lib.sh"
set -e
use_impl rs
python3 "$(dirname "$0")/genl_fuzz.py" "${FUZZ_COUNT:-5000}" "${FUZZ_SEED:-1}"
ipvsadm -C
ipvsadm -A -t 10.1.2.3:80 -s rr
ipvsadm -a -t 10.1.2.3:80 -r 10.1.2.4:80 -m
[ "$(ipvsadm -Ln | grep -c Masq)" = 1 ]
rmmod ipvs_rs
insmod_rs
ipvsadm -Ln | head -1 | grep -qx 'IP Virtual Server version 1.2.1 (size=0)'
