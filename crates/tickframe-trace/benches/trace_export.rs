//! The 120-second `totem` trace (7,200 frames at 256×64 and 60 fps) exported with the default
//! files (index, GIF, APNG, frame store) and verified, through the same library calls as
//! `tickframe trace` and `tickframe verify`, reporting speed against real time and the frame
//! store's size against the raw RGBA.
//!
//! ```sh
//! cargo bench -p tickframe-trace --bench trace_export
//! TICKFRAME_BENCH_SECONDS=20 TICKFRAME_BENCH_RUNS=3 cargo bench -p tickframe-trace --bench trace_export
//! ```
//!
//! Targets (issue 4, on 2 cores): export ≥ 20× real time (under 6 s), verify ≥ 30× real
//! time, store ≤ 25 % of raw RGBA. Run without `--bench` (e.g. by `cargo test --benches`) it
//! exports one second only, as a smoke test.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tickframe_core::DrawMode;
use tickframe_scenes::file::{Overrides, load_scene_file};
use tickframe_trace::{ExportOptions, Formats, VerifyOptions, export_scene, pool, verify};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let seconds = if benching { env_u64("TICKFRAME_BENCH_SECONDS", 120) } else { 1 };
    let runs = if benching { env_u64("TICKFRAME_BENCH_RUNS", 1).max(1) } else { 1 };
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let path = repo.join("examples/totem.toml");
    let scene = load_scene_file(&path, &Overrides::default()).expect("examples/totem.toml");
    let frames = seconds * u64::from(scene.rate.num()) / u64::from(scene.rate.den());
    let anim = frames as f64 * f64::from(scene.rate.den()) / f64::from(scene.rate.num());
    let raw = frames * scene.size.area() as u64 * 4;
    let workers = pool::default_workers();
    let dir = std::env::temp_dir().join(format!("tickframe-bench-trace-{}", std::process::id()));
    let stop = AtomicBool::new(false);
    let (mut export_s, mut verify_s) = (Vec::new(), Vec::new());
    let mut store = 0;
    for run in 0..runs {
        let opts = ExportOptions {
            dir: dir.clone(),
            ticks: 0..frames,
            workers,
            formats: Formats::default(),
            force: true,
            stop: &stop,
            draw: DrawMode::DisplayList,
            clock: None,
        };
        let t = Instant::now();
        let s = export_scene(&scene, path.parent().unwrap(), &opts, &mut |_| {}).expect("export");
        export_s.push(t.elapsed().as_secs_f64());
        store = s.index.files.store.as_ref().map_or(0, |f| f.bytes);
        if run == 0 {
            for (name, bytes) in &s.files {
                println!("  {name:<12} {bytes:>12} bytes");
            }
        }
        let vopts = VerifyOptions { workers, asset_dir: None, report_dir: None, stop: &stop };
        let t = Instant::now();
        let r = verify(&dir, &vopts, &mut |_| {}).expect("verify");
        verify_s.push(t.elapsed().as_secs_f64());
        assert!(r.mismatches.is_empty(), "the trace does not verify: {:?}", r.mismatches.first());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (e, v) = (median(export_s), median(verify_s));
    println!(
        "totem {seconds} s ({frames} frames at {}x{}, {workers} workers, median of {runs}):",
        scene.size.width(),
        scene.size.height()
    );
    println!("  export (index, GIF, APNG, store): {e:.2} s = {:.1}× real time (target ≥ 20×)", anim / e);
    println!("  verify:                           {v:.2} s = {:.1}× real time (target ≥ 30×)", anim / v);
    println!(
        "  frame store: {store} bytes = {:.1} % of raw RGBA ({raw} bytes; target ≤ 25 %)",
        100.0 * store as f64 / raw as f64
    );
}
