// SPDX-License-Identifier: GPL-2.0

//! UDP: one state, `UDP`, with the `udp` timeout.

/// Default UDP timeout in seconds (`ipvsadm --set`'s third value).
pub(crate) const DEFAULT_TIMEOUT: u32 = 300;
