//! `tickframe bench`: for every built-in scene at each size, single-core render time and
//! allocations per frame (with the ratio to the reference renderers of the product brief);
//! frames per second through the render-ahead engine with 1..N workers and the scaling
//! efficiency; and the paced comparison of the naive loop (render inline, then sleep) against
//! render-ahead with both miss policies (repeat, inline): presenter work per frame, dropped
//! frames, interval p99 and max. A table on screen, JSON with `--json`.
//!
//! Every case is bounded in time (`--case-seconds`), so large sizes render fewer frames and the
//! default run (4 sizes × every scene) stays within a few minutes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tickframe_core::{FrameRate, RenderContext, Renderer, Scene, Size};
use tickframe_engine::{
    Engine, EngineConfig, MissPolicy, NullOutput, Output, OutputReport, RunOptions, RunReport, SceneKey,
};
use tickframe_scenes::params::{Params, Value};
use tickframe_scenes::registry::{BuildContext, build_scene, builtin_scenes};

use crate::Failure;
use crate::alloc_count::{allocations, count_this_thread};

/// Reference figures from the product brief (this kind of machine, one core, 256×64).
const REFERENCES: &[(&str, &str, f64)] =
    &[("mandelbrot", "Python + numba, one core", 5.46), ("confetti", "Python + pygame", 30.5)];

/// The sizes measured by default (the four).
pub const DEFAULT_SIZES: &str = "256x64,128x64,1280x720,1920x1080";

/// One measured row (one scene at one size).
#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    scene: String,
    size: String,
    /// Single-core render times (one `Renderer`, no engine).
    single_core: SingleCore,
    /// The engine, unpaced, with a null output and 1..N workers.
    scaling: Scaling,
    /// The paced comparison at 60 fps, when run (`--pacing-frames 0` skips it).
    pacing: Option<Pacing>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct SingleCore {
    /// Frames rendered (bounded by `--frames` and `--case-seconds`).
    frames: u64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    fps: f64,
    /// Heap allocations per frame over the second half of the frames (the first half warms
    /// scratch buffers, display lists, checkpoints).
    allocs_per_frame: f64,
    /// Frames the allocation count covers.
    allocs_frames: u64,
    reference_ms: Option<f64>,
    speedup: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Scaling {
    /// Frames per run.
    frames: u64,
    /// Frames per second with 1, 2, … workers.
    fps_by_workers: Vec<f64>,
    /// `fps(n) / (n · fps(1))` for each n.
    efficiency_by_workers: Vec<f64>,
    /// Worker utilisation (busy / wall) for each n.
    utilisation_by_workers: Vec<f64>,
    /// Allocations per presented frame in the engine's steady state with N workers, when the
    /// run was long enough to have one.
    engine_allocs_per_frame: Option<f64>,
}

/// One paced run's figures.
#[derive(Debug, Clone, serde::Serialize)]
struct PacedRun {
    /// Presenter work per frame (lookup, plus inline renders), mean.
    work_mean_ms: f64,
    /// Presenter work on cache hits only, mean (0 for the naive loop: it has no cache).
    work_hit_mean_ms: f64,
    presented: u64,
    dropped: u64,
    repeated: u64,
    inline_renders: u64,
    late: u64,
    interval_p99_ms: f64,
    interval_max_ms: f64,
}

impl PacedRun {
    fn of(o: &OutputReport) -> PacedRun {
        PacedRun {
            work_mean_ms: o.presenter_work_ms.mean,
            work_hit_mean_ms: o.presenter_work_hit_ms.mean,
            presented: o.presented,
            dropped: o.dropped,
            repeated: o.repeated,
            inline_renders: o.inline_renders,
            late: o.late,
            interval_p99_ms: o.interval_ms.p99,
            interval_max_ms: o.interval_ms.max,
        }
    }
}

/// The naive loop against render-ahead (both miss policies), paced at 60 fps.
#[derive(Debug, Clone, serde::Serialize)]
struct Pacing {
    frames: u64,
    naive: PacedRun,
    ahead_repeat: PacedRun,
    ahead_inline: PacedRun,
    /// `1 − ahead_repeat.work_hit_mean / naive.work_mean`, in percent.
    work_reduction_pct: f64,
}

/// `bench`'s engine options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Measure the engine with 1..=N workers. Default: the machine's cores.
    #[arg(long)]
    pub max_workers: Option<usize>,
    /// Frames of each paced 60 fps run (naive loop, render-ahead with `repeat`, with `inline`)
    /// per scene and size; 0 skips the comparison.
    #[arg(long, default_value_t = 30)]
    pub pacing_frames: u64,
    /// Time budget in seconds for the single-core measurement of one case and for each engine
    /// scaling run (fewer frames at large sizes; at least 5 frames).
    #[arg(long, default_value_t = 0.5)]
    pub case_seconds: f64,
    /// The folder holding the example assets (`dancing_robot.png`, `dancing_robot.json`) for
    /// the spritesheet and image scenes. Default: `examples/assets` of the current folder if it
    /// exists, else of the source tree this binary was built from.
    #[arg(long)]
    pub assets: Option<PathBuf>,
}

fn rate60() -> FrameRate {
    FrameRate::whole(60).unwrap_or_else(|_| unreachable!("60 fps is valid"))
}

fn engine_run(
    scene: &Arc<dyn Scene>,
    size: Size,
    config: EngineConfig,
    frames: u64,
    paced: bool,
) -> Result<RunReport, Failure> {
    let base = RenderContext::new(size, rate60(), 1, 0);
    let engine = Engine::new(Arc::clone(scene), SceneKey(1), base, config)
        .map_err(|e| Failure::BadInput(e.to_string()))?
        .with_alloc_counter(allocations)
        .with_counted_threads(count_this_thread);
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    engine
        .run(
            outputs,
            RunOptions { frames: Some(frames), paced, scene_name: "bench".into(), ..RunOptions::default() },
        )
        .map_err(|e| Failure::Io(e.into()))
}

/// Frames per second with 1..=max workers (unpaced).
fn scaling(scene: &Arc<dyn Scene>, size: Size, frames: u64, max: usize) -> Result<Scaling, Failure> {
    let mut fps = Vec::new();
    let mut util = Vec::new();
    let mut allocs = None;
    for w in 1..=max {
        let config = EngineConfig {
            workers: w,
            cache_bytes: (4 * w + 4) * size.area() * 4,
            raise_presenter_priority: false,
            ..EngineConfig::default()
        };
        let r = engine_run(scene, size, config, frames, false)?;
        fps.push(r.ticks as f64 / r.wall_seconds.max(1e-9));
        util.push(r.worker_utilisation);
        allocs = r.outputs[0].allocs_per_frame;
    }
    let one = fps.first().copied().unwrap_or(0.0);
    let efficiency = fps
        .iter()
        .enumerate()
        .map(|(i, f)| if one > 0.0 { f / (one * (i + 1) as f64) } else { 0.0 })
        .collect();
    Ok(Scaling {
        frames,
        fps_by_workers: fps,
        efficiency_by_workers: efficiency,
        utilisation_by_workers: util,
        engine_allocs_per_frame: allocs,
    })
}

fn pacing(scene: &Arc<dyn Scene>, size: Size, frames: u64, workers: usize) -> Result<Pacing, Failure> {
    let naive = EngineConfig { workers: 1, render_ahead: false, ..EngineConfig::default() };
    let n = engine_run(scene, size, naive, frames, true)?;
    let ahead = |miss_policy| EngineConfig {
        workers,
        cache_bytes: (128usize << 20).max(4 * size.area() * 4),
        miss_policy,
        ..EngineConfig::default()
    };
    let repeat = engine_run(scene, size, ahead(MissPolicy::RepeatPrevious), frames, true)?;
    let inline = engine_run(scene, size, ahead(MissPolicy::RenderInline), frames, true)?;
    let (naive, ahead_repeat, ahead_inline) =
        (PacedRun::of(&n.outputs[0]), PacedRun::of(&repeat.outputs[0]), PacedRun::of(&inline.outputs[0]));
    let work_reduction_pct = if naive.work_mean_ms > 0.0 {
        100.0 * (1.0 - ahead_repeat.work_hit_mean_ms / naive.work_mean_ms)
    } else {
        0.0
    };
    Ok(Pacing { frames, naive, ahead_repeat, ahead_inline, work_reduction_pct })
}

/// Where the example assets are: `--assets`, else `./examples/assets`, else the source tree's.
fn assets_dir(arg: Option<&Path>) -> PathBuf {
    if let Some(dir) = arg {
        return dir.to_path_buf();
    }
    let here = Path::new("examples/assets");
    if here.join("dancing_robot.png").exists() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/assets")
}

/// A scene to measure: label and the parameters it is built from.
fn cases(only: &[String], assets: &Path) -> Result<Vec<(String, Params)>, Failure> {
    let mut out = Vec::new();
    for info in builtin_scenes() {
        let mut p = Params::new(info.name, None);
        if matches!(info.name, "spritesheet" | "image") {
            let file = if info.name == "image" { "dancing_robot.png" } else { "dancing_robot.json" };
            let path = assets.join(file);
            if !path.exists() {
                if only.iter().any(|o| o == info.name) {
                    return Err(Failure::BadInput(format!(
                        "`{}` needs {} (give the example assets folder with --assets)",
                        info.name,
                        path.display()
                    )));
                }
                eprintln!(
                    "note: skipping `{}`: {} not found (give the example assets folder with --assets)",
                    info.name,
                    path.display()
                );
                continue;
            }
            p = p.with("path", Value::Str(path.display().to_string()));
        }
        out.push((info.name.to_string(), p));
        if info.name == "random-pixels" {
            out.push((
                "confetti".to_string(),
                Params::new("random-pixels", None).with("preset", Value::Str("confetti".into())),
            ));
        }
    }
    if !only.is_empty() {
        out.retain(|(name, _)| only.iter().any(|o| o == name));
    }
    Ok(out)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Renders up to `frames` ticks on this thread within `budget` (at least 5 frames): per-frame
/// times, and allocations per frame over the second half.
fn measure(scene: &dyn Scene, size: Size, frames: u64, budget: Duration) -> (Vec<f64>, f64, u64) {
    count_this_thread();
    let base = RenderContext::new(size, rate60(), 1, 0);
    let mut renderer = Renderer::default();
    let mut frame = tickframe_core::Frame::new(size);
    let mut times = Vec::with_capacity(frames.min(100_000) as usize);
    let started = Instant::now();
    let mut half: Option<(u64, u64)> = None;
    let mut tick = 0;
    while tick < frames && (tick < 5 || started.elapsed() < budget) {
        let t = Instant::now();
        renderer.render(scene, &base.at_tick(tick), &mut frame);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        tick += 1;
        // The warm-up is the first half (of the frames, or of the time budget).
        if half.is_none() && (tick >= frames / 2 || started.elapsed() >= budget / 2) {
            half = Some((tick, allocations()));
        }
    }
    let (at, before) = half.unwrap_or((tick, allocations()));
    let counted = tick - at;
    let allocs = if counted > 0 { (allocations() - before) as f64 / counted as f64 } else { 0.0 };
    (times, allocs, counted)
}

/// Runs the benchmark and prints the tables (and JSON when asked).
pub fn run(
    only: &[String],
    sizes: &[Size],
    frames: u64,
    json: Option<&Path>,
    args: &BenchArgs,
) -> Result<(), Failure> {
    let frames = frames.max(1);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let max_workers = args.max_workers.unwrap_or(cores);
    if max_workers == 0 || max_workers > tickframe_engine::MAX_WORKERS {
        return Err(Failure::BadInput(format!(
            "--max-workers must be 1..={} (got {max_workers})",
            tickframe_engine::MAX_WORKERS
        )));
    }
    if !(args.case_seconds.is_finite() && args.case_seconds > 0.0 && args.case_seconds <= 3600.0) {
        return Err(Failure::BadInput(format!(
            "--case-seconds must be a number of seconds in (0, 3600], got {}",
            args.case_seconds
        )));
    }
    let budget = Duration::from_secs_f64(args.case_seconds);
    let assets = assets_dir(args.assets.as_deref());
    let cases = cases(only, &assets)?;
    if cases.is_empty() {
        return Err(Failure::BadInput(format!("no built-in scene matches {only:?}; see `tickframe scenes`")));
    }
    let mut rows = Vec::new();
    println!(
        "{:<14} {:>9} {:>7} {:>9} {:>9} {:>9} {:>8} {:>8} {:>14}",
        "scene", "size", "frames", "p50 ms", "p99 ms", "mean ms", "fps", "alloc/f", "vs reference"
    );
    for &size in sizes {
        for (label, params) in &cases {
            let mut cx = BuildContext::new(PathBuf::from("."), size, rate60());
            let scene: Arc<dyn Scene> = build_scene(params.clone(), &mut cx)
                .map_err(|e| Failure::BadInput(format!("building `{label}`: {e}")))?;
            let (mut times, allocs, allocs_frames) = measure(&*scene, size, frames, budget);
            let measured = times.len() as u64;
            let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
            times.sort_by(f64::total_cmp);
            let p50 = percentile(&times, 0.5);
            let reference = REFERENCES
                .iter()
                .find(|r| r.0 == label && size.width() == 256 && size.height() == 64)
                .map(|r| r.2);
            let single = SingleCore {
                frames: measured,
                p50_ms: p50,
                p99_ms: percentile(&times, 0.99),
                mean_ms: mean,
                fps: if mean > 0.0 { 1000.0 / mean } else { 0.0 },
                allocs_per_frame: allocs,
                allocs_frames,
                reference_ms: reference,
                speedup: reference.map(|r| r / p50.max(1e-9)),
            };
            let vs = single.speedup.map_or(String::from("-"), |s| format!("{s:.1}x faster"));
            println!(
                "{:<14} {:>9} {:>7} {:>9.4} {:>9.4} {:>9.4} {:>8.0} {:>8.2} {:>14}",
                label,
                size.to_string(),
                single.frames,
                single.p50_ms,
                single.p99_ms,
                single.mean_ms,
                single.fps,
                single.allocs_per_frame,
                vs
            );
            // Engine runs sized to the time budget from the single-core rate (per worker count).
            let scaling_frames = ((budget.as_secs_f64() * single.fps) as u64).clamp(10, frames.max(10));
            let scaling = scaling(&scene, size, scaling_frames, max_workers)?;
            let pacing = if args.pacing_frames > 0 {
                Some(pacing(&scene, size, args.pacing_frames, max_workers)?)
            } else {
                None
            };
            rows.push(Row {
                scene: label.clone(),
                size: size.to_string(),
                single_core: single,
                scaling,
                pacing,
            });
        }
    }
    println!();
    println!(
        "{:<14} {:>9} {:>7} {:>26} {:>22} {:>16} {:>9}",
        "engine", "size", "frames", "fps, 1..N workers", "efficiency", "utilisation", "alloc/f"
    );
    for r in &rows {
        let s = &r.scaling;
        let join =
            |v: &[f64], f: &dyn Fn(f64) -> String| v.iter().map(|x| f(*x)).collect::<Vec<_>>().join("/");
        println!(
            "{:<14} {:>9} {:>7} {:>26} {:>22} {:>16} {:>9}",
            r.scene,
            r.size,
            s.frames,
            join(&s.fps_by_workers, &|x| format!("{x:.0}")),
            join(&s.efficiency_by_workers, &|x| format!("{:.0}%", x * 100.0)),
            join(&s.utilisation_by_workers, &|x| format!("{:.0}%", x * 100.0)),
            s.engine_allocs_per_frame.map_or_else(|| "-".to_string(), |a| format!("{a:.2}"))
        );
    }
    if rows.iter().any(|r| r.pacing.is_some()) {
        println!();
        println!(
            "{:<14} {:>9} | {:>9} {:>9} {:>6} | {:>12} | {:>15} | {:>15} | {:>8}",
            "pacing 60 fps",
            "size",
            "naive w/f",
            "ahead hit",
            "-work",
            "drop n/r/i",
            "p99 ms n/r/i",
            "max ms n/r/i",
            "inline"
        );
        for r in &rows {
            let Some(p) = &r.pacing else { continue };
            let (n, a, i) = (&p.naive, &p.ahead_repeat, &p.ahead_inline);
            println!(
                "{:<14} {:>9} | {:>9.4} {:>9.4} {:>5.1}% | {:>12} | {:>15} | {:>15} | {:>8}",
                r.scene,
                r.size,
                n.work_mean_ms,
                a.work_hit_mean_ms,
                p.work_reduction_pct,
                format!("{}/{}/{}", n.dropped, a.dropped, i.dropped),
                format!("{:.1}/{:.1}/{:.1}", n.interval_p99_ms, a.interval_p99_ms, i.interval_p99_ms),
                format!("{:.1}/{:.1}/{:.1}", n.interval_max_ms, a.interval_max_ms, i.interval_max_ms),
                i.inline_renders
            );
        }
        println!(
            "(pacing: n = naive loop (render inline, then sleep), r = render-ahead repeating the previous \
             frame on a miss, i = render-ahead rendering inline when it fits before the deadline; \
             w/f = presenter work per frame in ms, ahead hit = render-ahead's work on a cache hit, \
             -work = its reduction; inline = frames the inline policy rendered on the presenter)"
        );
    }
    for (name, what, ms) in REFERENCES {
        println!("reference: {name} 256x64 = {ms} ms/frame ({what}, product brief)");
    }
    if let Some(path) = json {
        let doc = serde_json::json!({
            "format": "tickframe-bench",
            "cores": cores,
            "max_workers": max_workers,
            "case_seconds": args.case_seconds,
            "rows": rows,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?;
        crate::output::write_atomically(path, text.as_bytes())?;
    }
    Ok(())
}
