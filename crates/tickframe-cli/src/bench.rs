//! `tickframe bench`: single-core render time per frame and allocations per frame for every
//! built-in scene, with the ratio to the reference renderers of the product brief.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tickframe_core::{FrameRate, RenderContext, Renderer, Scene, Size};
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
pub fn run(only: &[String], sizes: &[Size], frames: u64, json: Option<&Path>) -> Result<(), Failure> {
    let frames = frames.max(1);
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
    for (name, what, ms) in REFERENCES {
        println!("reference: {name} 256x64 = {ms} ms/frame ({what}, product brief)");
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?;
        crate::output::write_atomically(path, text.as_bytes())?;
    }
    Ok(())
}
