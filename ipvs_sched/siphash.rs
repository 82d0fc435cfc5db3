// SPDX-License-Identifier: GPL-2.0

//! The kernel's `hsiphash` as built on 64-bit machines: SipHash-1-3 over 64-bit words with a
//! 32-bit result (`lib/siphash.c` implements HalfSipHash only on 32-bit machines). The mh
//! scheduler hashes with it, so its table matches C IPVS's only if this matches bit for bit.

/// A `hsiphash_key_t` of a 64-bit kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key(pub(crate) [u64; 2]);

/// SipHash state.
struct Sip([u64; 4]);

impl Sip {
    fn new(key: &Key) -> Self {
        // "somepseudorandomlygeneratedbytes"
        Self([
            0x736f_6d65_7073_6575 ^ key.0[0],
            0x646f_7261_6e64_6f6d ^ key.0[1],
            0x6c79_6765_6e65_7261 ^ key.0[0],
            0x7465_6462_7974_6573 ^ key.0[1],
        ])
    }

    fn round(&mut self) {
        let [mut v0, mut v1, mut v2, mut v3] = self.0;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v0;
        v0 = v0.rotate_left(32);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(16) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(21) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(17) ^ v2;
        v2 = v2.rotate_left(32);
        self.0 = [v0, v1, v2, v3];
    }

    /// One compression round per message word (the "1" of 1-3).
    fn absorb(&mut self, m: u64) {
        self.0[3] ^= m;
        self.round();
        self.0[0] ^= m;
    }
}

/// `hsiphash(data, data.len(), key)` of a 64-bit kernel.
pub(crate) fn hsiphash(data: &[u8], key: &Key) -> u32 {
    let mut s = Sip::new(key);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        s.absorb(u64::from_le_bytes(w));
    }
    // The last word: the remaining bytes, little-endian, with the length in the top byte.
    let mut b = (data.len() as u64) << 56;
    for (i, &byte) in chunks.remainder().iter().enumerate() {
        b |= u64::from(byte) << (8 * i);
    }
    s.absorb(b);
    // Finalisation: three rounds (the "3" of 1-3).
    s.0[2] ^= 0xff;
    s.round();
    s.round();
    s.round();
    let [v0, v1, v2, v3] = s.0;
    ((v0 ^ v1) ^ (v2 ^ v3)) as u32
}

/// `hsiphash` of one `u32` as the kernel lays it out in memory (native byte order, as `&v` is
/// hashed).
pub(crate) fn hsiphash_u32(v: u32, key: &Key) -> u32 {
    hsiphash(&v.to_ne_bytes(), key)
}
