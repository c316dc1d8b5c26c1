//! `tickframe bench`: single-core render time per frame and allocations per frame for every
//! built-in scene, with the ratio to the reference renderers of the product brief; frames per
//! second through the render-ahead engine with 1..N workers and the scaling efficiency; and the
//! pacing comparison of the naive loop (render inline, then sleep) against render-ahead.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tickframe_core::{FrameRate, RenderContext, Renderer, Scene, Size};
use tickframe_engine::{Engine, EngineConfig, NullOutput, Output, RunOptions, RunReport, SceneKey};
use tickframe_scenes::params::{Params, Value};
use tickframe_scenes::registry::{BuildContext, build_scene, builtin_scenes};

use crate::Failure;
use crate::alloc_count::allocations;

/// Reference figures from the product brief (this kind of machine, one core, 256×64).
const REFERENCES: &[(&str, &str, f64)] =
    &[("mandelbrot", "Python + numba, one core", 5.46), ("confetti", "Python + pygame", 30.5)];

/// One measured row.
#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    scene: String,
    size: String,
    frames: u64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    fps_one_core: f64,
    allocs_per_frame: f64,
    reference_ms: Option<f64>,
    speedup: Option<f64>,
    /// Frames per second through the engine (unpaced, null output) with 1, 2, … workers.
    fps_by_workers: Vec<f64>,
    /// `fps(N) / (N · fps(1))` for the largest N.
    scaling_efficiency: f64,
    /// Worker utilisation (busy / wall) with N workers.
    utilisation: f64,
    /// The paced comparison at 60 fps, when run.
    pacing: Option<Pacing>,
}

/// The naive loop against render-ahead, paced at 60 fps.
#[derive(Debug, Clone, serde::Serialize)]
struct Pacing {
    frames: u64,
    naive_work_ms: f64,
    ahead_work_ms: f64,
    ahead_work_hit_ms: f64,
    work_reduction_pct: f64,
    naive_dropped: u64,
    ahead_dropped: u64,
    naive_interval_p99_ms: f64,
    naive_interval_max_ms: f64,
    ahead_interval_p99_ms: f64,
    ahead_interval_max_ms: f64,
}

/// `bench`'s engine options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Measure the engine with 1..=N workers. Default: the machine's cores.
    #[arg(long)]
    pub max_workers: Option<usize>,
    /// Frames of the paced 60 fps comparison (naive loop against render-ahead) per scene and
    /// size; 0 skips it. Capped by `--frames`.
    #[arg(long, default_value_t = 60)]
    pub pacing_frames: u64,
}

fn engine_run(
    scene: &Arc<dyn Scene>,
    size: Size,
    config: EngineConfig,
    frames: u64,
    paced: bool,
) -> Result<RunReport, Failure> {
    let rate = FrameRate::whole(60).unwrap_or_else(|_| unreachable!("60 fps is valid"));
    let base = RenderContext::new(size, rate, 1, 0);
    let engine = Engine::new(Arc::clone(scene), SceneKey(1), base, config)
        .map_err(|e| Failure::BadInput(e.to_string()))?
        .with_alloc_counter(allocations);
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
    engine
        .run(
            outputs,
            RunOptions { frames: Some(frames), paced, scene_name: "bench".into(), ..RunOptions::default() },
        )
        .map_err(|e| Failure::Io(e.into()))
}

/// Frames per second with 1..=max workers (unpaced), and the utilisation at `max`.
fn scaling(scene: &Arc<dyn Scene>, size: Size, frames: u64, max: usize) -> Result<(Vec<f64>, f64), Failure> {
    let mut fps = Vec::new();
    let mut util = 0.0;
    for w in 1..=max {
        let config = EngineConfig {
            workers: w,
            cache_bytes: (2 * w + 2) * size.area() * 4,
            ..EngineConfig::default()
        };
        let r = engine_run(scene, size, config, frames, false)?;
        fps.push(r.ticks as f64 / r.wall_seconds.max(1e-9));
        util = r.worker_utilisation;
    }
    Ok((fps, util))
}

fn pacing(scene: &Arc<dyn Scene>, size: Size, frames: u64, workers: usize) -> Result<Pacing, Failure> {
    let naive = EngineConfig { workers: 1, render_ahead: false, ..EngineConfig::default() };
    let n = engine_run(scene, size, naive, frames, true)?;
    let ahead = EngineConfig {
        workers,
        cache_bytes: (128usize << 20).max(4 * size.area() * 4),
        ..EngineConfig::default()
    };
    let a = engine_run(scene, size, ahead, frames, true)?;
    let (n, a) = (&n.outputs[0], &a.outputs[0]);
    Ok(Pacing {
        frames,
        naive_work_ms: n.presenter_work_ms.mean,
        ahead_work_ms: a.presenter_work_ms.mean,
        ahead_work_hit_ms: a.presenter_work_hit_ms.mean,
        work_reduction_pct: if n.presenter_work_ms.mean > 0.0 {
            100.0 * (1.0 - a.presenter_work_ms.mean / n.presenter_work_ms.mean)
        } else {
            0.0
        },
        naive_dropped: n.dropped,
        ahead_dropped: a.dropped,
        naive_interval_p99_ms: n.interval_ms.p99,
        naive_interval_max_ms: n.interval_ms.max,
        ahead_interval_p99_ms: a.interval_ms.p99,
        ahead_interval_max_ms: a.interval_ms.max,
    })
}

/// A scene to measure: label and the parameters it is built from.
fn cases(only: &[String]) -> Vec<(String, Params)> {
    let mut out = Vec::new();
    let examples = Path::new("examples/assets");
    for info in builtin_scenes() {
        let mut p = Params::new(info.name, None);
        match info.name {
            "spritesheet" | "image" => {
                let file = if info.name == "image" { "dancing_robot.png" } else { "dancing_robot.json" };
                let path = examples.join(file);
                if !path.exists() {
                    eprintln!(
                        "note: skipping `{}`: {} not found (run from the repository root)",
                        info.name,
                        path.display()
                    );
                    continue;
                }
                p = p.with("path", Value::Str(path.display().to_string()));
            }
            _ => {}
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
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn measure(scene: &dyn Scene, size: Size, frames: u64) -> (Vec<f64>, f64) {
    let rate = FrameRate::whole(60).unwrap_or_else(|_| unreachable!("60 fps is valid"));
    let base = RenderContext::new(size, rate, 1, 0);
    let mut renderer = Renderer::default();
    let mut frame = tickframe_core::Frame::new(size);
    // Warm-up: fill scratch pools and display-list capacity.
    for tick in 0..frames.min(30) {
        renderer.render(scene, &base.at_tick(tick), &mut frame);
    }
    let mut times = Vec::with_capacity(frames as usize);
    let allocs_before = allocations();
    for tick in 0..frames {
        let t = Instant::now();
        renderer.render(scene, &base.at_tick(tick), &mut frame);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let allocs = (allocations() - allocs_before) as f64 / frames.max(1) as f64;
    (times, allocs)
}

/// Runs the benchmark and prints a table (and JSON when asked).
pub fn run(
    only: &[String],
    sizes: &[Size],
    frames: u64,
    json: Option<&Path>,
    args: &BenchArgs,
) -> Result<(), Failure> {
    let frames = frames.max(1);
    let max_workers = args
        .max_workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    if max_workers == 0 {
        return Err(Failure::BadInput("--max-workers must be at least 1 (got 0)".into()));
    }
    let pacing_frames = args.pacing_frames.min(frames);
    let mut rows = Vec::new();
    let cases = cases(only);
    if cases.is_empty() {
        return Err(Failure::BadInput(format!("no built-in scene matches {only:?}; see `tickframe scenes`")));
    }
    println!(
        "{:<14} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8} {:>12}",
        "scene", "size", "frames", "p50 ms", "p99 ms", "mean ms", "fps", "alloc/f", "vs reference"
    );
    for &size in sizes {
        for (label, params) in &cases {
            let rate = FrameRate::whole(60).unwrap_or_else(|_| unreachable!("60 fps is valid"));
            let mut cx = BuildContext::new(PathBuf::from("."), size, rate);
            let scene: Arc<dyn Scene> = build_scene(params.clone(), &mut cx)
                .map_err(|e| Failure::BadInput(format!("building `{label}`: {e}")))?;
            let (mut times, allocs) = measure(&*scene, size, frames);
            let (fps_by_workers, utilisation) = scaling(&scene, size, frames, max_workers)?;
            let pacing = if pacing_frames > 0 {
                Some(pacing(&scene, size, pacing_frames, max_workers)?)
            } else {
                None
            };
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            times.sort_by(f64::total_cmp);
            let p50 = percentile(&times, 0.5);
            let reference = REFERENCES
                .iter()
                .find(|r| r.0 == label && size.width() == 256 && size.height() == 64)
                .map(|r| r.2);
            let row = Row {
                scene: label.clone(),
                size: size.to_string(),
                frames,
                p50_ms: p50,
                p99_ms: percentile(&times, 0.99),
                mean_ms: mean,
                fps_one_core: 1000.0 / mean,
                allocs_per_frame: allocs,
                reference_ms: reference,
                speedup: reference.map(|r| r / p50),
                scaling_efficiency: match (fps_by_workers.first(), fps_by_workers.last()) {
                    (Some(&one), Some(&n)) if one > 0.0 => n / (one * fps_by_workers.len() as f64),
                    _ => 0.0,
                },
                fps_by_workers,
                utilisation,
                pacing,
            };
            let vs = row.speedup.map_or(String::from("-"), |s| format!("{s:.1}x faster"));
            println!(
                "{:<14} {:>9} {:>7} {:>9.4} {:>9.4} {:>9.4} {:>9.0} {:>8.2} {:>12}",
                row.scene,
                row.size,
                row.frames,
                row.p50_ms,
                row.p99_ms,
                row.mean_ms,
                row.fps_one_core,
                row.allocs_per_frame,
                vs
            );
            rows.push(row);
        }
    }
    println!();
    println!(
        "{:<14} {:>9} {:>24} {:>7} {:>6} | {:>10} {:>10} {:>6} {:>7} {:>7} {:>7}",
        "engine",
        "size",
        "fps by workers 1..N",
        "scaling",
        "util",
        "naive ms/f",
        "ahead ms/f",
        "-work",
        "drop n/a",
        "p99 ms",
        "max ms"
    );
    for r in &rows {
        let fps: Vec<String> = r.fps_by_workers.iter().map(|f| format!("{f:.0}")).collect();
        let pacing = r.pacing.as_ref().map_or_else(
            || "-".to_string(),
            |p| {
                format!(
                    "{:>10.4} {:>10.4} {:>5.1}% {:>3}/{:<3} {:>7.2} {:>7.2}",
                    p.naive_work_ms,
                    p.ahead_work_ms,
                    p.work_reduction_pct,
                    p.naive_dropped,
                    p.ahead_dropped,
                    p.ahead_interval_p99_ms,
                    p.ahead_interval_max_ms
                )
            },
        );
        println!(
            "{:<14} {:>9} {:>24} {:>6.0}% {:>5.0}% | {pacing}",
            r.scene,
            r.size,
            fps.join("/"),
            r.scaling_efficiency * 100.0,
            r.utilisation * 100.0
        );
    }
    println!(
        "(engine: unpaced frames/s through the render-ahead engine with a null output; pacing at 60 fps: \
         presenter work per frame of the naive loop (render inline, sleep) against render-ahead, its \
         reduction, dropped frames naive/ahead, and render-ahead's interval p99 and max)"
    );
    for (name, what, ms) in REFERENCES {
        println!("reference: {name} 256x64 = {ms} ms/frame ({what}, product brief)");
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?;
        crate::output::write_atomically(path, text.as_bytes())?;
    }
    Ok(())
}
