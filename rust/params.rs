// SPDX-License-Identifier: GPL-2.0

//! Module parameters the `module!` macro cannot declare (arrays), defined by the C shim.

use super::shim;

/// Most entries of the `ports` parameter.
pub(crate) const FTP_MAX_PORTS: usize = shim::IPVS_RS_FTP_MAX_PORTS as usize;

/// The `ports` parameter as given (C ip_vs_ftp's: the FTP helper's control ports; zeros are
/// "none").
pub(crate) fn ftp_ports() -> &'static [u16] {
    let mut n = 0;
    // SAFETY: The shim returns its static parameter array and writes the number of entries
    // given, which `module_param_array` keeps within the array.
    let p = unsafe { shim::ipvs_rs_ftp_ports(&mut n) };
    let n = (n as usize).min(FTP_MAX_PORTS);
    // SAFETY: `p` points to the static array of `FTP_MAX_PORTS` entries, which is read-only
    // (0444) while the module is loaded, so a shared borrow of its first `n` is sound for
    // `'static` as the module sees it.
    unsafe { core::slice::from_raw_parts(p, n) }
}
