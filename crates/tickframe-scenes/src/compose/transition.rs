//! Transitions: pure functions of (progress, seed, parameters) that mix two frames into one.
//!
//! Every transition gives exactly the `from` frame at progress 0 and exactly the `to` frame at
//! progress 1. In a [`crate::compose::Playlist`] neither end is ever shown (progress runs over
//! `(k + 1) / (n + 1)` for the `k`-th of `n` transition ticks), so no frame is a duplicate.

use tickframe_core::{FrameRef, Rgba, Rng};

use super::easing::Easing;

/// The direction a wipe's edge, a slide's frames or a block-flip wave move in.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Direction {
    /// Right to left: the new frame comes in from the right edge (the default).
    #[default]
    Left,
    /// Left to right: the new frame comes in from the left edge.
    Right,
    /// Bottom to top: the new frame comes in from the bottom edge.
    Up,
    /// Top to bottom: the new frame comes in from the top edge.
    Down,
    /// Towards the top-left corner: the new frame comes in from the bottom-right corner
    /// (`wipe` and `block-flip` only).
    UpLeft,
    /// Towards the top-right corner: the new frame comes in from the bottom-left corner
    /// (`wipe` and `block-flip` only).
    UpRight,
    /// Towards the bottom-left corner: the new frame comes in from the top-right corner
    /// (`wipe` and `block-flip` only).
    DownLeft,
    /// Towards the bottom-right corner: the new frame comes in from the top-left corner
    /// (`wipe` and `block-flip` only).
    DownRight,
}

impl Direction {
    /// Every direction, in documentation order: the four edges, then the four diagonals.
    pub const ALL: [Direction; 8] = [
        Direction::Left,
        Direction::Right,
        Direction::Up,
        Direction::Down,
        Direction::UpLeft,
        Direction::UpRight,
        Direction::DownLeft,
        Direction::DownRight,
    ];

    /// The four edge directions (what `slide` accepts).
    pub const EDGES: [Direction; 4] = [Direction::Left, Direction::Right, Direction::Up, Direction::Down];

    /// The name used in scene files: `left`, `right`, `up`, `down`, `up-left`, `up-right`,
    /// `down-left`, `down-right`.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::Left => "left",
            Direction::Right => "right",
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::UpLeft => "up-left",
            Direction::UpRight => "up-right",
            Direction::DownLeft => "down-left",
            Direction::DownRight => "down-right",
        }
    }

    /// The direction with this scene-file name.
    pub fn from_name(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether this is one of the four edge directions (not a diagonal).
    pub const fn is_edge(self) -> bool {
        matches!(self, Direction::Left | Direction::Right | Direction::Up | Direction::Down)
    }

    /// `(sx, sy)`: the sign of the movement along x and y (-1, 0 or 1; y grows downwards).
    const fn steps(self) -> (i64, i64) {
        match self {
            Direction::Left => (-1, 0),
            Direction::Right => (1, 0),
            Direction::Up => (0, -1),
            Direction::Down => (0, 1),
            Direction::UpLeft => (-1, -1),
            Direction::UpRight => (1, -1),
            Direction::DownLeft => (-1, 1),
            Direction::DownRight => (1, 1),
        }
    }
}

/// What a transition does with its two frames.
///
/// Twelve kinds; each is a pure function of (progress, seed, parameters), gives exactly the
/// `from` frame at progress 0 and exactly the `to` frame at progress 1, and allocates nothing
/// (tables it needs are small arrays on the stack, rebuilt per frame).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TransitionKind {
    /// Mixes the two frames channel by channel (alpha `round(progress · 255)`).
    Crossfade,
    /// A hard edge moving in `Direction`: pixels it has passed show the new frame. The diagonal
    /// directions sweep a straight edge from one corner to the opposite one.
    Wipe(Direction),
    /// The new frame pushes the old one out, both moving in `Direction` (edges only).
    Slide(Direction),
    /// Pixels (or `block × block` squares) switch to the new frame one by one in a seeded
    /// random order: a block switches once progress exceeds its random threshold. Also called
    /// `diffuse` in scene files.
    Dissolve {
        /// Side of the squares that switch together, in pixels (1 = per pixel).
        block: u32,
    },
    /// Venetian blinds: the display is cut into `count` slats that all open at once, each from
    /// its top (horizontal slats) or left (vertical slats) edge.
    Blinds {
        /// Vertical slats (bands of columns) instead of horizontal ones (default false).
        vertical: bool,
        /// How many slats, 1..=256 (default 10).
        count: u32,
    },
    /// A grid of tiles flipping over (squeezed to a line and opened again, showing the new
    /// frame), in a wave moving in `direction`; uncovered pixels are black.
    BlockFlip {
        /// Tiles across, 1..=256 (default 12); rows are chosen to keep tiles near square.
        tiles: u32,
        /// Where the wave moves (default `down-right`: it starts at the top-left).
        direction: Direction,
    },
    /// The new frame spreads from the centre in a circle whose rim ripples: inside a band behind
    /// the front the new frame is displaced radially by a decaying sine wave.
    Ripple {
        /// Waves in the rippling band, 1..=16 (default 3).
        rings: u32,
    },
    /// Warp dissolve: the old frame swirls (more towards the centre) while it fades into the new
    /// frame, which unswirls into place.
    Warp {
        /// The largest swirl angle, at the centre, in degrees, 0..=1440 (default 270).
        angle: u32,
    },
    /// Zoom: zooming in, the old frame grows (×1 → ×2) and fades while the new one grows from
    /// ×0.5 to ×1; zooming out, the old frame shrinks (×1 → ×0.5) while the new one shrinks from
    /// ×2 to ×1. Nearest-neighbour sampling about the centre; uncovered pixels are black.
    Zoom {
        /// Zoom out instead of in (default false).
        out: bool,
    },
    /// Iris: a hard-edged circle centred on the display, opening on the new frame, or closing on
    /// the old one.
    Iris {
        /// Close on the old frame instead of opening on the new one (default false).
        close: bool,
    },
    /// Pixelate-through: both frames are cut into blocks growing to `block` pixels at the
    /// middle, then shrinking again, while they crossfade.
    Pixelate {
        /// The largest block side, in pixels, 2..=256 (default 32).
        block: u32,
    },
    /// Burn: the new frame eats through the old one from the bottom up along a seeded noisy
    /// edge, with a glowing rim of `color`.
    Burn {
        /// The glow colour at the rim (default `#ff6000`).
        color: Rgba,
    },
}

/// The random stream dissolve thresholds are drawn from.
const DISSOLVE_STREAM: u64 = 0x6469_7373_6f6c_7665; // "dissolve"
/// The random stream of the burn noise lattice.
const BURN_STREAM: u64 = 0x6275_726e_6e6f_6973; // "burnnois"

impl TransitionKind {
    /// The kind names used in scene files (`diffuse` is also accepted for `dissolve`).
    pub const NAMES: [&'static str; 12] = [
        "crossfade",
        "wipe",
        "slide",
        "dissolve",
        "blinds",
        "block-flip",
        "ripple",
        "warp",
        "zoom",
        "iris",
        "pixelate",
        "burn",
    ];

    /// The scene-file name of this kind (one of [`TransitionKind::NAMES`]).
    pub const fn name(&self) -> &'static str {
        match self {
            TransitionKind::Crossfade => "crossfade",
            TransitionKind::Wipe(_) => "wipe",
            TransitionKind::Slide(_) => "slide",
            TransitionKind::Dissolve { .. } => "dissolve",
            TransitionKind::Blinds { .. } => "blinds",
            TransitionKind::BlockFlip { .. } => "block-flip",
            TransitionKind::Ripple { .. } => "ripple",
            TransitionKind::Warp { .. } => "warp",
            TransitionKind::Zoom { .. } => "zoom",
            TransitionKind::Iris { .. } => "iris",
            TransitionKind::Pixelate { .. } => "pixelate",
            TransitionKind::Burn { .. } => "burn",
        }
    }

    /// The kind called `name` (a [`TransitionKind::NAMES`] entry, or `diffuse`) with its default
    /// parameters: `left` for wipe and slide, block 1 for dissolve, 10 horizontal blinds,
    /// 12 tiles flipping towards `down-right`, 3 rings, 270°, zoom in, iris open, 32 px blocks,
    /// an orange burn.
    pub fn from_name(name: &str) -> Option<TransitionKind> {
        Some(match name {
            "crossfade" => TransitionKind::Crossfade,
            "wipe" => TransitionKind::Wipe(Direction::Left),
            "slide" => TransitionKind::Slide(Direction::Left),
            "dissolve" | "diffuse" => TransitionKind::Dissolve { block: 1 },
            "blinds" => TransitionKind::Blinds { vertical: false, count: 10 },
            "block-flip" => TransitionKind::BlockFlip { tiles: 12, direction: Direction::DownRight },
            "ripple" => TransitionKind::Ripple { rings: 3 },
            "warp" => TransitionKind::Warp { angle: 270 },
            "zoom" => TransitionKind::Zoom { out: false },
            "iris" => TransitionKind::Iris { close: false },
            "pixelate" => TransitionKind::Pixelate { block: 32 },
            "burn" => TransitionKind::Burn { color: Rgba::rgb(255, 96, 0) },
            _ => return None,
        })
    }

    /// Mixes `from` and `to` at `progress` (already eased; clamped to `[0, 1]`, NaN as 0) into
    /// `out`. Progress 0 copies `from` and progress 1 copies `to`, exactly.
    ///
    /// # Determinism
    /// A pure function of its arguments; `seed` only matters for [`TransitionKind::Dissolve`] and
    /// [`TransitionKind::Burn`]. Floats are used only through IEEE-754 operations (+ − × ÷ √) and
    /// `libm`, so every machine gives the same bytes.
    ///
    /// # Panics
    /// When the frames differ in size or `out` does not hold exactly one frame of pixels.
    pub fn apply(&self, progress: f64, seed: u64, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
        assert_eq!(from.size(), to.size(), "transition: frame sizes differ");
        assert_eq!(out.len(), from.pixels().len(), "transition: output size differs");
        let p = if progress.is_nan() { 0.0 } else { progress.clamp(0.0, 1.0) };
        if p == 0.0 {
            out.copy_from_slice(from.pixels());
            return;
        }
        if p == 1.0 {
            out.copy_from_slice(to.pixels());
            return;
        }
        let (w, h) = (from.width() as usize, from.height() as usize);
        // How many columns / rows the moving edge has passed.
        let passed = |len: usize| ((p * len as f64).round() as usize).min(len);
        match *self {
            TransitionKind::Crossfade => {
                let t = (p * 255.0).round() as u8;
                crossfade_fast(out, from.pixels(), to.pixels(), t);
            }
            TransitionKind::Wipe(dir) if !dir.is_edge() => wipe_diagonal(p, dir, from, to, out),
            TransitionKind::Wipe(dir) => {
                for y in 0..h {
                    let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
                    let split = match dir {
                        // Columns at and after `split` show the new frame.
                        Direction::Left => w - passed(w),
                        Direction::Up => {
                            o.copy_from_slice(if y >= h - passed(h) { b } else { a });
                            continue;
                        }
                        Direction::Down => {
                            o.copy_from_slice(if y < passed(h) { b } else { a });
                            continue;
                        }
                        // Columns before `split` show the new frame.
                        _ => passed(w),
                    };
                    if dir == Direction::Left {
                        o[..split].copy_from_slice(&a[..split]);
                        o[split..].copy_from_slice(&b[split..]);
                    } else {
                        o[..split].copy_from_slice(&b[..split]);
                        o[split..].copy_from_slice(&a[split..]);
                    }
                }
            }
            TransitionKind::Slide(dir) => match dir {
                Direction::Left | Direction::Right => {
                    let s = passed(w);
                    for y in 0..h {
                        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
                        if dir == Direction::Left {
                            // Old frame shifted left by s; new frame's first s columns at the right.
                            o[..w - s].copy_from_slice(&a[s..]);
                            o[w - s..].copy_from_slice(&b[..s]);
                        } else {
                            o[..s].copy_from_slice(&b[w - s..]);
                            o[s..].copy_from_slice(&a[..w - s]);
                        }
                    }
                }
                // Up, and the diagonals (which the scene-file loader rejects) as up / down.
                Direction::Up | Direction::UpLeft | Direction::UpRight => {
                    slide_vertical(true, passed(h), from, to, out)
                }
                _ => slide_vertical(false, passed(h), from, to, out),
            },
            TransitionKind::Dissolve { block } => dissolve(p, block, seed, from, to, out),
            TransitionKind::Blinds { vertical, count } => blinds(p, vertical, count, from, to, out),
            TransitionKind::BlockFlip { tiles, direction } => block_flip(p, tiles, direction, from, to, out),
            TransitionKind::Ripple { rings } => ripple(p, rings, from, to, out),
            TransitionKind::Warp { angle } => warp(p, angle, from, to, out),
            TransitionKind::Zoom { out: zoom_out } => zoom(p, zoom_out, from, to, out),
            TransitionKind::Iris { close } => iris(p, close, from, to, out),
            TransitionKind::Pixelate { block } => pixelate(p, block, from, to, out),
            TransitionKind::Burn { color } => burn(p, seed, color, from, to, out),
        }
    }
}

/// [`tickframe_core::crossfade`] at about memory speed: `out = a·(255−t)/255 + b·t/255` per
/// channel, each product rounded, in 16-bit lanes so the compiler vectorises it. Integer maths
/// only, so the AVX2 build of the same loop (picked at run time where the CPU has it) gives the
/// very same bytes as the portable one (tested).
fn crossfade_fast(out: &mut [Rgba], a: &[Rgba], b: &[Rgba], t: u8) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: the CPU has AVX2 (checked just above), the only requirement of the call.
        unsafe {
            crossfade_avx2(out, a, b, t);
        }
        return;
    }
    crossfade_bytes(out, a, b, t);
}

/// [`crossfade_bytes`] compiled for AVX2 (twice the lanes of the baseline x86-64 build).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn crossfade_avx2(out: &mut [Rgba], a: &[Rgba], b: &[Rgba], t: u8) {
    crossfade_bytes(out, a, b, t);
}

#[inline(always)]
fn crossfade_bytes(out: &mut [Rgba], a: &[Rgba], b: &[Rgba], t: u8) {
    let (t, inv) = (u16::from(t), 255 - u16::from(t));
    #[inline(always)]
    fn m(x: u16, y: u16) -> u16 {
        // x·y ≤ 65025, + 128 and + (·>>8) stay below 65536.
        let v = x * y + 128;
        (v + (v >> 8)) >> 8
    }
    // Byte by byte (the four channels use the same formula), so it vectorises.
    let out: &mut [u8] = bytemuck::cast_slice_mut(out);
    let (a, b): (&[u8], &[u8]) = (bytemuck::cast_slice(a), bytemuck::cast_slice(b));
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = (m(u16::from(*x), inv) + m(u16::from(*y), t)) as u8;
    }
}

fn slide_vertical(up: bool, s: usize, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    for y in 0..h {
        let src = if up {
            if y < h - s { from.row((y + s) as u32) } else { to.row((y - (h - s)) as u32) }
        } else if y < s {
            to.row((y + h - s) as u32)
        } else {
            from.row((y - s) as u32)
        };
        out[y * w..(y + 1) * w].copy_from_slice(src);
    }
}

/// A straight edge from one corner to the opposite one. With `u = x·h` or `(w−1−x)·h` and
/// `v = y·w` or `(h−1−y)·w` (so the new frame's corner is at u = v = 0), a pixel shows the new
/// frame when `u + v < round(p · (w·h + w·h))`: each row is one split.
fn wipe_diagonal(p: f64, dir: Direction, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let (sx, sy) = dir.steps();
    let total = 2 * w as u64 * h as u64;
    let limit = ((p * total as f64).round() as u64).min(total);
    for y in 0..h {
        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
        // Moving down means the new frame starts at the top.
        let vy = if sy > 0 { y } else { h - 1 - y } as u64 * w as u64;
        // Columns (counted from the new frame's side) with u + v < limit: u < limit − v.
        let n = if limit > vy { (limit - vy).div_ceil(h as u64).min(w as u64) as usize } else { 0 };
        if sx > 0 {
            o[..n].copy_from_slice(&b[..n]);
            o[n..].copy_from_slice(&a[n..]);
        } else {
            o[..w - n].copy_from_slice(&a[..w - n]);
            o[w - n..].copy_from_slice(&b[w - n..]);
        }
    }
}

fn blinds(p: f64, vertical: bool, count: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let count = count.max(1) as usize;
    let len = if vertical { w } else { h };
    // Slat i covers [i·len/count, (i+1)·len/count); its first round(p·size) lines are open.
    let open = |i: usize| {
        let (s0, s1) = (i * len / count, (i + 1) * len / count);
        (s0, s0 + ((p * (s1 - s0) as f64).round() as usize).min(s1 - s0))
    };
    match vertical {
        false => {
            // Every slat, including the empty ones when there are more slats than lines, so
            // the slats together cover all `len` lines.
            for i in 0..count {
                let (s0, e) = open(i);
                let s1 = (i + 1) * len / count;
                for y in s0..s1 {
                    let src = if y < e { to.row(y as u32) } else { from.row(y as u32) };
                    out[y * w..(y + 1) * w].copy_from_slice(src);
                }
            }
        }
        true => {
            for y in 0..h {
                let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
                for i in 0..count {
                    let (s0, e) = open(i);
                    let s1 = (i + 1) * len / count;
                    o[s0..e].copy_from_slice(&b[s0..e]);
                    o[e..s1].copy_from_slice(&a[e..s1]);
                }
            }
        }
    }
}

fn block_flip(
    p: f64,
    tiles: u32,
    direction: Direction,
    from: FrameRef<'_>,
    to: FrameRef<'_>,
    out: &mut [Rgba],
) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let cols = (tiles.max(1) as usize).min(w);
    let rows = (((cols * h) as f64 / w as f64).round() as usize).clamp(1, h);
    let (sx, sy) = direction.steps();
    // Each tile starts its flip at `delay · SPREAD` and takes `1 − SPREAD` of the progress.
    const SPREAD: f64 = 0.5;
    let span = (if sx != 0 { cols - 1 } else { 0 }) + (if sy != 0 { rows - 1 } else { 0 });
    for j in 0..rows {
        let (y0, y1) = (j * h / rows, (j + 1) * h / rows);
        for i in 0..cols {
            let (x0, x1) = (i * w / cols, (i + 1) * w / cols);
            let tw = x1 - x0;
            let ix = match sx {
                1 => i,
                -1 => cols - 1 - i,
                _ => 0,
            };
            let jy = match sy {
                1 => j,
                -1 => rows - 1 - j,
                _ => 0,
            };
            let delay = if span == 0 { 0.0 } else { (ix + jy) as f64 / span as f64 };
            let q = ((p - delay * SPREAD) / (1.0 - SPREAD)).clamp(0.0, 1.0);
            // The tile's visible width: |cos(π q)|, showing the old face until half-way.
            let scale = libm::fabs(libm::cos(q * core::f64::consts::PI));
            let face = if q < 0.5 { from } else { to };
            let vw = ((tw as f64 * scale).round() as usize).min(tw);
            let vx0 = x0 + (tw - vw) / 2;
            for y in y0..y1 {
                let src = face.row(y as u32);
                let o = &mut out[y * w + x0..y * w + x1];
                if vw == tw {
                    o.copy_from_slice(&src[x0..x1]);
                    continue;
                }
                o.fill(Rgba::BLACK);
                for k in 0..vw {
                    // Nearest source column of the squeezed tile.
                    let s = x0 + ((2 * k + 1) * tw / (2 * vw)).min(tw - 1);
                    o[vx0 - x0 + k] = src[s];
                }
            }
        }
    }
}

/// Distance from the centre to a corner, and the centre, in pixels (pixel centres at +0.5).
fn centre(w: usize, h: usize) -> (f32, f32, f32) {
    let (cx, cy) = (w as f32 * 0.5, h as f32 * 0.5);
    (cx, cy, (cx * cx + cy * cy).sqrt())
}

fn dissolve(p: f64, block: u32, seed: u64, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let block = block.max(1) as usize;
    let across = w.div_ceil(block);
    let rng = Rng::new(seed, 0, DISSOLVE_STREAM);
    // A block shows the new frame when its 53-bit threshold is below p · 2^53.
    let limit = (p * (1u64 << 53) as f64) as u64;
    if block == 1 {
        // Pixel i (row-major) uses output i of the generator: its own sequence from the start,
        // drawn in bulk (`Rng::fill_u64` gives exactly `rng.at(i)`), then selected branch-free.
        const CHUNK: usize = 512;
        let mut draws = [0u64; CHUNK];
        let mut seq = rng;
        let (ap, bp) = (from.pixels(), to.pixels());
        for ((o, a), b) in out.chunks_mut(CHUNK).zip(ap.chunks(CHUNK)).zip(bp.chunks(CHUNK)) {
            let r = &mut draws[..o.len()];
            seq.fill_u64(r);
            for (((o, a), b), r) in o.iter_mut().zip(a).zip(b).zip(r.iter()) {
                *o = if (*r >> 11) < limit { *b } else { *a };
            }
        }
        return;
    }
    for y in 0..h {
        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
        let row_base = (y / block * across) as u64;
        for bx in 0..across {
            let switched = (rng.at(row_base + bx as u64) >> 11) < limit;
            let (x0, x1) = (bx * block, ((bx + 1) * block).min(w));
            o[x0..x1].copy_from_slice(if switched { &b[x0..x1] } else { &a[x0..x1] });
        }
    }
}

/// The columns `[lo, hi)` of a row whose pixel centres have `dx² + dy² < limit` (f32, computed
/// exactly as the per-pixel tests do). `dx = x + 0.5 − cx` is exact and the rounded sum only
/// grows with `|dx|`, so the set is an interval around column `w / 2`; it is found by bisection
/// with the very same test. Empty sets are `(w / 2, w / 2)`.
fn disc_span(w: usize, cx: f32, dy: f32, limit: f32) -> (usize, usize) {
    let inside = |x: usize| {
        let dx = x as f32 + 0.5 - cx;
        dx * dx + dy * dy < limit
    };
    let xm = w / 2;
    if w == 0 || !inside(xm) {
        return (xm, xm);
    }
    // First inside column in [0, xm] (inside(xm) holds).
    let (mut lo, mut hi) = (0, xm);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if inside(mid) { hi = mid } else { lo = mid + 1 }
    }
    let first = lo;
    // Last inside column in [xm, w).
    let (mut lo, mut hi) = (xm, w - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if inside(mid) { lo = mid } else { hi = mid - 1 }
    }
    (first, lo + 1)
}

fn ripple(p: f64, rings: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    const TABLE: usize = 256;
    let (w, h) = (from.width() as usize, from.height() as usize);
    let (cx, cy, maxr) = centre(w, h);
    let band = maxr * 0.25;
    let front = p as f32 * (maxr + band);
    let inner = front - band;
    let amp = (w.min(h) as f32 / 24.0) * (1.0 - p as f32);
    // The wave across the band, one table per frame: amp · sin(2π · rings · s), s in [0, 1).
    let mut wave = [0f32; TABLE];
    for (k, v) in wave.iter_mut().enumerate() {
        let s = k as f64 / TABLE as f64;
        *v = amp * libm::sin(2.0 * core::f64::consts::PI * f64::from(rings.max(1)) * s) as f32;
    }
    let (front2, inner2) = (front * front, if inner > 0.0 { inner * inner } else { -1.0 });
    let bp = to.pixels();
    // A pixel of the rippling band: the new frame, displaced radially.
    let rippled = |x: usize, dy: f32, fallback: Rgba| {
        let dx = x as f32 + 0.5 - cx;
        let d2 = dx * dx + dy * dy;
        let d = d2.sqrt();
        let s = ((front - d) / band * TABLE as f32) as usize;
        let off = wave[s.min(TABLE - 1)];
        // Displace the sample radially by `off` pixels.
        let k = if d > 0.0 { (d + off) / d } else { 1.0 };
        let (qx, qy) = (cx + dx * k, cy + dy * k);
        let (ix, iy) = (qx as i64, qy as i64);
        if qx >= 0.0 && qy >= 0.0 && (ix as usize) < w && (iy as usize) < h {
            bp[iy as usize * w + ix as usize]
        } else {
            fallback
        }
    };
    for y in 0..h {
        let dy = y as f32 + 0.5 - cy;
        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
        // Outside the front: the old frame; inside the inner edge: the new one; between: the
        // band. The inner disc lies inside the front's (inner² ≤ front²).
        let (f0, f1) = disc_span(w, cx, dy, front2);
        let (i0, i1) = if inner2 > 0.0 { disc_span(w, cx, dy, inner2) } else { (f0, f0) };
        let (i0, i1) = if i0 == i1 { (f0, f0) } else { (i0, i1) };
        o[..f0].copy_from_slice(&a[..f0]);
        for x in f0..i0 {
            o[x] = rippled(x, dy, b[x]);
        }
        o[i0..i1].copy_from_slice(&b[i0..i1]);
        for x in i1.max(f0)..f1 {
            o[x] = rippled(x, dy, b[x]);
        }
        o[f1..].copy_from_slice(&a[f1..]);
    }
}

/// Per-frame constants of a warp: the centre, the radius-bucket scale and the rotation tables.
struct WarpTables {
    w: usize,
    cx: f32,
    cy: f32,
    wf: f32,
    hf: f32,
    scale: f32,
    cos_a: [f32; WARP_TABLE],
    sin_a: [f32; WARP_TABLE],
    cos_b: [f32; WARP_TABLE],
    sin_b: [f32; WARP_TABLE],
}

const WARP_TABLE: usize = 512;

/// `trunc(v)` for `0 ≤ v < 2^23` (anything for other `v`), in plain IEEE-754 operations that
/// vectorise on every x86-64 (unlike `as`, which saturates and maps NaN to 0): `(v + 2^23) − 2^23`
/// is `v` rounded to the nearest integer (exact in this range), one less if that rounded up, and
/// the integer's bits are the low mantissa bits of `t + 2^23`.
#[inline(always)]
fn small_trunc(v: f32) -> u32 {
    const M: f32 = 8_388_608.0;
    let r = (v + M) - M;
    let t = if r > v { r - 1.0 } else { r };
    (t + M).to_bits() & 0x7f_ffff
}

/// Scratch rows of one warp tile row (at most `WARP_TW` pixels).
struct WarpScratch {
    k: [u32; WARP_TW],
    /// `cos_a, sin_a, cos_b, sin_b` of each pixel's bucket, one array each (so the rotations
    /// vectorise).
    rot: [[f32; WARP_TW]; 4],
    /// The rotation's products of each pixel, for the old frame then the new one:
    /// `dx·cos, dy·sin, dx·sin, dy·cos`. The three mirror images of the pixel about the centre
    /// have the same products up to sign (negation is exact), so they are computed once.
    prod: [[f32; WARP_TW]; 8],
    ia: [u32; WARP_TW],
    ib: [u32; WARP_TW],
    ca: [Rgba; WARP_TW],
    cb: [Rgba; WARP_TW],
}

const WARP_TW: usize = 256;

/// The rotation products ([`WarpScratch::prod`]) of pixels `x0..x0 + n` of the row at `dy`:
/// exactly the arithmetic of the per-pixel definition (IEEE-754 `+ − × √` in the same order), in
/// passes that vectorise (radius buckets, rotations) and a pass of plain loads (the table
/// look-ups; vector gathers are slow on many CPUs).
#[inline(always)]
fn warp_products(t: &WarpTables, x0: usize, dy: f32, sc: &mut WarpScratch, n: usize) {
    let cx = t.cx;
    // The radius bucket `min(trunc(r · scale), TABLE − 1)`, clamped before truncating (the same
    // for r · scale ≥ 0); the mask changes nothing but shows the look-ups are in bounds.
    for (i, k) in sc.k[..n].iter_mut().enumerate() {
        let dx = (x0 + i) as f32 + 0.5 - cx;
        let v = ((dx * dx + dy * dy).sqrt() * t.scale).min((WARP_TABLE - 1) as f32);
        *k = small_trunc(v) & (WARP_TABLE as u32 - 1);
    }
    warp_lookup(t, &sc.k[..n], &mut sc.rot);
    let [ca, sa, cb, sb] = &sc.rot;
    let (ca, sa, cb, sb) = (&ca[..n], &sa[..n], &cb[..n], &sb[..n]);
    let [p0, p1, p2, p3, p4, p5, p6, p7] = &mut sc.prod;
    for i in 0..n {
        let dx = (x0 + i) as f32 + 0.5 - cx;
        (p0[i], p1[i], p2[i], p3[i]) = (dx * ca[i], dy * sa[i], dx * sa[i], dy * ca[i]);
        (p4[i], p5[i], p6[i], p7[i]) = (dx * cb[i], dy * sb[i], dx * sb[i], dy * cb[i]);
    }
}

/// Source indices (or `u32::MAX` for black) in both frames of the first `n` pixels whose
/// products are in `sc.prod`, mirrored left-right when `MX` (the pixel at `−dx`) and top-bottom
/// when `MY` (at `−dy`). The definition's `qx = cx + dx·cos − dy·sin`, `qy = cy + dx·sin +
/// dy·cos`, left to right: with `dx` negated, `dx·cos` is exactly `−(dx·cos)`, and so on, so
/// these are the bytes of the per-pixel definition at the mirrored pixel.
#[inline(always)]
fn warp_mirror_indices<const MX: bool, const MY: bool>(t: &WarpTables, sc: &mut WarpScratch, n: usize) {
    // `qx >= 0 && qy >= 0 && (qx as usize) < w && (qy as usize) < h`: w and h are integers
    // below 2^24 (exact in f32), so `trunc(q) < w` is `q < w`, and NaN fails `q >= 0`.
    let (cx, cy, w, wf, hf) = (t.cx, t.cy, t.w as u32, t.wf, t.hf);
    let index = |a: f32, b: f32, c: f32, d: f32| -> u32 {
        let (a, c) = if MX { (-a, -c) } else { (a, c) };
        let (b, d) = if MY { (-b, -d) } else { (b, d) };
        let (qx, qy) = (cx + a - b, cy + c + d);
        // Branch-free: the indices of out-of-range coordinates are discarded.
        let inside = (qx >= 0.0) & (qy >= 0.0) & (qx < wf) & (qy < hf);
        let i = small_trunc(qy).wrapping_mul(w).wrapping_add(small_trunc(qx));
        if inside { i } else { u32::MAX }
    };
    let [p0, p1, p2, p3, p4, p5, p6, p7] = &sc.prod;
    let (ia, ib) = (&mut sc.ia[..n], &mut sc.ib[..n]);
    for i in 0..n {
        ia[i] = index(p0[i], p1[i], p2[i], p3[i]);
        ib[i] = index(p4[i], p5[i], p6[i], p7[i]);
    }
}

/// `(cos_a, sin_a, cos_b, sin_b)` of each bucket: plain loads (never inlined into the wide
/// kernels, where the compiler would turn them into gathers).
#[inline(never)]
fn warp_lookup(t: &WarpTables, k: &[u32], rot: &mut [[f32; WARP_TW]; 4]) {
    for (i, &k) in k.iter().enumerate().take(WARP_TW) {
        let k = k as usize & (WARP_TABLE - 1);
        rot[0][i] = t.cos_a[k];
        rot[1][i] = t.sin_a[k];
        rot[2][i] = t.cos_b[k];
        rot[3][i] = t.sin_b[k];
    }
}

/// The pixels at `idx` (`u32::MAX`, or anything out of range: black), with plain loads; in
/// reverse order when `REV` (for the left-right mirror image of a run of pixels).
#[inline(never)]
fn fetch<const REV: bool>(px: &[Rgba], idx: &[u32], out: &mut [Rgba]) {
    let get = |i: u32| px.get(i as usize).copied().unwrap_or(Rgba::BLACK);
    if REV {
        for (o, &i) in out.iter_mut().zip(idx.iter().rev()) {
            *o = get(i);
        }
    } else {
        for (o, &i) in out.iter_mut().zip(idx) {
            *o = get(i);
        }
    }
}

fn warp(p: f64, angle: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    warp_with(Isa::best(), p, angle, from, to, out);
}

/// [`warp`] on the kernel for `isa` (the portable one when the CPU lacks it).
fn warp_with(isa: Isa, p: f64, angle: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let h = from.height() as usize;
    let t = warp_tables(from.width() as usize, h, p, angle);
    let mix = (p * 255.0).round() as u8;
    let (ap, bp) = (from.pixels(), to.pixels());
    #[cfg(target_arch = "x86_64")]
    if simd::warp(isa, &t, h, ap, bp, mix, out) {
        return;
    }
    warp_tiles(&t, h, ap, bp, mix, out);
}

/// The per-frame constants of a `w`×`h` warp at progress `p` swirling up to `angle` degrees.
fn warp_tables(w: usize, h: usize, p: f64, angle: u32) -> WarpTables {
    let (cx, cy, maxr) = centre(w, h);
    let max_angle = f64::from(angle).to_radians();
    // Rotation (cos, sin) per radius bucket, for both frames: the old frame turns by
    // +angle·p·f(r), the new one by −angle·(1−p)·f(r), with f(r) = (1 − r/maxr)².
    let mut t = WarpTables {
        w,
        cx,
        cy,
        wf: w as f32,
        hf: h as f32,
        scale: (WARP_TABLE - 1) as f32 / maxr,
        cos_a: [0.0; WARP_TABLE],
        sin_a: [0.0; WARP_TABLE],
        cos_b: [0.0; WARP_TABLE],
        sin_b: [0.0; WARP_TABLE],
    };
    for k in 0..WARP_TABLE {
        let f = 1.0 - k as f64 / (WARP_TABLE - 1) as f64;
        let (ta, tb) = (max_angle * p * f * f, -max_angle * (1.0 - p) * f * f);
        (t.cos_a[k], t.sin_a[k]) = (libm::cos(ta) as f32, libm::sin(ta) as f32);
        (t.cos_b[k], t.sin_b[k]) = (libm::cos(tb) as f32, libm::sin(tb) as f32);
    }
    t
}

/// The pixels of a warp, tile by tile: the swirl reads both frames along arcs, so a small
/// tile's sources stay close together. Only the top-left quarter is computed; each of its pixels
/// also gives its three mirror images about the centre (the same radius, so the same rotation,
/// see [`warp_mirror_indices`]). Every pixel is exactly the per-pixel definition's.
#[inline(always)]
fn warp_tiles(t: &WarpTables, h: usize, ap: &[Rgba], bp: &[Rgba], mix: u8, out: &mut [Rgba]) {
    const TH: usize = 8;
    let w = t.w;
    let mut sc = WarpScratch {
        k: [0; WARP_TW],
        rot: [[0.0; WARP_TW]; 4],
        prod: [[0.0; WARP_TW]; 8],
        ia: [0; WARP_TW],
        ib: [0; WARP_TW],
        ca: [Rgba::BLACK; WARP_TW],
        cb: [Rgba::BLACK; WARP_TW],
    };
    // The quarter includes the middle column and row of odd sizes, whose mirror images are
    // themselves (so they are not drawn twice).
    let (half_w, half_h) = (w.div_ceil(2), h.div_ceil(2));
    let (mirrored_w, mirrored_h) = (w / 2, h / 2);
    for ty in (0..half_h).step_by(TH) {
        for tx in (0..half_w).step_by(WARP_TW) {
            let n = (tx + WARP_TW).min(half_w) - tx;
            // Pixels of this run that have a distinct left-right mirror image.
            let nm = (tx + n).min(mirrored_w).saturating_sub(tx);
            for y in ty..(ty + TH).min(half_h) {
                warp_products(t, tx, y as f32 + 0.5 - t.cy, &mut sc, n);
                let yb = h - 1 - y;
                warp_run::<false, false>(t, &mut sc, ap, bp, mix, &mut out[y * w + tx..][..n]);
                if nm > 0 {
                    let row = &mut out[y * w + w - tx - nm..][..nm];
                    warp_run::<true, false>(t, &mut sc, ap, bp, mix, row);
                }
                if y < mirrored_h {
                    warp_run::<false, true>(t, &mut sc, ap, bp, mix, &mut out[yb * w + tx..][..n]);
                    if nm > 0 {
                        let row = &mut out[yb * w + w - tx - nm..][..nm];
                        warp_run::<true, true>(t, &mut sc, ap, bp, mix, row);
                    }
                }
            }
        }
    }
}

/// One run of output pixels from the products in `sc`: the run itself, or one of its mirror
/// images (`MX`: left-right, written right to left; `MY`: top-bottom).
#[inline(always)]
fn warp_run<const MX: bool, const MY: bool>(
    t: &WarpTables,
    sc: &mut WarpScratch,
    ap: &[Rgba],
    bp: &[Rgba],
    mix: u8,
    out: &mut [Rgba],
) {
    let n = out.len();
    warp_mirror_indices::<MX, MY>(t, sc, n);
    fetch::<MX>(ap, &sc.ia[..n], &mut sc.ca[..n]);
    fetch::<MX>(bp, &sc.ib[..n], &mut sc.cb[..n]);
    crossfade_bytes(out, &sc.ca[..n], &sc.cb[..n], mix);
}

/// The instruction sets the per-pixel float kernels (warp, ripple) are also compiled for. All
/// give identical bytes: the same IEEE-754 operations in the same order, never fused (no FMA
/// is enabled, and Rust never contracts `a * b + c` on its own); checked by a unit test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Isa {
    /// Baseline x86-64 / any CPU.
    Portable,
    /// x86-64 AVX2 (gathers, 8 floats per instruction).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx2,
    /// x86-64 AVX-512 (F, DQ, VL, BW): 16 floats per instruction.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Avx512,
}

impl Isa {
    /// The fastest instruction set this CPU has (detected once, then cached by the standard
    /// library).
    fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if simd::has_avx512() {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Every instruction set this CPU has, slowest first.
    #[cfg(test)]
    fn available() -> Vec<Isa> {
        let mut v = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                v.push(Isa::Avx2);
            }
            if simd::has_avx512() {
                v.push(Isa::Avx512);
            }
        }
        v
    }
}

/// Runtime dispatch to the kernels compiled for wider SIMD. As in the mandelbrot scene, the only
/// `unsafe` here is calling a `#[target_feature]` function after checking that the CPU has the
/// feature.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod simd {
    use super::{Isa, WarpTables};
    use tickframe_core::Rgba;

    pub(super) fn has_avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
    }

    #[target_feature(enable = "avx2")]
    fn warp_avx2(t: &WarpTables, h: usize, ap: &[Rgba], bp: &[Rgba], mix: u8, out: &mut [Rgba]) {
        super::warp_tiles(t, h, ap, bp, mix, out);
    }

    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
    fn warp_avx512(t: &WarpTables, h: usize, ap: &[Rgba], bp: &[Rgba], mix: u8, out: &mut [Rgba]) {
        super::warp_tiles(t, h, ap, bp, mix, out);
    }

    /// Runs the warp kernel for `isa` when it is not the portable one and the CPU has it;
    /// `false` otherwise.
    pub(super) fn warp(
        isa: Isa,
        t: &WarpTables,
        h: usize,
        ap: &[Rgba],
        bp: &[Rgba],
        mix: u8,
        out: &mut [Rgba],
    ) -> bool {
        match isa {
            Isa::Avx512 if has_avx512() => {
                // SAFETY: the CPU has AVX-512 F, DQ, VL and BW (checked just above).
                unsafe { warp_avx512(t, h, ap, bp, mix, out) };
                true
            }
            Isa::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { warp_avx2(t, h, ap, bp, mix, out) };
                true
            }
            _ => false,
        }
    }
}

/// Nearest-neighbour samples of `row` (none: black) at 16.16 positions `start + i · step`;
/// positions outside the row are black.
fn sample_row(dst: &mut [Rgba], row: Option<&[Rgba]>, start: i64, step: i64) {
    let Some(row) = row else {
        dst.fill(Rgba::BLACK);
        return;
    };
    let mut x = start;
    for d in dst {
        let i = x >> 16;
        *d = if i >= 0 && (i as usize) < row.len() { row[i as usize] } else { Rgba::BLACK };
        x += step;
    }
}

fn zoom(p: f64, zoom_out: bool, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let (sa, sb) = if zoom_out { (1.0 - 0.5 * p, 2.0 - p) } else { (1.0 + p, 0.5 + 0.5 * p) };
    let t = (p * 255.0).round() as u8;
    // Source coordinate of destination pixel centre x: (x + 0.5 − w/2) / s + w/2, in 16.16
    // fixed point, stepping 1/s per pixel.
    let fixed = |v: f64| (v * 65536.0).floor() as i64;
    let (step_a, step_b) = (fixed(1.0 / sa), fixed(1.0 / sb));
    let (x0a, x0b) = (
        fixed((0.5 - w as f64 / 2.0) / sa + w as f64 / 2.0),
        fixed((0.5 - w as f64 / 2.0) / sb + w as f64 / 2.0),
    );
    let (ap, bp) = (from.pixels(), to.pixels());
    // Both frames are sampled a chunk at a time, then mixed with the vectorised crossfade
    // (the same bytes as `Rgba::lerp`).
    const CHUNK: usize = 256;
    let (mut ca, mut cb) = ([Rgba::BLACK; CHUNK], [Rgba::BLACK; CHUNK]);
    for y in 0..h {
        let src_y = |s: f64| ((y as f64 + 0.5 - h as f64 / 2.0) / s + h as f64 / 2.0).floor();
        let (ya, yb) = (src_y(sa), src_y(sb));
        let row = |yy: f64| (yy >= 0.0 && yy < h as f64).then_some(yy as usize * w);
        let (ra, rb) = (row(ya).map(|r| &ap[r..r + w]), row(yb).map(|r| &bp[r..r + w]));
        for (c, o) in out[y * w..(y + 1) * w].chunks_mut(CHUNK).enumerate() {
            let x0 = (c * CHUNK) as i64;
            let (ca, cb) = (&mut ca[..o.len()], &mut cb[..o.len()]);
            sample_row(ca, ra, x0a + x0 * step_a, step_a);
            sample_row(cb, rb, x0b + x0 * step_b, step_b);
            crossfade_fast(o, ca, cb, t);
        }
    }
}

fn iris(p: f64, close: bool, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let (cx, cy, maxr) = centre(w, h);
    let (cx, cy, maxr) = (f64::from(cx), f64::from(cy), f64::from(maxr));
    // Inside the circle: the new frame when opening, the old one when closing.
    let (r, inside, outside) = if close { ((1.0 - p) * maxr, from, to) } else { (p * maxr, to, from) };
    for y in 0..h {
        let dy = y as f64 + 0.5 - cy;
        let (a, b, o) = (inside.row(y as u32), outside.row(y as u32), &mut out[y * w..(y + 1) * w]);
        // Pixel centres with (x + 0.5 − cx)² + dy² < r²: x in [x0, x1).
        let (x0, x1) = if dy * dy < r * r {
            let half = (r * r - dy * dy).sqrt();
            let lo = (cx - half - 0.5).ceil().max(0.0) as usize;
            let hi = ((cx + half - 0.5).ceil().max(0.0) as usize).min(w);
            (lo.min(hi), hi)
        } else {
            (0, 0)
        };
        o[..x0].copy_from_slice(&b[..x0]);
        o[x0..x1].copy_from_slice(&a[x0..x1]);
        o[x1..].copy_from_slice(&b[x1..]);
    }
}

fn pixelate(p: f64, block: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    let (w, h) = (from.width() as usize, from.height() as usize);
    let peak = 1.0 - (2.0 * p - 1.0).abs();
    let b = 1 + ((f64::from(block.max(2) - 1) * peak).round() as usize);
    let t = (p * 255.0).round() as u8;
    let mut y0 = 0;
    while y0 < h {
        let y1 = (y0 + b).min(h);
        let sy = (y0 + b / 2).min(h - 1) as u32;
        let (ra, rb) = (from.row(sy), to.row(sy));
        {
            let o = &mut out[y0 * w..(y0 + 1) * w];
            let mut x0 = 0;
            while x0 < w {
                let x1 = (x0 + b).min(w);
                let sx = (x0 + b / 2).min(w - 1);
                o[x0..x1].fill(ra[sx].lerp(rb[sx], t));
                x0 = x1;
            }
        }
        let (first, rest) = out[y0 * w..y1 * w].split_at_mut(w);
        for row in rest.chunks_exact_mut(w) {
            row.copy_from_slice(first);
        }
        y0 = y1;
    }
}

fn burn(p: f64, seed: u64, color: Rgba, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    // Two octaves of value noise on power-of-two lattices (coarse C, fine C/4), mixed half and
    // half with a bottom-to-top ramp, all in 16-bit fixed point.
    // The fine lattice step is at least max(w, h) / 48, so a row needs at most 48 + 2 columns.
    const MAXC: usize = 64;
    let (w, h) = (from.width() as usize, from.height() as usize);
    let coarse_shift = ((w.max(h) / 12).max(8).next_power_of_two()).trailing_zeros();
    let fine_shift = coarse_shift - 2;
    let rng = Rng::new(seed, 0, BURN_STREAM);
    let lattice = |octave: u64, gx: usize, gy: usize| -> u32 {
        (rng.at(octave << 40 | (gy as u64) << 20 | gx as u64) >> 48) as u32
    };
    const BAND: f64 = 0.08;
    let threshold = ((p * (1.0 + BAND) - BAND) * 65536.0).floor() as i64;
    // In i32: the threshold lies in [−5243, 65536], noise values in [0, 65535].
    let threshold = threshold as i32;
    const BAND_FIXED: i32 = (BAND * 65536.0) as i32;
    let glow = Rgba::rgb(255, 240, 180);
    // `glow.lerp(color, k)` for every k.
    let mut hot = [Rgba::BLACK; 256];
    for (k, c) in hot.iter_mut().enumerate() {
        *c = glow.lerp(color, k as u8);
    }
    // Vertically interpolated lattice values at each lattice column, for the current row.
    let mut col_c = [0u32; MAXC];
    let mut col_f = [0u32; MAXC];
    // The noise of a run of pixels within one fine lattice cell.
    const CHUNK: usize = 64;
    let mut noise = [0i32; CHUNK];
    let (sc, sf) = (1usize << coarse_shift, 1usize << fine_shift);
    let step = CHUNK.min(sf);
    for y in 0..h {
        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
        let fill = |cols: &mut [u32], shift: u32, octave: u64| {
            let (gy, fy) = (y >> shift, (y & ((1 << shift) - 1)) as u32);
            let n = (w >> shift) + 2;
            for (gx, c) in cols.iter_mut().enumerate().take(n) {
                let (v0, v1) = (lattice(octave, gx, gy), lattice(octave, gx, gy + 1));
                *c = (v0 * ((1 << shift) - fy) + v1 * fy) >> shift;
            }
        };
        fill(&mut col_c, coarse_shift, 0);
        fill(&mut col_f, fine_shift, 1);
        // The ramp: 0 at the bottom row, 65535 at the top.
        let ramp = ((h - 1 - y) as u64 * 65535 / (h.max(2) - 1) as u64) as u32;
        // Chunks of `step` pixels (a power of two, at most the fine cell) never straddle a fine
        // (or coarse) lattice cell, so the two horizontal lerps have fixed ends per chunk.
        for x0 in (0..w).step_by(step) {
            let x1 = (x0 + step).min(w);
            let (gf, ff) = (x0 >> fine_shift, (x0 & (sf - 1)) as u32);
            let (gc, fc) = (x0 >> coarse_shift, (x0 & (sc - 1)) as u32);
            let (f0, f1, c0, c1) = (col_f[gf], col_f[gf + 1], col_c[gc], col_c[gc + 1]);
            let (sf32, sc32) = (sf as u32, sc as u32);
            let noise = &mut noise[..x1 - x0];
            for (i, n) in (0u32..).zip(noise.iter_mut()) {
                let (fx, cxx) = (ff + i, fc + i);
                let vf = (f0 * (sf32 - fx) + f1 * fx) >> fine_shift;
                let vc = (c0 * (sc32 - cxx) + c1 * cxx) >> coarse_shift;
                // (3·coarse + fine) / 4, then the mean with the ramp (all non-negative).
                *n = ((((3 * vc + vf) >> 2) + ramp) >> 1) as i32;
            }
            let (a, b, o) = (&a[x0..x1], &b[x0..x1], &mut o[x0..x1]);
            for (((o, a), b), n) in o.iter_mut().zip(a).zip(b).zip(noise.iter()) {
                *o = if *n < threshold { *b } else { *a };
            }
            // The glowing rim: threshold ≤ n < threshold + band.
            for ((o, a), n) in o.iter_mut().zip(a).zip(noise.iter()) {
                let d = *n - threshold;
                if (0..BAND_FIXED).contains(&d) {
                    // 0 at the burnt edge, 255 at the outer rim of the glow.
                    let k = (d * 255 / BAND_FIXED) as u8;
                    *o = hot[usize::from(k)].lerp(*a, k);
                }
            }
        }
    }
}

/// A transition as written in a scene file: what it does, how long, and its easing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Transition {
    /// What it does.
    pub kind: TransitionKind,
    /// How long it lasts, in seconds (default: [`TransitionKind::default_duration`]).
    pub duration: f64,
    /// How linear progress is eased (default: [`TransitionKind::default_easing`]).
    pub easing: Easing,
}

impl TransitionKind {
    /// How long this kind lasts unless told, in seconds: quick for moving edges (wipe 0.8,
    /// slide 0.7, zoom 0.8, blinds 0.9), 1.0 for crossfade, iris and pixelate, longer where
    /// the pattern needs time to read (dissolve and block-flip 1.2, ripple and warp 1.5, burn
    /// 1.6).
    pub const fn default_duration(&self) -> f64 {
        match self {
            TransitionKind::Crossfade => 1.0,
            TransitionKind::Wipe(_) => 0.8,
            TransitionKind::Slide(_) => 0.7,
            TransitionKind::Dissolve { .. } => 1.2,
            TransitionKind::Blinds { .. } => 0.9,
            TransitionKind::BlockFlip { .. } => 1.2,
            TransitionKind::Ripple { .. } => 1.5,
            TransitionKind::Warp { .. } => 1.5,
            TransitionKind::Zoom { .. } => 0.8,
            TransitionKind::Iris { .. } => 1.0,
            TransitionKind::Pixelate { .. } => 1.0,
            TransitionKind::Burn { .. } => 1.6,
        }
    }

    /// How this kind is eased unless told: moving things start and stop gently (slide and
    /// zoom `quad-in-out`; wipe, iris, warp and crossfade `sine-in-out`), blinds open fast and
    /// settle (`quad-out`), ripples spread and slow (`sine-out`), burn catches slowly then
    /// races (`quad-in`); dissolve, block-flip (whose wave already staggers) and pixelate stay
    /// linear.
    pub const fn default_easing(&self) -> Easing {
        match self {
            TransitionKind::Crossfade | TransitionKind::Wipe(_) => Easing::SineInOut,
            TransitionKind::Iris { .. } | TransitionKind::Warp { .. } => Easing::SineInOut,
            TransitionKind::Slide(_) | TransitionKind::Zoom { .. } => Easing::QuadInOut,
            TransitionKind::Blinds { .. } => Easing::QuadOut,
            TransitionKind::Ripple { .. } => Easing::SineOut,
            TransitionKind::Burn { .. } => Easing::QuadIn,
            TransitionKind::Dissolve { .. }
            | TransitionKind::BlockFlip { .. }
            | TransitionKind::Pixelate { .. } => Easing::Linear,
        }
    }
}

impl Transition {
    /// The default duration of a crossfade, in seconds (each kind has its own:
    /// [`TransitionKind::default_duration`]).
    pub const DEFAULT_DURATION: f64 = 1.0;

    /// A transition of `kind` with that kind's default duration and easing.
    pub fn new(kind: TransitionKind) -> Transition {
        Transition { kind, duration: kind.default_duration(), easing: kind.default_easing() }
    }

    /// Eases linear `progress` (0..=1) and applies the kind (see [`TransitionKind::apply`]):
    /// progress 0 gives exactly `from`, 1 exactly `to`.
    ///
    /// # Panics
    /// When the frames differ in size or `out` does not hold exactly one frame of pixels.
    pub fn apply(&self, progress: f64, seed: u64, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
        self.kind.apply(self.easing.apply(progress), seed, from, to, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickframe_core::{Frame, Size};

    /// The crossfade picked at run time (AVX2 here when the CPU has it) gives the portable
    /// loop's bytes for every mix value, on lengths that end inside and outside a vector.
    #[test]
    fn the_run_time_crossfade_gives_the_portable_bytes() {
        let pixel = |i: usize, k: u32| {
            let v = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(k).to_le_bytes();
            Rgba::new(v[0], v[1], v[2], v[3])
        };
        for n in [1usize, 7, 8, 31, 64, 1001] {
            let a: Vec<Rgba> = (0..n).map(|i| pixel(i, 1)).collect();
            let b: Vec<Rgba> = (0..n).map(|i| pixel(i, 99)).collect();
            for t in 0..=255u8 {
                let (mut fast, mut plain) = (vec![Rgba::BLACK; n], vec![Rgba::BLACK; n]);
                crossfade_fast(&mut fast, &a, &b, t);
                crossfade_bytes(&mut plain, &a, &b, t);
                assert!(fast == plain, "n {n}, t {t}");
                if t == 0 {
                    assert!(fast == a);
                }
                if t == 255 {
                    assert!(fast == b);
                }
            }
        }
    }

    /// Every warp kernel this CPU has gives the portable kernel's bytes, at odd sizes, every
    /// angle range and many progress values.
    #[test]
    fn every_warp_kernel_gives_identical_bytes() {
        for (w, h) in [(1, 1), (3, 2), (67, 41), (130, 97), (321, 180)] {
            let size = Size::new(w, h).unwrap();
            let (mut a, mut b) = (Frame::new(size), Frame::new(size));
            for (i, (p, q)) in a.pixels_mut().iter_mut().zip(b.pixels_mut()).enumerate() {
                let v = (i as u32).wrapping_mul(2_654_435_761);
                *p = Rgba::new(v as u8, (v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8);
                *q = Rgba::new((v >> 3) as u8, (v >> 11) as u8, (v >> 19) as u8, 255);
            }
            for angle in [0, 90, 270, 1440] {
                for k in 1..20 {
                    let p = f64::from(k) / 20.0;
                    let mut expected = vec![Rgba::BLACK; a.pixels().len()];
                    warp_with(Isa::Portable, p, angle, a.view(), b.view(), &mut expected);
                    for isa in Isa::available() {
                        let mut got = vec![Rgba::WHITE; a.pixels().len()];
                        warp_with(isa, p, angle, a.view(), b.view(), &mut got);
                        assert!(got == expected, "{isa:?} {w}x{h} angle {angle} p {p}");
                    }
                }
            }
        }
    }

    /// The warp's definition, one pixel at a time in row order: bucket of the radius, rotate
    /// both frames' source positions about the centre, black outside, crossfade.
    fn warp_reference(p: f64, angle: u32, from: &Frame, to: &Frame) -> Vec<Rgba> {
        let (w, h) = (from.width() as usize, from.height() as usize);
        let t = warp_tables(w, h, p, angle);
        let mix = (p * 255.0).round() as u8;
        let source = |px: &[Rgba], x: f32, y: f32, c: f32, s: f32| {
            let (dx, dy) = (x - t.cx, y - t.cy);
            let (qx, qy) = (t.cx + dx * c - dy * s, t.cy + dx * s + dy * c);
            if qx >= 0.0 && qy >= 0.0 && (qx as usize) < w && (qy as usize) < h {
                px[qy as usize * w + qx as usize]
            } else {
                Rgba::BLACK
            }
        };
        let mut out = vec![Rgba::BLACK; w * h];
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                let (dx, dy) = (fx - t.cx, fy - t.cy);
                let k = (((dx * dx + dy * dy).sqrt() * t.scale) as usize).min(WARP_TABLE - 1);
                let a = source(from.pixels(), fx, fy, t.cos_a[k], t.sin_a[k]);
                let b = source(to.pixels(), fx, fy, t.cos_b[k], t.sin_b[k]);
                crossfade_bytes(&mut out[y * w + x..][..1], &[a], &[b], mix);
            }
        }
        out
    }

    /// The quarter-and-mirrors kernel gives the per-pixel definition's bytes, at even, odd and
    /// tiny sizes (middle rows and columns drawn once), for several angles and progress values.
    #[test]
    fn the_warp_kernel_is_the_per_pixel_definition() {
        for (w, h) in [(1, 1), (2, 1), (1, 3), (3, 2), (67, 41), (130, 97), (129, 64)] {
            let size = Size::new(w, h).unwrap();
            let (mut a, mut b) = (Frame::new(size), Frame::new(size));
            for (i, (p, q)) in a.pixels_mut().iter_mut().zip(b.pixels_mut()).enumerate() {
                let v = (i as u32).wrapping_mul(2_654_435_761);
                *p = Rgba::new(v as u8, (v >> 8) as u8, (v >> 16) as u8, 255);
                *q = Rgba::new((v >> 3) as u8, (v >> 11) as u8, (v >> 19) as u8, (v >> 27) as u8);
            }
            for angle in [0, 270, 1440] {
                for p in [0.1, 0.37, 0.5, 0.9] {
                    let expected = warp_reference(p, angle, &a, &b);
                    let mut got = vec![Rgba::WHITE; a.pixels().len()];
                    warp_with(Isa::Portable, p, angle, a.view(), b.view(), &mut got);
                    assert!(got == expected, "{w}x{h} angle {angle} p {p}");
                }
            }
        }
    }

    #[test]
    fn small_trunc_is_trunc() {
        for v in [0.0f32, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 511.0, 511.9, 16383.5, 16384.0, 8_388_607.0] {
            assert_eq!(small_trunc(v), v as u32, "{v}");
        }
        for i in 0..100_000u32 {
            let v = i as f32 * 0.173;
            assert_eq!(small_trunc(v), v as u32, "{v}");
        }
    }
}
