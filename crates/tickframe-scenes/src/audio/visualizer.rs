//! The `visualizer` scene: an audio clip's spectrum as bars or a filled curve, or its waveform as
//! an oscilloscope.
//!
//! # Time
//! The picture at tick `t` shows the audio at `t · den / num + offset_ms / 1000` seconds: sample
//! `floor((t · den · rate · 10⁶ + offset_µs · rate · num) / (num · 10⁶))`, computed exactly in
//! integers ([`Visualizer::sample_at`]). With `loop`, positions wrap around the clip (also for
//! negative offsets); without it, audio before the start and after the end is silence.
//!
//! # Determinism
//! Everything that depends on past audio (attack/decay smoothing, peak hold/fall, automatic
//! gain) is computed once while building, in order, into a table of about 10 ms hops (see
//! [`super::analysis`]); `render` looks a row up and draws with integer arithmetic through
//! [`Canvas::pixels_mut`]. It allocates nothing.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene, Tick, Timebase};

use super::analysis::{AnalysisSettings, Gain, Spectrogram};
use super::decode::{Clip, decode_file};
use crate::params::{BuildError, Params};
use crate::procedural::color_table;
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "visualizer",
    summary: "an audio file's spectrum (bars, LED bars, filled curve) or waveform (oscilloscope)",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDoc] = &[
    ParamDoc {
        name: "path",
        kind: "path",
        default: "",
        doc: "the audio file: WAV (PCM), FLAC, MP3 or Ogg Vorbis, up to 20 minutes; channels are mixed to mono",
    },
    ParamDoc {
        name: "mode",
        kind: "one of: bars, curve, oscilloscope",
        default: "bars",
        doc: "bars per band, a filled curve through the bands, or the waveform",
    },
    ParamDoc {
        name: "style",
        kind: "one of: solid, led",
        default: "solid",
        doc: "bars only: solid bars or LED segments",
    },
    ParamDoc {
        name: "layout",
        kind: "one of: linear, mirrored",
        default: "linear",
        doc: "bars and curve: grow up from the bottom, or up and down from the middle",
    },
    ParamDoc {
        name: "bands",
        kind: "int 16..=64",
        default: "32",
        doc: "number of log-spaced frequency bands",
    },
    ParamDoc {
        name: "segments",
        kind: "int 2..=256",
        default: "16",
        doc: "LED style: segments per bar (per half when mirrored), at least 2 px each",
    },
    ParamDoc {
        name: "min_hz",
        kind: "float 10..=20000",
        default: "40",
        doc: "lower edge of the first band, in Hz",
    },
    ParamDoc {
        name: "max_hz",
        kind: "float 20..=192000",
        default: "16000",
        doc: "upper edge of the last band, in Hz (lowered to half the sample rate when above it)",
    },
    ParamDoc {
        name: "colors",
        kind: "array of colours",
        default: "[\"#00c060\", \"#ffd000\", \"#ff3030\"]",
        doc: "gradient from low to high (level or band, see `color_by`)",
    },
    ParamDoc {
        name: "color_by",
        kind: "one of: level, band",
        default: "level",
        doc: "`level`: gradient along the height (oscilloscope: distance from the centre line); \
              `band`: across the width, low to high frequencies",
    },
    ParamDoc { name: "peaks", kind: "bool", default: "true", doc: "bars and curve: draw peak markers" },
    ParamDoc {
        name: "peak_color",
        kind: "colour",
        default: "\"#ffffff\"",
        doc: "colour of the peak markers",
    },
    ParamDoc {
        name: "peak_hold_ms",
        kind: "float 0..=10000",
        default: "400",
        doc: "how long a peak marker stays before it falls, in ms",
    },
    ParamDoc {
        name: "peak_fall_ms",
        kind: "float 0..=60000",
        default: "1500",
        doc: "how long a peak marker takes to fall the full height, in ms (0: at once)",
    },
    ParamDoc {
        name: "attack_ms",
        kind: "float 0..=10000",
        default: "15",
        doc: "time constant of rising bars, in ms (0: instant)",
    },
    ParamDoc {
        name: "decay_ms",
        kind: "float 0..=10000",
        default: "200",
        doc: "time constant of falling bars, in ms (0: instant)",
    },
    ParamDoc {
        name: "gain",
        kind: "one of: auto, fixed",
        default: "auto",
        doc: "`auto`: the top follows the loudest band (+3 dB headroom), falling 6 dB/s, never below \
              -50 dBFS (oscilloscope: the clip's peak fills 90% of the height); `fixed`: the top is \
              0 dBFS minus `gain_db`",
    },
    ParamDoc {
        name: "gain_db",
        kind: "float -60..=60",
        default: "0",
        doc: "fixed gain only: boost in dB (bars: lowers the top to -gain_db dBFS; oscilloscope: \
              amplitude × 10^(gain_db/20))",
    },
    ParamDoc {
        name: "range_db",
        kind: "float 20..=120",
        default: "60",
        doc: "bars and curve: dB span from the bottom to the top of the display",
    },
    ParamDoc {
        name: "offset_ms",
        kind: "float -600000..=600000",
        default: "0",
        doc: "shifts the picture against the audio, in ms (to microseconds): tick t shows the audio \
              at t/fps + offset; positive when the sound you hear is ahead of the picture",
    },
    ParamDoc {
        name: "loop",
        kind: "bool",
        default: "true",
        doc: "repeat the clip when the scene runs longer than it; false: silence after the end",
    },
    ParamDoc {
        name: "scope_ms",
        kind: "float 1..=1000",
        default: "25",
        doc: "oscilloscope: audio shown across the width, in ms (starting at a rising zero crossing \
              when one is found in that span)",
    },
    ParamDoc {
        name: "background",
        kind: "colour",
        default: "",
        doc: "fills the display first; default: none",
    },
];

/// What is drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// One bar per band.
    Bars,
    /// A filled curve through the band levels (interpolated linearly between band centres).
    Curve,
    /// The waveform.
    Oscilloscope,
}

/// How bars are drawn.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    /// Solid bars.
    Solid,
    /// Bars cut into LED segments.
    Led,
}

/// Where bars and the curve grow from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// Up from the bottom.
    Linear,
    /// Up and down from the middle.
    Mirrored,
}

/// What the gradient runs along.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ColorBy {
    /// The height (distance from the baseline or centre line).
    Level,
    /// The width (low to high frequencies).
    Band,
}

/// Drawing settings of a [`Visualizer`].
#[derive(Clone, Debug)]
pub struct Look {
    /// What is drawn.
    pub mode: Mode,
    /// Bars: solid or LED.
    pub style: Style,
    /// Linear or mirrored.
    pub layout: Layout,
    /// LED segments per bar (per half when mirrored).
    pub segments: u32,
    /// Gradient stops, low to high.
    pub colors: Vec<Rgba>,
    /// What the gradient runs along.
    pub color_by: ColorBy,
    /// Peak markers on or off.
    pub peaks: bool,
    /// Peak marker colour.
    pub peak_color: Rgba,
    /// Fills the display first when set.
    pub background: Option<Rgba>,
    /// Oscilloscope window, in ms.
    pub scope_ms: f64,
}

/// The waveform kept for the oscilloscope.
#[derive(Clone, Debug)]
struct Scope {
    samples: Vec<f32>,
    gain: f32,
    span: u32,
}

/// The audio visualizer scene (see the module docs).
#[derive(Clone, Debug)]
pub struct Visualizer {
    look: Look,
    palette: Vec<Rgba>,
    rate: u32,
    clip_len: u64,
    looped: bool,
    offset_us: i64,
    spectrum: Option<Spectrogram>,
    scope: Option<Scope>,
}

/// Writes `c` onto `p`: replaces when opaque, else blends source-over.
#[inline]
fn put(p: &mut Rgba, c: Rgba) {
    *p = if c.a == 255 { c } else { c.over(*p, 255) };
}

#[inline]
fn fill(row: &mut [Rgba], c: Rgba) {
    if c.a == 255 {
        row.fill(c);
    } else {
        row.iter_mut().for_each(|p| put(p, c));
    }
}

/// Columns processed at once by the curve (its per-column extents live on the stack).
const CHUNK: usize = 512;

impl Visualizer {
    /// A visualizer of `clip` (at least one sample), analysed with `settings`, drawn with
    /// `look`; the picture is shifted by `offset_us` microseconds (see the module docs).
    ///
    /// # Panics
    /// When the clip is empty or `settings.bands` is outside 1..=64 (the scene checks both).
    pub fn new(clip: Clip, settings: &AnalysisSettings, look: Look, offset_us: i64) -> Visualizer {
        assert!((1..=64).contains(&settings.bands), "1..=64 bands");
        let palette = color_table(&look.colors, 256, false);
        let (spectrum, scope) = if look.mode == Mode::Oscilloscope {
            let gain = match settings.gain {
                Gain::Fixed => libm::pow(10.0, settings.gain_db / 20.0),
                Gain::Auto => {
                    let peak = clip.samples.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
                    if peak > 0.0 { (0.9 / f64::from(peak)).min(1000.0) } else { 1.0 }
                }
            };
            let span = libm::round(look.scope_ms * f64::from(clip.rate) / 1000.0).max(2.0) as u32;
            (None, Some(Scope { samples: Vec::new(), gain: gain as f32, span }))
        } else {
            (Some(Spectrogram::analyse(&clip, settings)), None)
        };
        let (rate, clip_len) = (clip.rate, clip.samples.len() as u64);
        let scope = scope.map(|s| Scope { samples: clip.samples, ..s });
        Visualizer { look, palette, rate, clip_len, looped: settings.looped, offset_us, spectrum, scope }
    }

    /// The drawing settings.
    pub fn look(&self) -> &Look {
        &self.look
    }

    /// The analysis table (`None` in oscilloscope mode).
    pub fn spectrogram(&self) -> Option<&Spectrogram> {
        self.spectrum.as_ref()
    }

    /// The clip's sample rate, in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// The clip's length, in samples.
    pub fn clip_len(&self) -> u64 {
        self.clip_len
    }

    /// The audio sample shown at `tick` (before looping; may be negative or past the end):
    /// `floor((tick · den · rate · 10⁶ + offset_µs · rate · num) / (num · 10⁶))`.
    pub fn sample_at(&self, timebase: Timebase, tick: Tick) -> i64 {
        let (num, den) = (i128::from(timebase.rate().num()), i128::from(timebase.rate().den()));
        let rate = i128::from(self.rate);
        let numer = i128::from(tick) * den * rate * 1_000_000 + i128::from(self.offset_us) * rate * num;
        let p = numer.div_euclid(num * 1_000_000);
        p.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The band levels and peaks (`0..=65535` of the full height) shown at `ctx.tick`, or `None`
    /// when every bar is empty (and in oscilloscope mode).
    pub fn levels_at(&self, ctx: &RenderContext) -> Option<(&[u16], &[u16])> {
        self.spectrum.as_ref()?.row_at_sample(self.sample_at(ctx.timebase, ctx.tick))
    }

    fn band_color(&self, band: usize, bands: usize) -> Rgba {
        self.palette[band * 255 / bands.saturating_sub(1).max(1)]
    }

    /// The gradient colour at distance `d` from the baseline of an `area`-pixel extent.
    #[inline]
    fn level_color(&self, d: u32, area: u32) -> Rgba {
        self.palette[(d as usize * 255) / (area.saturating_sub(1).max(1) as usize)]
    }

    /// Rows as (distance from the baseline, row) for the layout: `None` for a row outside the
    /// drawing area (the middle row of an odd height when mirrored).
    #[inline]
    fn distance(&self, y: u32, h: u32) -> Option<u32> {
        match self.look.layout {
            Layout::Linear => Some(h - 1 - y),
            Layout::Mirrored => {
                let hc = h / 2;
                if y < hc {
                    Some(hc - 1 - y)
                } else if y >= h - hc {
                    Some(y - (h - hc))
                } else {
                    None
                }
            }
        }
    }

    fn area(&self, h: u32) -> u32 {
        match self.look.layout {
            Layout::Linear => h,
            Layout::Mirrored => (h / 2).max(1),
        }
    }

    fn draw_bars(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len();
        let area = self.area(h);
        let led = self.look.style == Style::Led;
        let segs = self.look.segments.min(area / 2).max(1);
        let pitch = if led { (area / segs).max(1) } else { 1 };
        let seg_gap = if led && pitch >= 2 { (pitch / 4).max(1) } else { 0 };
        let peak_px = (area / 32).max(1);
        let scale = |v: u16, n: u32| (u32::from(v) * n + 32_767) / 65_535;
        // Per band: lit extent and peak rows [lo, hi) in px from the baseline, and columns.
        let mut ext = [0u32; 64];
        let mut peak = [(0u32, 0u32); 64];
        let mut cols = [(0usize, 0usize); 64];
        for b in 0..bands {
            if led {
                let lit = scale(levels[b], segs);
                ext[b] = lit * pitch;
                let ps = scale(peaks[b], segs);
                if self.look.peaks && ps > lit && ps > 0 {
                    peak[b] = ((ps - 1) * pitch, ps * pitch);
                }
            } else {
                ext[b] = scale(levels[b], area);
                let pe = scale(peaks[b], area);
                if self.look.peaks && pe > 0 {
                    peak[b] = (pe.saturating_sub(peak_px), pe);
                }
            }
            let x0 = b * w as usize / bands;
            let x1 = (b + 1) * w as usize / bands;
            let bw = x1 - x0;
            let gap = if bw >= 4 { (bw / 5).max(1) } else { 0 };
            cols[b] = (x0, x1 - gap);
        }
        let by_band = self.look.color_by == ColorBy::Band;
        for (y, row) in px.chunks_exact_mut(w as usize).enumerate() {
            let Some(d) = self.distance(y as u32, h) else { continue };
            if led && (d % pitch >= pitch - seg_gap || d >= segs * pitch) {
                continue;
            }
            let level_c = if by_band { Rgba::TRANSPARENT } else { self.level_color(d, area) };
            for b in 0..bands {
                let (x0, x1) = cols[b];
                if x0 >= x1 {
                    continue;
                }
                let (plo, phi) = peak[b];
                let c = if d >= plo && d < phi {
                    self.look.peak_color
                } else if d < ext[b] {
                    if by_band { self.band_color(b, bands) } else { level_c }
                } else {
                    continue;
                };
                fill(&mut row[x0..x1], c);
            }
        }
    }

    /// The filled curve. Between two band centres the interpolated extent is monotone, so on
    /// each row the lit columns of such a run form one interval, found by binary search and
    /// filled as a span (identical pixels to testing every pixel: see the unit test).
    fn draw_curve(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len() as i64;
        let area = self.area(h);
        let peak_px = (area / 32).max(1) as u16;
        let by_band = self.look.color_by == ColorBy::Band;
        let (wi, wu) = (i64::from(w), w as usize);
        // Linear interpolation between band centres, in 1/65536 steps of a band: (extent in px,
        // segment index).
        let interp = |x: usize, v: &[u16]| -> (u16, i64) {
            let pos = ((2 * x as i64 + 1) * bands - wi) * 65_536 / (2 * wi);
            let (i, f) = (pos.div_euclid(65_536), pos.rem_euclid(65_536));
            let at = |k: i64| i64::from(v[k.clamp(0, bands - 1) as usize]);
            let val = at(i) + ((at(i + 1) - at(i)) * f) / 65_536;
            (((val * i64::from(area) + 32_767) / 65_535) as u16, i.clamp(-1, bands - 1))
        };
        // The partition point of `pred` (true on a prefix of `v`) found by walking from `hint`:
        // the same index as `partition_point`, in as many steps as it moved since the last row
        // (the edges move little from one row to the next).
        fn walk(v: &[u16], hint: usize, pred: impl Fn(u16) -> bool) -> usize {
            let mut i = hint.min(v.len());
            while i > 0 && !pred(v[i - 1]) {
                i -= 1;
            }
            while i < v.len() && pred(v[i]) {
                i += 1;
            }
            i
        }
        // {i : lo < v[i] <= hi} of a monotone run, as a half-open interval, from the last row's.
        let between = |v: &[u16], lo: u16, hi: u16, hint: &mut (usize, usize)| -> (usize, usize) {
            *hint = if v[v.len() - 1] >= v[0] {
                (walk(v, hint.0, |e| e <= lo), walk(v, hint.1, |e| e <= hi))
            } else {
                (walk(v, hint.0, |e| e > hi), walk(v, hint.1, |e| e > lo))
            };
            *hint
        };
        let mut ext = [0u16; CHUNK];
        let mut pk = [0u16; CHUNK];
        let mut seg = [0i64; CHUNK];
        let mut runs = [(0usize, 0usize); CHUNK];
        let mut colors = [Rgba::TRANSPARENT; CHUNK];
        // Per run, the last row's interval edges (extent, peak).
        let mut hints = [((0usize, 0usize), (0usize, 0usize)); CHUNK];
        for c0 in (0..wu).step_by(CHUNK) {
            let n = (c0 + CHUNK).min(wu) - c0;
            for i in 0..n {
                let x = c0 + i;
                (ext[i], seg[i]) = interp(x, levels);
                pk[i] = if self.look.peaks { interp(x, peaks).0 } else { 0 };
                if by_band {
                    colors[i] = self.palette[x * 255 / (wu - 1).max(1)];
                }
            }
            let mut nr = 0;
            let mut a = 0;
            for i in 1..=n {
                if i == n || seg[i] != seg[a] {
                    runs[nr] = (a, i);
                    nr += 1;
                    a = i;
                }
            }
            for (y, row) in px.chunks_exact_mut(wu).enumerate() {
                let Some(d) = self.distance(y as u32, h) else { continue };
                let d = d.min(u32::from(u16::MAX)) as u16;
                let level_c = self.level_color(u32::from(d), area);
                let row = &mut row[c0..c0 + n];
                for (&(a, b), (he, hp)) in runs[..nr].iter().zip(hints.iter_mut()) {
                    let (f0, f1) = between(&ext[a..b], d, u16::MAX, he);
                    let (q0, q1) = if self.look.peaks {
                        between(&pk[a..b], d, d.saturating_add(peak_px), hp)
                    } else {
                        (0, 0)
                    };
                    let (q0, q1) = (a + q0, a + q0.max(q1));
                    for (s0, s1) in [(a + f0, (a + f1).min(q0)), ((a + f0).max(q1), a + f1)] {
                        if s0 < s1 {
                            if by_band {
                                for (p, &c) in row[s0..s1].iter_mut().zip(&colors[s0..s1]) {
                                    put(p, c);
                                }
                            } else {
                                fill(&mut row[s0..s1], level_c);
                            }
                        }
                    }
                    if q0 < q1 {
                        fill(&mut row[q0..q1], self.look.peak_color);
                    }
                }
            }
        }
    }

    /// The plain per-pixel version of [`Visualizer::draw_curve`], kept as its test reference.
    #[cfg(test)]
    fn draw_curve_per_pixel(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len() as i64;
        let area = self.area(h);
        let peak_px = (area / 32).max(1);
        let by_band = self.look.color_by == ColorBy::Band;
        let (wi, wu) = (i64::from(w), w as usize);
        // Linear interpolation between band centres, in 1/65536 steps of a band.
        let interp = |x: usize, v: &[u16]| -> u32 {
            let pos = ((2 * x as i64 + 1) * bands - wi) * 65_536 / (2 * wi);
            let (i, f) = (pos.div_euclid(65_536), pos.rem_euclid(65_536));
            let at = |k: i64| i64::from(v[k.clamp(0, bands - 1) as usize]);
            let val = at(i) + ((at(i + 1) - at(i)) * f) / 65_536;
            ((val * i64::from(area) + 32_767) / 65_535) as u32
        };
        let mut ext = [0u16; CHUNK];
        let mut pk = [0u16; CHUNK];
        for c0 in (0..wu).step_by(CHUNK) {
            let c1 = (c0 + CHUNK).min(wu);
            for x in c0..c1 {
                ext[x - c0] = interp(x, levels) as u16;
                pk[x - c0] = if self.look.peaks { interp(x, peaks) as u16 } else { 0 };
            }
            for (y, row) in px.chunks_exact_mut(wu).enumerate() {
                let Some(d) = self.distance(y as u32, h) else { continue };
                let level_c = self.level_color(d, area);
                for x in c0..c1 {
                    let (e, p) = (u32::from(ext[x - c0]), u32::from(pk[x - c0]));
                    let c = if p > 0 && d < p && d + peak_px >= p {
                        self.look.peak_color
                    } else if d < e {
                        if by_band { self.palette[x * 255 / (wu - 1).max(1)] } else { level_c }
                    } else {
                        continue;
                    };
                    put(&mut row[x], c);
                }
            }
        }
    }

    fn draw_scope(&self, scope: &Scope, px: &mut [Rgba], w: u32, h: u32, pos: i64) {
        let len = scope.samples.len() as i64;
        let sample = |j: i64| -> f32 {
            if self.looped {
                scope.samples[j.rem_euclid(len) as usize]
            } else if (0..len).contains(&j) {
                scope.samples[j as usize]
            } else {
                0.0
            }
        };
        let span = i64::from(scope.span);
        // Trigger: the first rising zero crossing within one span, for a steady picture.
        let start = (pos..pos + span).find(|&j| sample(j - 1) < 0.0 && sample(j) >= 0.0).unwrap_or(pos);
        let thick = (h / 64).max(1) as i64;
        let (hi, wu) = (i64::from(h), w as usize);
        let half = (hi - 1) as f32 / 2.0;
        let mut prev: Option<i64> = None;
        for x in 0..wu {
            let j = start + (x as i64 * span) / i64::from(w);
            let v = (sample(j) * scope.gain).clamp(-1.0, 1.0);
            let y = ((1.0 - v) * half + 0.5) as i64;
            let (a, b) = match prev {
                Some(p) => (p.min(y), p.max(y)),
                None => (y, y),
            };
            prev = Some(y);
            let lo = (a - (thick - 1) / 2).max(0);
            let hi_row = (b + thick / 2).min(hi - 1);
            for yy in lo..=hi_row {
                let c = match self.look.color_by {
                    ColorBy::Band => self.palette[x * 255 / (wu - 1).max(1)],
                    ColorBy::Level => {
                        let d = ((2 * yy - (hi - 1)).unsigned_abs() * 255 / (hi - 1).max(1) as u64) as usize;
                        self.palette[d.min(255)]
                    }
                };
                put(&mut px[yy as usize * wu + x], c);
            }
        }
    }
}

impl Visualizer {
    /// Draws the background and the bars or curve of `levels` and `peaks` (as
    /// [`Spectrogram::row_at_sample`] or [`Spectrogram::row_from_audio`] give them) onto `px`,
    /// `w × h` pixels: what `render` does after looking its row up. Nothing in oscilloscope mode.
    pub fn draw_levels(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        if let Some(bg) = self.look.background {
            fill(px, bg);
        }
        match self.look.mode {
            Mode::Curve => self.draw_curve(px, w, h, levels, peaks),
            Mode::Bars => self.draw_bars(px, w, h, levels, peaks),
            Mode::Oscilloscope => {}
        }
    }
}

impl Scene for Visualizer {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (ctx.width(), ctx.height());
        let pos = self.sample_at(ctx.timebase, ctx.tick);
        let px = canvas.pixels_mut();
        match (&self.scope, &self.spectrum) {
            (Some(scope), _) => {
                if let Some(bg) = self.look.background {
                    fill(px, bg);
                }
                self.draw_scope(scope, px, w, h, pos)
            }
            (None, Some(spec)) => match spec.row_at_sample(pos) {
                Some((levels, peaks)) => self.draw_levels(px, w, h, levels, peaks),
                None => {
                    if let Some(bg) = self.look.background {
                        fill(px, bg);
                    }
                }
            },
            (None, None) => {}
        }
    }
}

fn build(p: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let path = p.path("path", &cx.base_dir)?;
    let path_at = p.location_of("path");
    let mode = match p.choice("mode", "bars", &["bars", "curve", "oscilloscope"])?.as_str() {
        "curve" => Mode::Curve,
        "oscilloscope" => Mode::Oscilloscope,
        _ => Mode::Bars,
    };
    let style =
        if p.choice("style", "solid", &["solid", "led"])? == "led" { Style::Led } else { Style::Solid };
    let layout = if p.choice("layout", "linear", &["linear", "mirrored"])? == "mirrored" {
        Layout::Mirrored
    } else {
        Layout::Linear
    };
    let bands = p.u32_in("bands", 32, 16..=64)? as usize;
    let segments = p.u32_in("segments", 16, 2..=256)?;
    let min_hz = p.float_in("min_hz", 40.0, 10.0..=20_000.0)?;
    let max_hz = p.float_in("max_hz", 16_000.0, 20.0..=192_000.0)?;
    if min_hz * 2.0 > max_hz {
        return Err(BuildError::new(
            p.location_of("max_hz"),
            format!("`visualizer`: `max_hz` ({max_hz}) must be at least twice `min_hz` ({min_hz})"),
        ));
    }
    let colors = p.colors(
        "colors",
        &[Rgba::rgb(0x00, 0xc0, 0x60), Rgba::rgb(0xff, 0xd0, 0x00), Rgba::rgb(0xff, 0x30, 0x30)],
    )?;
    let color_by = if p.choice("color_by", "level", &["level", "band"])? == "band" {
        ColorBy::Band
    } else {
        ColorBy::Level
    };
    let peaks = p.bool("peaks", true)?;
    let peak_color = p.color("peak_color", Rgba::WHITE)?;
    let peak_hold_ms = p.float_in("peak_hold_ms", 400.0, 0.0..=10_000.0)?;
    let peak_fall_ms = p.float_in("peak_fall_ms", 1500.0, 0.0..=60_000.0)?;
    let attack_ms = p.float_in("attack_ms", 15.0, 0.0..=10_000.0)?;
    let decay_ms = p.float_in("decay_ms", 200.0, 0.0..=10_000.0)?;
    let gain =
        if p.choice("gain", "auto", &["auto", "fixed"])? == "fixed" { Gain::Fixed } else { Gain::Auto };
    let gain_db = p.float_in("gain_db", 0.0, -60.0..=60.0)?;
    let range_db = p.float_in("range_db", 60.0, 20.0..=120.0)?;
    let offset_ms = p.float_in("offset_ms", 0.0, -600_000.0..=600_000.0)?;
    let looped = p.bool("loop", true)?;
    let scope_ms = p.float_in("scope_ms", 25.0, 1.0..=1000.0)?;
    let background =
        if p.keys().contains(&"background") { Some(p.color("background", Rgba::BLACK)?) } else { None };

    let clip = decode_file(&path).map_err(|e| BuildError::new(path_at, format!("visualizer: {e}")))?;
    for w in &clip.warnings {
        cx.warn(format!("visualizer: {w}"));
    }
    let settings = AnalysisSettings {
        bands,
        min_hz,
        max_hz,
        attack_ms,
        decay_ms,
        peak_hold_ms,
        peak_fall_ms,
        gain,
        gain_db,
        range_db,
        looped,
    };
    let look =
        Look { mode, style, layout, segments, colors, color_by, peaks, peak_color, background, scope_ms };
    let offset_us = libm::round(offset_ms * 1000.0) as i64;
    Ok(Arc::new(Visualizer::new(clip, &settings, look, offset_us)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(color_by: ColorBy, layout: Layout) -> Look {
        Look {
            mode: Mode::Curve,
            style: Style::Solid,
            layout,
            segments: 16,
            colors: vec![Rgba::rgb(0, 200, 0), Rgba::new(255, 0, 0, 128)],
            color_by,
            peaks: true,
            peak_color: Rgba::WHITE,
            background: None,
            scope_ms: 25.0,
        }
    }

    #[test]
    fn curve_spans_match_the_per_pixel_reference() {
        let clip = Clip { rate: 8000, channels: 1, samples: vec![0.0; 800], warnings: Vec::new() };
        let settings = AnalysisSettings {
            bands: 16,
            min_hz: 40.0,
            max_hz: 4000.0,
            attack_ms: 0.0,
            decay_ms: 0.0,
            peak_hold_ms: 0.0,
            peak_fall_ms: 0.0,
            gain: Gain::Fixed,
            gain_db: 0.0,
            range_db: 60.0,
            looped: true,
        };
        let mut rng = tickframe_core::Rng::new(1, 2, 3);
        for (w, h) in [(7u32, 5u32), (64, 32), (300, 41), (1100, 60)] {
            for color_by in [ColorBy::Level, ColorBy::Band] {
                for layout in [Layout::Linear, Layout::Mirrored] {
                    let v = Visualizer::new(clip.clone(), &settings, look(color_by, layout), 0);
                    for _ in 0..4 {
                        let levels: Vec<u16> = (0..16).map(|_| rng.next_u64() as u16).collect();
                        let peaks: Vec<u16> =
                            levels.iter().map(|&l| l.saturating_add(rng.next_u64() as u16 / 4)).collect();
                        let mut a = vec![Rgba::new(1, 2, 3, 4); (w * h) as usize];
                        let mut b = a.clone();
                        v.draw_curve(&mut a, w, h, &levels, &peaks);
                        v.draw_curve_per_pixel(&mut b, w, h, &levels, &peaks);
                        assert!(a == b, "{w}x{h} {color_by:?} {layout:?}");
                    }
                }
            }
        }
    }
}
