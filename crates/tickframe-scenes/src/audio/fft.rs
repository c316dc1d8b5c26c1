//! A small deterministic FFT for real input: radix-2, iterative, `f64`, twiddles from `libm`.
//!
//! # Why not rustfft here
//! rustfft computes its twiddle factors with the standard library's `f64::sin`/`cos` (the
//! platform's maths library, which is not required to round identically everywhere) and picks
//! an algorithm at run time by CPU (AVX, SSE, NEON or scalar), each decomposing the transform
//! differently, so the last bits of a spectrum may differ between machines. Our golden hashes
//! must not, so the visualizer uses this transform instead: twiddles come from the pure-Rust
//! `libm` crate, and every butterfly is the same sequence of IEEE-754 `+ − ×` on every machine,
//! build profile and thread. rustfft stays as the reference in the tests
//! (`tests/it/audio.rs` checks this transform against it).
//!
//! # Determinism
//! No fused multiply-add (Rust never contracts `a * b + c`), no SIMD dispatch, no data-dependent
//! order: the result is a pure function of the input bits.

/// A planned transform of `n` real samples (`n` a power of two, at least 4): the twiddle and
/// bit-reversal tables are built once, then [`RealFft::power`] runs without allocating.
#[derive(Clone, Debug)]
pub struct RealFft {
    n: usize,
    /// `exp(-2πi·k/(n/2))` for `k` in `0..n/4`: the half-size complex transform's twiddles.
    tw: Vec<(f64, f64)>,
    /// `exp(-2πi·k/n)` for `k` in `0..=n/2`: the split step from packed complex to real output.
    split: Vec<(f64, f64)>,
    /// Bit-reversed index for each of the `n/2` complex points.
    rev: Vec<u32>,
}

/// Scratch space for [`RealFft::power`]: `n/2` complex points.
#[derive(Clone, Debug, Default)]
pub struct FftScratch {
    re: Vec<f64>,
    im: Vec<f64>,
}

impl RealFft {
    /// A transform of `n` real samples.
    ///
    /// # Panics
    /// When `n` is not a power of two or is below 4 (a programming error: the visualizer only
    /// asks for 2048..=16384).
    pub fn new(n: usize) -> RealFft {
        assert!(n.is_power_of_two() && n >= 4, "FFT size {n} must be a power of two >= 4");
        let m = n / 2;
        let angle = |k: usize, len: usize| -core::f64::consts::TAU * k as f64 / len as f64;
        let tw = (0..m / 2).map(|k| (libm::cos(angle(k, m)), libm::sin(angle(k, m)))).collect();
        let split = (0..=m).map(|k| (libm::cos(angle(k, n)), libm::sin(angle(k, n)))).collect();
        let bits = m.trailing_zeros();
        let rev =
            (0..m as u32).map(|i| if bits == 0 { 0 } else { i.reverse_bits() >> (32 - bits) }).collect();
        RealFft { n, tw, split, rev }
    }

    /// The number of real input samples.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false` (a transform has at least 4 points); for symmetry with [`RealFft::len`].
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The complex spectrum `X[k]` for `k` in `0..=n/2` of the real `input`, written into `out`
    /// as `(re, im)` pairs: `X[k] = Σ x[j]·exp(-2πi·jk/n)` (no normalisation).
    ///
    /// # Panics
    /// When `input.len() != n` or `out.len() != n/2 + 1`.
    pub fn forward(&self, input: &[f64], scratch: &mut FftScratch, out: &mut [(f64, f64)]) {
        let (n, m) = (self.n, self.n / 2);
        assert_eq!(input.len(), n, "FFT input length");
        assert_eq!(out.len(), m + 1, "FFT output length");
        scratch.re.resize(m, 0.0);
        scratch.im.resize(m, 0.0);
        let (re, im) = (&mut scratch.re[..], &mut scratch.im[..]);
        // Pack even samples as real parts, odd samples as imaginary parts, bit-reversed.
        for (i, &r) in self.rev.iter().enumerate() {
            re[r as usize] = input[2 * i];
            im[r as usize] = input[2 * i + 1];
        }
        // Iterative radix-2 decimation in time over m complex points.
        let mut half = 1;
        while half < m {
            let step = m / (2 * half);
            for start in (0..m).step_by(2 * half) {
                for k in 0..half {
                    let (wr, wi) = self.tw[k * step];
                    let (a, b) = (start + k, start + k + half);
                    let tr = re[b] * wr - im[b] * wi;
                    let ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
            half *= 2;
        }
        // Split: X[k] = E[k] + W_n^k · O[k], with E, O the spectra of the even and odd samples.
        for (k, o) in out.iter_mut().enumerate() {
            let (zr, zi) = (re[k % m], im[k % m]);
            let (cr, ci) = (re[(m - k) % m], -im[(m - k) % m]);
            let (er, ei) = ((zr + cr) * 0.5, (zi + ci) * 0.5);
            // O[k] = -i · (Z[k] − conj(Z[m−k])) / 2
            let (dr, di) = ((zr - cr) * 0.5, (zi - ci) * 0.5);
            let (or, oi) = (di, -dr);
            let (wr, wi) = self.split[k];
            *o = (er + (or * wr - oi * wi), ei + (or * wi + oi * wr));
        }
    }
}
