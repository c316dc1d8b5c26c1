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
//!
//! # Drawing
//! Rows are written left to right as spans (merged when they touch and share a colour). With an
//! opaque background the scene owns the frame: every pixel is written once per tick, the
//! background in the gaps and the colours composited over it in advance, so the result does not
//! depend on what the buffer held. Without one, only the lit pixels are written, blended onto
//! the cleared canvas.

use std::path::PathBuf;
use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene, Tick, Timebase};

use super::analysis::{AnalysisSettings, Gain, Spectrogram};
use super::decode::{Clip, decode_file};
use super::live::{BandFeed, BandRow, LoggedBands, MAX_BANDS};
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
        name: "source",
        kind: "one of: file, live, log",
        default: "file",
        doc: "`file`: the audio file `path`; `live`: the sound card input `device` (NOT reproducible; \
              needs a build with `--features live-audio`); `log`: the bands of a live show's frame \
              log `path` (reproducible)",
    },
    ParamDoc {
        name: "path",
        kind: "path",
        default: "",
        doc: "the audio file: WAV (PCM), FLAC, MP3 or Ogg Vorbis, up to 20 minutes; channels are mixed to mono \
              (`source = \"log\"`: the frame log, JSON lines)",
    },
    ParamDoc {
        name: "device",
        kind: "string",
        default: "\"default\"",
        doc: "`source = \"live\"` only: the input device (`tickframe audio-devices` lists them)",
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

/// The colours as they are written, fixed while building.
///
/// With an opaque background the scene owns every pixel: each row is written once, background
/// spans included, with the gradient and the peak colour already composited over the background
/// (`c.over(bg)`, the very bytes of filling the background first and blending onto it). With a
/// translucent background (or none) the colours stay as given and are blended onto the canvas.
#[derive(Clone, Debug)]
struct Ink {
    /// 256 gradient entries, low to high.
    palette: Vec<Rgba>,
    /// Peak marker colour.
    peak: Rgba,
    /// The opaque background that every row's gaps are filled with.
    bg: Option<Rgba>,
    /// A translucent background, blended over the whole canvas before drawing.
    under: Option<Rgba>,
    /// Every palette entry is opaque (so per-column colours are copied, not blended).
    opaque: bool,
}

impl Ink {
    fn new(look: &Look) -> Ink {
        let raw = color_table(&look.colors, 256, false);
        let (bg, under) = match look.background {
            Some(c) if c.a == 255 => (Some(c), None),
            other => (None, other),
        };
        let (palette, peak) = match bg {
            Some(bg) => (raw.iter().map(|c| c.over(bg, 255)).collect(), look.peak_color.over(bg, 255)),
            None => (raw, look.peak_color),
        };
        let opaque = palette.iter().all(|c: &Rgba| c.a == 255);
        Ink { palette, peak, bg, under, opaque }
    }
}

/// The audio visualizer scene (see the module docs).
#[derive(Clone, Debug)]
pub struct Visualizer {
    look: Look,
    ink: Ink,
    rate: u32,
    clip_len: u64,
    looped: bool,
    offset_us: i64,
    spectrum: Option<Spectrogram>,
    scope: Option<Scope>,
    /// Live input or a frame log's bands, instead of an audio file.
    feed: Option<Arc<dyn BandFeed>>,
}

/// Writes `c` onto `p`: replaces when opaque, else blends source-over.
#[inline]
fn put(p: &mut Rgba, c: Rgba) {
    *p = if c.a == 255 { c } else { c.over(*p, 255) };
}

/// Writes `c` onto every pixel of `row`: a plain fill when opaque, else a blend per pixel.
#[inline]
fn fill(row: &mut [Rgba], c: Rgba) {
    if c.a == 255 {
        row.fill(c);
    } else {
        row.iter_mut().for_each(|p| put(p, c));
    }
}

/// Writes one row (and, when mirrored, its twin) from left to right as spans: touching spans of
/// one colour are merged into one fill, and with an opaque background the gaps between spans
/// are filled with it, so the row is written exactly once, start to end.
struct Spans<'r> {
    row: &'r mut [Rgba],
    twin: Option<&'r mut [Rgba]>,
    /// The opaque background for the gaps (none: gaps are left as they are).
    bg: Option<Rgba>,
    /// Pixels before this are final.
    done: usize,
    /// The pending span, `start..end` of `color` (empty: `start == end`).
    start: usize,
    end: usize,
    color: Rgba,
}

impl<'r> Spans<'r> {
    #[inline]
    fn new(row: &'r mut [Rgba], twin: Option<&'r mut [Rgba]>, bg: Option<Rgba>) -> Spans<'r> {
        Spans { row, twin, bg, done: 0, start: 0, end: 0, color: Rgba::TRANSPARENT }
    }

    /// Columns `s0..s1` in colour `c`, written at once (no merging with a later span); spans
    /// must come left to right, without overlap.
    #[inline]
    fn write(&mut self, s0: usize, s1: usize, c: Rgba) {
        self.flush();
        self.gap(s0);
        fill(&mut self.row[s0..s1], c);
        if let Some(t) = self.twin.as_deref_mut() {
            fill(&mut t[s0..s1], c);
        }
        (self.done, self.start, self.end) = (s1, s1, s1);
    }

    /// Columns `s0..s1` in colour `c`, merged with a touching span of the same colour; spans
    /// must come left to right, without overlap.
    #[inline]
    fn span(&mut self, s0: usize, s1: usize, c: Rgba) {
        if s0 == self.end && c == self.color {
            self.end = s1;
            return;
        }
        self.flush();
        (self.start, self.end, self.color) = (s0, s1, c);
    }

    /// Columns `s0..s0 + colors.len()`, one colour each.
    #[inline]
    fn colors(&mut self, s0: usize, colors: &[Rgba], opaque: bool) {
        self.flush();
        self.gap(s0);
        let s1 = s0 + colors.len();
        for row in std::iter::once(&mut *self.row).chain(self.twin.as_deref_mut()) {
            let dst = &mut row[s0..s1];
            if opaque {
                dst.copy_from_slice(colors);
            } else {
                dst.iter_mut().zip(colors).for_each(|(p, &c)| put(p, c));
            }
        }
        (self.done, self.start, self.end) = (s1, s1, s1);
    }

    /// Fills the background up to `x`.
    #[inline]
    fn gap(&mut self, x: usize) {
        if let Some(bg) = self.bg {
            self.row[self.done..x].fill(bg);
            if let Some(t) = self.twin.as_deref_mut() {
                t[self.done..x].fill(bg);
            }
        }
        self.done = x;
    }

    #[inline]
    fn flush(&mut self) {
        let (s, e, c) = (self.start, self.end, self.color);
        if s < e {
            self.gap(s);
            fill(&mut self.row[s..e], c);
            if let Some(t) = self.twin.as_deref_mut() {
                fill(&mut t[s..e], c);
            }
            self.done = e;
            self.start = e;
        }
    }

    /// Writes what is pending and the background to the end of the row.
    #[inline]
    fn finish(mut self) {
        self.flush();
        let end = self.row.len();
        self.gap(end);
    }
}

/// Columns processed at once by the curve (its per-column extents live on the stack).
const CHUNK: usize = 2048;

impl Visualizer {
    /// A visualizer of `clip` (at least one sample), analysed with `settings`, drawn with
    /// `look`; the picture is shifted by `offset_us` microseconds (see the module docs).
    ///
    /// # Panics
    /// When the clip is empty or `settings.bands` is outside 1..=64 (the scene checks both).
    pub fn new(clip: Clip, settings: &AnalysisSettings, look: Look, offset_us: i64) -> Visualizer {
        assert!((1..=64).contains(&settings.bands), "1..=64 bands");
        let ink = Ink::new(&look);
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
        Visualizer {
            look,
            ink,
            rate,
            clip_len,
            looped: settings.looped,
            offset_us,
            spectrum,
            scope,
            feed: None,
        }
    }

    /// A visualizer drawing the band values `feed` gives for each tick (live input, or a frame
    /// log's), drawn with `look` (bars or curve).
    ///
    /// # Panics
    /// When the feed has no bands or more than 64, or `look.mode` is the oscilloscope (the
    /// scene checks both).
    pub fn with_feed(feed: Arc<dyn BandFeed>, look: Look) -> Visualizer {
        assert!((1..=MAX_BANDS).contains(&feed.bands()), "1..=64 bands");
        assert!(look.mode != Mode::Oscilloscope, "the oscilloscope needs an audio file");
        let ink = Ink::new(&look);
        let feed = Some(feed);
        Visualizer {
            look,
            ink,
            rate: 0,
            clip_len: 0,
            looped: false,
            offset_us: 0,
            spectrum: None,
            scope: None,
            feed,
        }
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
        self.ink.palette[band * 255 / bands.saturating_sub(1).max(1)]
    }

    /// The gradient colour at distance `d` from the baseline of an `area`-pixel extent.
    #[inline]
    fn level_color(&self, d: u32, area: u32) -> Rgba {
        self.ink.palette[(d as usize * 255) / (area.saturating_sub(1).max(1) as usize)]
    }

    fn area(&self, h: u32) -> u32 {
        match self.look.layout {
            Layout::Linear => h,
            Layout::Mirrored => (h / 2).max(1),
        }
    }

    /// Calls `row(d, row, twin)` for every row of the drawing area, `d` its distance in px from
    /// the baseline, from the top row down: linear, every row (`twin` is `None`); mirrored, the
    /// upper half with its mirror image in the lower half as `twin` (the same distance from the
    /// middle), and the middle row of an odd height, outside the area, filled with `mid_bg`.
    #[inline(always)]
    fn for_rows<'p>(
        &self,
        px: &'p mut [Rgba],
        w: usize,
        h: u32,
        mid_bg: Option<Rgba>,
        mut row: impl FnMut(u32, &'p mut [Rgba], Option<&'p mut [Rgba]>),
    ) {
        match self.look.layout {
            Layout::Linear => {
                for (y, r) in px.chunks_exact_mut(w).enumerate() {
                    row(h - 1 - y as u32, r, None);
                }
            }
            Layout::Mirrored => {
                let hc = (h / 2) as usize;
                let (top, rest) = px.split_at_mut(hc * w);
                let (mid, bottom) = rest.split_at_mut((h as usize - 2 * hc) * w);
                if let Some(bg) = mid_bg {
                    mid.fill(bg);
                }
                for (y, (r, t)) in top.chunks_exact_mut(w).zip(bottom.chunks_exact_mut(w).rev()).enumerate() {
                    row((hc - 1 - y) as u32, r, Some(t));
                }
            }
        }
    }

    /// Bars: each row is its bands' spans (peak colour, bar colour or nothing) written left to
    /// right, with the background in between when it is opaque.
    #[inline(always)]
    fn draw_bars(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len();
        let area = self.area(h);
        let led = self.look.style == Style::Led;
        let segs = self.look.segments.min(area / 2).max(1);
        let pitch = if led { (area / segs).max(1) } else { 1 };
        let seg_gap = if led && pitch >= 2 { (pitch / 4).max(1) } else { 0 };
        let peak_px = (area / 32).max(1);
        let scale = |v: u16, n: u32| (u32::from(v) * n + 32_767) / 65_535;
        // Per band: lit extent and peak rows [lo, hi) in px from the baseline, and columns
        // (bands without columns are left out).
        let mut ext = [0u32; 64];
        let mut peak = [(0u32, 0u32); 64];
        let mut cols = [(0usize, 0usize); 64];
        let mut color = [Rgba::TRANSPARENT; 64];
        let mut n = 0;
        for b in 0..bands {
            let x0 = b * w as usize / bands;
            let x1 = (b + 1) * w as usize / bands;
            let bw = x1 - x0;
            let gap = if bw >= 4 { (bw / 5).max(1) } else { 0 };
            if x0 >= x1 - gap {
                continue;
            }
            cols[n] = (x0, x1 - gap);
            (ext[n], peak[n]) = (0, (0, 0));
            if led {
                let lit = scale(levels[b], segs);
                ext[n] = lit * pitch;
                let ps = scale(peaks[b], segs);
                if self.look.peaks && ps > lit && ps > 0 {
                    peak[n] = ((ps - 1) * pitch, ps * pitch);
                }
            } else {
                ext[n] = scale(levels[b], area);
                let pe = scale(peaks[b], area);
                if self.look.peaks && pe > 0 {
                    peak[n] = (pe.saturating_sub(peak_px), pe);
                }
            }
            color[n] = self.band_color(b, bands);
            n += 1;
        }
        let by_band = self.look.color_by == ColorBy::Band;
        let (bg, peak_c) = (self.ink.bg, self.ink.peak);
        // Rows at or above the highest bar or peak are empty.
        let top = (0..n).map(|b| ext[b].max(peak[b].1)).max().unwrap_or(0);
        self.for_rows(px, w as usize, h, bg, |d, row, mut twin| {
            let lit = d < top && !(led && (d % pitch >= pitch - seg_gap || d >= segs * pitch));
            let level_c = if by_band || !lit { Rgba::TRANSPARENT } else { self.level_color(d, area) };
            let bar = |b: usize| {
                let (plo, phi) = peak[b];
                if d >= plo && d < phi {
                    Some(peak_c)
                } else if d < ext[b] {
                    Some(if by_band { color[b] } else { level_c })
                } else {
                    None
                }
            };
            if bg.is_none() {
                // Only the bars are written: plain fills, no bookkeeping.
                for b in (0..n).filter(|_| lit) {
                    if let Some(c) = bar(b) {
                        let (x0, x1) = cols[b];
                        fill(&mut row[x0..x1], c);
                        if let Some(t) = twin.as_deref_mut() {
                            fill(&mut t[x0..x1], c);
                        }
                    }
                }
                return;
            }
            let mut s = Spans::new(row, twin, bg);
            for b in (0..n).filter(|_| lit) {
                if let Some(c) = bar(b) {
                    s.write(cols[b].0, cols[b].1, c);
                }
            }
            s.finish();
        });
    }

    /// The filled curve. Between two band centres the interpolated extent is monotone, so on
    /// each row the lit columns of such a run form one interval, whose edges are walked from
    /// the last row's; runs entirely lit or dark on a row are written without walking, and
    /// touching spans merge, so a row costs a few fills (identical pixels to testing every
    /// pixel: see the unit tests).
    #[inline(always)]
    fn draw_curve(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len() as i64;
        let area = self.area(h);
        let peak_px = (area / 32).max(1) as u16;
        let by_band = self.look.color_by == ColorBy::Band;
        let with_peaks = self.look.peaks;
        let (bg, peak_c, opaque) = (self.ink.bg, self.ink.peak, self.ink.opaque);
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
        // {i : lo < v[i] <= hi} of a monotone run, as a half-open interval: where the run rises,
        // from the count of values <= lo to the count of values <= hi; where it falls, from the
        // count above hi to the count above lo. Rows come with `d` falling, so each count only
        // moves one way: a cursor per count, walked from its value at +inf (rising: all of the
        // run; falling: none of it), costs at most the run's length per chunk in total, the same
        // as a partition point on a monotone run at every row.
        #[inline(always)]
        fn at_most(v: &[u16], mut c: usize, t: u16) -> usize {
            while c > 0 && v[c - 1] > t {
                c -= 1;
            }
            c
        }
        #[inline(always)]
        fn above(v: &[u16], mut c: usize, t: u16) -> usize {
            while c < v.len() && v[c] > t {
                c += 1;
            }
            c
        }
        /// `(lo, hi)` cursors of one run's count (see above), and whether the run rises.
        #[derive(Clone, Copy, Default)]
        struct Cursor {
            lo: usize,
            hi: usize,
            rising: bool,
        }
        impl Cursor {
            fn start(v: &[u16]) -> Cursor {
                let rising = v[v.len() - 1] >= v[0];
                let n = if rising { v.len() } else { 0 };
                Cursor { lo: n, hi: n, rising }
            }
            /// `{i : lo < v[i] <= hi}`, for thresholds at or below those of the last call.
            #[inline(always)]
            fn between(&mut self, v: &[u16], lo: u16, hi: u16) -> (usize, usize) {
                if self.rising {
                    (self.lo, self.hi) = (at_most(v, self.lo, lo), at_most(v, self.hi, hi));
                    (self.lo, self.hi)
                } else {
                    (self.lo, self.hi) = (above(v, self.lo, lo), above(v, self.hi, hi));
                    (self.hi, self.lo)
                }
            }
        }
        /// A monotone run of columns: `a..b`, its extents' and peaks' lowest and highest.
        #[derive(Clone, Copy, Default)]
        struct Run {
            a: usize,
            b: usize,
            ext: (u16, u16),
            pk: (u16, u16),
        }
        /// What a row does with a stretch of columns, between two changes of any run's class.
        #[derive(Clone, Copy)]
        enum Item {
            /// Columns `a..b` entirely lit (merged runs), no peak.
            Lit(usize, usize),
            /// A run partly lit or holding peaks on this row: walked.
            Partial(usize),
        }
        // One run per band segment (at most `bands + 1` per chunk).
        const RUNS: usize = 66;
        let mut ext = [0u16; CHUNK];
        let mut pk = [0u16; CHUNK];
        let mut colors = [Rgba::TRANSPARENT; CHUNK];
        let mut runs = [Run::default(); RUNS];
        let mut items = [Item::Lit(0, 0); RUNS];
        // Per run: the extent's count (only `lo` moves: its `hi` is u16::MAX) and the peaks'.
        let mut ext_cur = [Cursor::default(); RUNS];
        let mut pk_cur = [Cursor::default(); RUNS];
        let span = |v: &[u16]| (v[0].min(v[v.len() - 1]), v[0].max(v[v.len() - 1]));
        let by_col = Divider::new((wu - 1).max(1) as u64);
        for c0 in (0..wu).step_by(CHUNK) {
            let n = (c0 + CHUNK).min(wu) - c0;
            let (mut nr, mut a, mut seg_a) = (0, 0, 0);
            for i in 0..n {
                let x = c0 + i;
                let seg;
                (ext[i], seg) = interp(x, levels);
                pk[i] = if with_peaks { interp(x, peaks).0 } else { 0 };
                if by_band {
                    colors[i] = self.ink.palette[by_col.div(x as u64 * 255) as usize];
                }
                if i == 0 {
                    seg_a = seg;
                } else if seg != seg_a {
                    runs[nr] = Run { a, b: i, ext: span(&ext[a..i]), pk: span(&pk[a..i]) };
                    (nr, a, seg_a) = (nr + 1, i, seg);
                }
            }
            runs[nr] = Run { a, b: n, ext: span(&ext[a..n]), pk: span(&pk[a..n]) };
            nr += 1;
            let (ext, pk, colors, runs) = (&ext[..n], &pk[..n], &colors[..n], &runs[..nr]);
            for (k, r) in runs.iter().enumerate() {
                (ext_cur[k], pk_cur[k]) = (Cursor::start(&ext[r.a..r.b]), Cursor::start(&pk[r.a..r.b]));
            }
            // Rows come with `d` falling; the items hold for `d` above `next` (then rebuilt).
            let (mut ni, mut next) = (0usize, i32::MAX);
            self.for_rows(px, wu, h, if c0 == 0 { bg } else { None }, |d, row, twin| {
                let d = d.min(u32::from(u16::MAX)) as u16;
                let d_hi = d.saturating_add(peak_px);
                if i32::from(d) <= next {
                    // A run's class changes below d = ext.1 - 1 (lit), ext.0 - 1 (full),
                    // pk.1 - 1 (peaks start) and pk.0 - peak_px - 1 (peaks end).
                    let (mut m, mut nx) = (0, -1i32);
                    let mut below = |c: i32| {
                        if c < i32::from(d) {
                            nx = nx.max(c);
                        }
                    };
                    for (k, r) in runs.iter().enumerate() {
                        below(i32::from(r.ext.1) - 1);
                        below(i32::from(r.ext.0) - 1);
                        let has_peak = with_peaks && d < r.pk.1 && d_hi >= r.pk.0;
                        if with_peaks {
                            below(i32::from(r.pk.1) - 1);
                            below(i32::from(r.pk.0) - i32::from(peak_px) - 1);
                        }
                        if !has_peak && d >= r.ext.1 {
                            continue;
                        }
                        if !has_peak && d < r.ext.0 {
                            match items[..m].last_mut() {
                                Some(Item::Lit(_, e)) if *e == r.a => *e = r.b,
                                _ => {
                                    items[m] = Item::Lit(r.a, r.b);
                                    m += 1;
                                }
                            }
                            continue;
                        }
                        items[m] = Item::Partial(k);
                        m += 1;
                    }
                    (ni, next) = (m, nx);
                }
                let mut s = Spans::new(&mut row[c0..c0 + n], twin.map(|t| &mut t[c0..c0 + n]), bg);
                let level_c = self.level_color(u32::from(d), area);
                let lit = |s: &mut Spans<'_>, s0: usize, s1: usize| {
                    if s0 < s1 {
                        if by_band { s.colors(s0, &colors[s0..s1], opaque) } else { s.span(s0, s1, level_c) }
                    }
                };
                for item in &items[..ni] {
                    let k = match *item {
                        Item::Lit(a, b) => {
                            lit(&mut s, a, b);
                            continue;
                        }
                        Item::Partial(k) => k,
                    };
                    let (a, b) = (runs[k].a, runs[k].b);
                    let (f0, f1) = ext_cur[k].between(&ext[a..b], d, u16::MAX);
                    let (q0, q1) = if with_peaks { pk_cur[k].between(&pk[a..b], d, d_hi) } else { (0, 0) };
                    let (q0, q1) = (a + q0, a + q0.max(q1));
                    lit(&mut s, a + f0, (a + f1).min(q0));
                    if q0 < q1 {
                        s.span(q0, q1, peak_c);
                    }
                    lit(&mut s, (a + f0).max(q1), a + f1);
                }
                s.finish();
            });
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
        // Gradient index per row, `|2y − (h − 1)| · 255 / (h − 1)`, without a division per pixel.
        let hm = (hi - 1).max(1) as u64;
        let by_row = Divider::new(hm);
        let by_col = Divider::new((wu - 1).max(1) as u64);
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
            let lo = (a - (thick - 1) / 2).max(0) as usize;
            let hi_row = (b + thick / 2).min(hi - 1) as usize;
            let column = px[lo * wu + x..=hi_row * wu + x].iter_mut().step_by(wu);
            match self.look.color_by {
                ColorBy::Band => {
                    let c = self.ink.palette[by_col.div(x as u64 * 255) as usize];
                    column.for_each(|p| put(p, c));
                }
                ColorBy::Level => {
                    for (yy, p) in (lo..).zip(column) {
                        let d = by_row.div((2 * yy as i64 - (hi - 1)).unsigned_abs() * 255) as usize;
                        put(p, self.ink.palette[d.min(255)]);
                    }
                }
            }
        }
    }
}

/// Exact `n / d` for a fixed `d` in `1..2³²` and any `n` below 2³², as a multiplication and a
/// shift (Granlund and Montgomery, 1994, theorem 4.2: `m = ⌈2^(32+l) / d⌉`, `l = ⌈log₂ d⌉`).
#[derive(Clone, Copy, Debug)]
struct Divider {
    m: u64,
    shift: u32,
}

impl Divider {
    fn new(d: u64) -> Divider {
        debug_assert!((1..1 << 32).contains(&d));
        let l = 64 - (d - 1).leading_zeros();
        let m = ((1u128 << (32 + l)).div_ceil(u128::from(d))) as u64;
        Divider { m, shift: 32 + l }
    }

    /// `n / d`, rounded down, for `n < 2³²`.
    #[inline]
    fn div(self, n: u64) -> u64 {
        debug_assert!(n < 1 << 32);
        ((u128::from(n) * u128::from(self.m)) >> self.shift) as u64
    }
}

impl Visualizer {
    /// Draws the background and the bars or curve of `levels` and `peaks` (as
    /// [`Spectrogram::row_at_sample`] or [`Spectrogram::row_from_audio`] give them) onto `px`,
    /// `w × h` pixels: what `render` does after looking its row up (in oscilloscope mode, only
    /// the background). With an opaque background every pixel is written once, so `px` may hold
    /// anything before; without one (or with a translucent one) only the lit pixels are written,
    /// blended onto what `px` holds (the cleared canvas).
    ///
    /// On x86-64 CPUs with AVX2 the drawing runs in a build of the same code for AVX2 (wider
    /// fills and counts); integer code only, so the same pixels (tested).
    pub fn draw_levels(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            #[allow(unsafe_code)]
            // SAFETY: the CPU has AVX2 (checked just above), the only requirement of the call.
            unsafe {
                self.draw_levels_avx2(px, w, h, levels, peaks);
            }
            return;
        }
        self.draw_levels_portable(px, w, h, levels, peaks);
    }

    /// [`Visualizer::draw_levels_portable`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn draw_levels_avx2(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        self.draw_levels_portable(px, w, h, levels, peaks);
    }

    /// [`Visualizer::draw_levels`] for any CPU.
    #[inline(always)]
    fn draw_levels_portable(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        if let Some(under) = self.ink.under {
            fill(px, under);
        }
        match self.look.mode {
            Mode::Curve => self.draw_curve(px, w, h, levels, peaks),
            Mode::Bars => self.draw_bars(px, w, h, levels, peaks),
            Mode::Oscilloscope => {
                if let Some(bg) = self.ink.bg {
                    px.fill(bg);
                }
            }
        }
    }
}

impl Scene for Visualizer {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (ctx.width(), ctx.height());
        let px = canvas.pixels_mut();
        if let Some(feed) = &self.feed {
            let mut row = BandRow::empty(feed.bands());
            feed.row_for_tick(ctx.tick, &mut row);
            return self.draw_levels(px, w, h, row.levels(), row.peaks());
        }
        let pos = self.sample_at(ctx.timebase, ctx.tick);
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
            (None, None) => {
                if let Some(bg) = self.look.background {
                    fill(px, bg);
                }
            }
        }
    }

    /// With an opaque background every pixel is written (once), whatever the frame held.
    fn paints_every_pixel(&self, _ctx: &RenderContext) -> bool {
        self.look.background.is_some_and(|bg| bg.a == 255)
    }
}

fn build(p: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let source_at = p.location_of("source");
    let source = p.choice("source", "file", &["file", "live", "log"])?;
    let live = source == "live";
    if live && p.keys().contains(&"path") {
        return Err(BuildError::new(
            p.location_of("path"),
            "`visualizer`: `path` and `source = \"live\"` exclude each other: live input reads the `device`",
        ));
    }
    let device_at = p.location_of("device");
    let device = match (p.opt_string("device")?, live) {
        (device, true) => Some(device.unwrap_or_else(|| "default".to_string())),
        (Some(_), false) => {
            return Err(BuildError::new(device_at, "`visualizer`: `device` is only for `source = \"live\"`"));
        }
        (None, false) => None,
    };
    let path = if live { PathBuf::new() } else { p.path("path", &cx.base_dir)? };
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

    if source != "file" {
        if let Some(key) = ["loop", "offset_ms", "scope_ms"].into_iter().find(|k| p.keys().contains(k)) {
            return Err(BuildError::new(
                p.location_of(key),
                format!("`visualizer`: `{key}` has no meaning with `source = \"{source}\"`"),
            ));
        }
        if mode == Mode::Oscilloscope {
            return Err(BuildError::new(
                p.location_of("mode"),
                format!("`visualizer`: the oscilloscope needs an audio file, not `source = \"{source}\"`"),
            ));
        }
    }
    let look_of = |background| Look {
        mode,
        style,
        layout,
        segments,
        colors: colors.clone(),
        color_by,
        peaks,
        peak_color,
        background,
        scope_ms,
    };
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
    if let Some(device) = device {
        if cx.live.is_some() {
            return Err(BuildError::new(
                source_at,
                "`visualizer`: only one `source = \"live\"` visualizer per scene file",
            ));
        }
        let input = super::live::open_input(&device, &settings)
            .map_err(|e| BuildError::new(source_at, format!("visualizer: {e}")))?;
        let input = Arc::new(input);
        cx.live = Some(Arc::clone(&input));
        return Ok(Arc::new(Visualizer::with_feed(input, look_of(background))));
    }
    if source == "log" {
        let logged =
            LoggedBands::load(&path).map_err(|e| BuildError::new(path_at, format!("visualizer: {e}")))?;
        if logged.bands() != bands && p.keys().contains(&"bands") {
            return Err(BuildError::new(
                p.location_of("bands"),
                format!("`visualizer`: `bands = {bands}`, but the frame log has {} bands", logged.bands()),
            ));
        }
        return Ok(Arc::new(Visualizer::with_feed(Arc::new(logged), look_of(background))));
    }
    let clip = decode_file(&path).map_err(|e| BuildError::new(path_at, format!("visualizer: {e}")))?;
    for w in &clip.warnings {
        cx.warn(format!("visualizer: {w}"));
    }
    let look = look_of(background);
    let offset_us = libm::round(offset_ms * 1000.0) as i64;
    Ok(Arc::new(Visualizer::new(clip, &settings, look, offset_us)))
}

/// The drawing as it was first written, pixel by pixel on the colours as given (background
/// first, then each lit pixel blended onto it), kept as the test reference of the span writers.
#[cfg(test)]
impl Visualizer {
    fn reference_distance(&self, y: u32, h: u32) -> Option<u32> {
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

    fn reference_levels(&self, px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let palette = color_table(&self.look.colors, 256, false);
        if let Some(bg) = self.look.background {
            fill(px, bg);
        }
        match self.look.mode {
            Mode::Curve => self.reference_curve(&palette, px, w, h, levels, peaks),
            Mode::Bars => self.reference_bars(&palette, px, w, h, levels, peaks),
            Mode::Oscilloscope => {}
        }
    }

    fn reference_bars(&self, pal: &[Rgba], px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len();
        let area = self.area(h);
        let led = self.look.style == Style::Led;
        let segs = self.look.segments.min(area / 2).max(1);
        let pitch = if led { (area / segs).max(1) } else { 1 };
        let seg_gap = if led && pitch >= 2 { (pitch / 4).max(1) } else { 0 };
        let peak_px = (area / 32).max(1);
        let scale = |v: u16, n: u32| (u32::from(v) * n + 32_767) / 65_535;
        let level_color = |d: u32| pal[(d as usize * 255) / (area.saturating_sub(1).max(1) as usize)];
        for (y, row) in px.chunks_exact_mut(w as usize).enumerate() {
            let Some(d) = self.reference_distance(y as u32, h) else { continue };
            if led && (d % pitch >= pitch - seg_gap || d >= segs * pitch) {
                continue;
            }
            for b in 0..bands {
                let (ext, (plo, phi)) = if led {
                    let (lit, ps) = (scale(levels[b], segs), scale(peaks[b], segs));
                    let on = self.look.peaks && ps > lit && ps > 0;
                    (lit * pitch, if on { ((ps - 1) * pitch, ps * pitch) } else { (0, 0) })
                } else {
                    let pe = scale(peaks[b], area);
                    let on = self.look.peaks && pe > 0;
                    (scale(levels[b], area), if on { (pe.saturating_sub(peak_px), pe) } else { (0, 0) })
                };
                let (x0, x1) = (b * w as usize / bands, (b + 1) * w as usize / bands);
                let gap = if x1 - x0 >= 4 { ((x1 - x0) / 5).max(1) } else { 0 };
                let c = if d >= plo && d < phi {
                    self.look.peak_color
                } else if d < ext {
                    if self.look.color_by == ColorBy::Band {
                        pal[b * 255 / bands.saturating_sub(1).max(1)]
                    } else {
                        level_color(d)
                    }
                } else {
                    continue;
                };
                row[x0..x1 - gap].iter_mut().for_each(|p| put(p, c));
            }
        }
    }

    fn reference_curve(&self, pal: &[Rgba], px: &mut [Rgba], w: u32, h: u32, levels: &[u16], peaks: &[u16]) {
        let bands = levels.len() as i64;
        let area = self.area(h);
        let peak_px = (area / 32).max(1);
        let (wi, wu) = (i64::from(w), w as usize);
        // Linear interpolation between band centres, in 1/65536 steps of a band.
        let interp = |x: usize, v: &[u16]| -> u32 {
            let pos = ((2 * x as i64 + 1) * bands - wi) * 65_536 / (2 * wi);
            let (i, f) = (pos.div_euclid(65_536), pos.rem_euclid(65_536));
            let at = |k: i64| i64::from(v[k.clamp(0, bands - 1) as usize]);
            let val = at(i) + ((at(i + 1) - at(i)) * f) / 65_536;
            ((val * i64::from(area) + 32_767) / 65_535) as u32
        };
        for (y, row) in px.chunks_exact_mut(wu).enumerate() {
            let Some(d) = self.reference_distance(y as u32, h) else { continue };
            let level_c = pal[(d as usize * 255) / (area.saturating_sub(1).max(1) as usize)];
            for (x, p) in row.iter_mut().enumerate() {
                let e = interp(x, levels);
                let pk = if self.look.peaks { interp(x, peaks) } else { 0 };
                let c = if pk > 0 && d < pk && d + peak_px >= pk {
                    self.look.peak_color
                } else if d < e {
                    if self.look.color_by == ColorBy::Band { pal[x * 255 / (wu - 1).max(1)] } else { level_c }
                } else {
                    continue;
                };
                put(p, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickframe_core::Rng;

    fn clip() -> Clip {
        Clip { rate: 8000, channels: 1, samples: vec![0.0; 800], warnings: Vec::new() }
    }

    fn settings(bands: usize) -> AnalysisSettings {
        AnalysisSettings {
            bands,
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
        }
    }

    /// Every combination of the drawing settings the span writers handle differently.
    fn looks() -> Vec<(usize, Look)> {
        let mut out = Vec::new();
        let opaque = vec![Rgba::rgb(0, 200, 0), Rgba::rgb(250, 40, 0), Rgba::rgb(30, 60, 255)];
        let translucent = vec![Rgba::rgb(0, 200, 0), Rgba::new(255, 0, 0, 128), Rgba::new(0, 0, 255, 0)];
        for (mode, style) in
            [(Mode::Bars, Style::Solid), (Mode::Bars, Style::Led), (Mode::Curve, Style::Solid)]
        {
            for layout in [Layout::Linear, Layout::Mirrored] {
                for color_by in [ColorBy::Level, ColorBy::Band] {
                    for (i, background) in
                        [None, Some(Rgba::rgb(10, 20, 30)), Some(Rgba::new(10, 20, 30, 100))]
                            .into_iter()
                            .enumerate()
                    {
                        for peaks in [true, false] {
                            let colors = if peaks { opaque.clone() } else { translucent.clone() };
                            let peak_color = if i == 1 { Rgba::new(255, 255, 255, 90) } else { Rgba::WHITE };
                            let segments = if peaks { 16 } else { 5 };
                            let look = Look {
                                mode,
                                style,
                                layout,
                                segments,
                                colors,
                                color_by,
                                peaks,
                                peak_color,
                                background,
                                scope_ms: 25.0,
                            };
                            out.push(([16, 33, 64][out.len() % 3], look));
                        }
                    }
                }
            }
        }
        out
    }

    /// Random levels with peaks above them, some bands empty and some full.
    fn random_levels(rng: &mut Rng, bands: usize) -> (Vec<u16>, Vec<u16>) {
        let levels: Vec<u16> = (0..bands)
            .map(|_| match rng.next_u64() % 8 {
                0 => 0,
                1 => u16::MAX,
                _ => rng.next_u64() as u16,
            })
            .collect();
        let peaks = levels.iter().map(|&l| l.saturating_add(rng.next_u64() as u16 / 4)).collect();
        (levels, peaks)
    }

    const SIZES: [(u32, u32); 7] = [(1, 1), (7, 5), (64, 3), (64, 32), (300, 41), (1100, 60), (2300, 9)];

    /// The span writers give the reference's pixels on a cleared canvas (any uniform colour:
    /// opaque black at the top level, transparent in a layer, or anything else).
    /// The run-time build (AVX2 where the CPU has it) draws the portable build's pixels.
    #[test]
    fn the_run_time_drawing_gives_the_portable_pixels() {
        let mut rng = Rng::new(4, 5, 6);
        for (bands, look) in looks() {
            let v = Visualizer::new(clip(), &settings(bands), look.clone(), 0);
            for (w, h) in SIZES {
                let (levels, peaks) = random_levels(&mut rng, bands);
                let mut a = vec![Rgba::new(1, 2, 3, 4); (w * h) as usize];
                let mut b = a.clone();
                v.draw_levels(&mut a, w, h, &levels, &peaks);
                v.draw_levels_portable(&mut b, w, h, &levels, &peaks);
                assert!(a == b, "{look:?} {w}x{h}");
            }
        }
    }

    #[test]
    fn drawing_matches_the_per_pixel_reference() {
        let mut rng = Rng::new(1, 2, 3);
        for (bands, look) in looks() {
            let v = Visualizer::new(clip(), &settings(bands), look.clone(), 0);
            for (w, h) in SIZES {
                for clear in [Rgba::BLACK, Rgba::TRANSPARENT, Rgba::new(1, 2, 3, 4)] {
                    let (levels, peaks) = random_levels(&mut rng, bands);
                    let mut a = vec![clear; (w * h) as usize];
                    let mut b = a.clone();
                    v.draw_levels(&mut a, w, h, &levels, &peaks);
                    v.reference_levels(&mut b, w, h, &levels, &peaks);
                    assert!(a == b, "{w}x{h} {bands} bands, {look:?}, cleared to {clear:?}");
                }
            }
        }
    }

    /// The divider is exact: every numerator up to 2²⁰ for small divisors, and the edges of the
    /// range (multiples and their neighbours) for divisors up to the largest frame side.
    #[test]
    fn divider_is_exact() {
        for d in 1..=300u64 {
            let div = Divider::new(d);
            assert!((0..1 << 20).all(|n| div.div(n) == n / d), "d = {d}");
        }
        for d in (301..=16_384u64).chain([65_535, 1 << 31, (1 << 32) - 1]) {
            let div = Divider::new(d);
            for q in [0u64, 1, 2, 255, 4096, 65_535, (1 << 32) / d - 1] {
                for n in [q * d, q * d + d - 1, (q * d).saturating_sub(1)] {
                    if n < 1 << 32 {
                        assert_eq!(div.div(n), n / d, "{n} / {d}");
                    }
                }
            }
        }
    }

    /// With an opaque background the scene writes every pixel: whatever an older frame left in
    /// the buffer, the picture is the same.
    #[test]
    fn an_opaque_background_writes_every_pixel() {
        let mut rng = Rng::new(4, 5, 6);
        for (bands, look) in looks().into_iter().filter(|(_, l)| l.background.is_some_and(|c| c.a == 255)) {
            let v = Visualizer::new(clip(), &settings(bands), look.clone(), 0);
            for (w, h) in SIZES {
                let (levels, peaks) = random_levels(&mut rng, bands);
                let mut clean = vec![Rgba::BLACK; (w * h) as usize];
                v.reference_levels(&mut clean, w, h, &levels, &peaks);
                let mut stale: Vec<Rgba> =
                    (0..w * h).map(|_| bytemuck::cast(rng.next_u64() as u32)).collect();
                v.draw_levels(&mut stale, w, h, &levels, &peaks);
                assert!(stale == clean, "{w}x{h} {bands} bands, {look:?}");
            }
        }
    }
}
