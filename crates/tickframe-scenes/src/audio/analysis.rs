//! The spectrum analysis: the band levels and peak markers shown at every hop of the clip
//! (about 10 ms), as a pure function of a fixed window of past audio, cached in one table
//! while building. Rendering then only looks a row up.
//!
//! # The definition: a fixed window of past audio
//! Smoothing (attack/decay), peak hold/fall and the adaptive gain are recurrences over past
//! hops. The row shown at hop `h` is defined as those recurrences run from a zero state (levels
//! and peaks 0, the automatic top at [`AUTO_MIN_TOP_DB`]) at hop `B·⌊h/B⌋ − W` up to `h`, where
//! `W` ([`Spectrogram::window_hops`]) is the recurrences' memory for the settings (the hops
//! after which the starting state no longer shows: levels decayed below 1/65536, peaks held
//! and fallen, the automatic top released from the loudest possible band to its floor; at
//! most 60 s) and `B = W` restarts the window every `W` hops. So the row at `h` depends only
//! on the audio of the `W..2W` hops before it, never on the rest of the clip.
//! [`Spectrogram::row_from_audio`] computes a row straight from that window (its FFTs
//! included); the table holds exactly the same values, computed block by block (each block of
//! `B` rows after a `W`-hop warm-up, so twice the recurrence work of one pass, and one FFT per
//! hop), and a test checks the two agree. Looping clips take hops before the start from the
//! end of the clip (hop `k` is hop `k mod L`); before a non-looping clip, and after it, there is
//! silence.
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
/// The loudest a band can read, in dBFS: a Hann-windowed bin of full-scale samples is at most
/// twice the amplitude of a full-scale sine (+6.02 dB).
pub const MAX_BAND_DB: f64 = 6.03;
/// The longest window of past audio a row depends on, in seconds (see the module docs).
pub const MAX_WINDOW_SECONDS: u32 = 60;

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
    /// Hops that see audio, from `first_hop` (a looping clip: one loop).
    audio_hops: usize,
    rows: usize,
    /// The recurrences' memory `W` and the restart period `B`, in hops.
    window: u64,
    levels: Vec<u16>,
    peaks: Vec<u16>,
    bins: Vec<BandBins>,
    hann: Vec<f64>,
    norm: f64,
    fft: RealFft,
    consts: Consts,
}

/// Scratch space for [`Spectrogram::row_from_audio`] (grows once, then is reused).
#[derive(Clone, Debug, Default)]
pub struct DirectScratch {
    fft: FftScratch,
    input: Vec<f64>,
    spectrum: Vec<(f64, f64)>,
    power: Vec<f64>,
    db: Vec<f32>,
    state: Option<State>,
}

/// The recurrences' constants, from the settings.
#[derive(Clone, Copy, Debug)]
struct Consts {
    attack: f64,
    decay: f64,
    hold_hops: u32,
    fall: f64,
    release: f64,
    gain: Gain,
    fixed_top: f64,
    range: f64,
}

impl Consts {
    fn new(settings: &AnalysisSettings, hop_ms: f64) -> Consts {
        let coef = |ms: f64| if ms <= 0.0 { 1.0 } else { 1.0 - libm::exp(-hop_ms / ms) };
        Consts {
            attack: coef(settings.attack_ms),
            decay: coef(settings.decay_ms),
            hold_hops: libm::round(settings.peak_hold_ms / hop_ms) as u32,
            fall: if settings.peak_fall_ms <= 0.0 { 1.0 } else { hop_ms / settings.peak_fall_ms },
            release: AUTO_RELEASE_DB_PER_S * hop_ms / 1000.0,
            gain: settings.gain,
            fixed_top: -settings.gain_db,
            range: settings.range_db,
        }
    }

    /// The recurrences' memory in hops: levels (11.1 time constants: a factor 65536), then
    /// peaks (hold and a full fall), then the automatic top (released from the loudest possible
    /// band to its floor), added up; at least 1, at most [`MAX_WINDOW_SECONDS`].
    fn window_hops(&self, hops_per_second: u64) -> u64 {
        let tc = |k: f64| if k >= 1.0 { 1.0 } else { libm::ceil(11.1 / -libm::log(1.0 - k)) };
        let level = tc(self.attack.min(self.decay)) as u64;
        let peak = u64::from(self.hold_hops) + libm::ceil(1.0 / self.fall) as u64 + 1;
        let gain = match self.gain {
            Gain::Fixed => 0,
            Gain::Auto => {
                libm::ceil((MAX_BAND_DB + AUTO_HEADROOM_DB - AUTO_MIN_TOP_DB) / self.release) as u64 + 1
            }
        };
        (level + peak + gain).clamp(1, u64::from(MAX_WINDOW_SECONDS) * hops_per_second)
    }
}

impl Spectrogram {
    /// Everything but the table: band edges and bins, window, FFT and the recurrences' constants
    /// for audio at `rate` Hz, `len` samples long.
    fn prepare(rate: u32, len: u64, settings: &AnalysisSettings) -> Spectrogram {
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
        let hann: Vec<f64> =
            (0..n).map(|i| 0.5 - 0.5 * libm::cos(core::f64::consts::TAU * i as f64 / n as f64)).collect();
        let wsum: f64 = hann.iter().sum();
        let norm = (2.0 / wsum) * (2.0 / wsum);

        let hops_per_loop = len.div_ceil(u64::from(hop)) as usize;
        let (first_hop, audio_hops) = if settings.looped {
            (0i64, hops_per_loop)
        } else {
            let before = (n / 2) as i64 / i64::from(hop) + 1;
            (-before, hops_per_loop + 2 * before as usize)
        };
        let hop_ms = 1000.0 * f64::from(hop) / f64::from(rate);
        let consts = Consts::new(settings, hop_ms);
        let window = consts.window_hops(u64::from(HOPS_PER_SECOND));
        Spectrogram {
            rate,
            hop,
            fft_len: n,
            bands,
            edges,
            clip_len: len,
            looped: settings.looped,
            first_hop,
            audio_hops,
            rows: 0,
            window,
            levels: Vec::new(),
            peaks: Vec::new(),
            bins,
            hann,
            norm,
            fft: RealFft::new(n),
            consts,
        }
    }

    /// Analyses `clip` (which must hold at least one sample).
    ///
    /// # Panics
    /// When `clip.samples` is empty or `settings.bands` is 0 (the scene checks both first).
    pub fn analyse(clip: &Clip, settings: &AnalysisSettings) -> Spectrogram {
        assert!(!clip.samples.is_empty() && settings.bands > 0, "analysing an empty clip");
        let mut spec = Spectrogram::prepare(clip.rate, clip.samples.len() as u64, settings);
        let (bands, first_hop, audio_hops, window, consts) =
            (spec.bands, spec.first_hop, spec.audio_hops, spec.window, spec.consts);

        // 1. Band levels in dBFS for every hop that sees audio.
        let mut scratch = DirectScratch::default();
        let mut db = vec![0.0f32; audio_hops * bands];
        for (row, out) in db.chunks_exact_mut(bands).enumerate() {
            spec.hop_db(&clip.samples, first_hop + row as i64, &mut scratch, out);
        }

        // 2. Gain, smoothing and peaks: block by block, each from a zero state `W` hops before
        // the block (see the module docs).
        let silent = vec![SILENCE_DB as f32; bands];
        let db_row = |k: i64| -> &[f32] {
            let i = if settings.looped {
                Some(k.rem_euclid(audio_hops as i64) as usize)
            } else {
                usize::try_from(k - first_hop).ok().filter(|&i| i < audio_hops)
            };
            i.map_or(&silent[..], |i| &db[i * bands..(i + 1) * bands])
        };
        let (w, b) = (window as i64, window as i64);
        let end_hop = first_hop + audio_hops as i64;
        let last_tail = end_hop + i64::from(MAX_TAIL_SECONDS * HOPS_PER_SECOND);
        let mut levels = Vec::with_capacity(audio_hops * bands);
        let mut peaks = Vec::with_capacity(audio_hops * bands);
        let mut state = State::zero(bands);
        let mut k = first_hop;
        'blocks: loop {
            let block = k.div_euclid(b);
            state.reset();
            for j in block * b - w..k {
                state.step(&consts, db_row(j), None);
            }
            for j in k..(block + 1) * b {
                state.step(&consts, db_row(j), Some((&mut levels, &mut peaks)));
                if settings.looped {
                    if j + 1 == end_hop {
                        break 'blocks;
                    }
                    continue;
                }
                // Done after the audio once a row is empty and every later block's warm-up
                // starts after the audio (so every later row is empty too), or at the limit.
                let tail = levels.len() - bands;
                let empty = levels[tail..].iter().chain(&peaks[tail..]).all(|&v| v == 0);
                if j + 1 >= end_hop && ((empty && (block + 1) * b - w >= end_hop) || j + 1 >= last_tail) {
                    break 'blocks;
                }
            }
            k = (block + 1) * b;
        }
        spec.rows = levels.len() / bands;
        spec.levels = levels;
        spec.peaks = peaks;
        spec
    }

    /// The band levels of hop `k` (not wrapped), in dBFS, into `out`: the Hann-windowed FFT of
    /// the `n` samples centred on the hop (wrapped when looping, silence outside the clip).
    fn hop_db(&self, samples: &[f32], k: i64, sc: &mut DirectScratch, out: &mut [f32]) {
        let len = self.clip_len;
        let start = self.window_start(k);
        let inside = start >= 0 && (start as u64 + self.fft_len as u64) <= len;
        self.window_db(
            |i| {
                let j = start + i as i64;
                if inside {
                    samples[j as usize]
                } else if self.looped {
                    samples[j.rem_euclid(len as i64) as usize]
                } else if j >= 0 && (j as u64) < len {
                    samples[j as usize]
                } else {
                    0.0
                }
            },
            sc,
            out,
        );
    }

    /// The first sample of hop `k`'s window: the window is centred on the middle of the hop.
    fn window_start(&self, k: i64) -> i64 {
        let hop = i64::from(self.hop);
        k * hop + hop / 2 - (self.fft_len / 2) as i64
    }

    /// The band levels, in dBFS, of one window of `n` samples (`sample(i)`, `i` in `0..n`),
    /// into `out`: Hann window, FFT, bands. The clip's table and the live input both use it.
    fn window_db(&self, sample: impl Fn(usize) -> f32, sc: &mut DirectScratch, out: &mut [f32]) {
        let n = self.fft_len;
        sc.input.resize(n, 0.0);
        sc.spectrum.resize(n / 2 + 1, (0.0, 0.0));
        sc.power.resize(n / 2 + 1, 0.0);
        for (i, (x, w)) in sc.input.iter_mut().zip(&self.hann).enumerate() {
            *x = f64::from(sample(i)) * w;
        }
        self.fft.forward(&sc.input, &mut sc.fft, &mut sc.spectrum);
        for (p, &(re, im)) in sc.power.iter_mut().zip(&sc.spectrum) {
            *p = (re * re + im * im) * self.norm;
        }
        for (o, b) in out.iter_mut().zip(&self.bins) {
            let p = match *b {
                BandBins::Range(s, e) => sc.power[s..e].iter().fold(0.0f64, |m, &v| m.max(v)),
                BandBins::Between(k, f) => {
                    let a = libm::sqrt(sc.power[k]);
                    let c = libm::sqrt(sc.power[k + 1]);
                    let amp = a + (c - a) * f;
                    amp * amp
                }
            };
            *o = if p > 1e-20 { (10.0 * libm::log10(p)) as f32 } else { SILENCE_DB as f32 };
        }
    }

    /// The hop whose row is shown at sample `pos`: `(hop index, within the table)`.
    fn hop_of(&self, pos: i64) -> i64 {
        let hop = i64::from(self.hop);
        if self.looped { pos.rem_euclid(self.clip_len as i64) / hop } else { pos.div_euclid(hop) }
    }

    /// The row shown at sample `pos` computed straight from the audio, without the table: the
    /// FFT of every hop in the row's window (`W..2W` hops, see the module docs) and the
    /// recurrences from a zero state. `samples` must be the clip this was analysed from.
    /// Writes `bands` levels and peaks; the very values of [`Spectrogram::row_at_sample`]
    /// (zeros where it gives `None`).
    ///
    /// # Panics
    /// When `levels` or `peaks` is shorter than [`Spectrogram::bands`].
    pub fn row_from_audio(
        &self,
        samples: &[f32],
        pos: i64,
        sc: &mut DirectScratch,
        levels: &mut [u16],
        peaks: &mut [u16],
    ) {
        let bands = self.bands;
        let h = self.hop_of(pos);
        let b = self.window as i64;
        let start = h.div_euclid(b) * b - self.window as i64;
        let mut state =
            sc.state.take().filter(|s| s.level.len() == bands).unwrap_or_else(|| State::zero(bands));
        state.reset();
        let mut db = std::mem::take(&mut sc.db);
        db.resize(bands, 0.0);
        let end_hop = self.first_hop + self.audio_hops as i64;
        for j in start..=h {
            // Hop j of a looping clip is hop j mod L; outside a non-looping clip, silence.
            let k = if self.looped { j.rem_euclid(self.audio_hops as i64) } else { j };
            if !self.looped && (k < self.first_hop || k >= end_hop) {
                db.fill(SILENCE_DB as f32);
            } else {
                self.hop_db(samples, k, sc, &mut db);
            }
            state.step(&self.consts, &db, None);
        }
        for b in 0..bands {
            levels[b] = quantise(state.level[b]);
            peaks[b] = quantise(state.peak[b]);
        }
        sc.db = db;
        sc.state = Some(state);
    }

    /// The recurrences' memory `W`, in hops: a row depends on the audio of the `W` to `2W` hops
    /// before it (see the module docs).
    pub fn window_hops(&self) -> u64 {
        self.window
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
        let h = self.hop_of(pos);
        let row = usize::try_from(h - self.first_hop).ok().filter(|&r| r < self.rows)?;
        let r = row * self.bands..(row + 1) * self.bands;
        Some((&self.levels[r.clone()], &self.peaks[r]))
    }
}

/// The same analysis run forward over a stream of samples, one hop at a time (the live input):
/// the same windows, bands, gain, smoothing and peaks, and the same fixed window of past audio
/// as the table of a non-looping clip. Hop `k` is centred on sample `k · hop + hop / 2` of the
/// stream (silence before sample 0), so fed the samples of a clip it gives the very rows of
/// [`Spectrogram::analyse`] with `looped = false`, hop for hop (tested).
///
/// Two recurrence states run side by side: the current block's (started `W` hops before the
/// block) and the next block's (started at the current block's first hop), as the definition
/// asks; a new block swaps them. No allocation after [`StreamAnalysis::new`].
#[derive(Clone, Debug)]
pub struct StreamAnalysis {
    spec: Spectrogram,
    scratch: DirectScratch,
    db: Vec<f32>,
    current: State,
    next: State,
    hop: i64,
}

impl StreamAnalysis {
    /// An analysis of audio at `rate` Hz (`settings.looped` is ignored), starting at the first
    /// hop whose window reaches sample 0.
    ///
    /// # Panics
    /// When `settings.bands` is 0 or `rate` is 0.
    pub fn new(rate: u32, settings: &AnalysisSettings) -> StreamAnalysis {
        assert!(settings.bands > 0 && rate > 0, "a stream analysis needs bands and a rate");
        let settings = AnalysisSettings { looped: false, ..*settings };
        let spec = Spectrogram::prepare(rate, 0, &settings);
        let bands = spec.bands;
        let mut scratch = DirectScratch::default();
        scratch.input.reserve_exact(spec.fft_len);
        scratch.spectrum.reserve_exact(spec.fft_len / 2 + 1);
        scratch.power.reserve_exact(spec.fft_len / 2 + 1);
        let hop = spec.first_hop;
        StreamAnalysis {
            spec,
            scratch,
            db: vec![0.0; bands],
            current: State::zero(bands),
            next: State::zero(bands),
            hop,
        }
    }

    /// FFT length, in samples: the window of past samples [`StreamAnalysis::step`] reads.
    pub fn fft_len(&self) -> usize {
        self.spec.fft_len
    }

    /// Samples between hops.
    pub fn hop_len(&self) -> u32 {
        self.spec.hop
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.spec.bands
    }

    /// Sample rate, in Hz.
    pub fn rate(&self) -> u32 {
        self.spec.rate
    }

    /// The recurrences' memory `W`, in hops (see [`Spectrogram::window_hops`]).
    pub fn window_hops(&self) -> u64 {
        self.spec.window
    }

    /// The index of the next hop [`StreamAnalysis::step`] computes (negative at first).
    pub fn next_hop(&self) -> i64 {
        self.hop
    }

    /// The number of stream samples (from sample 0) that must have arrived before the next hop
    /// can be computed: the end of its window.
    pub fn samples_needed(&self) -> i64 {
        self.spec.window_start(self.hop) + self.spec.fft_len as i64
    }

    /// Computes the next hop from its window, `sample(i)` for `i` in `0..fft_len` being stream
    /// sample `samples_needed() - fft_len + i` (0 before the stream), and writes its levels and
    /// peaks (`0..=65535`, the first [`bands`](StreamAnalysis::bands) entries of each).
    ///
    /// # Panics
    /// When `levels` or `peaks` is shorter than the band count.
    pub fn step(&mut self, sample: impl Fn(usize) -> f32, levels: &mut [u16], peaks: &mut [u16]) {
        let b = self.spec.window as i64;
        if self.hop.rem_euclid(b) == 0 {
            // A new block: its state started `W` (= `B`) hops ago, at the previous block's
            // first hop; the block after it starts now.
            std::mem::swap(&mut self.current, &mut self.next);
            self.next.reset();
        }
        self.spec.window_db(sample, &mut self.scratch, &mut self.db);
        self.current.step(&self.spec.consts, &self.db, None);
        self.next.step(&self.spec.consts, &self.db, None);
        for (b, (l, p)) in levels.iter_mut().zip(peaks.iter_mut()).take(self.spec.bands).enumerate() {
            *l = quantise(self.current.level[b]);
            *p = quantise(self.current.peak[b]);
        }
        self.hop += 1;
    }
}

/// The running state of the recurrences.
#[derive(Clone, Debug)]
struct State {
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
    /// The zero state: levels and peaks 0, the automatic top at its floor.
    fn zero(bands: usize) -> State {
        State { top: AUTO_MIN_TOP_DB, level: vec![0.0; bands], peak: vec![0.0; bands], hold: vec![0; bands] }
    }

    fn reset(&mut self) {
        self.top = AUTO_MIN_TOP_DB;
        self.level.fill(0.0);
        self.peak.fill(0.0);
        self.hold.fill(0);
    }

    fn step(&mut self, c: &Consts, db: &[f32], out: Option<(&mut Vec<u16>, &mut Vec<u16>)>) {
        let top = match c.gain {
            Gain::Fixed => c.fixed_top,
            Gain::Auto => {
                let loud = db.iter().fold(SILENCE_DB, |m, &v| m.max(f64::from(v)));
                self.top = (loud + AUTO_HEADROOM_DB).max(self.top - c.release).max(AUTO_MIN_TOP_DB);
                self.top
            }
        };
        let bottom = top - c.range;
        for (b, &d) in db.iter().enumerate() {
            let v = ((f64::from(d) - bottom) / c.range).clamp(0.0, 1.0);
            let s = &mut self.level[b];
            let k = if v > *s { c.attack } else { c.decay };
            *s += (v - *s) * k;
            if *s < 1e-9 {
                *s = 0.0;
            }
            let (p, hold) = (&mut self.peak[b], &mut self.hold[b]);
            if *s >= *p {
                *p = *s;
                *hold = c.hold_hops;
            } else if *hold > 0 {
                *hold -= 1;
            } else {
                *p = (*p - c.fall).max(*s);
            }
        }
        if let Some((levels, peaks)) = out {
            levels.extend(self.level.iter().map(|&v| quantise(v)));
            peaks.extend(self.peak.iter().map(|&v| quantise(v)));
        }
    }
}
