//! The engine: workers rendering ahead into the cache, presenters showing frames at deadlines.
//!
//! The policies are described in full in `docs/engine.md`; the essentials:
//!
//! # Threads and locks
//! One mutex guards the scheduling state (cache, frame pool, claim cursor, presenter ticks,
//! window). It is held only for bookkeeping: a worker locks to claim a tick and take a recycled
//! frame, unlocks, renders, then locks again to insert the result. A presenter locks to publish
//! its tick and look up the frame due, and never waits on a worker in paced mode. A sampler
//! thread reads the resident memory once a second (off the presenters).
//!
//! # Scheduling
//! Workers claim the lowest tick in `[low, low + window)` that is neither cached nor being
//! rendered (`low` is the lowest tick any presenter still needs), through a cursor, so claims are
//! O(1) in steady state. Ticks behind `low` are evicted before each claim, so their buffers
//! return to the pool.
//!
//! # Streams
//! Outputs whose seed offsets give the same seed share a stream; each stream has its own key,
//! context, `low`, cursor and in-flight ticks. A claim takes the lowest free tick over all
//! streams' windows (round robin among equal ticks); the cache's budget is shared and each
//! stream's window bounded by its share; stale means behind the frame's own stream's `low`.
//!
//! # Adaptive look-ahead
//! The window is bounded by `min` and `max = min(max_lookahead, frames the cache budget
//! holds)`. Paced runs start at `max(min, 2 × workers)` with `min = max(workers + 1, a quarter
//! second of frames)` unless configured; unpaced runs start at `2 × workers + 2` with
//! `min = workers + 1`.
//! - A miss (the due frame was not ready when the presenter looked it up) doubles it, up to
//!   `max`.
//! - After each second of frames (a second's worth of ticks in unpaced runs) with no miss in
//!   which workers found nothing to claim (they idled because the window was full), it shrinks
//!   by a quarter, down to `min`.
//!
//! So the cache holds only as much future as recent load has needed, and always within the
//! byte budget.
//!
//! # Warm-up
//! A paced presenter starts its clock (`t0`) only once the frame of tick 0 is ready (however
//! long that takes; Ctrl-C still stops), then waits up to one more second for the initial
//! window to fill. So a run never starts on a miss.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use tickframe_core::{Frame, RenderContext, Renderer, Rgba, Scene, Tick};

use crate::cache::{CachedFrame, FrameCache, recycle};
use crate::control::{ControlRecord, EngineControl, EntryIndex, Timeline};
use crate::histogram::Histogram;
use crate::log::{FrameLog, FrameRecord, emit_frame_event, frame_log_dispatch};
use crate::output::{Output, OutputOptions, RunInfo};
use crate::report::{
    EntryRenderTime, FaultRecord, OutputReport, Percentiles, RunReport, WindowStats, resident_kib,
};
use crate::{EngineConfig, EngineError, FaultPolicy, MAX_WORKERS, MissPolicy, SceneKey};

/// How a run is driven.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Ticks to play, from tick 0. `None`: until stopped (Ctrl-C, an output returning `false`).
    pub frames: Option<u64>,
    /// Paced by absolute deadlines `t0 + k · period` (displays, `--out null`), or unpaced: every
    /// tick presented in order, none dropped, as fast as workers and outputs allow (files).
    pub paced: bool,
    /// Set from outside (e.g. a Ctrl-C handler) to stop cleanly: threads are joined, outputs
    /// are not finished, the report is still returned.
    pub stop: Option<Arc<AtomicBool>>,
    /// Per-frame log records go here (never blocking): the presenters' `tickframe::frame`
    /// tracing events are routed to it by a [`FrameLogLayer`](crate::FrameLogLayer).
    pub log: Option<FrameLog>,
    /// The scene's name in reports, logs and run info (e.g. the file path).
    pub scene_name: String,
}

/// The render-ahead engine for one scene: see the module documentation of this crate.
pub struct Engine {
    scene: Arc<dyn Scene>,
    key: SceneKey,
    base: RenderContext,
    config: EngineConfig,
    alloc_counter: Option<fn() -> u64>,
    /// Called first on every thread the engine starts (see [`Engine::with_counted_threads`]).
    thread_hook: Option<fn()>,
    frame_bytes: usize,
    control: EngineControl,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("key", &self.key).field("config", &self.config).finish_non_exhaustive()
    }
}

/// Stripes of red and black: the frame shown for a tick whose render panicked twice.
pub fn fill_error_frame(frame: &mut Frame) {
    let w = frame.width() as usize;
    for (i, p) in frame.pixels_mut().iter_mut().enumerate() {
        let (x, y) = (i % w, i / w);
        *p = if ((x + y) / 8) % 2 == 0 { Rgba::rgb(255, 0, 0) } else { Rgba::BLACK };
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Renders with the panic caught; on a panic the renderer is replaced (its scratch state may be
/// half-updated) and the message returned.
fn render_caught(
    renderer: &mut Renderer,
    scene: &dyn Scene,
    ctx: &RenderContext,
    frame: &mut Frame,
) -> Result<(), String> {
    match catch_unwind(AssertUnwindSafe(|| renderer.render(scene, ctx, frame))) {
        Ok(()) => Ok(()),
        Err(payload) => {
            *renderer = Renderer::new(renderer.mode());
            Err(panic_message(&*payload))
        }
    }
}

/// Frames a presenter keeps in hand ahead of their deadlines (its reserve): a lock held by a
/// worker for up to this many frame periods never makes the presenter late.
const RESERVE: usize = 8;

/// Playlist entries a worker renders once before the run starts (see `worker_loop`).
const WARM_ENTRIES: usize = 32;

/// Raises the calling (presenter) thread's scheduling priority as far as permitted; returns
/// what was granted: `realtime`, `raised` or `normal`.
fn raise_presenter_priority(wanted: bool) -> &'static str {
    use thread_priority::{
        NormalThreadSchedulePolicy, RealtimeThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue,
        ThreadSchedulePolicy,
    };
    if !wanted {
        return "normal";
    }
    #[cfg(unix)]
    {
        use thread_priority::unix::{set_thread_priority_and_policy, thread_native_id};
        let id = thread_native_id();
        if let Ok(p) = ThreadPriorityValue::try_from(10u8)
            && set_thread_priority_and_policy(
                id,
                ThreadPriority::Crossplatform(p),
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
            )
            .is_ok()
        {
            return "realtime";
        }
        if set_thread_priority_and_policy(
            id,
            ThreadPriority::Max,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
        )
        .is_ok()
        {
            return "raised";
        }
    }
    "normal"
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Sleeps until `deadline`: `thread::sleep` until about 1 ms before (in slices of at most 50 ms
/// so `stop` is noticed), then spins.
fn sleep_until(deadline: Instant, stop: &dyn Fn() -> bool) {
    const SPIN: Duration = Duration::from_millis(1);
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > SPIN {
            if stop() {
                return;
            }
            thread::sleep((left - SPIN).min(Duration::from_millis(50)));
        } else {
            std::hint::spin_loop();
        }
    }
}

#[derive(Debug)]
struct Window {
    stats: WindowStats,
    since_adjust: u64,
    idle_mark: u64,
}

impl Window {
    fn new(min: u64, max: u64, initial: u64) -> Window {
        let initial = initial.clamp(min, max);
        Window {
            stats: WindowStats { min, max, initial, current: initial, peak: initial, grown: 0, shrunk: 0 },
            since_adjust: 0,
            idle_mark: 0,
        }
    }

    fn on_miss(&mut self) {
        let w = &mut self.stats;
        if w.current < w.max {
            w.current = (w.current * 2).min(w.max);
            w.peak = w.peak.max(w.current);
            w.grown += 1;
        }
        self.since_adjust = 0;
    }

    fn on_hit(&mut self, period_ticks: u64, idle_events: u64) {
        self.since_adjust += 1;
        if self.since_adjust >= period_ticks {
            self.since_adjust = 0;
            let w = &mut self.stats;
            if idle_events > self.idle_mark && w.current > w.min {
                w.current = (w.current - w.current / 4).max(w.min);
                w.shrunk += 1;
            }
            self.idle_mark = idle_events;
        }
    }
}

/// Cache figures sampled by the presenters once per frame.
#[derive(Debug, Default)]
struct CacheSamples {
    count: u64,
    ahead_sum: u64,
    ahead_max: usize,
    frames_max: usize,
    last_bytes: usize,
    last_frames: usize,
    last_ahead: usize,
}

struct State {
    cache: FrameCache,
    pool: Vec<Arc<Frame>>,
    buffers: usize,
    /// Buffers needed besides the window's frames: in flight on workers, held by presenters.
    buffers_extra: usize,
    /// Per stream (index as in `Shared::streams`): its key and the lowest tick its presenters
    /// still need, in the form the cache's `_among` methods take.
    lows: Vec<(SceneKey, Tick)>,
    /// Per stream: claim cursor and ticks being rendered.
    sched: Vec<StreamSched>,
    /// Per presenter: the tick it needs now.
    presenter_ticks: Vec<Tick>,
    /// Per presenter: its stream.
    presenter_stream: Vec<usize>,
    /// The stream a claim looks at first (round robin among streams whose next ticks are equal).
    next_stream: usize,
    end: Tick,
    window: Window,
    idle_waiting: usize,
    idle_events: u64,
    /// Worker and sampler threads that have started (presenters wait for all of them).
    started: usize,
    render_ewma_ns: u64,
    faults: Vec<FaultRecord>,
    faults_total: u64,
    samples: CacheSamples,
    /// Per playlist entry: (render nanoseconds, frames), when the engine has an entry index.
    entry_render: Vec<(u64, u64)>,
}

/// The scheduling state of one stream.
#[derive(Debug)]
struct StreamSched {
    /// Every tick in `[low, cursor)` is cached or in flight (claims scan from here).
    cursor: Tick,
    /// Ticks being rendered now.
    in_flight: Vec<Tick>,
}

impl State {
    /// Publishes the tick presenter `idx` needs now; returns whether its stream's `low` moved.
    fn set_presenter_tick(&mut self, idx: usize, tick: Tick) -> bool {
        self.presenter_ticks[idx] = tick;
        let s = self.presenter_stream[idx];
        let low = self
            .presenter_ticks
            .iter()
            .zip(&self.presenter_stream)
            .filter(|&(_, &ps)| ps == s)
            .map(|(&t, _)| t)
            .min()
            .unwrap_or(Tick::MAX);
        let old = self.lows[s].1;
        if low < old {
            // A seek backwards: claims start over from the new low.
            self.sched[s].cursor = low;
        }
        self.lows[s].1 = low;
        low != old
    }

    /// Makes sure the tick presenter `idx` waits for gets claimed again when it is neither
    /// cached nor in flight (its frame was refused or evicted after the cursor passed it).
    fn reschedule(&mut self, idx: usize, tick: Tick) {
        let s = self.presenter_stream[idx];
        let sched = &mut self.sched[s];
        if !sched.in_flight.contains(&tick) && sched.cursor > tick {
            sched.cursor = tick;
        }
    }

    /// The lowest tick of stream `s`'s window that is neither cached nor in flight, without
    /// claiming it (the cursor moves up to it).
    fn next_free(&mut self, s: usize) -> Option<Tick> {
        let (key, low) = self.lows[s];
        let limit = low.saturating_add(self.window.stats.current).min(self.end);
        let sched = &mut self.sched[s];
        let mut t = sched.cursor.max(low);
        while t < limit {
            if !sched.in_flight.contains(&t) && !self.cache.contains(key, t) {
                sched.cursor = t;
                return Some(t);
            }
            t += 1;
        }
        sched.cursor = t.max(sched.cursor);
        None
    }

    /// Claims the lowest free tick over every stream's window (lowest deadline first: all
    /// streams share the timebase); among streams whose next free ticks are equal, round robin.
    /// Returns `(stream, tick)`.
    fn claim(&mut self) -> Option<(usize, Tick)> {
        let n = self.sched.len();
        let mut best: Option<(usize, Tick)> = None;
        for j in 0..n {
            let s = (self.next_stream + j) % n;
            if let Some(t) = self.next_free(s)
                && best.is_none_or(|(_, b)| t < b)
            {
                best = Some((s, t));
            }
        }
        let (s, t) = best?;
        self.next_stream = (s + 1) % n;
        let sched = &mut self.sched[s];
        sched.cursor = t + 1;
        sched.in_flight.push(t);
        Some((s, t))
    }

    fn sample_cache(&mut self, ahead: usize) {
        let s = &mut self.samples;
        s.count += 1;
        s.ahead_sum += ahead as u64;
        s.ahead_max = s.ahead_max.max(ahead);
        s.frames_max = s.frames_max.max(self.cache.len());
        s.last_bytes = self.cache.bytes();
        s.last_frames = self.cache.len();
        s.last_ahead = ahead;
    }
}

/// One stream of frames: the scene at one seed. Outputs with the same effective seed share one.
#[derive(Clone, Copy, Debug)]
struct Stream {
    /// The engine's key with the seed folded in ([`SceneKey::for_seed`]).
    key: SceneKey,
    /// The engine's base context with this stream's seed.
    base: RenderContext,
}

struct Shared<'e> {
    engine: &'e Engine,
    /// Every stream of the run; stream 0 is the first output's.
    streams: Vec<Stream>,
    /// Presenters started and past their own set-up (allocation counting waits for all of them:
    /// presenters of different streams do not wait for each other, so one may be far into its
    /// run before another has started).
    presenters_ready: AtomicUsize,
    /// Presenters of the run.
    presenters: usize,
    state: Mutex<State>,
    work_cv: Condvar,
    ready_cv: Condvar,
    /// Set when the run ends (every presenter done, or stopped).
    stop: AtomicBool,
    /// Set by the first presenter once past its warm-up (the sampler then reads the resident
    /// memory "after warm-up").
    warm: AtomicBool,
    external: Option<Arc<AtomicBool>>,
    scene_name: String,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state if nobody holds it now (presenters never wait behind a worker that may have
    /// been preempted while holding the lock).
    fn try_lock(&self) -> Option<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.engine.control.is_stopped()
            || self.external.as_ref().is_some_and(|s| s.load(Ordering::Relaxed))
    }

    fn record_fault(&self, tick: Tick, message: String, recovered: bool) {
        let mut st = self.lock();
        st.faults_total += 1;
        if st.faults.len() < st.faults.capacity() {
            st.faults.push(FaultRecord { scene: self.scene_name.clone(), tick, message, recovered });
        }
    }
}

#[derive(Default)]
struct WorkerStats {
    busy_ns: u64,
    renders: u64,
    render: Histogram,
}

struct PresenterStats {
    report: OutputReport,
    interval: Histogram,
    lateness: Histogram,
    render: Histogram,
    work: Histogram,
    work_hit: Histogram,
    work_inline: Histogram,
    present_call: Histogram,
    depth_sum: u64,
    /// (frames presented, allocations) at the end of the warm-up.
    alloc_mark: Option<(u64, u64)>,
    /// The same, taken later once no frame buffer was added for a while (see `warm`).
    alloc_stable_mark: Option<(u64, u64)>,
    ticks: u64,
    controls: Vec<ControlRecord>,
}

impl PresenterStats {
    fn new(name: &str) -> PresenterStats {
        PresenterStats {
            report: OutputReport {
                output: name.to_string(),
                queue_depth_min: u64::MAX,
                ..OutputReport::default()
            },
            interval: Histogram::new(),
            lateness: Histogram::new(),
            render: Histogram::new(),
            work: Histogram::new(),
            work_hit: Histogram::new(),
            work_inline: Histogram::new(),
            present_call: Histogram::new(),
            depth_sum: 0,
            alloc_mark: None,
            alloc_stable_mark: None,
            ticks: 0,
            controls: Vec::with_capacity(MAX_CONTROL_RECORDS),
        }
    }
}

/// Control actions kept per presenter in the report (later ones are counted only).
const MAX_CONTROL_RECORDS: usize = 256;
/// Playlist entries timed separately in the report (later entries are not timed).
const MAX_TIMED_ENTRIES: usize = 1024;

/// Resident-memory figures of a run (KiB).
#[derive(Default)]
struct RssStats {
    warm: Option<u64>,
    max: Option<u64>,
    samples: u64,
}

/// What the presenter shows for one tick.
enum Shown {
    Cached(Arc<Frame>),
    Inline,
    Previous,
}

impl Engine {
    /// An engine for `scene` (identified by `key`) at the size, rate and seed of `base`.
    ///
    /// # Errors
    /// [`EngineError::NoWorkers`] when `config.workers` is 0 (and rendering ahead);
    /// [`EngineError::TooManyWorkers`] above [`MAX_WORKERS`];
    /// [`EngineError::CacheTooSmall`] when the cache cannot hold one frame.
    pub fn new(
        scene: Arc<dyn Scene>,
        key: SceneKey,
        base: RenderContext,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let frame_bytes = base.size.area() * 4;
        if config.render_ahead && config.workers == 0 {
            return Err(EngineError::NoWorkers);
        }
        if config.render_ahead && config.workers > MAX_WORKERS {
            return Err(EngineError::TooManyWorkers { got: config.workers, max: MAX_WORKERS });
        }
        if config.render_ahead && config.cache_bytes < frame_bytes {
            return Err(EngineError::CacheTooSmall { cache_bytes: config.cache_bytes, frame_bytes });
        }
        Ok(Engine {
            scene,
            key,
            base,
            config,
            alloc_counter: None,
            thread_hook: None,
            frame_bytes,
            control: EngineControl::default(),
        })
    }

    /// Counts heap allocations (e.g. a counting global allocator's total), so reports give
    /// allocations per presented frame.
    #[must_use]
    pub fn with_alloc_counter(mut self, counter: fn() -> u64) -> Engine {
        self.alloc_counter = Some(counter);
        self
    }

    /// Calls `enter` first on every thread the engine starts (render workers, presenters, the
    /// memory sampler), e.g. to switch on a thread-local flag of a counting allocator that then
    /// counts only the engine's own threads: the figure [`Engine::with_alloc_counter`] reports is
    /// then exact, untouched by whatever other threads of the process (a test harness, a
    /// progress bar) allocate at the same time.
    #[must_use]
    pub fn with_counted_threads(mut self, enter: fn()) -> Engine {
        self.thread_hook = Some(enter);
        self
    }

    /// The scene's entries (a root playlist): enables [`EngineControl::next_entry`] and
    /// [`EngineControl::previous_entry`], and per-entry render times in the report, so a slow
    /// entry is named in `too_slow`. Set once; later calls are ignored.
    #[must_use]
    pub fn with_entries(self, entries: Arc<dyn EntryIndex>) -> Engine {
        self.control.set_entries(entries);
        self
    }

    /// A handle to pause, resume, seek or stop this engine's runs from any thread.
    pub fn control(&self) -> EngineControl {
        self.control.clone()
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Bytes of one frame (RGBA8).
    pub fn frame_bytes(&self) -> usize {
        self.frame_bytes
    }

    /// The base context (tick 0).
    pub fn base(&self) -> RenderContext {
        self.base
    }

    /// Plays the scene to `outputs`, one presenter thread each, with workers rendering ahead;
    /// returns the report when every presenter is done. Every output shows the frames of the
    /// engine's seed: [`Engine::run_with`] gives outputs seeds of their own.
    ///
    /// # Errors
    /// An output failing to begin, present or finish; a thread that could not start. Threads are
    /// joined in every case.
    pub fn run(&self, outputs: Vec<Box<dyn Output>>, opts: RunOptions) -> Result<RunReport, EngineError> {
        self.run_with(outputs.into_iter().map(|o| (o, OutputOptions::default())).collect(), opts)
    }

    /// [`Engine::run`] with options per output: an output whose
    /// [`seed_offset`](OutputOptions::seed_offset) gives another effective seed
    /// (`seed.wrapping_add(seed_offset)`) is shown the frames of that seed. Outputs with the same
    /// effective seed share one **stream** (each tick rendered once for all of them); each
    /// stream has its own cache key ([`SceneKey::for_seed`]) and context, the workers claim
    /// across all streams (lowest tick first, round robin among equal ticks) and the cache's
    /// byte budget is shared: each stream's look-ahead is bounded by its share.
    ///
    /// # Errors
    /// As [`Engine::run`].
    #[allow(clippy::too_many_lines)]
    pub fn run_with(
        &self,
        outputs: Vec<(Box<dyn Output>, OutputOptions)>,
        opts: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let rss_start = resident_kib();
        self.control.clear_stop();
        let cfg = &self.config;
        // Streams in order of first use; each output's stream.
        let mut streams: Vec<Stream> = Vec::new();
        let mut presenter_stream = Vec::with_capacity(outputs.len());
        for (_, o) in &outputs {
            let seed = o.effective_seed(self.base.seed);
            let s = match streams.iter().position(|st| st.base.seed == seed) {
                Some(s) => s,
                None => {
                    let base = RenderContext { seed, ..self.base };
                    streams.push(Stream { key: self.key.for_seed(self.base.seed, seed), base });
                    streams.len() - 1
                }
            };
            presenter_stream.push(s);
        }
        if streams.is_empty() {
            streams.push(Stream { key: self.key, base: self.base });
        }
        let (outputs, output_options): (Vec<Box<dyn Output>>, Vec<OutputOptions>) =
            outputs.into_iter().unzip();
        let n_streams = streams.len();
        let workers = if cfg.render_ahead { cfg.workers } else { 0 };
        let presenters = outputs.len().max(1);
        let cap = (cfg.cache_bytes / self.frame_bytes.max(1)).max(1) as u64;
        let rate = self.base.timebase.rate();
        let quarter_second = u64::from(rate.as_f64().ceil() as u32 / 4).max(1);
        // The byte budget is shared: each stream's window gets its share.
        let max = cfg.max_lookahead.max(1).min((cap / n_streams as u64).max(1));
        let (min, initial) = if opts.paced {
            let min = if cfg.min_lookahead > 0 {
                cfg.min_lookahead
            } else {
                (workers as u64 + 1).max(quarter_second)
            }
            .min(max);
            (min, (2 * workers as u64).max(min))
        } else {
            let min = if cfg.min_lookahead > 0 { cfg.min_lookahead } else { workers as u64 + 1 }.min(max);
            (min, 2 * workers as u64 + 2)
        };
        // Entry slots and recycled buffers, never proportional to the byte budget. At most in use
        // at once: the window's frames, up to one stale frame per worker not yet evicted, one in
        // flight per worker, and three per presenter (shown, previous, being released). The pool
        // holds them all, so recycling never drops a buffer that would have to be reallocated.
        let slots = max as usize * n_streams + 2 * workers + 3 * presenters + 2;
        let buffers_bound = slots;
        let entries = self.control.entries().map_or(0, |e| e.entries().min(MAX_TIMED_ENTRIES));
        let info = RunInfo {
            size: self.base.size,
            rate,
            seed: self.base.seed,
            scene: opts.scene_name.clone(),
            frames: opts.frames,
        };
        let lows: Vec<(SceneKey, Tick)> = streams.iter().map(|st| (st.key, 0)).collect();
        let shared = Shared {
            engine: self,
            streams,
            presenters_ready: AtomicUsize::new(0),
            presenters: outputs.len(),
            state: Mutex::new(State {
                cache: FrameCache::with_slots(if cfg.render_ahead { cfg.cache_bytes } else { 0 }, slots),
                pool: Vec::with_capacity(buffers_bound),
                buffers: 0,
                buffers_extra: workers + 3 * presenters,
                lows,
                sched: (0..n_streams)
                    .map(|_| StreamSched { cursor: 0, in_flight: Vec::with_capacity(workers + presenters) })
                    .collect(),
                presenter_ticks: vec![0; outputs.len()],
                presenter_stream: presenter_stream.clone(),
                next_stream: 0,
                end: opts.frames.unwrap_or(Tick::MAX),
                window: Window::new(min, max, initial),
                idle_waiting: 0,
                idle_events: 0,
                started: 0,
                render_ewma_ns: 0,
                faults: Vec::with_capacity(100),
                faults_total: 0,
                samples: CacheSamples::default(),
                entry_render: vec![(0, 0); entries],
            }),
            work_cv: Condvar::new(),
            ready_cv: Condvar::new(),
            stop: AtomicBool::new(false),
            warm: AtomicBool::new(false),
            external: opts.stop.clone(),
            scene_name: opts.scene_name.clone(),
        };
        let mut outputs = outputs;
        for (o, oo) in outputs.iter_mut().zip(&output_options) {
            let info = RunInfo { seed: oo.effective_seed(self.base.seed), ..info.clone() };
            if let Err(error) = o.begin(&info) {
                return Err(EngineError::Begin { output: o.name().to_string(), error });
            }
        }
        let names: Vec<String> = outputs.iter().map(|o| o.name().to_string()).collect();
        let started = Instant::now();
        let enter = self.thread_hook.unwrap_or(|| {});
        let (worker_results, presenter_results, rss) = thread::scope(|s| {
            let mut worker_handles = Vec::new();
            let mut spawn_error = None;
            for i in 0..workers {
                let shared = &shared;
                match thread::Builder::new().name(format!("tickframe-worker-{i}")).spawn_scoped(
                    s,
                    move || {
                        enter();
                        worker_loop(shared)
                    },
                ) {
                    Ok(h) => worker_handles.push(h),
                    Err(e) => spawn_error = Some(e),
                }
            }
            let sampler = if spawn_error.is_none() {
                let shared = &shared;
                match thread::Builder::new().name("tickframe-rss".into()).spawn_scoped(s, move || {
                    enter();
                    rss_sampler(shared)
                }) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        spawn_error = Some(e);
                        None
                    }
                }
            } else {
                None
            };
            let mut presenter_handles = Vec::new();
            if spawn_error.is_none() {
                // Presenters start once every worker and the sampler run.
                let mut st = shared.lock();
                while st.started < workers + 1 {
                    st = shared
                        .ready_cv
                        .wait_timeout(st, Duration::from_millis(50))
                        .map_or_else(|e| e.into_inner().0, |r| r.0);
                }
            }
            if spawn_error.is_none() {
                for (idx, out) in outputs.into_iter().enumerate() {
                    let shared = &shared;
                    let stream = &shared.streams[presenter_stream[idx]];
                    let log = opts.log.clone();
                    let frames = opts.frames;
                    let paced = opts.paced;
                    match thread::Builder::new().name(format!("tickframe-present-{idx}")).spawn_scoped(
                        s,
                        move || {
                            enter();
                            presenter_loop(shared, idx, stream, out, frames, paced, log.as_ref())
                        },
                    ) {
                        Ok(h) => presenter_handles.push(h),
                        Err(e) => spawn_error = Some(e),
                    }
                }
            }
            let presenter_results: Vec<_> = presenter_handles.into_iter().map(|h| h.join()).collect();
            shared.stop.store(true, Ordering::Relaxed);
            {
                let _st = shared.lock();
                shared.work_cv.notify_all();
                shared.ready_cv.notify_all();
            }
            let rss = sampler.map(|h| {
                h.thread().unpark();
                h.join().unwrap_or_default()
            });
            let worker_results: Vec<_> = worker_handles.into_iter().map(|h| h.join()).collect();
            match spawn_error {
                Some(e) => (Err(e), presenter_results, rss),
                None => (Ok(worker_results), presenter_results, rss),
            }
        });
        let wall = started.elapsed();
        let worker_results = worker_results?;
        let rss = rss.unwrap_or_default();
        drop(opts.log);

        let mut report_outputs = Vec::new();
        let mut controls = Vec::new();
        let mut first_error = None;
        let mut ticks = 0;
        for (i, r) in presenter_results.into_iter().enumerate() {
            match r {
                Ok(Ok(mut ps)) => {
                    if i == 0 {
                        ticks = ps.ticks;
                    }
                    controls.append(&mut ps.controls);
                    let mut r = finish_output_report(ps);
                    r.stream = presenter_stream[i];
                    r.seed_offset = output_options[i].seed_offset;
                    r.seed = output_options[i].effective_seed(self.base.seed);
                    report_outputs.push(r);
                }
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(payload) => {
                    first_error.get_or_insert(EngineError::Output {
                        output: names.get(i).cloned().unwrap_or_default(),
                        error: anyhow::anyhow!("presenter panicked: {}", panic_message(&*payload)),
                    });
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let mut render = Histogram::new();
        let (mut busy, mut renders) = (0u64, 0u64);
        for ws in worker_results.into_iter().flatten() {
            render.merge(&ws.render);
            busy += ws.busy_ns;
            renders += ws.renders;
        }
        let st = shared.lock();
        let period_ms = 1e3 / rate.as_f64();
        let wall_s = wall.as_secs_f64();
        let mut cache = st.cache.stats(st.lows[0].0, st.lows[0].1);
        let sm = &st.samples;
        cache.bytes = sm.last_bytes;
        cache.frames = sm.last_frames;
        cache.frames_ahead = sm.last_ahead;
        cache.frames_max = sm.frames_max;
        cache.frames_ahead_max = sm.ahead_max;
        cache.frames_ahead_mean = if sm.count > 0 { sm.ahead_sum as f64 / sm.count as f64 } else { 0.0 };
        let entry_render_ms: Vec<EntryRenderTime> = match self.control.entries() {
            Some(index) => st
                .entry_render
                .iter()
                .enumerate()
                .filter(|(_, (_, n))| *n > 0)
                .map(|(i, &(ns, n))| EntryRenderTime {
                    entry: i,
                    label: index.label(i),
                    frames: n,
                    mean_ms: ns as f64 / n as f64 / 1e6,
                })
                .collect(),
            None => Vec::new(),
        };
        let mut report = RunReport {
            scene: opts.scene_name.clone(),
            scene_key: format!("{:032x}", self.key.0),
            size: self.base.size.to_string(),
            fps: rate.to_string(),
            seed: self.base.seed,
            streams: n_streams,
            workers,
            paced: opts.paced,
            miss_policy: cfg.miss_policy,
            wall_seconds: wall_s,
            ticks,
            outputs: report_outputs,
            cache,
            window: st.window.stats,
            frame_buffers: st.buffers,
            worker_render_ms: Percentiles::of(&render),
            worker_renders: renders,
            worker_utilisation: if workers > 0 && wall_s > 0.0 {
                busy as f64 / 1e9 / (workers as f64 * wall_s)
            } else {
                0.0
            },
            frame_budget_ms: period_ms,
            too_slow: None,
            over_budget: None,
            entry_render_ms,
            faults: st.faults.clone(),
            faults_total: st.faults_total,
            controls,
            log: None,
            rss_start_kib: rss_start,
            rss_warm_kib: rss.warm,
            rss_max_kib: rss.max,
            rss_samples: rss.samples,
            rss_end_kib: resident_kib(),
        };
        drop(st);
        report.rss_max_kib = match (report.rss_max_kib, report.rss_end_kib) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // Render time: the workers' when rendering ahead, the presenter's inline renders otherwise.
        let (mean_ms, p99_ms) = if workers > 0 {
            (report.worker_render_ms.mean, report.worker_render_ms.p99)
        } else {
            report.outputs.first().map_or((0.0, 0.0), |o| (o.render_ms.mean, o.render_ms.p99))
        };
        let lanes = workers.max(1) as f64;
        let slowest = report.entry_render_ms.iter().max_by(|a, b| a.mean_ms.total_cmp(&b.mean_ms)).cloned();
        let scene = &opts.scene_name;
        if let Some(e) = slowest.as_ref().filter(|e| e.mean_ms > period_ms * lanes) {
            report.too_slow = Some(format!(
                "scene `{scene}`, entry {} (`{}`), renders in {:.2} ms per frame (mean over {} frames), more than the frame budget of {period_ms:.2} ms × {} worker(s): frames will be dropped while it plays",
                e.entry,
                e.label,
                e.mean_ms,
                e.frames,
                workers.max(1)
            ));
        } else if mean_ms > period_ms * lanes {
            report.too_slow = Some(format!(
                "scene `{scene}` renders in {mean_ms:.2} ms per frame (mean), more than the frame budget of {period_ms:.2} ms × {} worker(s): frames will be dropped",
                workers.max(1)
            ));
        } else if p99_ms > period_ms {
            let entry = slowest.map_or_else(String::new, |e| {
                format!(" (slowest entry {} `{}`: mean {:.2} ms)", e.entry, e.label, e.mean_ms)
            });
            report.over_budget = Some(format!(
                "scene `{scene}` render p99 {p99_ms:.2} ms exceeds one frame ({period_ms:.2} ms){entry}; render-ahead absorbs it while the workers keep up"
            ));
        }
        Ok(report)
    }
}

fn finish_output_report(ps: PresenterStats) -> OutputReport {
    let mut r = ps.report;
    r.interval_ms = Percentiles::of(&ps.interval);
    r.lateness_ms = Percentiles::of(&ps.lateness);
    r.render_ms = Percentiles::of(&ps.render);
    r.presenter_work_ms = Percentiles::of(&ps.work);
    r.presenter_work_hit_ms = Percentiles::of(&ps.work_hit);
    r.presenter_work_inline_ms = Percentiles::of(&ps.work_inline);
    r.present_call_ms = Percentiles::of(&ps.present_call);
    r.queue_depth_mean = if r.presented > 0 { ps.depth_sum as f64 / r.presented as f64 } else { 0.0 };
    if r.queue_depth_min == u64::MAX {
        r.queue_depth_min = 0;
    }
    r.cache_hit_rate = if r.hits + r.misses > 0 { r.hits as f64 / (r.hits + r.misses) as f64 } else { 0.0 };
    r
}

/// Samples the resident memory once a second (and once right after the warm-up) until the run
/// ends, off the presenter threads. Reading `/proc/self/status` allocates nothing.
fn rss_sampler(shared: &Shared<'_>) -> RssStats {
    let _ = thread::current();
    {
        shared.lock().started += 1;
        shared.ready_cv.notify_all();
    }
    let mut stats = RssStats::default();
    let mut last = Instant::now();
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        let warm_now = stats.warm.is_none() && shared.warm.load(Ordering::Acquire);
        if first || warm_now || last.elapsed() >= Duration::from_secs(1) {
            first = false;
            last = Instant::now();
            if let Some(kib) = resident_kib() {
                stats.samples += 1;
                stats.max = Some(stats.max.map_or(kib, |m| m.max(kib)));
                if warm_now {
                    stats.warm = Some(kib);
                }
            }
        }
        thread::park_timeout(Duration::from_millis(50));
    }
    stats
}

fn worker_loop(shared: &Shared<'_>) -> WorkerStats {
    let engine = shared.engine;
    let entries = engine.control.entries().cloned();
    let mut renderer = Renderer::new(engine.config.draw_mode);
    let mut stats = WorkerStats { render: Histogram::new(), ..WorkerStats::default() };
    // Whatever a thread allocates lazily on first use happens now, before any presenter starts:
    // the thread handle, and the renderer's display list and scratch space, sized by one render
    // of the first tick (its result is thrown away; a panic there is caught and seen again, and
    // reported, when the tick is rendered for real). Otherwise a worker the OS schedules late
    // would make these one-time allocations in the middle of the run.
    // With a playlist, the first, middle and last tick of every entry are rendered too (at most
    // `WARM_ENTRIES` entries), so each entry's and transition's first use (a display list longer
    // than the first entry's, a simulation's checkpoint store) happens here as well.
    let _ = thread::current();
    {
        let mut scratch = Frame::new(engine.base.size);
        for stream in &shared.streams {
            let _ = render_caught(&mut renderer, &*engine.scene, &stream.base, &mut scratch);
            let Some(entries) = &entries else { continue };
            let mut start: Tick = 0;
            for _ in 0..WARM_ENTRIES {
                let next = entries.next_start(start);
                let middle = next.map_or(start, |n| start + (n - start) / 2);
                // The last tick is inside the transition to the next entry, if it has one.
                let last = next.map_or(start, |n| n.saturating_sub(1));
                for t in [start, middle, last] {
                    if t != 0 && !shared.stopped() {
                        let ctx = stream.base.at_tick(t);
                        let _ = render_caught(&mut renderer, &*engine.scene, &ctx, &mut scratch);
                    }
                }
                match next {
                    Some(n) if n > start => start = n,
                    _ => break,
                }
            }
        }
    }
    let mut st = shared.lock();
    st.started += 1;
    shared.ready_cv.notify_all();
    loop {
        if shared.stopped() {
            break;
        }
        let State { cache, pool, lows, .. } = &mut *st;
        cache.evict_stale_among(lows, pool);
        let Some((s, tick)) = st.claim() else {
            st.idle_events += 1;
            st.idle_waiting += 1;
            st = shared
                .work_cv
                .wait_timeout(st, Duration::from_millis(100))
                .map_or_else(|e| e.into_inner().0, |r| r.0);
            st.idle_waiting -= 1;
            continue;
        };
        let recycled = st.pool.pop();
        if recycled.is_none() {
            st.buffers += 1;
        }
        // When the window has grown past the buffers allocated so far, allocate every buffer it
        // can now use at once, here on the worker: so a window that fills slowly does not keep
        // allocating frame by frame later, and steady state allocates nothing.
        let target = (st.window.stats.current as usize * shared.streams.len() + st.buffers_extra)
            .min(st.pool.capacity());
        let extra = target.saturating_sub(st.buffers);
        st.buffers += extra;
        drop(st);
        if extra > 0 {
            let spare: Vec<Arc<Frame>> = (0..extra).map(|_| Arc::new(Frame::new(engine.base.size))).collect();
            let mut guard = shared.lock();
            for f in spare {
                if guard.pool.len() < guard.pool.capacity() {
                    guard.pool.push(f);
                } else {
                    guard.buffers -= 1;
                }
            }
            drop(guard);
        }

        let mut frame = recycled.unwrap_or_else(|| Arc::new(Frame::new(engine.base.size)));
        let started = Instant::now();
        let stream = &shared.streams[s];
        let ctx = stream.base.at_tick(tick);
        let mut faulted = false;
        if let Some(buf) = Arc::get_mut(&mut frame) {
            let mut result = render_caught(&mut renderer, &*engine.scene, &ctx, buf);
            let mut fault = None;
            if let Err(first) = result {
                tracing::error!(scene = %shared.scene_name, tick, message = %first, "render panicked; retrying once");
                result = render_caught(&mut renderer, &*engine.scene, &ctx, buf);
                fault = Some((first, result.is_ok()));
                if let Err(second) = &result {
                    tracing::error!(scene = %shared.scene_name, tick, message = %second, "render panicked again; showing the fault frame");
                    buf.resize(engine.base.size);
                    fill_error_frame(buf);
                    faulted = true;
                }
            }
            if let Some((message, recovered)) = fault {
                shared.record_fault(tick, message, recovered);
            }
        }
        let ns = nanos(started.elapsed());
        stats.busy_ns += ns;
        stats.renders += 1;
        stats.render.record(ns);
        let entry = entries.as_ref().map(|e| e.entry_at(tick));

        st = shared.lock();
        st.sched[s].in_flight.retain(|&t| t != tick);
        st.render_ewma_ns = if st.render_ewma_ns == 0 { ns } else { (st.render_ewma_ns * 7 + ns) / 8 };
        if let Some(slot) = entry.and_then(|e| st.entry_render.get_mut(e)) {
            slot.0 += ns;
            slot.1 += 1;
        }
        let State { cache, pool, lows, .. } = &mut *st;
        if tick >= lows[s].1 {
            cache.insert_among(stream.key, tick, CachedFrame { frame, render_ns: ns, faulted }, lows, pool);
        } else {
            recycle(pool, frame);
        }
        if let Some((at, stall)) = engine.config.inject_lock_stall
            && at == tick
        {
            // Fault injection: hold the lock (`st` is still locked here).
            thread::sleep(stall);
        }
        shared.ready_cv.notify_all();
    }
    stats
}

/// A presenter's own inline renderer (for misses and the naive loop); its frame starts opaque
/// black, which is also what is shown while waiting for a first frame.
struct Inline {
    renderer: Renderer,
    frame: Frame,
}

fn tick_nanos(tb: tickframe_core::Timebase, k: u64) -> u64 {
    u64::try_from(tb.tick_to_nanos(k)).unwrap_or(u64::MAX)
}

#[allow(clippy::too_many_lines)]
fn presenter_loop(
    shared: &Shared<'_>,
    idx: usize,
    stream: &Stream,
    mut out: Box<dyn Output>,
    frames: Option<u64>,
    paced: bool,
    log: Option<&FrameLog>,
) -> Result<PresenterStats, EngineError> {
    let _ = thread::current();
    // Frame events of this thread go to the run's frame log (see `log`).
    let _log_guard = log.map(|l| tracing::dispatcher::set_default(&frame_log_dispatch(l.clone())));
    let engine = shared.engine;
    let control = &engine.control;
    let cfg = &engine.config;
    // This output's stream: its cache key and context (seed).
    let key = stream.key;
    let base = stream.base;
    let tb = base.timebase;
    // `frames` bounds the deadlines `k`; the ticks shown follow the timeline (seeks, pauses).
    let end = frames.unwrap_or(u64::MAX);
    let realtime = out.is_realtime();
    let mut ps = PresenterStats::new(out.name());
    if paced {
        ps.report.presenter_priority = raise_presenter_priority(cfg.raise_presenter_priority).to_string();
    } else {
        ps.report.presenter_priority = "normal".to_string();
    }
    let mut black = Frame::new(base.size);
    black.pixels_mut().fill(Rgba::BLACK);
    let mut inline = Inline { renderer: Renderer::new(cfg.draw_mode), frame: black };
    let mut status = String::with_capacity(160);
    let period_ticks = u64::from(tb.rate().as_f64().ceil() as u32).max(1);
    let quarter_period = Duration::from_nanos(tick_nanos(tb, 1) / 4);
    // How long before each deadline the presenter wakes to look the frame up.
    let prep = quarter_period.min(Duration::from_millis(2));
    // Steady state for allocation counting (and the "after warm-up" memory sample) starts once
    // the window had time to reach its size: twice its maximum in frames (60..=600), or half
    // the run when the run is shorter than twice that.
    let warm = {
        let max = shared.lock().window.stats.max;
        let w = (2 * max).clamp(60, 600);
        match frames {
            Some(n) if n < 2 * w => n / 2,
            _ => w,
        }
    };
    let name = out.name().to_string();

    // Warm-up: the clock starts once tick 0 is ready (however long it takes), then waits up to
    // one more second for the initial window.
    if paced && cfg.render_ahead {
        let mut st = shared.lock();
        let want = st.window.stats.current.min(end);
        let mut until: Option<Instant> = None;
        while !shared.stopped() {
            let ready = st.cache.frames_ahead(key, 0);
            if st.cache.contains(key, 0) {
                if ready >= want as usize {
                    break;
                }
                let u = *until.get_or_insert_with(|| Instant::now() + Duration::from_secs(1));
                let now = Instant::now();
                if now >= u {
                    break;
                }
                st = shared.ready_cv.wait_timeout(st, u - now).map_or_else(|e| e.into_inner().0, |r| r.0);
            } else {
                st = shared
                    .ready_cv
                    .wait_timeout(st, Duration::from_millis(50))
                    .map_or_else(|e| e.into_inner().0, |r| r.0);
            }
        }
    }

    let t0 = Instant::now();
    let mut timeline = Timeline::new(control);
    let mut last_shown: Option<Instant> = None;
    // The previous frame shown: a cached frame (`prev`) or the inline buffer (`prev_is_inline`).
    let mut prev: Option<Arc<Frame>> = None;
    let mut prev_is_inline = false;
    let mut have_prev = false;
    let mut prev_tick: Option<Tick> = None;
    // The reserve: frames of the next ticks, taken from the cache whenever the presenter holds
    // the lock, so that at a deadline it needs the lock only if it can get it at once
    // (`try_lock`). Frames to hand back to the pool wait in `release` until the next lock.
    let mut reserve: VecDeque<(Tick, CachedFrame)> = VecDeque::with_capacity(RESERVE);
    let mut release: Vec<Arc<Frame>> = Vec::with_capacity(2 * RESERVE + 2);
    let mut k: u64 = 0;
    // When the frame-buffer count last grew (the window filling up), in presented frames.
    let mut buffers_seen = 0;
    let mut buffers_changed_at = 0;
    let mut completed = false;
    let mut stopped_by_output = false;
    shared.presenters_ready.fetch_add(1, Ordering::AcqRel);
    loop {
        if k >= end {
            completed = true;
            break;
        }
        if shared.stopped() {
            break;
        }
        let mut deadline_ns = tick_nanos(tb, k);
        if paced {
            // Wake a little early: the cache lookup (and any wait for its lock) happens before
            // the deadline, and the frame goes out right at it.
            let deadline = t0 + Duration::from_nanos(deadline_ns);
            sleep_until(deadline.checked_sub(prep).unwrap_or(deadline), &|| shared.stopped());
            if shared.stopped() {
                break;
            }
        }
        let wake = Instant::now();
        if paced {
            // No catching up: show what is due now, count the skipped deadlines as dropped.
            let due = tb.tick_at_nanos((wake + prep).duration_since(t0).as_nanos());
            if due > k {
                let skip = due.min(end) - k;
                ps.report.skipped += skip;
                ps.report.dropped += skip;
                k = due;
                if k >= end {
                    completed = true;
                    break;
                }
                deadline_ns = tick_nanos(tb, k);
            }
        }
        let deadline = t0 + Duration::from_nanos(deadline_ns);
        let controls = &mut ps.controls;
        let mut control_events = 0u64;
        let tick = timeline.update(control, k, |action, from_tick, to_tick| {
            control_events += 1;
            if controls.len() < controls.capacity() {
                controls.push(ControlRecord { output: idx, deadline: k, action, from_tick, to_tick });
            }
        });
        ps.report.control_actions += control_events;
        if !paced && timeline.is_paused() && have_prev {
            // Unpaced and paused: nothing to pace by; wait for a resume or a seek.
            thread::sleep(Duration::from_millis(10));
            continue;
        }
        // Paused (or seeked onto the tick already shown): present the same frame again.
        let holding = have_prev && prev_tick == Some(tick);

        // Reserved frames for ticks already past (or for the old position after a seek) can
        // no longer be shown; the one for this tick is taken.
        if timeline.moved {
            release.extend(reserve.drain(..).map(|(_, c)| c.frame));
        }
        while reserve.front().is_some_and(|(t, _)| *t < tick) {
            if let Some((_, c)) = reserve.pop_front() {
                release.push(c.frame);
            }
        }
        let mut reserved = if holding || reserve.front().is_none_or(|(t, _)| *t != tick) {
            None
        } else {
            reserve.pop_front().map(|(_, c)| c)
        };

        // Look up the due frame (never waiting for a worker when paced).
        let mut shown;
        let mut render_ns = 0;
        let mut waited = Duration::ZERO;
        let depth;
        let hit;
        // With the frame in hand (or holding), the lock is taken only when free; bookkeeping
        // (the tick workers see, statistics, the reserve) waits for the next frame then.
        let guard = if (reserved.is_some() || holding) && release.len() <= RESERVE {
            shared.try_lock()
        } else {
            Some(shared.lock())
        };
        if let Some(mut st) = guard {
            {
                let State { pool, .. } = &mut *st;
                for f in release.drain(..) {
                    recycle(pool, f);
                }
            }
            if timeline.moved {
                st.end = Tick::MAX;
            }
            if st.set_presenter_tick(idx, tick) && st.idle_waiting > 0 {
                shared.work_cv.notify_all();
            }
            let ahead = st.cache.frames_ahead(key, tick);
            st.sample_cache(ahead);
            if st.buffers != buffers_seen {
                // New buffers (the window grew past what it had): steady state starts again
                // after them.
                buffers_seen = st.buffers;
                buffers_changed_at = ps.report.presented;
                ps.alloc_stable_mark = None;
            }
            depth = ahead as u64;
            let found = if holding || !cfg.render_ahead {
                None
            } else {
                // Counted in the cache's statistics even when the reserve already has it.
                let cached = st.cache.get(key, tick).cloned();
                reserved.take().or(cached)
            };
            hit = found.is_some();
            shown = match found {
                _ if holding => Shown::Previous,
                Some(c) if !(c.faulted && cfg.fault_policy == FaultPolicy::PreviousFrame && have_prev) => {
                    render_ns = c.render_ns;
                    Shown::Cached(c.frame)
                }
                Some(_) => Shown::Previous,
                None if !cfg.render_ahead => Shown::Inline,
                None if paced => {
                    st.window.on_miss();
                    // Render inline only when the estimate (1.5× the recent render time) fits
                    // before this deadline; an unknown estimate never does.
                    let left = deadline.saturating_duration_since(Instant::now());
                    let est = Duration::from_nanos(st.render_ewma_ns.saturating_mul(3) / 2);
                    if cfg.miss_policy == MissPolicy::RenderInline && st.render_ewma_ns > 0 && est < left {
                        Shown::Inline
                    } else {
                        Shown::Previous
                    }
                }
                None => {
                    // Unpaced: wait for this tick, in order, making sure it is scheduled.
                    st.window.on_miss();
                    let wait_start = Instant::now();
                    let mut got = None;
                    while !shared.stopped() {
                        if let Some(c) = st.cache.peek(key, tick) {
                            got = Some(c.clone());
                            break;
                        }
                        st.reschedule(idx, tick);
                        if st.idle_waiting > 0 {
                            shared.work_cv.notify_all();
                        }
                        st = shared
                            .ready_cv
                            .wait_timeout(st, Duration::from_millis(100))
                            .map_or_else(|e| e.into_inner().0, |r| r.0);
                    }
                    waited = wait_start.elapsed();
                    match got {
                        Some(c)
                            if !(c.faulted
                                && cfg.fault_policy == FaultPolicy::PreviousFrame
                                && have_prev) =>
                        {
                            render_ns = c.render_ns;
                            Shown::Cached(c.frame)
                        }
                        Some(_) => Shown::Previous,
                        None => break,
                    }
                }
            };
            if hit {
                let idle = st.idle_events;
                st.window.on_hit(period_ticks, idle);
            }
            // Refill the reserve with the ticks that follow (frames only the cache has so far).
            if cfg.render_ahead && !timeline.is_paused() {
                let mut next = reserve.back().map_or(tick, |(t, _)| *t).saturating_add(1);
                while reserve.len() < RESERVE {
                    let Some(c) = st.cache.peek(key, next) else { break };
                    reserve.push_back((next, c.clone()));
                    next = next.saturating_add(1);
                }
            }
        } else {
            // The lock is busy: show the reserved frame now (or hold), bookkeeping next time.
            ps.report.lock_busy += 1;
            depth = reserve.len() as u64 + u64::from(reserved.is_some());
            hit = reserved.is_some();
            shown = match reserved.take() {
                Some(c) if !(c.faulted && cfg.fault_policy == FaultPolicy::PreviousFrame && have_prev) => {
                    render_ns = c.render_ns;
                    Shown::Cached(c.frame)
                }
                _ => Shown::Previous,
            };
        }
        if holding {
            ps.report.held += 1;
        } else if hit {
            ps.report.hits += 1;
        } else {
            ps.report.misses += 1;
        }

        if let Shown::Inline = shown {
            let ctx = base.at_tick(tick);
            let started = Instant::now();
            if let Err(first) = render_caught(&mut inline.renderer, &*engine.scene, &ctx, &mut inline.frame)
                && render_caught(&mut inline.renderer, &*engine.scene, &ctx, &mut inline.frame).is_err()
            {
                shared.record_fault(tick, first, false);
                if have_prev && cfg.fault_policy == FaultPolicy::PreviousFrame {
                    shown = Shown::Previous;
                } else {
                    fill_error_frame(&mut inline.frame);
                }
            }
            render_ns = nanos(started.elapsed());
            ps.report.inline_renders += 1;
            if cfg.render_ahead {
                let mut st = shared.lock();
                st.render_ewma_ns =
                    if st.render_ewma_ns == 0 { render_ns } else { (st.render_ewma_ns * 7 + render_ns) / 8 };
            }
        }
        if let Shown::Previous = shown
            && !holding
        {
            ps.report.repeated += 1;
            ps.report.dropped += 1;
        }

        if realtime {
            use std::fmt::Write as _;
            status.clear();
            let _ = write!(
                status,
                "tick {tick}  {:.1} s  ahead {depth}  dropped {}{}",
                tb.tick_to_seconds(tick),
                ps.report.dropped,
                if timeline.is_paused() { "  paused" } else { "" }
            );
            out.set_status(&status);
        }
        let prepared = Instant::now();
        // Presenter work: lookup and any inline render, without the unpaced wait for the frame.
        let work = nanos(prepared.duration_since(wake).saturating_sub(waited));
        if paced {
            sleep_until(deadline, &|| shared.stopped());
        }
        let present_start = Instant::now();
        let view = match &shown {
            Shown::Cached(f) => f.view(),
            Shown::Inline => inline.frame.view(),
            Shown::Previous => match (&prev, prev_is_inline) {
                (Some(f), false) => f.view(),
                _ => inline.frame.view(),
            },
        };
        let keep_going =
            out.present(tick, view).map_err(|error| EngineError::Output { output: name.clone(), error })?;
        let present_end = Instant::now();
        let shown_at = out.last_present_time().unwrap_or(present_start);
        for _ in 0..8 {
            match out.poll_control() {
                Some(request) => control.apply(request),
                None => break,
            }
        }
        if idx == 0 {
            control.set_shown(tick);
        }

        // Metrics (no allocation).
        ps.report.presented += 1;
        ps.present_call.record(nanos(present_end.duration_since(present_start)));
        ps.work.record(work);
        match shown {
            Shown::Cached(_) => ps.work_hit.record(work),
            Shown::Inline => ps.work_inline.record(work),
            Shown::Previous => {}
        }
        if !matches!(shown, Shown::Previous) {
            ps.render.record(render_ns);
        }
        let interval = last_shown.map_or(0, |l| nanos(shown_at.saturating_duration_since(l)));
        if last_shown.is_some() {
            ps.interval.record(interval);
            if interval > 25_000_000 {
                ps.report.gaps_over_25ms += 1;
            }
            if interval > 33_000_000 {
                ps.report.gaps_over_33ms += 1;
            }
            if interval > 50_000_000 {
                ps.report.gaps_over_50ms += 1;
            }
        }
        last_shown = Some(shown_at);
        let lateness = if paced { nanos(present_start.saturating_duration_since(deadline)) } else { 0 };
        if paced {
            ps.lateness.record(lateness);
            if lateness > nanos(quarter_period) {
                ps.report.late += 1;
            }
        }
        ps.depth_sum += depth;
        ps.report.queue_depth_min = ps.report.queue_depth_min.min(depth);
        ps.report.queue_depth_max = ps.report.queue_depth_max.max(depth);
        emit_frame_event(&FrameRecord {
            tick,
            deadline_ns: if paced { deadline_ns } else { 0 },
            lateness_ns: lateness,
            interval_ns: interval,
            render_ns: if matches!(shown, Shown::Previous) { 0 } else { render_ns },
            queue_depth: u32::try_from(depth).unwrap_or(u32::MAX),
            cache_hit: hit,
            repeated: matches!(shown, Shown::Previous),
            output: u16::try_from(idx).unwrap_or(u16::MAX),
            seed: base.seed,
            device_hash: out.last_device_hash(),
        });
        if ps.alloc_mark.is_none()
            && warm > 0
            && ps.report.presented >= warm
            && shared.presenters_ready.load(Ordering::Acquire) >= shared.presenters
        {
            ps.alloc_mark = Some((ps.report.presented, engine.alloc_counter.map_or(0, |c| c())));
            if idx == 0 {
                shared.warm.store(true, Ordering::Release);
            }
        }
        if ps.alloc_stable_mark.is_none()
            && ps.alloc_mark.is_some()
            && ps.report.presented >= buffers_changed_at + warm.div_ceil(2)
        {
            ps.alloc_stable_mark = Some((ps.report.presented, engine.alloc_counter.map_or(0, |c| c())));
        }

        // The frame shown becomes the previous one; the old previous goes back to the pool.
        match shown {
            Shown::Cached(f) => {
                release.extend(prev.replace(f));
                prev_is_inline = false;
                have_prev = true;
                prev_tick = Some(tick);
            }
            Shown::Inline => {
                release.extend(prev.take());
                prev_is_inline = true;
                have_prev = true;
                prev_tick = Some(tick);
            }
            Shown::Previous => {}
        }
        if !keep_going {
            // Quitting any output (a window's q, the terminal's q, a closed pipe) ends the run.
            stopped_by_output = true;
            shared.stop.store(true, Ordering::Relaxed);
            break;
        }
        k += 1;
    }
    ps.ticks = k.min(end);
    // Steady state: from the later mark when it left frames to measure, else from the warm-up.
    let mark = match ps.alloc_stable_mark {
        Some((at, a)) if ps.report.presented > at => Some((at, a)),
        _ => ps.alloc_mark,
    };
    if let (Some(count), Some((at, allocs))) = (engine.alloc_counter, mark) {
        let frames = ps.report.presented.saturating_sub(at);
        if frames > 0 {
            ps.report.allocs_per_frame = Some(count().saturating_sub(allocs) as f64 / frames as f64);
            ps.report.allocs_sample_frames = frames;
        }
    }
    {
        let mut st = shared.lock();
        let State { pool, .. } = &mut *st;
        for f in release.drain(..).chain(reserve.drain(..).map(|(_, c)| c.frame)).chain(prev.take()) {
            recycle(pool, f);
        }
        st.set_presenter_tick(idx, Tick::MAX);
        shared.work_cv.notify_all();
        shared.ready_cv.notify_all();
    }
    ps.report.stopped_by_output = stopped_by_output;
    if completed {
        out.finish(ps.report.presented).map_err(|error| EngineError::Output { output: name, error })?;
        ps.report.finished = true;
    }
    ps.report.send_errors = out.send_errors();
    Ok(ps)
}
