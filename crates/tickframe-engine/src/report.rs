//! What a run measured: per-output pacing metrics, cache and worker figures, faults.

use crate::histogram::Histogram;
use crate::{CacheStats, ControlRecord, LogStats, MissPolicy};

/// Percentiles of a duration distribution, in milliseconds.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest (exact).
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Percentiles {
    /// From a histogram of nanoseconds.
    pub fn of(h: &Histogram) -> Percentiles {
        Percentiles {
            count: h.count(),
            p50: h.quantile_ms(0.5),
            p95: h.quantile_ms(0.95),
            p99: h.quantile_ms(0.99),
            max: h.max() as f64 / 1e6,
            mean: h.mean() / 1e6,
        }
    }
}

/// One output's pacing figures.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct OutputReport {
    /// The output's name.
    pub output: String,
    /// The seed of the frames this output showed: the run's seed plus `seed_offset` (wrapping).
    pub seed: u64,
    /// The output's seed offset (0 = the run's seed).
    pub seed_offset: u64,
    /// The output's stream (index; outputs with the same seed share one, rendered once).
    pub stream: usize,
    /// The scheduling its presenter thread got: `realtime` (SCHED_FIFO), `raised` (a higher
    /// normal priority), `normal`.
    pub presenter_priority: String,
    /// Errors that did not stop the output (lost packets, refused connections); 0 for outputs
    /// that do not talk to devices.
    pub send_errors: u64,
    /// Frames handed to the output (repeats included).
    pub presented: u64,
    /// Ticks never shown: skipped after a stall plus ticks whose frame was missing and the
    /// previous one was repeated.
    pub dropped: u64,
    /// Of `dropped`: ticks skipped because the presenter woke after their deadline had passed.
    pub skipped: u64,
    /// Of `dropped`: misses answered by re-presenting the previous frame.
    pub repeated: u64,
    /// Frames whose present started more than a quarter period after their deadline.
    pub late: u64,
    /// Due frames found ready in the cache.
    pub hits: u64,
    /// Due frames not ready in the cache.
    pub misses: u64,
    /// Misses rendered on the presenter thread (always, in the naive loop).
    pub inline_renders: u64,
    /// Frames presented again while paused (neither dropped nor counted as hits or misses).
    pub held: u64,
    /// Frames presented from the presenter's reserve (frames it took from the cache earlier)
    /// because the engine's lock was busy at the deadline: each one a frame that would have
    /// waited behind a worker (e.g. one preempted while holding the lock).
    pub lock_busy: u64,
    /// Control actions (pause, resume, seek) this presenter applied.
    pub control_actions: u64,
    /// `hits / (hits + misses)`.
    pub cache_hit_rate: f64,
    /// Time between successive presents (the real present time when the output reports it).
    pub interval_ms: Percentiles,
    /// Present start minus deadline (paced runs).
    pub lateness_ms: Percentiles,
    /// Intervals over 25 ms.
    pub gaps_over_25ms: u64,
    /// Intervals over 33 ms.
    pub gaps_over_33ms: u64,
    /// Intervals over 50 ms.
    pub gaps_over_50ms: u64,
    /// Render time of the frames shown (worker or inline).
    pub render_ms: Percentiles,
    /// Presenter work per frame before the output call: lookup, plus the inline render on a miss
    /// (in unpaced runs the wait for a frame that is not ready yet is not work and is left out).
    pub presenter_work_ms: Percentiles,
    /// Presenter work on cache hits only.
    pub presenter_work_hit_ms: Percentiles,
    /// Presenter work on inline renders only.
    pub presenter_work_inline_ms: Percentiles,
    /// Time inside `Output::present`.
    pub present_call_ms: Percentiles,
    /// Frames ready ahead of the due tick: mean.
    pub queue_depth_mean: f64,
    /// Frames ready ahead of the due tick: minimum.
    pub queue_depth_min: u64,
    /// Frames ready ahead of the due tick: maximum.
    pub queue_depth_max: u64,
    /// Heap allocations (of the whole process) per presented frame in steady state, when an
    /// allocation counter was given: counted to the end of the run from the end of the warm-up
    /// (twice the window's maximum in frames, 60..=600, or half of a shorter run), or from later,
    /// once no frame buffer was added for half a warm-up (a window that fills slowly adds its
    /// bounded buffers one by one; those are counted in `frame_buffers`), when that leaves
    /// frames to measure.
    pub allocs_per_frame: Option<f64>,
    /// Frames that `allocs_per_frame` was measured over.
    pub allocs_sample_frames: u64,
    /// The output asked to stop (`Ok(false)`: the user quit, the pipe closed).
    pub stopped_by_output: bool,
    /// `finish` was called (the run completed).
    pub finished: bool,
}

/// The look-ahead window over a run, in frames.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct WindowStats {
    /// Lower bound.
    pub min: u64,
    /// Upper bound (also what the cache holds).
    pub max: u64,
    /// At the start.
    pub initial: u64,
    /// At the end.
    pub current: u64,
    /// The largest reached.
    pub peak: u64,
    /// Times it grew (on misses).
    pub grown: u64,
    /// Times it shrank (workers idle).
    pub shrunk: u64,
}

/// The mean render time of one playlist entry (workers' renders).
#[derive(Clone, Debug, serde::Serialize)]
pub struct EntryRenderTime {
    /// The entry (0-based).
    pub entry: usize,
    /// Its name, e.g. `playlist[2]`.
    pub label: String,
    /// Frames of it rendered.
    pub frames: u64,
    /// Mean render time in milliseconds.
    pub mean_ms: f64,
}

/// A render that panicked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FaultRecord {
    /// The scene's name.
    pub scene: String,
    /// The tick.
    pub tick: u64,
    /// The panic message.
    pub message: String,
    /// Whether the retry succeeded (otherwise the fault policy applied).
    pub recovered: bool,
}

/// Everything a run measured. Serialises to the `--report` JSON.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunReport {
    /// Scene name.
    pub scene: String,
    /// The scene's content key ([`SceneKey`](crate::SceneKey)), 32 hex digits: it changes
    /// whenever the scene's content does.
    pub scene_key: String,
    /// Frame size, `WxH`.
    pub size: String,
    /// Frame rate.
    pub fps: String,
    /// The run's seed (outputs with a seed offset show another one: see `outputs[].seed`).
    pub seed: u64,
    /// Streams of frames rendered: one per distinct output seed.
    pub streams: usize,
    /// Worker threads (0 in the naive loop).
    pub workers: usize,
    /// Paced by deadlines, or as fast as the slowest part allows.
    pub paced: bool,
    /// Miss policy.
    pub miss_policy: MissPolicy,
    /// Wall time of the run in seconds (from the start instant `t0`).
    pub wall_seconds: f64,
    /// Ticks covered (presented or dropped) by the first output.
    pub ticks: u64,
    /// Per output.
    pub outputs: Vec<OutputReport>,
    /// The frame cache.
    pub cache: CacheStats,
    /// The look-ahead window.
    pub window: WindowStats,
    /// Frame buffers allocated over the run (bounded by cache + workers + presenters).
    pub frame_buffers: usize,
    /// Render time per frame on the workers.
    pub worker_render_ms: Percentiles,
    /// Frames rendered by workers.
    pub worker_renders: u64,
    /// Sum of worker busy time over (workers × wall time).
    pub worker_utilisation: f64,
    /// The frame budget (one period) in milliseconds.
    pub frame_budget_ms: f64,
    /// Set when the scene cannot keep up: its mean render time (or, with an entry index, the
    /// mean of one of its playlist entries) exceeds the budget times the workers. Names the scene
    /// and the entry.
    pub too_slow: Option<String>,
    /// Set when single frames exceed the budget (render p99 over one period) but the workers
    /// keep up on average.
    pub over_budget: Option<String>,
    /// Mean render time per playlist entry (when the engine has an entry index).
    pub entry_render_ms: Vec<EntryRenderTime>,
    /// Renders that panicked (the first 100).
    pub faults: Vec<FaultRecord>,
    /// All panicking renders.
    pub faults_total: u64,
    /// Control actions applied (pause, resume, seek), the first 256 per output, in order.
    pub controls: Vec<ControlRecord>,
    /// Per-frame log counts (when logging).
    pub log: Option<LogStats>,
    /// Resident memory at the start, in KiB (Linux).
    pub rss_start_kib: Option<u64>,
    /// Resident memory after the warm-up (when the first output passed it), in KiB (Linux).
    pub rss_warm_kib: Option<u64>,
    /// The most resident memory sampled (once a second during the run, and at the end), KiB.
    pub rss_max_kib: Option<u64>,
    /// Resident-memory samples taken during the run.
    pub rss_samples: u64,
    /// Resident memory at the end, in KiB (Linux).
    pub rss_end_kib: Option<u64>,
}

/// The current resident set size in KiB (`VmRSS` of `/proc/self/status`), on Linux. Reads
/// into a stack buffer: allocates nothing, so sampling it does not disturb allocation counts.
pub fn resident_kib() -> Option<u64> {
    use std::io::Read as _;
    let mut file = std::fs::File::open("/proc/self/status").ok()?;
    let mut buf = [0u8; 8192];
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
    let text = &buf[..len];
    let at = text.windows(6).position(|w| w == b"VmRSS:")?;
    let mut value = 0u64;
    let mut seen = false;
    for &b in &text[at + 6..] {
        match b {
            b'0'..=b'9' => {
                value = value * 10 + u64::from(b - b'0');
                seen = true;
            }
            b' ' | b'\t' if !seen => {}
            _ => break,
        }
    }
    seen.then_some(value)
}

/// The machine's physical memory in KiB (`MemTotal` of `/proc/meminfo`), on Linux.
pub fn physical_memory_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl RunReport {
    /// A human summary, a few lines.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "engine: {} worker(s), {}, cache {:.1} MiB (peak {:.1} MiB, {:.1}% hits, {} evictions, frames ahead mean {:.1} max {}), window {}..{} (peak {}), utilisation {:.0}%",
            self.workers,
            if self.paced { "paced" } else { "unpaced" },
            self.cache.budget_bytes as f64 / 1048576.0,
            self.cache.peak_bytes as f64 / 1048576.0,
            100.0 * self.cache.hits as f64 / (self.cache.hits + self.cache.misses).max(1) as f64,
            self.cache.evictions,
            self.cache.frames_ahead_mean,
            self.cache.frames_ahead_max,
            self.window.min,
            self.window.max,
            self.window.peak,
            self.worker_utilisation * 100.0
        );
        for o in &self.outputs {
            let _ = writeln!(
                s,
                "{} ({} priority, seed {}): {} presented, {} dropped ({} skipped, {} repeated), {} late, {} send errors; interval p50 {:.2} p95 {:.2} p99 {:.2} max {:.2} ms; lateness p99 {:.2} max {:.2} ms; gaps >25/33/50 ms: {}/{}/{}",
                o.output,
                o.presenter_priority,
                o.seed,
                o.presented,
                o.dropped,
                o.skipped,
                o.repeated,
                o.late,
                o.send_errors,
                o.interval_ms.p50,
                o.interval_ms.p95,
                o.interval_ms.p99,
                o.interval_ms.max,
                o.lateness_ms.p99,
                o.lateness_ms.max,
                o.gaps_over_25ms,
                o.gaps_over_33ms,
                o.gaps_over_50ms
            );
            let allocs = o.allocs_per_frame.map_or_else(
                || "- (run too short)".to_string(),
                |a| format!("{a:.2} (over {} frames)", o.allocs_sample_frames),
            );
            let _ = writeln!(
                s,
                "{}: render p50 {:.3} p99 {:.3} ms; presenter work p50 {:.3} ms (hits {:.4}, inline {:.3}); queue depth mean {:.1} min {}; hit rate {:.1}%; {} from the reserve (lock busy); allocs/frame {allocs}",
                o.output,
                o.render_ms.p50,
                o.render_ms.p99,
                o.presenter_work_ms.p50,
                o.presenter_work_hit_ms.mean,
                o.presenter_work_inline_ms.mean,
                o.queue_depth_mean,
                o.queue_depth_min,
                o.cache_hit_rate * 100.0,
                o.lock_busy
            );
        }
        if self.faults_total > 0 {
            let _ = writeln!(s, "faults: {} render(s) panicked", self.faults_total);
            for f in self.faults.iter().take(5) {
                let _ = writeln!(
                    s,
                    "  scene `{}` tick {}: {} ({})",
                    f.scene,
                    f.tick,
                    f.message,
                    if f.recovered { "retry succeeded" } else { "fault policy applied" }
                );
            }
        }
        if let Some(l) = &self.log {
            let _ = writeln!(s, "frame log: {} records written, {} dropped", l.written, l.dropped);
            if let Some(e) = &l.error {
                let _ = writeln!(s, "frame log FAILED: {e} (the log is incomplete)");
            }
        }
        if !self.controls.is_empty() {
            let _ = writeln!(s, "controls: {} action(s) applied", self.controls.len());
        }
        if let Some(t) = &self.too_slow {
            let _ = writeln!(s, "too slow: {t}");
        }
        if let Some(t) = &self.over_budget {
            let _ = writeln!(s, "over budget: {t}");
        }
        if let (Some(a), Some(b)) = (self.rss_start_kib, self.rss_end_kib) {
            let mib =
                |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| format!("{:.1}", v as f64 / 1024.0));
            let _ = writeln!(
                s,
                "resident memory: {} MiB at start, {} after warm-up, {} at end, max {} MiB ({} samples)",
                mib(Some(a)),
                mib(self.rss_warm_kib),
                mib(Some(b)),
                mib(self.rss_max_kib),
                self.rss_samples
            );
        }
        s
    }
}
