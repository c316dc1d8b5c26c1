//! A panicking scene: caught, retried once, then an error frame or the previous frame; the run
//! and the worker go on. Stopping from outside and bad settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tickframe_core::{Frame, RenderContext, frame_hash};
use tickframe_engine::{
    Engine, EngineConfig, EngineError, FaultPolicy, NullOutput, Output, RunOptions, SceneKey,
    fill_error_frame,
};

use crate::common::{PanicAt, Recorder, fps, serial, size};

fn run_panicking(flaky: bool, policy: FaultPolicy) -> (tickframe_engine::RunReport, Vec<(u64, u128)>) {
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let scene = Arc::new(PanicAt { tick: 7, flaky, fired: AtomicBool::new(false) });
    let config =
        EngineConfig { workers: 1, cache_bytes: 1 << 16, fault_policy: policy, ..EngineConfig::default() };
    let engine = Engine::new(scene, SceneKey(9), base, config).unwrap();
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine
        .run(
            outputs,
            RunOptions { frames: Some(20), scene_name: "panic-at-7".into(), ..RunOptions::default() },
        )
        .unwrap();
    let frames = seen.lock().unwrap().frames.clone();
    (report, frames)
}

#[test]
fn a_panicking_render_shows_the_error_frame_and_the_run_goes_on() {
    let _g = serial();
    let (report, frames) = run_panicking(false, FaultPolicy::ErrorFrame);
    // One worker rendered all 20 ticks: it survived the panic.
    assert_eq!(frames.len(), 20);
    assert_eq!(report.worker_renders, 20);
    let mut error = Frame::new(size(16, 8));
    fill_error_frame(&mut error);
    assert_eq!(frames[7], (7, frame_hash(error.view())));
    assert_ne!(frames[6].1, frames[7].1);
    assert_eq!(report.faults_total, 1);
    let f = &report.faults[0];
    assert_eq!((f.tick, f.recovered, f.scene.as_str()), (7, false, "panic-at-7"));
    assert!(f.message.contains("injected panic at tick 7"), "{}", f.message);
    assert!(report.summary().contains("panicked"), "{}", report.summary());
}

#[test]
fn a_panicking_render_can_show_the_previous_frame() {
    let _g = serial();
    let (report, frames) = run_panicking(false, FaultPolicy::PreviousFrame);
    assert_eq!(frames.len(), 20);
    assert_eq!(frames[7].1, frames[6].1, "tick 7 repeats tick 6");
    assert_eq!(report.outputs[0].repeated, 1);
    assert_eq!(report.faults_total, 1);
}

#[test]
fn a_panic_that_passes_on_retry_shows_the_right_frame() {
    let _g = serial();
    let (report, frames) = run_panicking(true, FaultPolicy::ErrorFrame);
    let (_, clean) = run_panicking_free();
    assert_eq!(frames, clean);
    assert!(report.faults[0].recovered);
}

fn run_panicking_free() -> (tickframe_engine::RunReport, Vec<(u64, u128)>) {
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let engine = Engine::new(
        Arc::new(crate::common::Bars),
        SceneKey(9),
        base,
        EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine.run(outputs, RunOptions { frames: Some(20), ..RunOptions::default() }).unwrap();
    let frames = seen.lock().unwrap().frames.clone();
    (report, frames)
}

#[test]
fn an_external_stop_ends_an_endless_run_cleanly() {
    let _g = serial();
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let engine = Engine::new(
        Arc::new(crate::common::Bars),
        SceneKey(1),
        base,
        EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        s2.store(true, Ordering::Relaxed);
    });
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine
        .run(outputs, RunOptions { frames: None, paced: true, stop: Some(stop), ..RunOptions::default() })
        .unwrap();
    t.join().unwrap();
    assert!(report.outputs[0].presented > 0);
    assert!(!report.outputs[0].finished, "a stopped run does not look complete");
    assert_eq!(seen.lock().unwrap().finished, None);
}

#[test]
fn an_output_asking_to_stop_ends_the_run() {
    let _g = serial();
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let engine = Engine::new(
        Arc::new(crate::common::Bars),
        SceneKey(1),
        base,
        EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() },
    )
    .unwrap();
    let (mut rec, seen) = Recorder::new();
    rec.stop_after = Some(5);
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine.run(outputs, RunOptions { frames: Some(100), ..RunOptions::default() }).unwrap();
    assert_eq!(seen.lock().unwrap().frames.len(), 5);
    assert!(report.outputs[0].stopped_by_output && !report.outputs[0].finished);
}

#[test]
fn bad_settings_are_refused() {
    let _g = serial();
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let scene = Arc::new(crate::common::Bars);
    let e =
        Engine::new(scene.clone(), SceneKey(1), base, EngineConfig { workers: 0, ..EngineConfig::default() });
    assert!(matches!(e, Err(EngineError::NoWorkers)));
    let e =
        Engine::new(scene, SceneKey(1), base, EngineConfig { cache_bytes: 100, ..EngineConfig::default() });
    match e {
        Err(err @ EngineError::CacheTooSmall { .. }) => {
            assert!(err.to_string().contains("smaller than one frame (512 bytes)"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    let _ = NullOutput;
}

#[test]
fn a_panic_in_a_paced_run_is_caught_and_the_run_keeps_its_pace() {
    let _g = serial();
    let base = RenderContext::new(size(16, 8), fps(60), 3, 0);
    let scene = Arc::new(PanicAt { tick: 7, flaky: false, fired: AtomicBool::new(false) });
    let config = EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() };
    let engine = Engine::new(scene, SceneKey(9), base, config).unwrap();
    let (rec, seen) = Recorder::new();
    let outputs: Vec<Box<dyn Output>> = vec![Box::new(rec)];
    let report = engine
        .run(
            outputs,
            RunOptions {
                frames: Some(40),
                paced: true,
                scene_name: "panic-at-7".into(),
                ..RunOptions::default()
            },
        )
        .unwrap();
    let o = &report.outputs[0];
    assert!(o.finished, "{}", report.summary());
    assert_eq!(o.presented + o.skipped, 40, "{o:?}");
    assert_eq!(report.faults_total, 1);
    assert_eq!((report.faults[0].tick, report.faults[0].recovered), (7, false));
    let frames = seen.lock().unwrap().frames.clone();
    let mut error = Frame::new(size(16, 8));
    fill_error_frame(&mut error);
    let at7: Vec<_> = frames.iter().filter(|(t, _)| *t == 7).collect();
    assert!(at7.iter().all(|(_, h)| *h == frame_hash(error.view())), "tick 7 shows the error frame");
    assert!(frames.iter().any(|(t, _)| *t > 7), "the run went on past the fault");
}
