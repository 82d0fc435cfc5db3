// SPDX-License-Identifier: GPL-2.0

//! Netlink attribute codec: parsing with the kernel's liberal validation rules and building
//! replies into a caller-supplied buffer.
//!
//! Pure code (no `kernel::` imports), compiled into the module and into the host tests. Netlink
//! attribute headers and integer payloads are in host byte order.

/// A positive errno value, as pure code reports failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Errno(pub(crate) i32);

impl Errno {
    /// Invalid argument.
    pub(crate) const EINVAL: Errno = Errno(22);
    /// Out of range.
    pub(crate) const ERANGE: Errno = Errno(34);
    /// Message too long (reply does not fit).
    pub(crate) const EMSGSIZE: Errno = Errno(90);
    /// Address family not supported.
    pub(crate) const EAFNOSUPPORT: Errno = Errno(97);
}

/// Size of `struct nlattr`.
pub(crate) const NLA_HDRLEN: usize = 4;
/// `NLA_F_NESTED | NLA_F_NET_BYTEORDER`.
const NLA_TYPE_FLAGS: u16 = 0xc000;

/// Rounds `n` up to the netlink alignment (4).
pub(crate) const fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// Iterator over the attributes of a buffer, yielding `(type, payload)`; it stops at the first
/// malformed header, like `nla_for_each_attr`.
pub(crate) struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// Iterates over the attributes in `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let hdr = self.rest.get(..NLA_HDRLEN)?;
        let len = usize::from(u16::from_ne_bytes([hdr[0], hdr[1]]));
        let ty = u16::from_ne_bytes([hdr[2], hdr[3]]) & !NLA_TYPE_FLAGS;
        if len < NLA_HDRLEN || len > self.rest.len() {
            self.rest = &[];
            return None;
        }
        let payload = &self.rest[NLA_HDRLEN..len];
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some((ty, payload))
    }
}

/// The validation policy of one attribute type (the subset of `struct nla_policy` IPVS uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Not in the policy: accepted without checks.
    Unspec,
    /// `NLA_U8`.
    U8,
    /// `NLA_U16`.
    U16,
    /// `NLA_U32`.
    U32,
    /// `NLA_NUL_STRING` with a maximum length (without the NUL).
    NulString(usize),
    /// `NLA_BINARY` with a maximum length.
    Binary(usize),
    /// `NLA_NESTED` without a nested policy.
    Nested,
    /// `NLA_UNSPEC` with a minimum length.
    MinLen(usize),
}

/// Checks one attribute's payload as `validate_nla` does without strict validation.
fn validate(policy: Policy, data: &[u8]) -> Result<(), Errno> {
    let min = |n: usize| {
        if data.len() < n {
            Err(Errno::ERANGE)
        } else {
            Ok(())
        }
    };
    match policy {
        Policy::Unspec => Ok(()),
        Policy::U8 => min(1),
        Policy::U16 => min(2),
        Policy::U32 => min(4),
        Policy::NulString(max) => {
            let window = &data[..data.len().min(max + 1)];
            if window.is_empty() || !window.contains(&0) {
                return Err(Errno::EINVAL);
            }
            let len = if data.last() == Some(&0) {
                data.len() - 1
            } else {
                data.len()
            };
            if len > max {
                return Err(Errno::ERANGE);
            }
            Ok(())
        }
        Policy::Binary(max) => {
            if data.len() > max {
                Err(Errno::ERANGE)
            } else {
                Ok(())
            }
        }
        Policy::MinLen(n) => min(n),
        Policy::Nested => {
            if !data.is_empty() && data.len() < NLA_HDRLEN {
                Err(Errno::ERANGE)
            } else {
                Ok(())
            }
        }
    }
}

/// Parses `buf` into a table indexed by attribute type (`policy.len()` = max type + 1). Types 0
/// and above the maximum are ignored, a later duplicate wins, trailing bytes are ignored: the
/// kernel's `nla_parse_deprecated` rules.
pub(crate) fn parse<'a, const N: usize>(
    buf: &'a [u8],
    policy: &[Policy; N],
) -> Result<[Option<&'a [u8]>; N], Errno> {
    let mut out = [None; N];
    for (ty, data) in Attrs::new(buf) {
        let ty = usize::from(ty);
        if ty == 0 || ty >= N {
            continue;
        }
        validate(policy[ty], data)?;
        out[ty] = Some(data);
    }
    Ok(out)
}

/// Reads a host-order `u8` attribute (validated to be long enough).
pub(crate) fn get_u8(data: &[u8]) -> u8 {
    data.first().copied().unwrap_or(0)
}

/// Reads a host-order `u16` attribute (validated to be long enough).
pub(crate) fn get_u16(data: &[u8]) -> u16 {
    let mut b = [0u8; 2];
    let n = data.len().min(2);
    b[..n].copy_from_slice(&data[..n]);
    u16::from_ne_bytes(b)
}

/// Reads a network-order `u16` attribute as a host value.
pub(crate) fn get_be16(data: &[u8]) -> u16 {
    u16::from_be(get_u16(data))
}

/// Reads a host-order `u32` attribute (validated to be long enough).
pub(crate) fn get_u32(data: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    let n = data.len().min(4);
    b[..n].copy_from_slice(&data[..n]);
    u32::from_ne_bytes(b)
}

/// Copies up to `N` bytes of `data`, zero-padding the rest (`nla_memcpy`).
pub(crate) fn get_bytes<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut b = [0u8; N];
    let n = data.len().min(N);
    b[..n].copy_from_slice(&data[..n]);
    b
}

/// The bytes of a NUL-terminated string attribute, without the NUL.
pub(crate) fn get_str(data: &[u8]) -> &[u8] {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    &data[..end]
}

/// Builds netlink attributes into a fixed buffer.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// Starts writing at the beginning of `buf`.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The number of bytes written so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes written so far.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn header(&mut self, ty: u16, payload: usize) -> Result<usize, Errno> {
        let total = NLA_HDRLEN + payload;
        let end = self.len + align(total);
        if end > self.buf.len() || total > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        let at = self.len;
        self.buf[at..at + 2].copy_from_slice(&(total as u16).to_ne_bytes());
        self.buf[at + 2..at + 4].copy_from_slice(&ty.to_ne_bytes());
        self.buf[at + total..end].fill(0);
        self.len = end;
        Ok(at + NLA_HDRLEN)
    }

    /// Appends an attribute with `data` as payload.
    pub(crate) fn put(&mut self, ty: u16, data: &[u8]) -> Result<(), Errno> {
        let at = self.header(ty, data.len())?;
        self.buf[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Appends a host-order `u8`.
    pub(crate) fn put_u8(&mut self, ty: u16, v: u8) -> Result<(), Errno> {
        self.put(ty, &[v])
    }

    /// Appends a host-order `u16`.
    pub(crate) fn put_u16(&mut self, ty: u16, v: u16) -> Result<(), Errno> {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a network-order `u16` given in host order.
    pub(crate) fn put_be16(&mut self, ty: u16, v: u16) -> Result<(), Errno> {
        self.put(ty, &v.to_be_bytes())
    }

    /// Appends a host-order `u32`.
    pub(crate) fn put_u32(&mut self, ty: u16, v: u32) -> Result<(), Errno> {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a host-order `u64` (no pad attribute is needed on x86-64, as in the kernel).
    pub(crate) fn put_u64(&mut self, ty: u16, v: u64) -> Result<(), Errno> {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a NUL-terminated string.
    pub(crate) fn put_str(&mut self, ty: u16, s: &[u8]) -> Result<(), Errno> {
        let at = self.header(ty, s.len() + 1)?;
        self.buf[at..at + s.len()].copy_from_slice(s);
        self.buf[at + s.len()] = 0;
        Ok(())
    }

    /// Opens a nest (without `NLA_F_NESTED`, like `nla_nest_start_noflag`); returns its start.
    pub(crate) fn nest_start(&mut self, ty: u16) -> Result<usize, Errno> {
        Ok(self.header(ty, 0)? - NLA_HDRLEN)
    }

    /// Closes the nest opened at `start`.
    pub(crate) fn nest_end(&mut self, start: usize) {
        let len = (self.len - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    }
}
