//! The spectrum analysis, run once while building: every hop of the clip (about 10 ms) gets
//! its band levels and peak markers, smoothed and gain-adjusted, in one table. Rendering then
//! only looks a row up.
//!
//! # Why a table
//! Smoothing (attack/decay), peak hold/fall and the adaptive gain are recurrences over past
//! audio. Run sequentially over the whole clip at build time, they make the state at every hop a
//! fixed function of the clip and the settings, so the picture at any tick is a look-up, the
//! same in any order and on any thread, and `render(&self)` needs no scratch and allocates
//! nothing. Looping clips run the recurrence over the clip twice and keep the second pass, so
//! the state flows across the loop seam as if the clip had always been looping.
//!
//! # Memory
//! `4 × bands` bytes per hop (a `u16` level and a `u16` peak per band) at 100 hops per second:
//! 12.8 KB per second of audio at 32 bands, 25.6 KB at 64 bands (30.7 MB for the longest clip
//! accepted, 20 minutes, at 64 bands), plus `4 × bands` bytes per hop of temporary `f32` levels
//! while building.
//!
//! # Determinism
//! Only IEEE-754 `+ − × ÷`, comparisons, `f64 → f32` rounding and `libm` (`cos`, `sin`, `exp`,
//! `pow`, `log10`), in a fixed order; the FFT is [`super::fft::RealFft`]. So the table is the
//! same on every machine for the same decoded samples.

use super::decode::Clip;
use super::fft::{FftScratch, RealFft};

/// Level of a silent band, in dBFS.
pub const SILENCE_DB: f64 = -200.0;
/// In automatic gain, the top of the display sits this far above the loudest band, in dB.
pub const AUTO_HEADROOM_DB: f64 = 3.0;
/// In automatic gain, the top of the display falls this fast after loud passages, in dB per
/// second.
pub const AUTO_RELEASE_DB_PER_S: f64 = 6.0;
/// In automatic gain, the top of the display never goes below this, in dBFS (so near-silence is
/// not blown up into full bars).
pub const AUTO_MIN_TOP_DB: f64 = -50.0;
/// Analysis hops per second of audio (the hop is `rate / 100` samples, rounded).
pub const HOPS_PER_SECOND: u32 = 100;
/// After a non-looping clip ends, the analysis keeps running on silence until every bar and
/// peak reaches zero, for at most this many seconds.
pub const MAX_TAIL_SECONDS: u32 = 200;

/// How the display's top level is chosen.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Gain {
    /// The top is `-gain_db` dBFS (0 dBFS, a full-scale sine, by default).
    Fixed,
    /// The top follows the loudest band (plus [`AUTO_HEADROOM_DB`]), rising at once and falling
    /// at [`AUTO_RELEASE_DB_PER_S`], never below [`AUTO_MIN_TOP_DB`].
    Auto,
}

/// The analysis parameters (see the `visualizer` scene's parameters for defaults).
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct AnalysisSettings {
    /// Number of log-spaced bands (16..=64).
    pub bands: usize,
    /// Lower edge of the first band, in Hz.
    pub min_hz: f64,
    /// Upper edge of the last band, in Hz (lowered to the Nyquist frequency when above it).
    pub max_hz: f64,
    /// Time constant of rising levels, in ms (0: instant).
    pub attack_ms: f64,
    /// Time constant of falling levels, in ms (0: instant).
    pub decay_ms: f64,
    /// How long a peak marker stays before falling, in ms.
    pub peak_hold_ms: f64,
    /// How long a peak marker takes to fall the full height, in ms (0: at once).
    pub peak_fall_ms: f64,
    /// Fixed or automatic gain.
    pub gain: Gain,
    /// Boost in dB, fixed gain only.
    pub gain_db: f64,
    /// Span from the bottom to the top of the display, in dB.
    pub range_db: f64,
    /// Whether the clip repeats forever (else silence after it).
    pub looped: bool,
}

/// The FFT length used for a sample rate: about 93 ms of audio (2048 below 32 kHz, 4096 below
/// 64 kHz, 8192 below 128 kHz, else 16384), so bins are 10.8–11.7 Hz apart at the usual rates
/// (enough to separate bass notes; the Hann window's effective span is about half of it).
pub fn fft_len_for(rate: u32) -> usize {
    match rate {
        0..32_000 => 2048,
        32_000..64_000 => 4096,
        64_000..128_000 => 8192,
        _ => 16384,
    }
}

/// The hop between analysed spectra, in samples: `rate / 100`, rounded.
pub fn hop_for(rate: u32) -> u32 {
    ((rate + HOPS_PER_SECOND / 2) / HOPS_PER_SECOND).max(1)
}

/// Which FFT bins make up one band.
#[derive(Clone, Copy, Debug)]
enum BandBins {
    /// The strongest bin in `start..end`.
    Range(usize, usize),
    /// No bin inside the band: interpolate between bins `k` and `k + 1` at `frac`.
    Between(usize, f64),
}

/// The per-hop band levels and peak markers of a clip (see the module docs).
#[derive(Clone, Debug)]
pub struct Spectrogram {
    rate: u32,
    hop: u32,
    fft_len: usize,
    bands: usize,
    edges: Vec<f64>,
    clip_len: u64,
    looped: bool,
    /// Hop index of row 0 (negative for non-looping clips: windows that start before 0).
    first_hop: i64,
    rows: usize,
    levels: Vec<u16>,
    peaks: Vec<u16>,
}

impl Spectrogram {
    /// Analyses `clip` (which must hold at least one sample).
    ///
    /// # Panics
    /// When `clip.samples` is empty or `settings.bands` is 0 (the scene checks both first).
    pub fn analyse(clip: &Clip, settings: &AnalysisSettings) -> Spectrogram {
        assert!(!clip.samples.is_empty() && settings.bands > 0, "analysing an empty clip");
        let rate = clip.rate;
        let n = fft_len_for(rate);
        let hop = hop_for(rate);
        let bands = settings.bands;
        let nyquist = f64::from(rate) / 2.0;
        let max_hz = settings.max_hz.min(nyquist);
        let min_hz = settings.min_hz.min(max_hz / 2.0);
        let ratio = max_hz / min_hz;
        let edges: Vec<f64> =
            (0..=bands).map(|b| min_hz * libm::pow(ratio, b as f64 / bands as f64)).collect();
        let df = f64::from(rate) / n as f64;
        let bins: Vec<BandBins> = edges
            .windows(2)
            .map(|e| {
                let start = (libm::ceil(e[0] / df) as usize).clamp(1, n / 2);
                let end = (libm::ceil(e[1] / df) as usize).clamp(1, n / 2 + 1);
                if start < end {
                    BandBins::Range(start, end)
                } else {
                    let kf = libm::sqrt(e[0] * e[1]) / df;
                    let k = (libm::floor(kf) as usize).min(n / 2 - 1);
                    BandBins::Between(k, kf - k as f64)
                }
            })
            .collect();
        // Periodic Hann window; amplitude normalisation so a full-scale sine reads 0 dBFS.
        let window: Vec<f64> =
            (0..n).map(|i| 0.5 - 0.5 * libm::cos(core::f64::consts::TAU * i as f64 / n as f64)).collect();
        let wsum: f64 = window.iter().sum();
        let norm = (2.0 / wsum) * (2.0 / wsum);

        let len = clip.samples.len() as u64;
        let hops_per_loop = len.div_ceil(u64::from(hop)) as usize;
        let (first_hop, audio_hops) = if settings.looped {
            (0i64, hops_per_loop)
        } else {
            let before = (n / 2) as i64 / i64::from(hop) + 1;
            (-before, hops_per_loop + 2 * before as usize)
        };

        // 1. Band levels in dBFS for every hop that sees audio.
        let fft = RealFft::new(n);
        let mut scratch = FftScratch::default();
        let mut input = vec![0.0f64; n];
        let mut spectrum = vec![(0.0f64, 0.0f64); n / 2 + 1];
        let mut power = vec![0.0f64; n / 2 + 1];
        let mut db = vec![0.0f32; audio_hops * bands];
        let samples = &clip.samples;
        for (row, out) in db.chunks_exact_mut(bands).enumerate() {
            let h = first_hop + row as i64;
            let start = h * i64::from(hop) + i64::from(hop / 2) - (n / 2) as i64;
            let inside = start >= 0 && (start as u64 + n as u64) <= len;
            for (i, (x, w)) in input.iter_mut().zip(&window).enumerate() {
                let j = start + i as i64;
                let s = if inside {
                    samples[j as usize]
                } else if settings.looped {
                    samples[j.rem_euclid(len as i64) as usize]
                } else if j >= 0 && (j as u64) < len {
                    samples[j as usize]
                } else {
                    0.0
                };
                *x = f64::from(s) * w;
            }
            fft.forward(&input, &mut scratch, &mut spectrum);
            for (p, &(re, im)) in power.iter_mut().zip(&spectrum) {
                *p = (re * re + im * im) * norm;
            }
            for (o, b) in out.iter_mut().zip(&bins) {
                let p = match *b {
                    BandBins::Range(s, e) => power[s..e].iter().fold(0.0f64, |m, &v| m.max(v)),
                    BandBins::Between(k, f) => {
                        let a = libm::sqrt(power[k]);
                        let c = libm::sqrt(power[k + 1]);
                        let amp = a + (c - a) * f;
                        amp * amp
                    }
                };
                *o = if p > 1e-20 { (10.0 * libm::log10(p)) as f32 } else { SILENCE_DB as f32 };
            }
        }

        // 2. Gain, smoothing and peaks, run in order.
        let hop_ms = 1000.0 * f64::from(hop) / f64::from(rate);
        let coef = |ms: f64| if ms <= 0.0 { 1.0 } else { 1.0 - libm::exp(-hop_ms / ms) };
        let mut state = State {
            attack: coef(settings.attack_ms),
            decay: coef(settings.decay_ms),
            hold_hops: libm::round(settings.peak_hold_ms / hop_ms) as u32,
            fall: if settings.peak_fall_ms <= 0.0 { 1.0 } else { hop_ms / settings.peak_fall_ms },
            release: AUTO_RELEASE_DB_PER_S * hop_ms / 1000.0,
            gain: settings.gain,
            fixed_top: -settings.gain_db,
            range: settings.range_db,
            top: AUTO_MIN_TOP_DB,
            level: vec![0.0; bands],
            peak: vec![0.0; bands],
            hold: vec![0; bands],
        };
        let mut levels = Vec::with_capacity(audio_hops * bands);
        let mut peaks = Vec::with_capacity(audio_hops * bands);
        let silent = vec![SILENCE_DB as f32; bands];
        if settings.looped {
            // Warm-up pass: the state at the loop seam then carries the end of the clip.
            for row in db.chunks_exact(bands) {
                state.step(row, None);
            }
            for row in db.chunks_exact(bands) {
                state.step(row, Some((&mut levels, &mut peaks)));
            }
        } else {
            for row in db.chunks_exact(bands) {
                state.step(row, Some((&mut levels, &mut peaks)));
            }
            let max_tail = (MAX_TAIL_SECONDS * HOPS_PER_SECOND) as usize;
            for _ in 0..max_tail {
                let tail = levels.len() - bands;
                if levels[tail..].iter().chain(&peaks[tail..]).all(|&v| v == 0) {
                    break;
                }
                state.step(&silent, Some((&mut levels, &mut peaks)));
            }
        }
        let rows = levels.len() / bands;
        Spectrogram {
            rate,
            hop,
            fft_len: n,
            bands,
            edges,
            clip_len: len,
            looped: settings.looped,
            first_hop,
            rows,
            levels,
            peaks,
        }
    }

    /// Sample rate of the clip, in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Samples between analysed spectra.
    pub fn hop(&self) -> u32 {
        self.hop
    }

    /// FFT length, in samples.
    pub fn fft_len(&self) -> usize {
        self.fft_len
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Band edges in Hz, `bands + 1` of them: band `b` spans `edges[b]..edges[b + 1]`.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Bytes held by the level and peak tables.
    pub fn table_bytes(&self) -> usize {
        (self.levels.len() + self.peaks.len()) * 2
    }

    /// The band levels and peak markers (each `0..=65535` of the full height) shown when the
    /// audio is at sample `pos` (any integer: before the clip, after it, or looped), or `None`
    /// where everything is zero.
    pub fn row_at_sample(&self, pos: i64) -> Option<(&[u16], &[u16])> {
        let hop = i64::from(self.hop);
        let h = if self.looped { pos.rem_euclid(self.clip_len as i64) / hop } else { pos.div_euclid(hop) };
        let row = usize::try_from(h - self.first_hop).ok().filter(|&r| r < self.rows)?;
        let r = row * self.bands..(row + 1) * self.bands;
        Some((&self.levels[r.clone()], &self.peaks[r]))
    }
}

/// The running state of the recurrences.
struct State {
    attack: f64,
    decay: f64,
    hold_hops: u32,
    fall: f64,
    release: f64,
    gain: Gain,
    fixed_top: f64,
    range: f64,
    top: f64,
    level: Vec<f64>,
    peak: Vec<f64>,
    hold: Vec<u32>,
}

/// `v` in `0..=1` as `0..=65535`, rounded to nearest.
fn quantise(v: f64) -> u16 {
    (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as u16
}

impl State {
    fn step(&mut self, db: &[f32], out: Option<(&mut Vec<u16>, &mut Vec<u16>)>) {
        let top = match self.gain {
            Gain::Fixed => self.fixed_top,
            Gain::Auto => {
                let loud = db.iter().fold(SILENCE_DB, |m, &v| m.max(f64::from(v)));
                self.top = (loud + AUTO_HEADROOM_DB).max(self.top - self.release).max(AUTO_MIN_TOP_DB);
                self.top
            }
        };
        let bottom = top - self.range;
        for (b, &d) in db.iter().enumerate() {
            let v = ((f64::from(d) - bottom) / self.range).clamp(0.0, 1.0);
            let s = &mut self.level[b];
            let k = if v > *s { self.attack } else { self.decay };
            *s += (v - *s) * k;
            if *s < 1e-9 {
                *s = 0.0;
            }
            let (p, hold) = (&mut self.peak[b], &mut self.hold[b]);
            if *s >= *p {
                *p = *s;
                *hold = self.hold_hops;
            } else if *hold > 0 {
                *hold -= 1;
            } else {
                *p = (*p - self.fall).max(*s);
            }
        }
        if let Some((levels, peaks)) = out {
            levels.extend(self.level.iter().map(|&v| quantise(v)));
            peaks.extend(self.peak.iter().map(|&v| quantise(v)));
        }
    }
}
