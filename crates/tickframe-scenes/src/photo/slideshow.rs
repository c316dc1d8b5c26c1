//! The `slideshow` scene: photos from a folder, one every `interval` seconds, with transitions,
//! decoded and scaled ahead of need on background threads.
//!
//! # Determinism
//! The photo list is fixed at build (sorted listing; every file probed, bad ones skipped with a
//! warning); slot `k` (ticks `[k·I, (k+1)·I)`) shows photo `order(seed, k)`, a seeded permutation
//! per pass (no repeats until all were shown, and no photo twice in a row across passes). A
//! frame is a copy of (or a transition between) prepared photos, and a prepared photo is a pure
//! function of its file's bytes and the options: whether it came from the cache, a prefetching
//! worker or a synchronous decode on a miss, the bytes are the same.
//!
//! Photos can join during a run only in **epochs** (see `schedule.rs`): `added` in the scene
//! file schedules them at given slots, and `rescan` (in `play`, through [`PhotoRescan`])
//! finds new files and schedules them past every slot rendered so far, recording the slot so
//! `added` reproduces the run.

use std::path::PathBuf;
use std::sync::Arc;

use tickframe_core::{
    Canvas, Font, Frame, Rect, RenderContext, Rgba, Scene, Timebase, combine, mix64, text_width,
};

use super::cache::{CacheStats, Shared};
use super::prepare::{Background, FitMode, PrepareOptions, ResizeFilter};
use super::schedule::{PhotoList, Schedule};
use super::source::{PhotoEntry, list, probe};
use super::{ANCHORS, FONT_NAMES, anchored, font_named};
use crate::compose::{Transition, TransitionKind};
use crate::params::{BuildError, Params, Value};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub(super) const INFO: SceneInfo = SceneInfo {
    name: "slideshow",
    summary: "photos from a folder with transitions, decoded and scaled ahead on background threads",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDoc] = &[
    ParamDoc {
        name: "folder",
        kind: "path",
        default: "",
        doc: "the folder of photos (JPEG, PNG, WebP, GIF first frame, TIFF, BMP), relative to the scene file",
    },
    ParamDoc { name: "recursive", kind: "bool", default: "false", doc: "also take photos from sub-folders" },
    ParamDoc {
        name: "order",
        kind: "one of: shuffle, sorted",
        default: "shuffle",
        doc: "`shuffle`: a new seeded order every pass, no repeats until all were shown; `sorted`: by path",
    },
    ParamDoc {
        name: "interval",
        kind: "float 0.1..=86400",
        default: "10",
        doc: "seconds per photo, including its outgoing transition",
    },
    ParamDoc {
        name: "transition",
        kind: "transition, or an array of them",
        default: "\"crossfade\" (1 s, sine-in-out)",
        doc: "the transition into the next photo, as in a playlist entry (any of the twelve kinds); an array is used in turn, one per photo",
    },
    ParamDoc {
        name: "fit",
        kind: "one of: fit, fill, shrink",
        default: "fit",
        doc: "`fit`: whole photo, letterboxed; `fill`: covers the display, cropped; `shrink`: like fit but never enlarged",
    },
    ParamDoc {
        name: "background",
        kind: "colour or \"blur\"",
        default: "#000000",
        doc: "around a fitted photo: a colour (made opaque) or `blur`, a blurred, darkened copy of the photo",
    },
    ParamDoc {
        name: "filter",
        kind: "one of: lanczos3, catmull-rom, mitchell, bilinear, nearest",
        default: "lanczos3",
        doc: "resampling filter; every one gives the same bytes on every machine (lanczos3's kernel goes through libm)",
    },
    ParamDoc {
        name: "max_megapixels",
        kind: "float 0.01..=1000",
        default: "100",
        doc: "photos with more pixels are skipped (with a warning) before decoding: decompression bombs",
    },
    ParamDoc {
        name: "reduced_decode",
        kind: "bool",
        default: "true",
        doc: "decode a colour JPEG at 1/2, 1/4 or 1/8 size (DCT scaling) when the part shown is at least that many times its target size, then resample: much faster for large photos",
    },
    ParamDoc {
        name: "prefetch",
        kind: "int 0..=16",
        default: "2",
        doc: "photos prepared ahead of the one showing",
    },
    ParamDoc {
        name: "workers",
        kind: "int 0..=16",
        default: "1",
        doc: "background threads decoding and scaling (0: everything on the rendering thread)",
    },
    ParamDoc {
        name: "cache_mb",
        kind: "int 1..=65536",
        default: "256",
        doc: "prepared photos kept, in MiB (a 1920×1080 photo takes 7.9 MiB); least recently used go first",
    },
    ParamDoc {
        name: "rescan",
        kind: "float 0 or 1..=86400",
        default: "0 (off)",
        doc: "in `play`: look for new files in the folder every this many seconds; a file joins once it is unchanged across two looks, at a slot boundary past every frame rendered so far, recorded so `added` reproduces the run",
    },
    ParamDoc {
        name: "added",
        kind: "array of { slot = N, files = [paths] }",
        default: "[] (none)",
        doc: "photos that join at a slot (what a `rescan` run recorded; paths relative to the folder): left out of the photos at the start, added from slot N on",
    },
    ParamDoc {
        name: "caption",
        kind: "one of: none, name, date, name-date",
        default: "none",
        doc: "text drawn over each photo: its file name, its EXIF date (`YYYY-MM-DD HH:MM`, empty when unknown), or both",
    },
    ParamDoc {
        name: "caption_anchor",
        kind: "one of: top-left, top, top-right, left, center, right, bottom-left, bottom, bottom-right",
        default: "bottom-left",
        doc: "where the caption goes",
    },
    ParamDoc {
        name: "caption_margin",
        kind: "int 0..=4096",
        default: "16",
        doc: "px between the caption box and the display edge",
    },
    ParamDoc {
        name: "caption_font",
        kind: "one of: 4x6, 5x7, 5x8, 6x10, 6x13, 7x13, 8x13, 9x15, 10x20",
        default: "10x20",
        doc: "a bundled bitmap font",
    },
    ParamDoc { name: "caption_color", kind: "colour", default: "#ffffff", doc: "caption text colour" },
    ParamDoc {
        name: "caption_background",
        kind: "colour",
        default: "#00000099",
        doc: "the box behind the caption (6 px padding); fully transparent draws none",
    },
];

/// The caption's looks, fixed at build.
#[derive(Debug, Clone, Copy)]
struct CaptionStyle {
    anchor: &'static str,
    margin: u32,
    font: &'static Font,
    color: Rgba,
    background: Rgba,
}

/// A built slideshow. Its schedule only grows at slots no frame has been rendered for (see
/// the module docs); the cache changes, and never changes what a frame shows.
pub struct Slideshow {
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    /// The transitions used in turn, with their lengths in ticks.
    transitions: Vec<(Transition, u64)>,
    prefetch: u64,
    caption: Option<CaptionStyle>,
}

/// Which photo each slot shows.
struct Plan {
    schedule: Schedule,
    slot_ticks: u64,
    shuffle: bool,
}

/// Seed salt of the photo order ("photos").
const PHOTOS: u64 = 0x7068_6f74_6f73;
/// Seed salt of an epoch's order ("epoch").
const EPOCH: u64 = 0x6570_6f63_6800;
/// Photos a rescan may add in a run, and epochs it may start.
const RESCAN_PHOTOS: usize = 4096;
const RESCAN_EPOCHS: usize = 1024;

impl Plan {
    /// The index of the photo slot `slot` shows with `seed`.
    fn photo_index(&self, seed: u64, slot: u64) -> usize {
        let (e, ep) = self.schedule.epoch_for(slot);
        let n = ep.count.max(1);
        let k = slot - ep.from_slot;
        if !self.shuffle || n <= 1 {
            return ep.sorted[((k + ep.sorted_start) % n) as usize] as usize;
        }
        // The photo before this epoch's first slot (epoch 0 has none).
        let before = || (e > 0).then(|| self.photo_index(seed, ep.from_slot - 1) as u64);
        let mut base = combine(seed, PHOTOS);
        if e > 0 {
            base = combine(base, EPOCH ^ e as u64);
        }
        let (pass, i) = (k / n, k % n);
        let perm = |pass: u64, i: u64| permute(i, n, combine(base, pass));
        if n == 2 {
            // Alternate, so the same photo never shows twice in a row.
            let first = match before() {
                Some(b) if b < 2 => 1 - b,
                _ => perm(0, 0),
            };
            return ((first + k) % 2) as usize;
        }
        // A pass never starts with the photo shown just before it: swap its first two.
        if i < 2 {
            let prev = if pass > 0 { Some(perm(pass - 1, n - 1)) } else { before() };
            if prev == Some(perm(pass, 0)) {
                return perm(pass, 1 - i) as usize;
            }
        }
        perm(pass, i) as usize
    }
}

impl std::fmt::Debug for Slideshow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slideshow")
            .field("photos", &self.shared.photos.len())
            .field("slot_ticks", &self.plan.slot_ticks)
            .finish_non_exhaustive()
    }
}

impl Drop for Slideshow {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

/// A bijection of `0..n` keyed by `key`: a 4-round Feistel network on the smallest even-bit
/// power-of-two domain ≥ n, cycle-walked into range. O(1) memory, a few steps on average.
fn permute(i: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2).max(1);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = mix64(key ^ r.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

impl Slideshow {
    /// How many photos it shows: the usable ones found at build, plus those added so far
    /// (`added`, `rescan`).
    pub fn len(&self) -> usize {
        self.shared.photos.len()
    }

    /// Always false: building fails when no photo is usable.
    pub fn is_empty(&self) -> bool {
        self.shared.photos.len() == 0
    }

    /// The file names of its photos: those found at build in sorted order, then those added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.shared.photos.iter().map(|p| p.name.as_str())
    }

    /// The cache's counters so far.
    pub fn stats(&self) -> CacheStats {
        self.shared.stats()
    }

    /// The photos found unusable when first prepared (after build), with why, in sorted order:
    /// each was skipped, with a `tracing` warning naming it, and the next usable photo in
    /// sorted order showed in its place.
    pub fn skipped(&self) -> Vec<(std::path::PathBuf, String)> {
        self.shared.skipped()
    }

    /// Ticks each photo is shown.
    pub fn slot_ticks(&self) -> u64 {
        self.plan.slot_ticks
    }

    /// The index (into [`Slideshow::names`]) of the photo slot `slot` shows with `seed`.
    pub fn photo_index(&self, seed: u64, slot: u64) -> usize {
        self.plan.photo_index(seed, slot)
    }

    /// The first slot of each epoch (photos joining), in order: `[0]` when none joined.
    pub fn epoch_starts(&self) -> Vec<u64> {
        (0..self.plan.schedule.len()).map(|e| self.plan.schedule.epoch(e).from_slot).collect()
    }

    /// The prepared photo of `slot` (a photo that fails to decode is replaced by the next one in
    /// list order among the slot's epoch, deterministically), with its index.
    fn photo(&self, seed: u64, slot: u64) -> Option<(usize, Arc<Frame>)> {
        let n = self.plan.schedule.epoch_for(slot).1.count.max(1) as usize;
        let first = self.photo_index(seed, slot);
        (0..n).map(|j| (first + j) % n).find_map(|i| self.shared.get(i).ok().map(|f| (i, f)))
    }

    fn draw_caption(&self, canvas: &mut Canvas<'_>, index: usize, opacity: u8) {
        let Some(style) = self.caption else { return };
        let text = &self.shared.photos.get(index).caption;
        if text.is_empty() || opacity == 0 {
            return;
        }
        const PAD: u32 = 6;
        let (tw, th) = (text_width(text, style.font), style.font.character_size.height);
        let (bw, bh) = (tw + 2 * PAD, th + 2 * PAD);
        let (w, h) = (canvas.width(), canvas.height());
        let (x, y) = anchored(style.anchor, w, h, bw, bh, style.margin);
        let scale = |a: u8| tickframe_core::mul255(u32::from(a), u32::from(opacity)) as u8;
        if style.background.a > 0 {
            canvas.fill_rect(Rect::new(x, y, bw, bh), style.background.with_alpha(scale(style.background.a)));
        }
        canvas.text(
            text,
            x + PAD as i32,
            y + PAD as i32,
            style.font,
            style.color.with_alpha(scale(style.color.a)),
        );
    }
}

impl Scene for Slideshow {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        self.plan.schedule.enter(ctx.tick);
        let slot_ticks = self.plan.slot_ticks;
        let slot = ctx.tick / slot_ticks;
        let t = ctx.tick % slot_ticks;
        for j in 1..=self.prefetch {
            self.shared.request(self.photo_index(ctx.seed, slot + j));
        }
        let Some((cur_i, cur)) = self.photo(ctx.seed, slot) else {
            canvas.clear(Rgba::BLACK);
            return;
        };
        if cur.size() != canvas.size() {
            // Rendered at another size than built for: scale the prepared photo (nearest).
            canvas.clear(Rgba::BLACK);
            let (w, h) = (canvas.width(), canvas.height());
            canvas.blit(&cur, Rect::new(0, 0, cur.width(), cur.height()), Rect::new(0, 0, w, h), 255);
            self.draw_caption(canvas, cur_i, 255);
            return;
        }
        let (transition, n) = self.transitions[(slot % self.transitions.len() as u64) as usize];
        if n > 0 && t >= slot_ticks - n {
            let step = t - (slot_ticks - n);
            let progress = (step + 1) as f64 / (n + 1) as f64;
            let Some((next_i, next)) = self.photo(ctx.seed, slot + 1) else {
                canvas.clear(Rgba::BLACK);
                return;
            };
            transition.apply(progress, combine(ctx.seed, slot), cur.view(), next.view(), canvas.pixels_mut());
            let a = (transition.easing.apply(progress) * 255.0).round() as u8;
            self.draw_caption(canvas, cur_i, 255 - a);
            self.draw_caption(canvas, next_i, a);
        } else {
            canvas.pixels_mut().copy_from_slice(cur.pixels());
            self.draw_caption(canvas, cur_i, 255);
        }
    }

    /// Always: every path clears, copies, scales or transitions the whole canvas before the
    /// caption blends over it.
    fn paints_every_pixel(&self, _ctx: &RenderContext) -> bool {
        true
    }
}

/// The transitions of the `transition` parameter: one, or an array used in turn.
fn transitions(params: &mut Params) -> Result<Vec<Transition>, BuildError> {
    let Some(v) = params.take("transition") else {
        return Ok(vec![Transition::new(TransitionKind::Crossfade)]);
    };
    let items = match &v.value {
        Value::Array(items) if !items.is_empty() => items.clone(),
        Value::Array(_) => {
            return Err(BuildError::new(
                v.at.or(params.location()),
                "`slideshow.transition`: expected a transition or a non-empty array of them, found an empty array",
            ));
        }
        _ => vec![v.clone()],
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = if items.len() > 1 {
                format!("slideshow.transition[{i}]")
            } else {
                "slideshow.transition".into()
            };
            Transition::from_value(item, &path)
                .map_err(|e| BuildError::new(e.at.or(v.at).or(params.location()), e.message))
        })
        .collect()
}

fn build(params: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    Ok(Arc::new(Slideshow::from_params(params, cx)?))
}

impl Slideshow {
    /// Builds a slideshow from scene-file parameters (see `tickframe scenes slideshow`): lists and
    /// probes the folder, skipping (with a warning in `cx`) files that cannot be read or decoded
    /// or exceed the size limit, and starts the background workers.
    ///
    /// # Errors
    /// Bad parameters, an unreadable folder, or a folder with no usable photo.
    pub fn from_params(params: &mut Params, cx: &mut BuildContext) -> Result<Slideshow, BuildError> {
        let folder = params.path("folder", &cx.base_dir)?;
        let folder_at = params.location_of("folder");
        let recursive = params.bool("recursive", false)?;
        let shuffle = params.choice("order", "shuffle", &["shuffle", "sorted"])? == "shuffle";
        let interval = params.float_in("interval", 10.0, 0.1..=86_400.0)?;
        let interval_at = params.location_of("interval");
        let transitions = transitions(params)?;
        let fit = match params.choice("fit", "fit", &["fit", "fill", "shrink"])?.as_str() {
            "fill" => FitMode::Fill,
            "shrink" => FitMode::Shrink,
            _ => FitMode::Fit,
        };
        let background = match params.take("background") {
            Some(v) if v.value == Value::Str("blur".into()) => Background::Blur,
            Some(v) => {
                let mut p = Params::new("slideshow", params.location());
                p.insert("background", None, v);
                Background::Color(p.color("background", Rgba::BLACK)?)
            }
            None => Background::Color(Rgba::BLACK),
        };
        let filter = ResizeFilter::from_name(&params.choice("filter", "lanczos3", &ResizeFilter::NAMES)?)
            .unwrap_or_default();
        let max_pixels = (params.float_in("max_megapixels", 100.0, 0.01..=1000.0)? * 1e6).round() as u64;
        let reduced_decode = params.bool("reduced_decode", true)?;
        let prefetch = params.u32_in("prefetch", 2, 0..=16)?;
        let workers = params.u32_in("workers", 1, 0..=16)?;
        let cache_mb = params.u32_in("cache_mb", 256, 1..=65_536)?;
        let caption = params.choice("caption", "none", &["none", "name", "date", "name-date"])?;
        let anchor = params.choice("caption_anchor", "bottom-left", ANCHORS)?;
        let margin = params.u32_in("caption_margin", 16, 0..=4096)?;
        let font = font_named(&params.choice("caption_font", "10x20", FONT_NAMES)?);
        let color = params.color("caption_color", Rgba::WHITE)?;
        let caption_bg = params.color("caption_background", Rgba::new(0, 0, 0, 0x99))?;
        let rescan_at = params.location_of("rescan");
        let rescan = params.float_in("rescan", 0.0, 0.0..=86_400.0)?;
        if rescan > 0.0 && rescan < 1.0 {
            return Err(BuildError::new(
                rescan_at,
                format!("`slideshow.rescan`: expected 0 (off) or 1 to 86400 seconds, found {rescan}"),
            ));
        }
        let added = added_entries(params, &folder)?;

        let tb = Timebase::new(cx.rate);
        let slot_ticks = tb.ticks_for_seconds(interval).max(1);
        let mut timed = Vec::with_capacity(transitions.len());
        for t in transitions {
            let n = tb.ticks_for_seconds(t.duration);
            if n >= slot_ticks {
                return Err(BuildError::new(
                    interval_at,
                    format!(
                        "`slideshow.transition`: expected a transition shorter than the interval ({interval} s = {slot_ticks} ticks), found {} s = {n} ticks",
                        t.duration
                    ),
                ));
            }
            timed.push((t, n));
        }

        let files = list(&folder, recursive).map_err(|e| {
            BuildError::new(folder_at, format!("slideshow: cannot list folder `{}`: {e}", folder.display()))
        })?;
        // Photos that join later are left out of the start.
        let later: std::collections::BTreeSet<&PathBuf> = added.iter().flat_map(|a| &a.files).collect();
        for (a, f) in added.iter().flat_map(|a| a.files.iter().map(move |f| (a, f))) {
            if files.binary_search(f).is_err() {
                return Err(BuildError::new(
                    a.at,
                    format!(
                        "`slideshow.added`: expected `{}` in the folder (it joined at slot {} in the recorded run), found no such photo file",
                        f.display(),
                        a.slot
                    ),
                ));
            }
        }
        let mut photos = Vec::with_capacity(files.len());
        let mut reasons = Vec::new();
        let mut unusable = std::collections::BTreeSet::new();
        for f in files.iter().filter(|f| !later.contains(f)) {
            match probe(f, max_pixels) {
                Ok(p) => photos.push(p),
                Err(e) => {
                    cx.warn(format!("slideshow: skipping `{}`: {e}", f.display()));
                    reasons.push(format!("\n  `{}`: {e}", f.display()));
                    unusable.insert(f.clone());
                }
            }
        }
        if photos.is_empty() {
            return Err(BuildError::new(
                folder_at,
                format!(
                    "slideshow: no usable photo in `{}` ({} candidate file{} with extension {}{}); put JPEG, PNG, WebP, GIF, TIFF or BMP files there{}{}",
                    folder.display(),
                    files.len(),
                    if files.len() == 1 { "" } else { "s" },
                    super::source::EXTENSIONS.join(", "),
                    if recursive {
                        ", searched recursively"
                    } else {
                        "; `recursive = true` searches sub-folders"
                    },
                    if reasons.is_empty() { "" } else { "; skipped:" },
                    reasons.concat(),
                ),
            ));
        }
        let caption_mode = CaptionMode::from_name(&caption);
        for p in &mut photos {
            p.caption = caption_mode.text(p);
        }
        let caption = (caption_mode != CaptionMode::None).then_some(CaptionStyle {
            anchor: ANCHORS.iter().copied().find(|a| *a == anchor).unwrap_or("bottom-left"),
            margin,
            font,
            color,
            background: caption_bg,
        });
        let opts = PrepareOptions { size: cx.size, fit, background, filter, max_pixels, reduced_decode };
        let (extra_photos, extra_epochs) = (
            later.len() + if rescan > 0.0 { RESCAN_PHOTOS } else { 0 },
            added.len() + if rescan > 0.0 { RESCAN_EPOCHS } else { 0 },
        );
        let initial = photos.len();
        let list = PhotoList::new(photos, extra_photos);
        let shared = Shared::new(list, opts, u64::from(cache_mb) << 20, workers as usize);
        let plan = Arc::new(Plan { schedule: Schedule::new(initial, extra_epochs), slot_ticks, shuffle });
        let rescanner = PhotoRescan {
            shared: Arc::clone(&shared),
            plan: Arc::clone(&plan),
            folder: folder.clone(),
            recursive,
            max_pixels,
            caption: caption_mode,
            period_seconds: rescan,
            state: std::sync::Mutex::new(RescanState {
                known: files.iter().filter(|f| !unusable.contains(*f)).cloned().collect(),
                ..RescanState::default()
            }),
        };
        // The recorded additions, in order: each at exactly its slot (nothing is rendered yet).
        for a in &added {
            let mut entries = Vec::with_capacity(a.files.len());
            for f in &a.files {
                match probe(f, max_pixels) {
                    Ok(p) => entries.push(p),
                    Err(e) => cx.warn(format!(
                        "slideshow: skipping `{}` (added at slot {}): {e}",
                        f.display(),
                        a.slot
                    )),
                }
            }
            if rescanner.publish(entries, a.slot).is_none() {
                cx.warn(format!("slideshow: `added` at slot {}: no usable photo, nothing joined", a.slot));
            }
        }
        let rescanner = Arc::new(rescanner);
        if rescan > 0.0 {
            cx.rescans.push(Arc::clone(&rescanner));
        }
        let show = Slideshow { shared, plan, transitions: timed, prefetch: u64::from(prefetch), caption };
        // In sorted order the first photos do not depend on the seed (which a scene learns
        // only when rendering): start on them at once. Shuffled, the first render asks.
        if !show.plan.shuffle {
            for j in 0..=show.prefetch {
                show.shared.request(show.photo_index(0, j));
            }
        }
        Ok(show)
    }
}

/// What a slideshow's captions say.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CaptionMode {
    None,
    Name,
    Date,
    NameDate,
}

impl CaptionMode {
    fn from_name(name: &str) -> CaptionMode {
        match name {
            "name" => CaptionMode::Name,
            "date" => CaptionMode::Date,
            "name-date" => CaptionMode::NameDate,
            _ => CaptionMode::None,
        }
    }

    fn text(self, p: &PhotoEntry) -> String {
        match self {
            CaptionMode::Name => p.name.clone(),
            CaptionMode::Date => p.date.clone().unwrap_or_default(),
            CaptionMode::NameDate => match &p.date {
                Some(d) => format!("{}  {d}", p.name),
                None => p.name.clone(),
            },
            CaptionMode::None => String::new(),
        }
    }
}

/// One recorded addition: `files` (relative to the folder) joined from slot `slot` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoAddition {
    /// The first slot that can show them (each slot is `interval` long).
    pub slot: u64,
    /// The first tick of that slot, in the slideshow's own ticks.
    pub tick: u64,
    /// The files, relative to the folder (`/`-separated), in the order they joined.
    pub files: Vec<String>,
}

/// An `added` entry as read from the scene file.
struct AddedEntry {
    slot: u64,
    files: Vec<PathBuf>,
    at: Option<crate::Location>,
}

#[derive(Default)]
struct RescanState {
    /// Files in the list (or skipped for good), by path.
    known: std::collections::BTreeSet<PathBuf>,
    /// New files seen by the last look, with (length, modification time): a file joins when the
    /// next look sees it unchanged.
    pending: std::collections::BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>,
    /// Files already warned about.
    warned: std::collections::BTreeSet<PathBuf>,
    additions: Vec<PhotoAddition>,
    full: bool,
    /// The last look could not list the folder (warned once).
    unlisted: bool,
}

/// A slideshow's `rescan`: looks for new files in its folder when asked (`play` asks every
/// `rescan` seconds, on a thread of its own) and schedules them (see the module docs). The
/// additions it made are what `added` needs to reproduce the run.
pub struct PhotoRescan {
    shared: Arc<Shared>,
    plan: Arc<Plan>,
    folder: PathBuf,
    recursive: bool,
    max_pixels: u64,
    caption: CaptionMode,
    period_seconds: f64,
    state: std::sync::Mutex<RescanState>,
}

impl std::fmt::Debug for PhotoRescan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoRescan").field("folder", &self.folder).finish_non_exhaustive()
    }
}

impl PhotoRescan {
    /// The folder it looks in.
    pub fn folder(&self) -> &std::path::Path {
        &self.folder
    }

    /// Seconds between looks (the `rescan` parameter).
    pub fn period_seconds(&self) -> f64 {
        self.period_seconds
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RescanState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Looks once: lists the folder, and schedules the new files that were already there,
    /// unchanged, at the previous look and probe as usable. Returns what it added, if anything.
    /// Reads files (headers and tails): not for a rendering or presenting thread.
    pub fn rescan(&self) -> Option<PhotoAddition> {
        let mut st = self.state();
        if st.full {
            return None;
        }
        let files = match list(&self.folder, self.recursive) {
            Ok(f) => {
                st.unlisted = false;
                f
            }
            Err(e) => {
                // Once per outage (a network share gone away), not at every look.
                if !std::mem::replace(&mut st.unlisted, true) {
                    tracing::warn!(
                        "slideshow: rescan: cannot list folder `{}`: {e} (the photos already listed go on; looking again every {} s)",
                        self.folder.display(),
                        self.period_seconds
                    );
                }
                return None;
            }
        };
        let mut seen = std::collections::BTreeMap::new();
        let mut ready = Vec::new();
        for f in files {
            if st.known.contains(&f) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&f) else { continue };
            let stamp = (meta.len(), meta.modified().ok());
            if st.pending.get(&f) == Some(&stamp) {
                ready.push(f.clone());
            }
            seen.insert(f, stamp);
        }
        st.pending = seen;
        let mut entries = Vec::new();
        for f in ready {
            match probe(&f, self.max_pixels) {
                Ok(p) => {
                    st.pending.remove(&f);
                    st.known.insert(f);
                    entries.push(p);
                }
                Err(e) => {
                    if st.warned.insert(f.clone()) {
                        tracing::warn!("slideshow: rescan: skipping `{}`: {e}", f.display());
                    }
                }
            }
        }
        if entries.is_empty() {
            return None;
        }
        let room = if self.plan.schedule.room() == 0 { 0 } else { self.shared.photos.room() };
        if entries.len() > room {
            st.full = true;
            tracing::warn!(
                "slideshow: rescan: the run's room for added photos is used up ({RESCAN_PHOTOS} photos, {RESCAN_EPOCHS} additions); no more photos join until a restart"
            );
            entries.truncate(room);
        }
        let added = self.publish(entries, 0)?;
        st.additions.push(added.clone());
        Some(added)
    }

    /// Adds `entries` to the list and schedules them from slot `earliest` or later.
    fn publish(&self, entries: Vec<PhotoEntry>, earliest: u64) -> Option<PhotoAddition> {
        let photos = &self.shared.photos;
        let mut files = Vec::with_capacity(entries.len());
        for mut p in entries {
            p.caption = self.caption.text(&p);
            let rel = p.path.strip_prefix(&self.folder).unwrap_or(&p.path);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            photos.push(p)?;
            files.push(rel);
        }
        if files.is_empty() {
            return None;
        }
        let count = photos.len();
        let mut sorted: Vec<u32> = (0..count as u32).collect();
        sorted.sort_by(|&a, &b| photos.get(a as usize).path.cmp(&photos.get(b as usize).path));
        let plan = &self.plan;
        let slot = plan.schedule.publish(
            count as u64,
            sorted.into(),
            earliest,
            plan.slot_ticks,
            |from, sorted| {
                // Sorted order goes on after the photo shown just before (shuffled: unused).
                let prev = plan.photo_index(0, from - 1) as u32;
                sorted.iter().position(|&i| i == prev).map_or(0, |p| p as u64 + 1)
            },
        )?;
        Some(PhotoAddition { slot, tick: slot.saturating_mul(plan.slot_ticks), files })
    }

    /// The additions made so far, in order.
    pub fn additions(&self) -> Vec<PhotoAddition> {
        self.state().additions.clone()
    }

    /// The `added` parameter that reproduces the additions made so far (TOML, one line).
    pub fn added_toml(&self) -> String {
        let items: Vec<String> = self
            .additions()
            .iter()
            .map(|a| {
                let files: Vec<String> = a.files.iter().map(|f| format!("{f:?}")).collect();
                format!("{{ slot = {}, files = [{}] }}", a.slot, files.join(", "))
            })
            .collect();
        format!("added = [{}]", items.join(", "))
    }
}

/// The `added` parameter: `[{ slot = N, files = ["a.jpg", …] }, …]`, slots rising.
fn added_entries(params: &mut Params, folder: &std::path::Path) -> Result<Vec<AddedEntry>, BuildError> {
    let Some(v) = params.take("added") else { return Ok(Vec::new()) };
    let expected = "an array of tables `{ slot = N, files = [\"photo.jpg\", …] }` with rising slots from 1";
    let bad = |at: Option<crate::Location>, found: &str| {
        BuildError::new(at, format!("`slideshow.added`: expected {expected}, found {found}"))
    };
    let Value::Array(items) = &v.value else { return Err(bad(v.at, v.value.type_name())) };
    let mut out: Vec<AddedEntry> = Vec::with_capacity(items.len());
    for item in items {
        let at = item.at.or(v.at);
        let Value::Table(fields) = &item.value else { return Err(bad(at, item.value.type_name())) };
        let (mut slot, mut files) = (None, None);
        for (key, value) in fields {
            match (key.as_str(), &value.value) {
                ("slot", Value::Int(n)) if *n >= 1 => slot = Some(*n as u64),
                ("files", Value::Array(list)) if !list.is_empty() => {
                    let mut paths = Vec::with_capacity(list.len());
                    for f in list {
                        let Value::Str(name) = &f.value else {
                            return Err(bad(f.at.or(at), f.value.type_name()));
                        };
                        paths.push(folder.join(name));
                    }
                    files = Some(paths);
                }
                (k, other) => return Err(bad(value.at.or(at), &format!("`{k} = ` {}", other.type_name()))),
            }
        }
        let (Some(slot), Some(files)) = (slot, files) else {
            return Err(bad(at, "a table without `slot` or `files`"));
        };
        if out.last().is_some_and(|l| l.slot >= slot) {
            return Err(bad(at, &format!("slot {slot} after slot {}", out.last().map_or(0, |l| l.slot))));
        }
        out.push(AddedEntry { slot, files, at });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_bijections() {
        for n in [1u64, 2, 3, 5, 16, 17, 100, 1000] {
            for key in [0u64, 7, u64::MAX] {
                let mut seen = vec![false; n as usize];
                for i in 0..n {
                    let p = permute(i, n, key) as usize;
                    assert!(!seen[p], "n={n} key={key}: {p} twice");
                    seen[p] = true;
                }
            }
        }
    }
}
