//! The generator's only source of randomness: ChaCha8 seeded from `--seed`, so a seed gives the
//! same snapshot on every platform and Rust version.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A seeded random stream with the helpers the generator needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// A stream for `seed`; `stream` separates independent parts of the snapshot so that
    /// changing one part does not shift the identifiers of another.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Self(rng)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // The modulo bias is irrelevant for n far below 2^64.
        (self.0.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }

    /// `[0-9a-z]{len}`: EMR identifiers.
    pub(crate) fn base36(&mut self, len: usize) -> String {
        self.chars(BASE36, len)
    }

    /// `[0-9a-f]{len}`.
    pub(crate) fn hex(&mut self, len: usize) -> String {
        self.chars(HEX, len)
    }

    /// `[A-Z0-9]{len}`: IAM unique-id suffixes, request ids.
    pub(crate) fn upper(&mut self, len: usize) -> String {
        self.chars(UPPER, len)
    }

    /// A random (version 4 shaped) UUID.
    pub(crate) fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-{}{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            char::from(b"89ab"[self.below(4)]),
            self.hex(3),
            self.hex(12)
        )
    }

    /// A Kubernetes `resourceVersion`.
    pub(crate) fn resource_version(&mut self) -> String {
        self.between(10_000, 999_999).to_string()
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_streams_differ() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        let mut c = Rng::new(7, 2);
        let xs: Vec<String> = (0..4).map(|_| a.base36(10)).collect();
        let ys: Vec<String> = (0..4).map(|_| b.base36(10)).collect();
        let zs: Vec<String> = (0..4).map(|_| c.base36(10)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(xs.iter().all(|s| s.len() == 10
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())));
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<usize> = (0..50).collect();
        Rng::new(1, 0).shuffle(&mut v);
        assert_ne!(v, (0..50).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..50).collect::<Vec<_>>());
    }
}
