//! The `spritesheet` scene: an Aseprite JSON export played from its frame durations.
//!
//! # Timing
//! The animation time of tick `t` is `floor(t · den / num · speed · 1000)` milliseconds, computed
//! in integers (`speed` taken to millionths), so it never drifts: a frame change happens at the
//! first tick whose start time reaches the frame's start. At 60 fps, 50 ms frames last exactly 3
//! ticks; 25 ms frames alternate 2 and 1 ticks.
//!
//! # Playback
//! An optional `start` tag plays once, then the `loop` tag (`tag` is a synonym) repeats
//! (`repeat` times, or forever when `repeat = 0`), then an optional `end` tag plays once and its
//! last frame stays. Without any tag, all frames play forward in file order, looping. Tag
//! directions `forward`, `reverse`, `pingpong` and `pingpong_reverse` are honoured.
//!
//! # Disagreeing metadata
//! What the image and the frame list really hold wins over `meta`: a `meta.size` that differs from
//! the decoded image and a tag that looks stale (frames named after it, `"<tag> N"`, lie outside
//! its range) are warnings, not errors. A selected tag plays as written. Only a frame whose
//! rectangle lies outside the image is an error.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ::image::RgbaImage;
use tickframe_core::{Canvas, Frame, MAX_DIMENSION, Rect, RenderContext, Rgba, Scene, Size};

use super::aseprite::{self, FrameEntry};
use super::{ANCHORS, anchored, decode_image, describe, micros_of, opt_color, scaled_time};
use crate::params::{BuildError, Location, Params, Value, did_you_mean};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub(super) const INFO: SceneInfo = SceneInfo {
    name: "spritesheet",
    summary: "an Aseprite spritesheet (JSON export, hash or array form) played from its frame durations",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDoc] = &[
    ParamDoc {
        name: "path",
        kind: "path",
        default: ParamDoc::REQUIRED,
        doc: "the Aseprite JSON export; its image is `meta.image`, relative to the JSON's folder",
    },
    ParamDoc {
        name: "tag",
        kind: "string",
        default: ParamDoc::NONE,
        doc: "the tag to loop (same as `loop`); default: all frames, forward",
    },
    ParamDoc {
        name: "start",
        kind: "string",
        default: ParamDoc::NONE,
        doc: "a tag played once before the loop",
    },
    ParamDoc {
        name: "loop",
        kind: "string",
        default: ParamDoc::NONE,
        doc: "the tag repeated; default: all frames, forward",
    },
    ParamDoc {
        name: "end",
        kind: "string",
        default: ParamDoc::NONE,
        doc: "a tag played once after the loop (needs `repeat` > 0); its last frame then stays",
    },
    ParamDoc {
        name: "repeat",
        kind: "int 0..=1000000",
        default: "0",
        doc: "how many times the loop plays; 0 = forever",
    },
    ParamDoc {
        name: "scale",
        kind: "int 1..=64 or \"fit\"",
        default: "1",
        doc: "whole-number nearest-neighbour scale; `fit`: the largest whole scale that fits the display \
              (shrunk, keeping the aspect ratio, when even 1 is too big)",
    },
    ParamDoc {
        name: "anchor",
        kind: "one of: top-left, top, top-right, left, center, right, bottom-left, bottom, bottom-right",
        default: "center",
        doc: "where the sprite sits on the display",
    },
    ParamDoc {
        name: "x",
        kind: "int -16384..=16384",
        default: "0",
        doc: "horizontal offset in px added after anchoring (with `top-left`: the left edge)",
    },
    ParamDoc {
        name: "y",
        kind: "int -16384..=16384",
        default: "0",
        doc: "vertical offset in px added after anchoring (with `top-left`: the top edge)",
    },
    ParamDoc {
        name: "speed",
        kind: "float 0..=100",
        default: "1",
        doc: "playback speed multiplier (taken to millionths); 0 holds the first frame",
    },
    ParamDoc {
        name: "background",
        kind: "colour",
        default: ParamDoc::NONE,
        doc: "fills the whole display first; default: none (what is underneath shows)",
    },
];

/// One step of a playback phase: a frame, and the phase time (ms) at which it ends.
#[derive(Clone, Copy, Debug)]
struct Step {
    frame: u32,
    end_ms: u64,
}

/// Where one frame is copied from and to.
#[derive(Clone, Copy, Debug)]
struct Sprite {
    src: Rect,
    dst: Rect,
}

/// The precomputed playback: start once, loop `repeat` times (0 = forever), end once.
#[derive(Debug)]
struct Phases {
    start: Vec<Step>,
    looped: Vec<Step>,
    end: Vec<Step>,
    repeat: u32,
}

fn total(steps: &[Step]) -> u128 {
    steps.last().map_or(0, |s| u128::from(s.end_ms))
}

fn find(steps: &[Step], t: u128) -> u32 {
    let i = steps.partition_point(|s| u128::from(s.end_ms) <= t);
    steps[i.min(steps.len() - 1)].frame
}

impl Phases {
    /// The frame shown `ms` milliseconds of animation time after the start.
    fn frame_at(&self, ms: u128) -> u32 {
        let mut t = ms;
        let start = total(&self.start);
        if t < start {
            return find(&self.start, t);
        }
        t -= start;
        let lp = total(&self.looped);
        let looping = lp * u128::from(self.repeat);
        if self.repeat == 0 || t < looping {
            return find(&self.looped, t % lp);
        }
        t -= looping;
        if t < total(&self.end) {
            return find(&self.end, t);
        }
        self.end.last().or(self.looped.last()).map_or(0, |s| s.frame)
    }
}

/// A loaded, playable spritesheet.
#[derive(Debug)]
struct Spritesheet {
    sheet: Arc<Frame>,
    sprites: Vec<Sprite>,
    phases: Phases,
    speed_micros: u128,
    background: Option<Rgba>,
}

impl Scene for Spritesheet {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        if let Some(bg) = self.background {
            canvas.clear(bg);
        }
        let ms = scaled_time(ctx.timebase, ctx.tick, self.speed_micros, 1000);
        let sprite = self.sprites[self.phases.frame_at(ms) as usize];
        canvas.blit(&self.sheet, sprite.src, sprite.dst, 255);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Whole(u32),
    Fit,
}

fn read_scale(params: &mut Params) -> Result<Scale, BuildError> {
    let Some(v) = params.take("scale") else { return Ok(Scale::Whole(1)) };
    match v.value {
        Value::Int(i) if (1..=64).contains(&i) => Ok(Scale::Whole(i as u32)),
        Value::Str(ref s) if s == "fit" => Ok(Scale::Fit),
        ref other => Err(BuildError::new(
            v.at.or(params.location()),
            format!(
                "`{}.scale`: expected a whole number in 1..=64 or \"fit\", found {}",
                params.scene(),
                describe(other)
            ),
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
    PingPong,
    PingPongReverse,
}

/// A tag checked against the frame list.
#[derive(Clone, Debug)]
struct TagRange {
    name: String,
    /// `from..=to`, clamped to the frame list; `None` when nothing of it is left.
    range: Option<(usize, usize)>,
    written: (i64, i64),
    direction: Direction,
}

/// One frame of the sheet, checked.
#[derive(Clone, Debug)]
struct SheetFrame {
    name: String,
    src: Rect,
    /// Offset of the (trimmed) frame inside the untrimmed cell.
    offset: (u32, u32),
    duration_ms: u64,
}

/// Everything read from the JSON and the image, checked.
#[derive(Debug)]
struct Loaded {
    image: Arc<Frame>,
    frames: Vec<SheetFrame>,
    tags: Vec<TagRange>,
    cell: (u32, u32),
}

fn err(at: Option<Location>, message: String) -> BuildError {
    BuildError::new(at, message)
}

/// Reads, parses and checks an export and its image. Warnings go to `cx`.
fn load(json_path: &Path, at: Option<Location>, cx: &mut BuildContext) -> Result<Loaded, BuildError> {
    let jp = json_path.display();
    let text = std::fs::read_to_string(json_path)
        .map_err(|e| err(at, format!("spritesheet: cannot read `{jp}`: {e}")))?;
    let sheet = aseprite::parse(&text)
        .map_err(|e| err(at, format!("spritesheet: `{jp}` is not a valid Aseprite JSON export: {e}")))?;
    if sheet.frames.list.is_empty() {
        return Err(err(at, format!("spritesheet: `{jp}` has no frames")));
    }
    let folder = json_path.parent().unwrap_or(Path::new(""));
    let image_path = match &sheet.meta.image {
        Some(name) if !name.is_empty() => folder.join(name),
        _ => {
            let guess = json_path.with_extension("png");
            cx.warn(format!(
                "spritesheet `{jp}`: no `meta.image`; using `{}` beside the JSON",
                guess.display()
            ));
            guess
        }
    };
    // In messages the image is named as `meta.image` wrote it (relative to the JSON's folder).
    let ip = match &sheet.meta.image {
        Some(name) if !name.is_empty() => name.clone(),
        _ => image_path.display().to_string(),
    };
    let img = decode_image(&image_path, at, "spritesheet")?.into_rgba8();
    let (iw, ih) = img.dimensions();
    let stated = sheet.meta.size.filter(|s| s.w != i64::from(iw) || s.h != i64::from(ih));
    if let Some(size) = stated {
        cx.warn(format!(
            "spritesheet `{jp}`: meta.size says {}x{} but the image `{ip}` is {iw}x{ih}; using the image's size",
            size.w, size.h
        ));
    }

    let mut frames = Vec::with_capacity(sheet.frames.list.len());
    let mut missing_durations = 0usize;
    let mut zero_durations = 0usize;
    for (i, (name, entry)) in sheet.frames.list.iter().enumerate() {
        let FrameEntry { frame: r, rotated, sprite_source_size, duration, .. } = entry;
        let inside = r.x >= 0
            && r.y >= 0
            && r.w > 0
            && r.h > 0
            && r.x + r.w <= i64::from(iw)
            && r.y + r.h <= i64::from(ih);
        if !inside {
            return Err(err(
                at,
                format!(
                    "spritesheet `{jp}`: frame {i} `{name}` (x {}, y {}, {}x{}) lies outside the image `{ip}` \
                     ({iw}x{ih})",
                    r.x, r.y, r.w, r.h
                ),
            ));
        }
        if *rotated {
            return Err(err(
                at,
                format!("spritesheet `{jp}`: frame {i} `{name}` is rotated, which is not supported"),
            ));
        }
        let duration_ms = match duration {
            None => {
                missing_durations += 1;
                100
            }
            Some(0) => {
                zero_durations += 1;
                1
            }
            Some(d) => *d,
        };
        let offset =
            sprite_source_size.map_or((0, 0), |s| (s.x.clamp(0, 65_535) as u32, s.y.clamp(0, 65_535) as u32));
        frames.push(SheetFrame {
            name: name.clone(),
            src: Rect::new(r.x as i32, r.y as i32, r.w as u32, r.h as u32),
            offset,
            duration_ms,
        });
    }
    if missing_durations > 0 {
        cx.warn(format!(
            "spritesheet `{jp}`: {missing_durations} frame(s) have no `duration`; using 100 ms (Aseprite's default)"
        ));
    }
    if zero_durations > 0 {
        cx.warn(format!("spritesheet `{jp}`: {zero_durations} frame(s) last 0 ms; using 1 ms"));
    }

    // The untrimmed cell: the largest source size (every frame of an Aseprite sprite shares one).
    let mut cell = (1u32, 1u32);
    for (f, (_, entry)) in frames.iter().zip(&sheet.frames.list) {
        let (w, h) = entry.source_size.map_or((f.src.width, f.src.height), |s| {
            (s.w.clamp(1, i64::from(MAX_DIMENSION)) as u32, s.h.clamp(1, i64::from(MAX_DIMENSION)) as u32)
        });
        cell = (cell.0.max(w).max(f.offset.0 + f.src.width), cell.1.max(h).max(f.offset.1 + f.src.height));
    }

    let tags = check_tags(&sheet.meta.frame_tags, &frames, cx, &jp.to_string());
    let (image, frames) = into_frame(img, frames, at, &jp.to_string())?;
    Ok(Loaded { image, frames, tags, cell })
}

/// Checks tags against the frame list: out-of-range tags are clamped (or unusable), stale tags
/// (frames named `"<tag> N"` outside the tag's range) are reported.
fn check_tags(
    tags: &[aseprite::Tag],
    frames: &[SheetFrame],
    cx: &mut BuildContext,
    jp: &str,
) -> Vec<TagRange> {
    let n = frames.len();
    let last = n as i64 - 1;
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        let name = &tag.name;
        let direction = match tag.direction.as_deref() {
            None | Some("forward") => Direction::Forward,
            Some("reverse") => Direction::Reverse,
            Some("pingpong") => Direction::PingPong,
            Some("pingpong_reverse") => Direction::PingPongReverse,
            Some(other) => {
                cx.warn(format!(
                    "spritesheet `{jp}`: tag `{name}` has unknown direction \"{other}\"; playing it forward"
                ));
                Direction::Forward
            }
        };
        let (from, to) = (tag.from, tag.to);
        let range = if from < 0 || from > to || from > last {
            cx.warn(format!(
                "spritesheet `{jp}`: tag `{name}` covers frames {from}..={to}, but the sheet has frames \
                 0..={last}; the tag cannot be played"
            ));
            None
        } else if to > last {
            cx.warn(format!(
                "spritesheet `{jp}`: tag `{name}` covers frames {from}..={to}, but the sheet has frames \
                 0..={last}; playing {from}..={last}"
            ));
            Some((from as usize, n - 1))
        } else {
            Some((from as usize, to as usize))
        };
        // Frames named after the tag (Aseprite's `{tag} {frame}` file name format) but outside it.
        let prefix = format!("{name} ");
        let named: Vec<usize> = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.name.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.is_empty() && rest.trim_end_matches(".png").bytes().all(|b| b.is_ascii_digit())
                })
            })
            .map(|(i, _)| i)
            .collect();
        let stale = range.filter(|&(a, b)| named.iter().any(|&i| i < a || i > b));
        if let (Some((a, b)), Some(&lo), Some(&hi)) = (stale, named.first(), named.last()) {
            let count = named.len();
            cx.warn(format!(
                "spritesheet `{jp}`: tag `{name}` covers frames {a}..={b} ({} frames), but {count} frames \
                 ({lo}..={hi}) are named `{name} N`; the tag looks stale. By default all {n} frames play; \
                 `tag = \"{name}\"` plays frames {a}..={b} as the tag says",
                b - a + 1
            ));
        }
        out.push(TagRange { name: name.clone(), range, written: (from, to), direction });
    }
    out
}

/// The image as a shared frame. A sheet wider or taller than [`MAX_DIMENSION`] is repacked: its
/// distinct frame rectangles are copied into a grid that fits.
fn into_frame(
    img: RgbaImage,
    mut frames: Vec<SheetFrame>,
    at: Option<Location>,
    jp: &str,
) -> Result<(Arc<Frame>, Vec<SheetFrame>), BuildError> {
    let (iw, ih) = img.dimensions();
    if let Ok(size) = Size::new(iw, ih) {
        let frame = Frame::from_rgba_bytes(size, img.as_raw()).expect("an RgbaImage has 4 bytes a pixel");
        return Ok((Arc::new(frame), frames));
    }
    let mut slots: BTreeMap<(i32, i32, u32, u32), usize> = BTreeMap::new();
    let mut unique = Vec::new();
    let key = |r: Rect| (r.x, r.y, r.width, r.height);
    for f in &frames {
        slots.entry(key(f.src)).or_insert_with(|| {
            unique.push(f.src);
            unique.len() - 1
        });
    }
    let cw = unique.iter().map(|r| r.width).max().unwrap_or(1);
    let ch = unique.iter().map(|r| r.height).max().unwrap_or(1);
    let cols = (MAX_DIMENSION / cw).max(1).min(unique.len() as u32);
    let rows = (unique.len() as u32).div_ceil(cols);
    let too_big = || {
        err(
            at,
            format!(
                "spritesheet `{jp}`: the image ({iw}x{ih}) is too large to repack into {MAX_DIMENSION} px"
            ),
        )
    };
    let size = Size::new(cols * cw, rows.checked_mul(ch).ok_or_else(too_big)?).map_err(|_| too_big())?;
    let mut atlas = Frame::new(size);
    let stride = size.width() as usize;
    let px = atlas.pixels_mut();
    let mut placed = Vec::with_capacity(unique.len());
    for (k, r) in unique.iter().enumerate() {
        let (ax, ay) = ((k as u32 % cols) * cw, (k as u32 / cols) * ch);
        for row in 0..r.height {
            for col in 0..r.width {
                let p = img.get_pixel(r.x as u32 + col, r.y as u32 + row).0;
                px[(ay + row) as usize * stride + (ax + col) as usize] = Rgba::new(p[0], p[1], p[2], p[3]);
            }
        }
        placed.push(Rect::new(ax as i32, ay as i32, r.width, r.height));
    }
    for f in &mut frames {
        f.src = placed[slots[&key(f.src)]];
    }
    Ok((Arc::new(atlas), frames))
}

/// The frame indices a tag plays, in order.
fn tag_order(from: usize, to: usize, direction: Direction) -> Vec<usize> {
    let forward: Vec<usize> = (from..=to).collect();
    let backward: Vec<usize> = forward.iter().rev().copied().collect();
    let inner = |v: &[usize]| -> Vec<usize> {
        if v.len() > 2 { v[1..v.len() - 1].iter().rev().copied().collect() } else { Vec::new() }
    };
    match direction {
        Direction::Forward => forward,
        Direction::Reverse => backward,
        Direction::PingPong => [forward.clone(), inner(&forward)].concat(),
        Direction::PingPongReverse => [backward.clone(), inner(&backward)].concat(),
    }
}

fn steps(order: &[usize], frames: &[SheetFrame]) -> Vec<Step> {
    let mut end = 0u64;
    order
        .iter()
        .map(|&i| {
            end = end.saturating_add(frames[i].duration_ms);
            Step { frame: i as u32, end_ms: end }
        })
        .collect()
}

/// The steps of the tag `name` (a parameter `key` written at `at`).
fn tag_steps(
    loaded: &Loaded,
    key: &str,
    name: &str,
    at: Option<Location>,
    jp: &str,
) -> Result<Vec<Step>, BuildError> {
    let Some(tag) = loaded.tags.iter().find(|t| t.name == name) else {
        let names: Vec<&str> = loaded.tags.iter().map(|t| t.name.as_str()).collect();
        let known = if names.is_empty() {
            "it has no tags".to_string()
        } else {
            format!("its tags: {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
        };
        return Err(err(
            at,
            format!(
                "`spritesheet.{key}`: no tag `{name}` in `{jp}`{}; {known}",
                did_you_mean(name, names.iter().copied())
            ),
        ));
    };
    let Some((from, to)) = tag.range else {
        return Err(err(
            at,
            format!(
                "`spritesheet.{key}`: tag `{name}` in `{jp}` covers frames {}..={}, outside the sheet's {} frames",
                tag.written.0,
                tag.written.1,
                loaded.frames.len()
            ),
        ));
    };
    Ok(steps(&tag_order(from, to, tag.direction), &loaded.frames))
}

fn build(params: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let path = params.path("path", &cx.base_dir)?;
    let path_at = params.location_of("path");
    let tag = params.opt_string("tag")?;
    let tag_at = params.location_of("tag");
    let start = params.opt_string("start")?;
    let start_at = params.location_of("start");
    let looped = params.opt_string("loop")?;
    let loop_at = params.location_of("loop");
    let end = params.opt_string("end")?;
    let end_at = params.location_of("end");
    let repeat = params.u32_in("repeat", 0, 0..=1_000_000)?;
    let scale = read_scale(params)?;
    let anchor = params.choice("anchor", "center", ANCHORS)?;
    let dx = params.int_in("x", 0, -16_384..=16_384)?;
    let dy = params.int_in("y", 0, -16_384..=16_384)?;
    let speed = params.float_in("speed", 1.0, 0.0..=100.0)?;
    let background = opt_color(params, "background")?;

    let (loop_key, loop_tag, loop_at) = match (tag, looped) {
        (Some(_), Some(_)) => {
            return Err(err(
                tag_at,
                "`spritesheet`: give either `tag` or `loop` (they mean the same)".into(),
            ));
        }
        (Some(t), None) => ("tag", Some(t), tag_at),
        (None, l) => ("loop", l, loop_at),
    };

    let loaded = load(&path, path_at, cx)?;
    let jp = path.display().to_string();
    let n = loaded.frames.len();
    let looped = match &loop_tag {
        Some(name) => tag_steps(&loaded, loop_key, name, loop_at, &jp)?,
        None => steps(&(0..n).collect::<Vec<_>>(), &loaded.frames),
    };
    let start = match &start {
        Some(name) => tag_steps(&loaded, "start", name, start_at, &jp)?,
        None => Vec::new(),
    };
    let end = match &end {
        Some(name) => {
            if repeat == 0 {
                cx.warn(format!(
                    "spritesheet `{jp}`: the `end` tag `{name}` never plays because `repeat` is 0 (loop forever)"
                ));
            }
            tag_steps(&loaded, "end", name, end_at, &jp)?
        }
        None => Vec::new(),
    };

    // Geometry: the untrimmed cell scaled, anchored, offset; each frame at its place in the cell.
    let size = cx.size;
    let (cw, ch) = loaded.cell;
    let (dw, dh) = match scale {
        Scale::Whole(s) => (cw * s, ch * s),
        Scale::Fit => {
            let s = (size.width() / cw).min(size.height() / ch);
            if s >= 1 {
                (cw * s, ch * s)
            } else if u64::from(cw) * u64::from(size.height()) > u64::from(ch) * u64::from(size.width()) {
                let h = (u64::from(ch) * u64::from(size.width()) / u64::from(cw)).max(1);
                (size.width(), h as u32)
            } else {
                let w = (u64::from(cw) * u64::from(size.height()) / u64::from(ch)).max(1);
                (w as u32, size.height())
            }
        }
    };
    let (ax, ay) = anchored(&anchor, size.width(), size.height(), dw, dh);
    let (ax, ay) = (ax + dx, ay + dy);
    let map = |v: u32, d: u32, c: u32| i64::from(v) * i64::from(d) / i64::from(c);
    let sprites = loaded
        .frames
        .iter()
        .map(|f| {
            let x0 = map(f.offset.0, dw, cw);
            let y0 = map(f.offset.1, dh, ch);
            let x1 = map(f.offset.0 + f.src.width, dw, cw);
            let y1 = map(f.offset.1 + f.src.height, dh, ch);
            let to_i32 = |v: i64| v.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
            Sprite {
                src: f.src,
                dst: Rect::new(to_i32(ax + x0), to_i32(ay + y0), (x1 - x0) as u32, (y1 - y0) as u32),
            }
        })
        .collect();

    Ok(Arc::new(Spritesheet {
        sheet: loaded.image,
        sprites,
        phases: Phases { start, looped, end, repeat },
        speed_micros: micros_of(speed),
        background,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(frames: &[(u32, u64)]) -> Vec<Step> {
        frames.iter().map(|&(frame, end_ms)| Step { frame, end_ms }).collect()
    }

    #[test]
    fn orders() {
        assert_eq!(tag_order(1, 4, Direction::Forward), [1, 2, 3, 4]);
        assert_eq!(tag_order(1, 4, Direction::Reverse), [4, 3, 2, 1]);
        assert_eq!(tag_order(1, 4, Direction::PingPong), [1, 2, 3, 4, 3, 2]);
        assert_eq!(tag_order(1, 4, Direction::PingPongReverse), [4, 3, 2, 1, 2, 3]);
        assert_eq!(tag_order(2, 3, Direction::PingPong), [2, 3]);
        assert_eq!(tag_order(2, 2, Direction::PingPong), [2]);
    }

    #[test]
    fn phases() {
        let p =
            Phases { start: st(&[(0, 10)]), looped: st(&[(1, 10), (2, 30)]), end: st(&[(3, 5)]), repeat: 2 };
        let seq: Vec<u32> =
            [0, 9, 10, 19, 20, 39, 40, 49, 50, 69, 70, 74, 75, 1000].map(|t| p.frame_at(t)).to_vec();
        assert_eq!(seq, [0, 0, 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3]);
        let forever = Phases { repeat: 0, ..p };
        assert_eq!(forever.frame_at(10 + 30 * 1000 + 5), 1);
        assert_eq!(forever.frame_at(10 + 30 * 1000 + 15), 2);
    }
}
