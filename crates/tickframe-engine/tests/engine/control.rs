//! The control API: seeks give the expected ticks (the timeline is a function of the deadline
//! index and the recorded actions), pause holds the tick, next/previous entry, stop-all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tickframe_core::{RenderContext, Tick};
use tickframe_engine::{
    ControlRequest, Engine, EngineConfig, EntryIndex, NullOutput, Output, RunOptions, SceneKey,
};

use crate::common::{Bars, Scripted, bars_hash, fps, serial, size};

fn base() -> RenderContext {
    RenderContext::new(size(16, 8), fps(60), 5, 0)
}

fn engine() -> Engine {
    let config = EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() };
    Engine::new(Arc::new(Bars), SceneKey(21), base(), config).unwrap()
}

fn ticks(frames: &[(Tick, u128)]) -> Vec<Tick> {
    frames.iter().map(|f| f.0).collect()
}

#[test]
fn an_unpaced_seek_continues_from_the_target_tick() {
    let _g = serial();
    let (mut out, seen) = Scripted::new("s");
    out.requests = vec![(10, ControlRequest::Seek(500))];
    let report = engine()
        .run(vec![Box::new(out) as Box<dyn Output>], RunOptions { frames: Some(40), ..RunOptions::default() })
        .unwrap();
    let frames = seen.lock().unwrap().frames.clone();
    let expected: Vec<Tick> = (0..10).chain(500..530).collect();
    assert_eq!(ticks(&frames), expected);
    for (t, h) in &frames {
        assert_eq!(*h, bars_hash(base(), *t), "tick {t} shows its own frame after the seek");
    }
    assert_eq!(report.controls.len(), 1);
    let c = report.controls[0];
    assert_eq!((c.action, c.deadline, c.from_tick, c.to_tick), ("seek", 10, 10, 500));
    assert!(report.outputs[0].finished && report.outputs[0].dropped == 0);
}

#[test]
fn a_paced_seek_maps_deadlines_to_ticks_from_the_target() {
    let _g = serial();
    let (mut out, seen) = Scripted::new("s");
    out.requests = vec![(10, ControlRequest::Seek(300)), (20, ControlRequest::Seek(5))];
    let report = engine()
        .run(
            vec![Box::new(out) as Box<dyn Output>],
            RunOptions { frames: Some(40), paced: true, ..RunOptions::default() },
        )
        .unwrap();
    let frames = seen.lock().unwrap().frames.clone();
    let t = ticks(&frames);
    assert_eq!(report.controls.len(), 2, "{:?}", report.controls);
    // Each seek takes effect at its deadline k: tick = target + (k' − k) for later deadlines k'.
    for c in &report.controls {
        assert_eq!(c.action, "seek");
    }
    let (a, b) = (report.controls[0], report.controls[1]);
    assert_eq!((a.to_tick, b.to_tick), (300, 5));
    assert!(t.contains(&300) && t.contains(&5), "{t:?}");
    let i300 = t.iter().position(|&x| x == 300).unwrap();
    assert_eq!(i300, 10, "the seek applies at the next present: {t:?}");
    assert!(t[..10].iter().all(|&x| x < 300));
    let i5 = t.iter().rposition(|&x| x == 5).unwrap();
    assert!(t[i300..i5].iter().all(|&x| (300..300 + 40).contains(&x)), "{t:?}");
    assert!(t[i5..].windows(2).all(|w| w[1] > w[0]), "{t:?}");
    assert_eq!(t[i5..].last().copied(), Some(5 + (39 - b.deadline)), "{t:?} {b:?}");
    // Right after a seek the target is not rendered yet: the previous frame is repeated (counted)
    // until it is; every other present shows its own tick's frame.
    let mut repeats = 0;
    for (i, (tick, h)) in frames.iter().enumerate() {
        if *h != bars_hash(base(), *tick) {
            assert!(i > 0 && *h == frames[i - 1].1, "tick {tick} shows neither its frame nor the previous");
            repeats += 1;
        }
    }
    assert!(repeats <= report.outputs[0].repeated, "{:?}", report.outputs[0]);
}

#[test]
fn pause_holds_the_tick_and_resume_continues_from_it() {
    let _g = serial();
    let engine = engine();
    let control = engine.control();
    let (out, seen) = Scripted::new("s");
    let watcher = {
        let control = control.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(10);
            while control.shown_tick() < 5 && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(2));
            }
            control.pause();
            std::thread::sleep(Duration::from_millis(300));
            control.resume();
        })
    };
    let report = engine
        .run(
            vec![Box::new(out) as Box<dyn Output>],
            RunOptions { frames: Some(60), paced: true, ..RunOptions::default() },
        )
        .unwrap();
    watcher.join().unwrap();
    let t = ticks(&seen.lock().unwrap().frames);
    let o = &report.outputs[0];
    assert!(o.held >= 10, "300 ms paused at 60 fps holds ~18 frames: {o:?}");
    let actions: Vec<&str> = report.controls.iter().map(|c| c.action).collect();
    assert_eq!(actions, ["pause", "resume"]);
    let (p, r) = (report.controls[0], report.controls[1]);
    assert_eq!(p.from_tick, p.to_tick);
    assert_eq!(r.from_tick, p.to_tick, "resume continues from the held tick");
    // The held tick repeats, then the ticks go on from it (no jump over the pause).
    let held = p.to_tick;
    let run = t.iter().filter(|&&x| x == held).count() as u64;
    assert!(run > o.held, "{t:?}");
    let after: Vec<Tick> = t.iter().copied().skip_while(|&x| x <= held).collect();
    assert!(after.first().is_some_and(|&x| x <= held + 3), "no jump after the resume: {t:?}");
    assert_eq!(o.presented + o.skipped, 60, "{o:?}");
    assert_eq!(o.dropped, o.skipped + o.repeated, "held frames are not dropped: {o:?}");
}

/// Entries of 100 ticks each, four of them, looping.
struct Hundreds;

impl EntryIndex for Hundreds {
    fn entries(&self) -> usize {
        4
    }
    fn entry_at(&self, tick: Tick) -> usize {
        (tick / 100 % 4) as usize
    }
    fn next_start(&self, tick: Tick) -> Option<Tick> {
        Some((tick / 100 + 1) * 100)
    }
    fn previous_start(&self, tick: Tick) -> Option<Tick> {
        Some((tick / 100).saturating_sub(1) * 100)
    }
}

#[test]
fn next_and_previous_entry_seek_to_entry_starts() {
    let _g = serial();
    let engine = engine().with_entries(Arc::new(Hundreds));
    let (mut out, seen) = Scripted::new("s");
    out.requests = vec![
        (5, ControlRequest::NextEntry),
        (10, ControlRequest::NextEntry),
        (15, ControlRequest::PreviousEntry),
    ];
    engine
        .run(vec![Box::new(out) as Box<dyn Output>], RunOptions { frames: Some(20), ..RunOptions::default() })
        .unwrap();
    let expected: Vec<Tick> = (0..5).chain(100..105).chain(200..205).chain(100..105).collect();
    assert_eq!(ticks(&seen.lock().unwrap().frames), expected);
}

#[test]
fn quitting_one_output_stops_every_output() {
    let _g = serial();
    let (mut quitter, _) = Scripted::new("window");
    quitter.quit_at = Some(5);
    let (other, other_seen) = Scripted::new("other");
    let report = engine()
        .run(
            vec![Box::new(quitter) as Box<dyn Output>, Box::new(other), Box::new(NullOutput)],
            RunOptions { frames: Some(600), paced: true, ..RunOptions::default() },
        )
        .unwrap();
    assert!(report.outputs[0].stopped_by_output);
    for o in &report.outputs {
        assert!(!o.finished && o.presented < 100, "{}: {o:?}", o.output);
    }
    assert_eq!(other_seen.lock().unwrap().finished, None);
    // Stop through the control, from an output's request.
    let (mut stopper, _) = Scripted::new("s");
    stopper.requests = vec![(3, ControlRequest::Stop)];
    let report = engine()
        .run(
            vec![Box::new(stopper) as Box<dyn Output>],
            RunOptions { frames: Some(600), ..RunOptions::default() },
        )
        .unwrap();
    assert!(report.outputs[0].presented <= 10 && !report.outputs[0].finished, "{:?}", report.outputs[0]);
}
