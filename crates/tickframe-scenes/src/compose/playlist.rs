//! Playlists: scenes shown one after another, with transitions between them.

use std::sync::Arc;

use tickframe_core::{
    BlendMode, Canvas, FrameRate, RenderContext, Scene, Tick, Timebase, combine, composite,
};

use super::transition::Transition;

/// One entry of a [`Playlist`], as described in a scene file.
#[derive(Clone)]
pub struct PlaylistEntry {
    /// What the entry shows.
    pub scene: Arc<dyn Scene>,
    /// How long the entry is shown, in seconds (taken to ticks by
    /// [`Timebase::ticks_for_seconds`], at least 1 tick). Includes the outgoing transition.
    pub duration: f64,
    /// The transition into the next entry, occupying the last `transition.duration` seconds of
    /// this entry.
    pub transition: Option<Transition>,
}

impl std::fmt::Debug for PlaylistEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlaylistEntry")
            .field("duration", &self.duration)
            .field("transition", &self.transition)
            .finish()
    }
}

/// Why a playlist could not be made.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PlaylistError {
    /// No entries.
    #[error("a playlist needs at least one entry")]
    Empty,
    /// A transition as long as or longer than its entry.
    #[error(
        "the transition of entry {entry} lasts {transition_ticks} ticks but the entry only {entry_ticks}: a transition must be shorter than its entry"
    )]
    TransitionTooLong {
        /// The entry (0-based).
        entry: usize,
        /// The transition's length in ticks.
        transition_ticks: Tick,
        /// The entry's length in ticks.
        entry_ticks: Tick,
    },
}

struct Slot {
    scene: Arc<dyn Scene>,
    /// The outgoing transition and its length in ticks (> 0).
    transition: Option<(Transition, Tick)>,
}

/// Where a playlist is at one tick: see [`Playlist::position`].
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct PlaylistPosition {
    /// The active entry (the outgoing one during a transition), 0-based.
    pub entry: usize,
    /// The entry's local tick: 0 when it started, including any incoming transition.
    pub local_tick: Tick,
    /// Which pass through the playlist this is (always 0 when not looping).
    pub loop_index: u64,
    /// The transition in progress, if any.
    pub transition: Option<TransitionPosition>,
}

/// The incoming side of a transition in progress.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct TransitionPosition {
    /// The incoming entry.
    pub next_entry: usize,
    /// The incoming entry's local tick (equal to `step`).
    pub next_local_tick: Tick,
    /// The incoming entry's loop (one more than the outgoing's when wrapping around).
    pub next_loop_index: u64,
    /// Which transition tick this is, `0..steps`.
    pub step: Tick,
    /// How many ticks the transition lasts.
    pub steps: Tick,
    /// Linear progress `(step + 1) / (steps + 1)`, strictly between 0 and 1.
    pub progress: f64,
}

/// The random stream a transition's seed is derived with.
const TRANSITION_STREAM: u64 = 0x7472_616e_7369_7469; // "transiti"

/// Scenes shown one after another, each for a fixed number of ticks, optionally looping.
///
/// # Timing
/// Entry `i` occupies ticks `[start_i, start_i + ticks_i)` of each pass, where `ticks_i` is its
/// duration in ticks and `start_i` the sum of the earlier durations. Its outgoing transition of
/// `n` ticks occupies the **last** `n` of those ticks: during transition tick `k` (`0..n`), the
/// outgoing entry keeps running and the next entry runs from local tick `k`, mixed at linear
/// progress `(k + 1) / (n + 1)` then eased, so neither end repeats a frame of either entry.
/// An entry's local tick is 0 at the start of its incoming transition (or at its start when it
/// has none, and for the first entry of the first pass). The transition of the last entry leads
/// into the first entry of the next pass; when not looping it is ignored and the last entry holds
/// (keeps running, its local tick growing) forever.
///
/// # Determinism
/// Each entry renders with its local tick and the seed `combine(combine(seed, entry), pass)`,
/// so random scenes differ on every pass while the playlist stays a pure function of the tick.
/// Finding the entry is a binary search over prefix sums: O(log n), no allocation.
pub struct Playlist {
    slots: Vec<Slot>,
    /// `ends[i]`: the first tick after entry `i` within a pass.
    ends: Vec<Tick>,
    looping: bool,
}

impl std::fmt::Debug for Playlist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playlist").field("ends", &self.ends).field("looping", &self.looping).finish()
    }
}

impl Playlist {
    /// A playlist of `entries` at frame rate `rate` (durations become ticks at this rate),
    /// looping when `looping`.
    ///
    /// # Errors
    /// No entries, or a transition not shorter (in ticks) than its entry.
    pub fn new(
        entries: Vec<PlaylistEntry>,
        rate: FrameRate,
        looping: bool,
    ) -> Result<Playlist, PlaylistError> {
        if entries.is_empty() {
            return Err(PlaylistError::Empty);
        }
        let tb = Timebase::new(rate);
        let last = entries.len() - 1;
        let mut slots = Vec::with_capacity(entries.len());
        let mut ends = Vec::with_capacity(entries.len());
        let mut end: Tick = 0;
        for (i, e) in entries.into_iter().enumerate() {
            let ticks = tb.ticks_for_seconds(e.duration).max(1);
            let transition = match e.transition {
                Some(t) if looping || i != last => {
                    let n = tb.ticks_for_seconds(t.duration);
                    if n >= ticks {
                        return Err(PlaylistError::TransitionTooLong {
                            entry: i,
                            transition_ticks: n,
                            entry_ticks: ticks,
                        });
                    }
                    (n > 0).then_some((t, n))
                }
                _ => None,
            };
            end = end.saturating_add(ticks);
            ends.push(end);
            slots.push(Slot { scene: e.scene, transition });
        }
        Ok(Playlist { slots, ends, looping })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false: a playlist has at least one entry.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether it starts over after the last entry.
    pub fn is_looping(&self) -> bool {
        self.looping
    }

    /// The ticks one pass takes (the sum of the entries' durations).
    pub fn total_ticks(&self) -> Tick {
        *self.ends.last().unwrap_or(&0)
    }

    /// The first tick of entry `index` within a pass.
    ///
    /// # Panics
    /// When `index` is out of range.
    pub fn start_of(&self, index: usize) -> Tick {
        if index == 0 { 0 } else { self.ends[index - 1] }
    }

    fn transition_ticks(&self, index: usize) -> Tick {
        self.slots[index].transition.map_or(0, |(_, n)| n)
    }

    /// Ticks of the transition leading into `index` in pass `pass`.
    fn incoming(&self, index: usize, pass: u64) -> Tick {
        match index {
            0 if pass == 0 => 0,
            0 => self.transition_ticks(self.slots.len() - 1),
            i => self.transition_ticks(i - 1),
        }
    }

    /// The active entry at `tick` (the outgoing one during a transition) and its local tick.
    pub fn entry_at(&self, tick: Tick) -> (usize, Tick) {
        let p = self.position(tick);
        (p.entry, p.local_tick)
    }

    /// Everything about `tick`: active entry, local tick, pass and transition in progress.
    /// O(log n), no allocation.
    pub fn position(&self, tick: Tick) -> PlaylistPosition {
        let total = self.total_ticks();
        let last = self.slots.len() - 1;
        let (pass, t) = if self.looping {
            (tick / total, tick % total)
        } else if tick >= total {
            let local = (tick - self.start_of(last)).saturating_add(self.incoming(last, 0));
            return PlaylistPosition { entry: last, local_tick: local, loop_index: 0, transition: None };
        } else {
            (0, tick)
        };
        let entry = self.ends.partition_point(|&e| e <= t);
        let local_tick = t - self.start_of(entry) + self.incoming(entry, pass);
        let n = self.transition_ticks(entry);
        let transition = (n > 0 && t >= self.ends[entry] - n).then(|| {
            let step = t - (self.ends[entry] - n);
            let wraps = entry == last;
            TransitionPosition {
                next_entry: if wraps { 0 } else { entry + 1 },
                next_local_tick: step,
                next_loop_index: if wraps { pass + 1 } else { pass },
                step,
                steps: n,
                progress: (step + 1) as f64 / (n + 1) as f64,
            }
        });
        PlaylistPosition { entry, local_tick, loop_index: pass, transition }
    }

    /// The seed entry `entry` renders with on pass `pass` of a run seeded `seed`.
    pub fn entry_seed(seed: u64, entry: usize, pass: u64) -> u64 {
        combine(combine(seed, entry as u64), pass)
    }
}

impl Scene for Playlist {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let pos = self.position(ctx.tick);
        let slot = &self.slots[pos.entry];
        let cur =
            ctx.at_tick(pos.local_tick).with_seed(Playlist::entry_seed(ctx.seed, pos.entry, pos.loop_index));
        let (Some(tp), Some((transition, _))) = (pos.transition, slot.transition) else {
            slot.scene.render(&cur, canvas);
            return;
        };
        let next_seed = Playlist::entry_seed(ctx.seed, tp.next_entry, tp.next_loop_index);
        let next = ctx.at_tick(tp.next_local_tick).with_seed(next_seed);
        let next_scene = &self.slots[tp.next_entry].scene;
        let from = canvas.render_offscreen(|c| slot.scene.render(&cur, c));
        let to = canvas.render_offscreen(|c| next_scene.render(&next, c));
        let mut out = canvas.render_offscreen(|_| {});
        transition.apply(
            tp.progress,
            combine(next_seed, TRANSITION_STREAM),
            from.view(),
            to.view(),
            out.pixels_mut(),
        );
        composite(canvas.pixels_mut(), out.pixels(), BlendMode::Normal, 255);
        canvas.recycle(out);
        canvas.recycle(to);
        canvas.recycle(from);
    }

    /// Outside a transition, when the active entry does (a transition blends its result over
    /// the canvas).
    fn paints_every_pixel(&self, ctx: &RenderContext) -> bool {
        let pos = self.position(ctx.tick);
        let slot = &self.slots[pos.entry];
        if pos.transition.is_some() && slot.transition.is_some() {
            return false;
        }
        let cur =
            ctx.at_tick(pos.local_tick).with_seed(Playlist::entry_seed(ctx.seed, pos.entry, pos.loop_index));
        slot.scene.paints_every_pixel(&cur)
    }
}
