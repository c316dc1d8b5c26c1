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
            TransitionKind::Dissolve { block } => {
                let block = block.max(1) as usize;
                let across = w.div_ceil(block);
                let rng = Rng::new(seed, 0, DISSOLVE_STREAM);
                // A block shows the new frame when its 53-bit threshold is below p · 2^53.
                let limit = (p * (1u64 << 53) as f64) as u64;
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

/// [`tickframe_core::crossfade`], computed in 16-bit lanes so the compiler vectorises it: the
/// same bytes (`mul255(a, 255 − t) + mul255(b, t)` per channel, exact rounding), about memory
/// speed.
fn crossfade_fast(out: &mut [Rgba], a: &[Rgba], b: &[Rgba], t: u8) {
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
            for i in 0..count.min(len) {
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
                for i in 0..count.min(len) {
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
    for y in 0..h {
        let dy = y as f32 + 0.5 - cy;
        let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
        for x in 0..w {
            let dx = x as f32 + 0.5 - cx;
            let d2 = dx * dx + dy * dy;
            o[x] = if d2 >= front2 {
                a[x]
            } else if d2 < inner2 {
                b[x]
            } else {
                let d = d2.sqrt();
                let s = ((front - d) / band * TABLE as f32) as usize;
                let off = wave[s.min(TABLE - 1)];
                // Displace the sample radially by `off` pixels.
                let k = if d > 0.0 { (d + off) / d } else { 1.0 };
                let (qx, qy) = (cx + dx * k, cy + dy * k);
                let (ix, iy) = (qx as i64, qy as i64);
                if qx >= 0.0 && qy >= 0.0 && (ix as usize) < w && (iy as usize) < h {
                    to.pixels()[iy as usize * w + ix as usize]
                } else {
                    b[x]
                }
            };
        }
    }
}

fn warp(p: f64, angle: u32, from: FrameRef<'_>, to: FrameRef<'_>, out: &mut [Rgba]) {
    const TABLE: usize = 512;
    let (w, h) = (from.width() as usize, from.height() as usize);
    let (cx, cy, maxr) = centre(w, h);
    let max_angle = f64::from(angle).to_radians();
    // Rotation (cos, sin) per radius bucket, for both frames: the old frame turns by
    // +angle·p·f(r), the new one by −angle·(1−p)·f(r), with f(r) = (1 − r/maxr)².
    let mut rot_a = [(0f32, 0f32); TABLE];
    let mut rot_b = [(0f32, 0f32); TABLE];
    for k in 0..TABLE {
        let f = 1.0 - k as f64 / (TABLE - 1) as f64;
        let (ta, tb) = (max_angle * p * f * f, -max_angle * (1.0 - p) * f * f);
        rot_a[k] = (libm::cos(ta) as f32, libm::sin(ta) as f32);
        rot_b[k] = (libm::cos(tb) as f32, libm::sin(tb) as f32);
    }
    let t = (p * 255.0).round() as u8;
    let scale = (TABLE - 1) as f32 / maxr;
    let (ap, bp) = (from.pixels(), to.pixels());
    let sample = |px: &[Rgba], dx: f32, dy: f32, (c, s): (f32, f32)| {
        let (qx, qy) = (cx + dx * c - dy * s, cy + dx * s + dy * c);
        if qx >= 0.0 && qy >= 0.0 && (qx as usize) < w && (qy as usize) < h {
            px[qy as usize * w + qx as usize]
        } else {
            Rgba::BLACK
        }
    };
    for y in 0..h {
        let dy = y as f32 + 0.5 - cy;
        let o = &mut out[y * w..(y + 1) * w];
        for (x, px) in o.iter_mut().enumerate() {
            let dx = x as f32 + 0.5 - cx;
            let k = (((dx * dx + dy * dy).sqrt() * scale) as usize).min(TABLE - 1);
            *px = sample(ap, dx, dy, rot_a[k]).lerp(sample(bp, dx, dy, rot_b[k]), t);
        }
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
    for y in 0..h {
        let src_y = |s: f64| ((y as f64 + 0.5 - h as f64 / 2.0) / s + h as f64 / 2.0).floor();
        let (ya, yb) = (src_y(sa), src_y(sb));
        let row = |yy: f64| (yy >= 0.0 && yy < h as f64).then_some(yy as usize * w);
        let (ra, rb) = (row(ya), row(yb));
        let o = &mut out[y * w..(y + 1) * w];
        let (mut xa, mut xb) = (x0a, x0b);
        for px in o.iter_mut() {
            let (ia, ib) = (xa >> 16, xb >> 16);
            let ca = match ra {
                Some(r) if ia >= 0 && (ia as usize) < w => ap[r + ia as usize],
                _ => Rgba::BLACK,
            };
            let cb = match rb {
                Some(r) if ib >= 0 && (ib as usize) < w => bp[r + ib as usize],
                _ => Rgba::BLACK,
            };
            *px = ca.lerp(cb, t);
            xa += step_a;
            xb += step_b;
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
    let band = (BAND * 65536.0) as i64;
    let glow = Rgba::rgb(255, 240, 180);
    // Vertically interpolated lattice values at each lattice column, for the current row.
    let mut col_c = [0u32; MAXC];
    let mut col_f = [0u32; MAXC];
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
        let ramp = ((h - 1 - y) as u64 * 65535 / (h.max(2) - 1) as u64) as i64;
        let lerp_at = |cols: &[u32], shift: u32, x: usize| -> i64 {
            let (gx, fx) = (x >> shift, (x & ((1 << shift) - 1)) as u32);
            i64::from((cols[gx] * ((1 << shift) - fx) + cols[gx + 1] * fx) >> shift)
        };
        for x in 0..w {
            let noise = (3 * lerp_at(&col_c, coarse_shift, x) + lerp_at(&col_f, fine_shift, x)) / 4;
            let n = (noise + ramp) / 2;
            o[x] = if n < threshold {
                b[x]
            } else if n < threshold + band {
                // 0 at the burnt edge, 255 at the outer rim of the glow.
                let k = ((n - threshold) * 255 / band) as u8;
                let hot = glow.lerp(color, k);
                hot.lerp(a[x], k)
            } else {
                a[x]
            };
        }
    }
}

/// A transition as written in a scene file: what it does, how long, and its easing.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Transition {
    /// What it does.
    pub kind: TransitionKind,
    /// How long it lasts, in seconds (default 1.0).
    pub duration: f64,
    /// How linear progress is eased (default [`Easing::Linear`]).
    pub easing: Easing,
}

impl Transition {
    /// The default duration, in seconds.
    pub const DEFAULT_DURATION: f64 = 1.0;

    /// A transition of `kind` lasting one second, linear.
    pub fn new(kind: TransitionKind) -> Transition {
        Transition { kind, duration: Transition::DEFAULT_DURATION, easing: Easing::Linear }
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
