//! Transitions: pure functions of (progress, seed, parameters) that mix two frames into one.
//!
//! Every transition gives exactly the `from` frame at progress 0 and exactly the `to` frame at
//! progress 1. In a [`crate::compose::Playlist`] neither end is ever shown (progress runs over
//! `(k + 1) / (n + 1)` for the `k`-th of `n` transition ticks), so no frame is a duplicate.

use tickframe_core::{FrameRef, Rgba, Rng, crossfade};

use super::easing::Easing;

/// The direction a wipe's edge or a slide's frames move in.
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
}

impl Direction {
    /// Every direction, in documentation order.
    pub const ALL: [Direction; 4] = [Direction::Left, Direction::Right, Direction::Up, Direction::Down];

    /// The name used in scene files: `left`, `right`, `up`, `down`.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::Left => "left",
            Direction::Right => "right",
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// The direction with this scene-file name.
    pub fn from_name(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// What a transition does with its two frames.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TransitionKind {
    /// Mixes the two frames channel by channel (alpha `round(progress · 255)`).
    Crossfade,
    /// A hard edge moving in `Direction`: pixels it has passed show the new frame.
    Wipe(Direction),
    /// The new frame pushes the old one out, both moving in `Direction`.
    Slide(Direction),
    /// Pixels (or `block × block` squares) switch to the new frame one by one in a seeded
    /// random order: a block switches once progress exceeds its random threshold.
    Dissolve {
        /// Side of the squares that switch together, in pixels (1 = per pixel).
        block: u32,
    },
}

/// The random stream dissolve thresholds are drawn from.
const DISSOLVE_STREAM: u64 = 0x6469_7373_6f6c_7665; // "dissolve"

impl TransitionKind {
    /// The kind names used in scene files.
    pub const NAMES: [&'static str; 4] = ["crossfade", "wipe", "slide", "dissolve"];

    /// The scene-file name of this kind: `crossfade`, `wipe`, `slide` or `dissolve`.
    pub const fn name(&self) -> &'static str {
        match self {
            TransitionKind::Crossfade => "crossfade",
            TransitionKind::Wipe(_) => "wipe",
            TransitionKind::Slide(_) => "slide",
            TransitionKind::Dissolve { .. } => "dissolve",
        }
    }

    /// Mixes `from` and `to` at `progress` (already eased; clamped to `[0, 1]`, NaN as 0) into
    /// `out`. Progress 0 copies `from` and progress 1 copies `to`, exactly.
    ///
    /// # Determinism
    /// A pure function of its arguments; `seed` only matters for [`TransitionKind::Dissolve`].
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
                crossfade(out, from.pixels(), to.pixels(), t);
            }
            TransitionKind::Wipe(dir) => {
                for y in 0..h {
                    let (a, b, o) = (from.row(y as u32), to.row(y as u32), &mut out[y * w..(y + 1) * w]);
                    let split = match dir {
                        // Columns at and after `split` show the new frame.
                        Direction::Left => w - passed(w),
                        // Columns before `split` show the new frame.
                        Direction::Right => passed(w),
                        Direction::Up => {
                            o.copy_from_slice(if y >= h - passed(h) { b } else { a });
                            continue;
                        }
                        Direction::Down => {
                            o.copy_from_slice(if y < passed(h) { b } else { a });
                            continue;
                        }
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
                Direction::Up | Direction::Down => {
                    let s = passed(h);
                    for y in 0..h {
                        let src = if dir == Direction::Up {
                            if y < h - s { from.row((y + s) as u32) } else { to.row((y - (h - s)) as u32) }
                        } else if y < s {
                            to.row((y + h - s) as u32)
                        } else {
                            from.row((y - s) as u32)
                        };
                        out[y * w..(y + 1) * w].copy_from_slice(src);
                    }
                }
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
