//! Controlling a run from outside: pause and resume, seek, next/previous playlist entry, stop.
//!
//! # The timeline stays deterministic
//! A presenter counts deadlines `k = 0, 1, 2, …` (deadline `k` is `t0 + k · period`, whatever
//! happens). The tick it presents is a function of `k` and of the control actions it applied,
//! each at a known deadline: `tick = base_tick + (k − base_k)` while playing, where a seek to
//! `T` at deadline `k` sets `(base_tick, base_k) = (T, k)`, a pause holds the tick (the same
//! frame is presented at every deadline, counted as `held`, not dropped) and a resume at
//! deadline `k` continues from the held tick. Every applied action is recorded in the report
//! ([`ControlRecord`]), so a run with seeks can be reproduced exactly.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tickframe_core::Tick;

/// The entries of a scene's timeline (e.g. a playlist), for "next / previous entry" and for
/// naming the entry that is too slow. Implemented by the application (the CLI implements it for
/// a root playlist through `Playlist::position` and `Playlist::start_of`).
pub trait EntryIndex: Send + Sync {
    /// How many entries there are (at least 1).
    fn entries(&self) -> usize;
    /// The entry active at `tick` (0-based; the outgoing one during a transition). Must be
    /// cheap and allocation-free: workers call it once per frame.
    fn entry_at(&self, tick: Tick) -> usize;
    /// The first tick of the entry after the one active at `tick`, if there is one.
    fn next_start(&self, tick: Tick) -> Option<Tick>;
    /// The first tick of the entry before the one active at `tick` (the first entry's start
    /// when already in the first entry).
    fn previous_start(&self, tick: Tick) -> Option<Tick>;
    /// A name for entry `entry` in reports, e.g. `playlist[2]` (default).
    fn label(&self, entry: usize) -> String {
        format!("playlist[{entry}]")
    }
}

/// A request an interactive output makes of the engine (see
/// [`Output::poll_control`](crate::Output::poll_control)).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ControlRequest {
    /// Pause when playing, resume when paused.
    TogglePause,
    /// Jump to the start of the next playlist entry.
    NextEntry,
    /// Jump to the start of the previous playlist entry.
    PreviousEntry,
    /// Jump to a tick.
    Seek(Tick),
    /// Stop the whole run (every output).
    Stop,
}

/// One control action a presenter applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ControlRecord {
    /// Which output's presenter (index into the run's outputs).
    pub output: usize,
    /// The deadline index `k` at which it took effect.
    pub deadline: u64,
    /// What: `seek`, `pause` or `resume`.
    pub action: &'static str,
    /// The tick that would have been presented without it.
    pub from_tick: Tick,
    /// The tick presented.
    pub to_tick: Tick,
}

#[derive(Default)]
struct Inner {
    stop: AtomicBool,
    paused: AtomicBool,
    /// Incremented after `seek_target` is written.
    seek_gen: AtomicU64,
    seek_target: AtomicU64,
    /// The tick the first output presented last.
    shown: AtomicU64,
    entries: OnceLock<Arc<dyn EntryIndex>>,
}

/// A handle on an [`Engine`](crate::Engine)'s runs: cheap to clone, usable from any thread
/// (a key handler, a signal handler, a test). Actions apply to the run in progress at each
/// presenter's next deadline; see the module documentation of `control` for the timeline.
#[derive(Clone, Default)]
pub struct EngineControl {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EngineControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineControl")
            .field("paused", &self.is_paused())
            .field("stopped", &self.is_stopped())
            .finish_non_exhaustive()
    }
}

impl EngineControl {
    /// Holds the presented tick (every presenter re-presents its frame at each deadline).
    pub fn pause(&self) {
        self.inner.paused.store(true, Ordering::Release);
    }

    /// Continues from the held tick.
    pub fn resume(&self) {
        self.inner.paused.store(false, Ordering::Release);
    }

    /// Pauses when playing, resumes when paused.
    pub fn toggle_pause(&self) {
        self.inner.paused.fetch_xor(true, Ordering::AcqRel);
    }

    /// Whether paused.
    pub fn is_paused(&self) -> bool {
        self.inner.paused.load(Ordering::Acquire)
    }

    /// Presents `tick` at the next deadline and continues from there (also while paused: the
    /// new tick is then held).
    pub fn seek(&self, tick: Tick) {
        self.inner.seek_target.store(tick, Ordering::Release);
        self.inner.seek_gen.fetch_add(1, Ordering::AcqRel);
    }

    /// Seeks to the start of the next entry (see [`EntryIndex`]); returns the tick, or `None`
    /// when the engine has no entry index or the last entry is playing.
    pub fn next_entry(&self) -> Option<Tick> {
        let t = self.inner.entries.get()?.next_start(self.shown_tick())?;
        self.seek(t);
        Some(t)
    }

    /// Seeks to the start of the previous entry; `None` without an entry index.
    pub fn previous_entry(&self) -> Option<Tick> {
        let t = self.inner.entries.get()?.previous_start(self.shown_tick())?;
        self.seek(t);
        Some(t)
    }

    /// Stops the run in progress (every output; threads are joined and the report returned as
    /// for Ctrl-C). Cleared when the next run starts.
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::Release);
    }

    /// Whether [`stop`](EngineControl::stop) was called during the current run.
    pub fn is_stopped(&self) -> bool {
        self.inner.stop.load(Ordering::Acquire)
    }

    /// The tick the first output presented last.
    pub fn shown_tick(&self) -> Tick {
        self.inner.shown.load(Ordering::Acquire)
    }

    /// Applies a request from an output.
    pub fn apply(&self, request: ControlRequest) {
        match request {
            ControlRequest::TogglePause => self.toggle_pause(),
            ControlRequest::NextEntry => {
                self.next_entry();
            }
            ControlRequest::PreviousEntry => {
                self.previous_entry();
            }
            ControlRequest::Seek(t) => self.seek(t),
            ControlRequest::Stop => self.stop(),
        }
    }

    pub(crate) fn set_entries(&self, entries: Arc<dyn EntryIndex>) -> bool {
        self.inner.entries.set(entries).is_ok()
    }

    pub(crate) fn entries(&self) -> Option<&Arc<dyn EntryIndex>> {
        self.inner.entries.get()
    }

    pub(crate) fn clear_stop(&self) {
        self.inner.stop.store(false, Ordering::Release);
    }

    pub(crate) fn seek_generation(&self) -> u64 {
        self.inner.seek_gen.load(Ordering::Acquire)
    }

    pub(crate) fn seek_target(&self) -> Tick {
        self.inner.seek_target.load(Ordering::Acquire)
    }

    pub(crate) fn set_shown(&self, tick: Tick) {
        self.inner.shown.store(tick, Ordering::Release);
    }
}

/// A presenter's view of the timeline: the tick for each deadline index.
#[derive(Debug)]
pub(crate) struct Timeline {
    base_tick: Tick,
    base_k: u64,
    paused: bool,
    seen_gen: u64,
    /// Whether any action changed the mapping (then ticks are no longer bounded by the run's
    /// frame count).
    pub(crate) moved: bool,
}

impl Timeline {
    pub(crate) fn new(control: &EngineControl) -> Timeline {
        Timeline {
            base_tick: 0,
            base_k: 0,
            paused: control.is_paused(),
            seen_gen: control.seek_generation(),
            moved: control.is_paused(),
        }
    }

    /// The tick for deadline `k` with no new action.
    pub(crate) fn tick_at(&self, k: u64) -> Tick {
        if self.paused {
            self.base_tick
        } else {
            self.base_tick.saturating_add(k.saturating_sub(self.base_k))
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused
    }

    /// Applies what changed on `control` since the last call, at deadline `k`; calls `record`
    /// for each action and returns the tick to present.
    pub(crate) fn update(
        &mut self,
        control: &EngineControl,
        k: u64,
        mut record: impl FnMut(&'static str, Tick, Tick),
    ) -> Tick {
        let now_paused = control.is_paused();
        if now_paused != self.paused {
            let t = self.tick_at(k);
            self.paused = now_paused;
            self.base_tick = t;
            self.base_k = k;
            self.moved = true;
            record(if now_paused { "pause" } else { "resume" }, t, t);
        }
        let generation = control.seek_generation();
        if generation != self.seen_gen {
            self.seen_gen = generation;
            let from = self.tick_at(k);
            let to = control.seek_target();
            self.base_tick = to;
            self.base_k = k;
            self.moved = true;
            record("seek", from, to);
        }
        self.tick_at(k)
    }
}
