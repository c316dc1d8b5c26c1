//! Engine settings, the scene key and the engine's errors.

use tickframe_core::DrawMode;

/// Identifies a scene's *content*: the cache key is `(SceneKey, tick)`, never the tick alone,
/// so a reloaded or edited scene can never be served a stale frame.
///
/// Compute it from everything a frame depends on, e.g. XXH3-128 of the scene file's source
/// text, the seed and the frame size (see the CLI's `play`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, serde::Serialize)]
pub struct SceneKey(pub u128);

impl SceneKey {
    /// The key of the same scene rendered with `seed` instead of `base_seed` (the seed this key
    /// was computed for): the seed is folded in, so a cache shared by several seeds can never
    /// serve one seed's frame to another.
    ///
    /// `self` when the seeds are equal; otherwise `self` XOR `f(seed)` XOR `f(base_seed)` with
    /// `f(s)` = `mix64(s)` in both 64-bit halves. `mix64` (SplitMix64's finaliser) is a bijection,
    /// so two different seeds never get the same key.
    #[must_use]
    pub fn for_seed(self, base_seed: u64, seed: u64) -> SceneKey {
        if seed == base_seed {
            return self;
        }
        let fold = |s: u64| {
            let m = u128::from(tickframe_core::mix64(s));
            (m << 64) | m
        };
        SceneKey(self.0 ^ fold(seed) ^ fold(base_seed))
    }
}

/// What a presenter does when the frame due now is not ready.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissPolicy {
    /// Show the previous frame again (the tick counts as dropped). Never costs presenter time.
    #[default]
    RepeatPrevious,
    /// Render the frame on the presenter thread when 1.5× the recent render time (the workers'
    /// moving average) fits in the time left before **this** deadline; otherwise, and while no
    /// render time is known yet, repeat the previous frame.
    RenderInline,
}

/// What is shown for a tick whose render panicked twice (first try and one retry).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultPolicy {
    /// A clearly marked error frame: red and black diagonal stripes (deterministic).
    #[default]
    ErrorFrame,
    /// The previous frame shown again (an error frame when there is none).
    PreviousFrame,
}

/// The most worker threads an engine starts ([`EngineConfig::workers`]): far more than any
/// machine tickframe drives has cores; asking for more is a mistake, not a wish.
pub const MAX_WORKERS: usize = 256;

/// Engine settings. `EngineConfig::default()` gives the defaults stated on each field.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Worker threads rendering ahead. Default: `std::thread::available_parallelism()`.
    /// Must be at least 1 and at most [`MAX_WORKERS`].
    pub workers: usize,
    /// Byte budget of the frame cache (RGBA bytes of the frames it holds). Default 64 MiB.
    /// Must hold at least one frame.
    pub cache_bytes: usize,
    /// Render ahead on workers (default `true`). `false` is the naive loop: no workers, the
    /// presenter renders every frame inline and then sleeps (kept for measurement).
    pub render_ahead: bool,
    /// Drawing path of every renderer. Default: the display list.
    pub draw_mode: DrawMode,
    /// What a presenter does on a miss. Default [`MissPolicy::RepeatPrevious`].
    pub miss_policy: MissPolicy,
    /// What a twice-panicking tick shows. Default [`FaultPolicy::ErrorFrame`].
    pub fault_policy: FaultPolicy,
    /// Smallest look-ahead window in frames (default 0 = `workers + 1`).
    pub min_lookahead: u64,
    /// Largest look-ahead window in frames (default 600); also capped by what the cache holds.
    pub max_lookahead: u64,
    /// Ask the OS to run presenter threads before anything else on the machine (default
    /// `true`): real-time `SCHED_FIFO` priority 10 where permitted (root or `CAP_SYS_NICE`, as
    /// on a Pi driving LEDs), else the highest normal priority permitted, else unchanged. Each
    /// output's report says what was granted. Workers keep normal priority.
    pub raise_presenter_priority: bool,
    /// Fault injection (default `None`): after inserting the frame of tick `.0`, the worker
    /// keeps the engine's lock for `.1` more, as when the OS preempts a worker that holds it
    /// (workers run at normal priority, so under load this happens). Tests use it to show that
    /// presenters never wait behind such a worker.
    pub inject_lock_stall: Option<(tickframe_core::Tick, std::time::Duration)>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            cache_bytes: 64 << 20,
            render_ahead: true,
            draw_mode: DrawMode::DisplayList,
            miss_policy: MissPolicy::RepeatPrevious,
            fault_policy: FaultPolicy::ErrorFrame,
            min_lookahead: 0,
            max_lookahead: 600,
            raise_presenter_priority: true,
            inject_lock_stall: None,
        }
    }
}

/// Why the engine could not start or finish a run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `workers` was 0.
    #[error("the engine needs at least one worker (got 0)")]
    NoWorkers,
    /// `workers` was above [`MAX_WORKERS`].
    #[error("the engine starts at most {max} workers (got {got})")]
    TooManyWorkers {
        /// The count asked for.
        got: usize,
        /// [`MAX_WORKERS`].
        max: usize,
    },
    /// The cache budget cannot hold a single frame.
    #[error(
        "the frame cache ({cache_bytes} bytes) is smaller than one frame ({frame_bytes} bytes); give it at least one frame"
    )]
    CacheTooSmall {
        /// The budget asked for, in bytes.
        cache_bytes: usize,
        /// The size of one frame, in bytes.
        frame_bytes: usize,
    },
    /// An output failed in `begin`.
    #[error("output `{output}` could not start: {error:#}")]
    Begin {
        /// The output's name.
        output: String,
        /// What went wrong.
        error: anyhow::Error,
    },
    /// An output failed to present or finish.
    #[error("output `{output}` failed: {error:#}")]
    Output {
        /// The output's name.
        output: String,
        /// What went wrong.
        error: anyhow::Error,
    },
    /// A thread could not be started.
    #[error("starting a thread: {0}")]
    Spawn(#[from] std::io::Error),
}
