//! A counter-based random number generator keyed by (seed, tick, stream).
//!
//! Output `i` of a generator is a pure function of `(seed, tick, stream, i)`: no state is carried
//! between frames or threads, so any tick can be rendered on any thread in any order and draw the
//! same numbers. The mixing function is SplitMix64's finaliser (Steele, Lea, Flood 2014), applied
//! to a key derived from the three inputs plus a Weyl sequence over the counter.

/// SplitMix64's 64-bit finaliser: a bijective mix with full avalanche.
#[inline]
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// Combines two 64-bit values into one well-mixed value (order matters). Use it to derive
/// child seeds, e.g. `combine(seed, entry_index)`.
#[inline]
pub const fn combine(a: u64, b: u64) -> u64 {
    mix64(a ^ mix64(b.wrapping_add(GOLDEN)))
}

/// A counter-based generator: output `i` is `mix64(key + (i+1)·φ)` with `key` derived from
/// `(seed, tick, stream)`.
///
/// # Determinism
/// The same `(seed, tick, stream)` gives the same sequence on every machine, thread and build.
#[derive(Clone, Debug)]
pub struct Rng {
    key: u64,
    counter: u64,
}

impl Rng {
    /// The generator for `(seed, tick, stream)`. Use a distinct `stream` for each independent
    /// use inside one scene (positions, colours, …) so they never share numbers.
    pub const fn new(seed: u64, tick: u64, stream: u64) -> Rng {
        Rng { key: combine(combine(seed, tick), stream), counter: 0 }
    }

    /// Output number `index` of this generator, without advancing it.
    #[inline]
    pub const fn at(&self, index: u64) -> u64 {
        mix64(self.key.wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN)))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let v = self.at(self.counter);
        self.counter = self.counter.wrapping_add(1);
        v
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`]).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `0..n` by multiply-shift (bias below `n / 2^32`); `n = 0` gives 0.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as u32
    }

    /// A float in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A float in `[0, 1)` with 24 random bits.
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Fills `out` with the next `out.len()` outputs, exactly as that many [`Rng::next_u64`]
    /// calls would, but computed in bulk (vectorised with AVX-512 where the CPU has it: the
    /// same integer operations, so the same numbers).
    pub fn fill_u64(&mut self, out: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if simd::fill_wide(self.key, self.counter, out) {
            self.counter = self.counter.wrapping_add(out.len() as u64);
            return;
        }
        fill_portable(self.key, self.counter, out);
        self.counter = self.counter.wrapping_add(out.len() as u64);
    }

    /// A float in `[lo, hi)`.
    #[inline]
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

#[inline(always)]
fn fill_portable(key: u64, start: u64, out: &mut [u64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = mix64(key.wrapping_add(start.wrapping_add(i as u64).wrapping_add(1).wrapping_mul(GOLDEN)));
    }
}

/// Runtime dispatch to a build of [`fill_portable`] with 64-bit vector multiplies (AVX-512 DQ).
/// The only `unsafe` in the core crate: calling a `#[target_feature]` function after checking
/// that the CPU has the feature.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod simd {
    #[target_feature(enable = "avx512f,avx512dq,avx512vl")]
    fn fill_avx512(key: u64, start: u64, out: &mut [u64]) {
        super::fill_portable(key, start, out);
    }

    /// Fills `out` with the wide kernel when the CPU has it; `false` otherwise.
    pub(super) fn fill_wide(key: u64, start: u64, out: &mut [u64]) -> bool {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU has AVX-512 F, DQ and VL (checked just above).
            unsafe { fill_avx512(key, start, out) };
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_repeatable() {
        let a: Vec<u64> = (0..8).map(|i| Rng::new(1, 2, 3).at(i)).collect();
        let mut r = Rng::new(1, 2, 3);
        let b: Vec<u64> = (0..8).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(1, 2, 3).at(0), Rng::new(1, 2, 4).at(0));
        assert_ne!(Rng::new(1, 2, 3).at(0), Rng::new(1, 3, 3).at(0));
        assert_ne!(Rng::new(1, 2, 3).at(0), Rng::new(2, 2, 3).at(0));
        // A pinned value: changing the generator changes every golden hash, so it must be
        // deliberate.
        assert_eq!(Rng::new(0, 0, 0).at(0), 18_024_816_006_822_906_239);
    }

    #[test]
    fn bulk_fill_equals_one_by_one() {
        let mut a = Rng::new(3, 4, 5);
        let _ = a.next_u64();
        let mut b = a.clone();
        let mut bulk = [0u64; 77];
        a.fill_u64(&mut bulk);
        let single: Vec<u64> = (0..77).map(|_| b.next_u64()).collect();
        assert_eq!(bulk.to_vec(), single);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut portable = [0u64; 77];
        fill_portable(Rng::new(3, 4, 5).key, 1, &mut portable);
        assert_eq!(portable, bulk);
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = Rng::new(7, 0, 0);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
        let f = r.next_f64();
        assert!((0.0..1.0).contains(&f));
    }
}
