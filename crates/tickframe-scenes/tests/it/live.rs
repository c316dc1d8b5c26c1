//! Live input without a sound card: a synthetic source pushes samples into the same ring the
//! capture callback uses, the same analysis runs on them, and the visualizer draws the latched
//! rows; a frame log's bands replay them. (The cpal capture itself is tested by the CLI's
//! `live-audio` tests on ALSA's `null` device.)

use std::f64::consts::TAU;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tickframe_core::{DrawMode, RenderContext, Scene, Size, frame_hash};
use tickframe_scenes::audio::live::{BandFeed, BandRow, LiveInput, LoggedBands, SamplePump, sample_ring};
use tickframe_scenes::audio::{AnalysisSettings, Gain, Look, Mode, Spectrogram, StreamAnalysis, Visualizer};
use tickframe_scenes::audio::{ColorBy, Layout, Style};
use tickframe_scenes::{BuildContext, Params, Value, build_scene};

use crate::audio::busy_clip;
use crate::common::{example_assets, fps60, renderer};

fn settings(gain: Gain, decay_ms: f64) -> AnalysisSettings {
    AnalysisSettings {
        bands: 24,
        min_hz: 40.0,
        max_hz: 4_000.0,
        attack_ms: 15.0,
        decay_ms,
        peak_hold_ms: 100.0,
        peak_fall_ms: 300.0,
        gain,
        gain_db: 0.0,
        range_db: 60.0,
        looped: false,
    }
}

/// The table's row at hop `k` (zeros where it has none).
fn table_row(spec: &Spectrogram, k: i64) -> (Vec<u16>, Vec<u16>) {
    let bands = spec.bands();
    spec.row_at_sample(k * i64::from(spec.hop()))
        .map_or((vec![0; bands], vec![0; bands]), |(l, p)| (l.to_vec(), p.to_vec()))
}

/// A pure sine, `amp` full scale.
fn tone(rate: u32, hz: f64, amp: f64, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n).map(|i| (amp * libm::sin(TAU * hz * i as f64 / f64::from(rate))) as f32).collect()
}

/// Samples pushed through the ring (as a stereo source with both channels equal, from another
/// thread, in chunks like a capture callback's) and analysed hop by hop give exactly the rows
/// of the audio file's table, at every hop: before the audio, across the window's block
/// restarts, and in the silent tail.
#[test]
fn the_ring_and_the_stream_analysis_give_the_file_rows() {
    let rate = 8_000;
    let busy = busy_clip(rate, 6.0).samples;
    let sine = tone(rate, 440.0, 0.5, 3.0);
    for (samples, gain, decay) in
        [(&busy, Gain::Fixed, 60.0), (&sine, Gain::Fixed, 200.0), (&busy, Gain::Auto, 200.0)]
    {
        let settings = settings(gain, decay);
        let clip = tickframe_scenes::audio::Clip {
            rate,
            channels: 1,
            samples: samples.clone(),
            warnings: Vec::new(),
        };
        let spec = Spectrogram::analyse(&clip, &settings);
        let w = spec.window_hops() as usize;
        // The audio, then silence for three windows (the tail, and block restarts in it).
        let mut fed = samples.clone();
        fed.resize(samples.len() + 3 * w * spec.hop() as usize, 0.0);
        let (mut sink, mut consumer) = sample_ring(4096);
        let source = std::thread::spawn(move || {
            let stereo: Vec<f32> = fed.iter().flat_map(|&x| [x, x]).collect();
            let mut at = 0;
            while at < stereo.len() {
                let end = (at + 2 * 160).min(stereo.len());
                let pushed = sink.push_interleaved(&stereo[at..end], 2, |s| s);
                at += 2 * pushed;
                if pushed == 0 {
                    std::thread::yield_now();
                }
            }
        });
        let analysis = StreamAnalysis::new(rate, &settings);
        let first = analysis.next_hop();
        assert!(first < 0, "the first hop's window starts before the stream");
        let mut pump = SamplePump::new(analysis);
        let mut rows: Vec<(i64, Vec<u16>, Vec<u16>)> = Vec::new();
        let total = (samples.len() + 3 * w * spec.hop() as usize) as u64;
        while pump.samples() < total {
            pump.drain(&mut consumer, |k, l, p| rows.push((k, l.to_vec(), p.to_vec())));
        }
        source.join().unwrap();
        assert!(rows.len() > 2 * w + samples.len() / spec.hop() as usize, "{} rows", rows.len());
        let mut nonzero = 0;
        for (i, (k, l, p)) in rows.iter().enumerate() {
            assert_eq!(*k, first + i as i64, "hops come in order");
            let (tl, tp) = table_row(&spec, *k);
            assert_eq!((l, p), (&tl, &tp), "{gain:?}: hop {k} (window {w} hops)");
            nonzero += usize::from(l.iter().any(|&v| v > 0));
        }
        assert!(nonzero > 50, "{gain:?}: only {nonzero} non-empty rows compared");
    }
}

/// Waits (at most 20 s) until the input has analysed `hops` hops.
fn wait_for(input: &LiveInput, hops: u64) {
    let start = Instant::now();
    while input.hops() < hops {
        assert!(start.elapsed() < Duration::from_secs(20), "analysed only {} of {hops} hops", input.hops());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The hops a stream of `samples` samples completes, from the first.
fn hops_for(analysis: &StreamAnalysis, samples: usize) -> u64 {
    let (n, hop) = (analysis.fft_len() as i64, i64::from(analysis.hop_len()));
    let first = analysis.next_hop();
    // Hop k is complete once k·hop + hop/2 + n/2 samples have arrived.
    let last = (samples as i64 - hop / 2 - n / 2).div_euclid(hop);
    (last - first + 1) as u64
}

/// The analysis thread publishes the file analysis' row; the first render of a tick latches
/// the latest row, later renders of that tick draw the same one whatever arrives meanwhile, and
/// `recorded` (what the frame log writes) gives exactly it.
#[test]
fn a_live_input_latches_each_ticks_row() {
    let rate = 8_000;
    let settings = settings(Gain::Fixed, 200.0);
    let (input, mut sink) = LiveInput::start(rate, &settings, "synthetic").unwrap();
    let loud = tone(rate, 440.0, 0.5, 1.0);
    assert_eq!(sink.push_interleaved(&loud, 1, |s| s), loud.len());
    let analysis = StreamAnalysis::new(rate, &settings);
    let expected_hops = hops_for(&analysis, loud.len());
    wait_for(&input, expected_hops);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(input.hops(), expected_hops, "no hop completes before its window is full");

    let clip =
        tickframe_scenes::audio::Clip { rate, channels: 1, samples: loud.clone(), warnings: Vec::new() };
    let spec = Spectrogram::analyse(&clip, &settings);
    let last = analysis.next_hop() + expected_hops as i64 - 1;
    let (tl, tp) = table_row(&spec, last);
    let mut latest = BandRow::empty(24);
    input.latest(&mut latest);
    assert_eq!(
        (latest.levels(), latest.peaks()),
        (&tl[..], &tp[..]),
        "the latest row is the file's at hop {last}"
    );
    assert!(latest.levels().iter().any(|&v| v > 30_000), "440 Hz at -6 dBFS lights a band");

    let mut t7 = BandRow::empty(24);
    input.row_for_tick(7, &mut t7);
    assert_eq!(t7, latest);
    // Silence arrives: the bars fall.
    let quiet = vec![0.0f32; rate as usize / 2];
    sink.push_interleaved(&quiet, 1, |s| s);
    wait_for(&input, hops_for(&analysis, loud.len() + quiet.len()));
    let mut again = BandRow::empty(24);
    input.row_for_tick(7, &mut again);
    assert_eq!(again, t7, "tick 7 keeps the row it was first drawn from");
    let mut logged = BandRow::empty(24);
    assert!(input.recorded(7, &mut logged));
    assert_eq!(logged, t7, "the frame log gets the row tick 7 was drawn from");
    let mut t8 = BandRow::empty(24);
    input.row_for_tick(8, &mut t8);
    input.latest(&mut latest);
    assert_eq!(t8, latest);
    assert_ne!(t8, t7, "tick 8, drawn later, shows the quieter sound");
    assert!(!input.recorded(9, &mut logged), "tick 9 was never drawn");
    assert_eq!(input.overruns(), 0);
}

fn look() -> Look {
    Look {
        mode: Mode::Bars,
        style: Style::Led,
        layout: Layout::Linear,
        segments: 8,
        colors: vec![tickframe_core::Rgba::rgb(0, 200, 0), tickframe_core::Rgba::rgb(255, 0, 0)],
        color_by: ColorBy::Level,
        peaks: true,
        peak_color: tickframe_core::Rgba::WHITE,
        background: Some(tickframe_core::Rgba::rgb(5, 5, 20)),
        scope_ms: 25.0,
    }
}

/// A live show's frames, re-rendered from the bands its frame log recorded, are the same
/// frames, byte for byte.
#[test]
fn frames_replayed_from_logged_bands_are_the_live_frames() {
    let rate = 8_000;
    let settings = settings(Gain::Auto, 200.0);
    let (input, mut sink) = LiveInput::start(rate, &settings, "synthetic").unwrap();
    let input = Arc::new(input);
    let live = Visualizer::with_feed(Arc::clone(&input) as Arc<dyn BandFeed>, look());
    let size = Size::new(64, 32).unwrap();
    let mut r = renderer(DrawMode::DisplayList);
    let clip = busy_clip(rate, 3.0).samples;
    let mut lines = String::from("{\"clock_start_unix_seconds\":0}\n");
    let mut live_hashes = Vec::new();
    let analysis = StreamAnalysis::new(rate, &settings);
    for (tick, chunk) in clip.chunks(rate as usize / 10).enumerate() {
        let before = input.hops();
        sink.push_interleaved(chunk, 1, |s| s);
        wait_for(&input, before.max(hops_for(&analysis, (tick + 1) * chunk.len())));
        let ctx = RenderContext::new(size, fps60(), 0, tick as u64);
        live_hashes.push(frame_hash(r.render_new(&live, &ctx).view()));
        // Rendered again: the same frame.
        assert_eq!(frame_hash(r.render_new(&live, &ctx).view()), live_hashes[tick]);
        let mut row = BandRow::empty(24);
        assert!(input.recorded(tick as u64, &mut row));
        lines.push_str(
            &serde_json::json!({"tick": tick, "bands": {"levels": row.levels(), "peaks": row.peaks()}})
                .to_string(),
        );
        lines.push('\n');
    }
    assert!(live_hashes.windows(2).any(|w| w[0] != w[1]), "the picture moves");
    let logged = Arc::new(LoggedBands::parse(&lines, "show.jsonl").unwrap());
    assert_eq!(logged.len(), live_hashes.len());
    let replay = Visualizer::with_feed(logged, look());
    for (tick, h) in live_hashes.iter().enumerate() {
        let ctx = RenderContext::new(size, fps60(), 0, tick as u64);
        assert_eq!(frame_hash(r.render_new(&replay, &ctx).view()), *h, "tick {tick}");
    }
    // A tick the log has nothing for is drawn empty (background only).
    let empty = r.render_new(&replay, &RenderContext::new(size, fps60(), 0, 999));
    assert!(empty.pixels().iter().all(|&p| p == tickframe_core::Rgba::rgb(5, 5, 20)));
}

fn try_build(p: Params) -> Result<(), String> {
    let mut cx = BuildContext::new(example_assets(), Size::new(64, 32).unwrap(), fps60());
    build_scene(p, &mut cx).map(|_: Arc<dyn Scene>| ()).map_err(|e| e.to_string())
}

fn live_params() -> Params {
    Params::new("visualizer", None).with("source", Value::Str("live".into()))
}

/// Without the `live-audio` feature, asking for live input says how to get it.
#[cfg(not(feature = "live-audio"))]
#[test]
fn live_input_without_the_feature_says_how_to_build_it() {
    let e = try_build(live_params()).unwrap_err();
    assert!(e.contains("--features live-audio"), "{e}");
    let e = try_build(live_params().with("device", Value::Str("null".into()))).unwrap_err();
    assert!(e.contains("--features live-audio"), "{e}");
    assert!(tickframe_scenes::audio::live::input_devices().unwrap_err().contains("--features live-audio"));
}

/// Keys that make no sense with live input or a log are refused, with the reason.
#[test]
fn live_and_log_sources_refuse_what_they_cannot_do() {
    let demo = example_assets().join("audio/demo-clip.wav").display().to_string();
    let cases = [
        (live_params().with("path", Value::Str(demo.clone())), "exclude each other"),
        (live_params().with("loop", Value::Bool(false)), "`loop` has no meaning"),
        (live_params().with("offset_ms", Value::Float(5.0)), "`offset_ms` has no meaning"),
        (live_params().with("mode", Value::Str("oscilloscope".into())), "oscilloscope needs an audio file"),
        (
            Params::new("visualizer", None)
                .with("path", Value::Str(demo))
                .with("device", Value::Str("default".into())),
            "`device` is only for",
        ),
    ];
    for (p, want) in cases {
        let e = try_build(p).unwrap_err();
        assert!(e.contains(want), "{e}");
    }
}

/// `source = "log"` reads a frame log: bad lines are named by line, a log without bands is
/// refused, and `bands` must agree with the log.
#[test]
fn a_frame_log_source_checks_its_file() {
    let dir = std::env::temp_dir().join(format!("tickframe-live-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        Params::new("visualizer", None)
            .with("source", Value::Str("log".into()))
            .with("path", Value::Str(p.display().to_string()))
    };
    let good = "{\"tick\":0,\"bands\":{\"levels\":[1,2,3],\"peaks\":[4,5,6]}}\n{\"tick\":1,\"bands\":null}\n";
    assert!(try_build(write("good.jsonl", good)).is_ok());
    let e = try_build(write("good2.jsonl", good).with("bands", Value::Int(32))).unwrap_err();
    assert!(e.contains("the frame log has 3 bands"), "{e}");
    let e = try_build(write("nobands.jsonl", "{\"tick\":0}\n")).unwrap_err();
    assert!(e.contains("no frame record has `bands`"), "{e}");
    let e = try_build(write(
        "bad.jsonl",
        &format!("{good}{{\"tick\":2,\"bands\":{{\"levels\":[1],\"peaks\":[70000]}}}}\n"),
    ))
    .unwrap_err();
    assert!(e.contains("bad.jsonl:3") && e.contains("0..=65535"), "{e}");
    let e = try_build(write("torn.jsonl", "{\"tick\":0,\"ban")).unwrap_err();
    assert!(e.contains("torn.jsonl:1") && e.contains("not a JSON line"), "{e}");
    let missing = Params::new("visualizer", None)
        .with("source", Value::Str("log".into()))
        .with("path", Value::Str(dir.join("missing.jsonl").display().to_string()));
    let e = try_build(missing).unwrap_err();
    assert!(e.contains("cannot read frame log") && e.contains("missing.jsonl"), "{e}");
}
