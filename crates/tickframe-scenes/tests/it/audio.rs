//! Integration tests: the audio visualizer. Every clip is synthesised here (or by the bundled
//! clip's generator); nothing is downloaded.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Rgba, Rng, Scene, Size, frame_hash};
use tickframe_scenes::audio::wav::{DEMO_RATE, demo_clip, encode_wav_pcm16, to_pcm16};
use tickframe_scenes::audio::{FftScratch, RealFft, Visualizer, decode_file};
use tickframe_scenes::{BuildContext, BuildError, Location, Overrides, Params, Spanned, Value, build_scene};

use crate::common::{example_assets, fps60, renderer};

/// A fresh file path in the temp folder for this test.
fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tickframe-audio-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = temp_path(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `seconds` of a sine at `hz`, amplitude `amp`, as 16-bit mono samples.
fn sine(rate: u32, hz: f64, amp: f64, seconds: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n).map(|i| to_pcm16(amp * libm::sin(TAU * hz * i as f64 / f64::from(rate)))).collect()
}

fn demo_path() -> PathBuf {
    example_assets().join("audio/demo-clip.wav")
}

fn params(path: &Path) -> Params {
    Params::new("visualizer", None).with("path", Value::Str(path.display().to_string()))
}

fn try_build(p: Params, size: Size) -> Result<(Arc<dyn Scene>, Vec<String>), BuildError> {
    let mut cx = BuildContext::new(example_assets(), size, fps60());
    build_scene(p, &mut cx).map(|s| (s, cx.warnings))
}

fn build(p: Params, size: Size) -> Arc<dyn Scene> {
    try_build(p, size).unwrap_or_else(|e| panic!("building the visualizer: {e}")).0
}

/// The visualizer itself (for `levels_at`), built directly from a decoded file.
fn visualizer(path: &Path, tweak: impl FnOnce(Params) -> Params) -> Visualizer {
    use tickframe_scenes::audio::{AnalysisSettings, ColorBy, Gain, Layout, Look, Mode, Style};
    let _ = tweak; // the direct constructor takes typed settings instead
    let clip = decode_file(path).unwrap();
    let settings = AnalysisSettings {
        bands: 32,
        min_hz: 40.0,
        max_hz: 16_000.0,
        attack_ms: 15.0,
        decay_ms: 200.0,
        peak_hold_ms: 400.0,
        peak_fall_ms: 1500.0,
        gain: Gain::Fixed,
        gain_db: 0.0,
        range_db: 60.0,
        looped: true,
    };
    let look = Look {
        mode: Mode::Bars,
        style: Style::Solid,
        layout: Layout::Linear,
        segments: 16,
        colors: vec![Rgba::WHITE],
        color_by: ColorBy::Level,
        peaks: false,
        peak_color: Rgba::WHITE,
        background: None,
        scope_ms: 25.0,
    };
    Visualizer::new(clip, &settings, look, 0)
}

fn hashes(scene: &dyn Scene, size: Size, ticks: impl IntoIterator<Item = u64>, mode: DrawMode) -> Vec<u128> {
    let mut r = renderer(mode);
    let mut f = Frame::new(size);
    ticks
        .into_iter()
        .map(|t| {
            r.render(scene, &RenderContext::new(size, fps60(), 3, t), &mut f);
            frame_hash(f.view())
        })
        .collect()
}

/// The scene variants the purity tests run: every mode, style and layout.
fn variants() -> Vec<(&'static str, Params)> {
    let base = || params(&demo_path());
    vec![
        ("bars", base()),
        ("led", base().with("style", Value::Str("led".into())).with("bands", Value::Int(16))),
        (
            "mirrored-band-colours",
            base().with("layout", Value::Str("mirrored".into())).with("color_by", Value::Str("band".into())),
        ),
        ("curve", base().with("mode", Value::Str("curve".into())).with("gain", Value::Str("fixed".into()))),
        ("oscilloscope", base().with("mode", Value::Str("oscilloscope".into()))),
        ("no-loop-offset", base().with("loop", Value::Bool(false)).with("offset_ms", Value::Float(-250.5))),
    ]
}

#[test]
fn fft_matches_rustfft() {
    use rustfft::{FftPlanner, num_complex::Complex};
    for n in [4usize, 16, 1024, 4096] {
        let mut rng = Rng::new(5, n as u64, 0);
        let input: Vec<f64> = (0..n).map(|_| rng.next_u64() as f64 / u64::MAX as f64 * 2.0 - 1.0).collect();
        let fft = RealFft::new(n);
        let mut out = vec![(0.0, 0.0); n / 2 + 1];
        fft.forward(&input, &mut FftScratch::default(), &mut out);
        let mut reference: Vec<Complex<f64>> = input.iter().map(|&x| Complex::new(x, 0.0)).collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut reference);
        for (k, (&(re, im), r)) in out.iter().zip(&reference).enumerate() {
            let tol = 1e-9 * (n as f64).sqrt();
            assert!((re - r.re).abs() < tol && (im - r.im).abs() < tol, "n={n} k={k}: ({re}, {im}) vs {r}");
        }
    }
}

#[test]
fn bundled_clip_matches_its_generator() {
    let committed = std::fs::read(demo_path()).expect("examples/assets/audio/demo-clip.wav");
    let fresh = encode_wav_pcm16(DEMO_RATE, 1, &demo_clip());
    assert!(fresh.len() < 1 << 20, "the demo clip stays under 1 MB");
    assert!(
        committed == fresh,
        "examples/assets/audio/demo-clip.wav differs from its generator: run \
         `cargo run -p tickframe-scenes --example make_clip`"
    );
}

#[test]
fn decodes_wav_mono_and_stereo() {
    let mono: Vec<i16> = vec![0, 16_384, -16_384, 32_767, -32_768, 1];
    let clip = decode_file(&write("mono.wav", &encode_wav_pcm16(8000, 1, &mono))).unwrap();
    assert_eq!((clip.rate, clip.channels), (8000, 1));
    let expected: Vec<f32> = mono.iter().map(|&s| f32::from(s) / 32_768.0).collect();
    assert_eq!(clip.samples, expected);
    assert!(clip.warnings.is_empty(), "{:?}", clip.warnings);

    // Stereo: left and right averaged.
    let stereo: Vec<i16> = vec![16_384, 0, -16_384, -16_384, 8192, 24_576];
    let clip = decode_file(&write("stereo.wav", &encode_wav_pcm16(44_100, 2, &stereo))).unwrap();
    assert_eq!((clip.rate, clip.channels), (44_100, 2));
    assert_eq!(clip.samples, vec![0.25, -0.5, 0.5]);
}

#[test]
fn the_bundled_clip_decodes() {
    let clip = decode_file(&demo_path()).unwrap();
    assert_eq!(clip.rate, DEMO_RATE);
    assert_eq!(clip.samples.len(), 12 * DEMO_RATE as usize);
}

#[test]
fn a_sine_lights_the_right_band() {
    for (rate, hz) in [(22_050u32, 1000.0f64), (44_100, 3000.0), (48_000, 150.0), (8000, 2500.0)] {
        let path =
            write(&format!("sine-{rate}-{hz}.wav"), &encode_wav_pcm16(rate, 1, &sine(rate, hz, 0.5, 2.0)));
        let v = visualizer(&path, |p| p);
        let spec = v.spectrogram().unwrap();
        let ctx = RenderContext::new(Size::new(64, 32).unwrap(), fps60(), 0, 60);
        let (levels, _) = v.levels_at(&ctx).expect("levels one second in");
        let (loudest, &top) = levels.iter().enumerate().max_by_key(|(_, l)| **l).unwrap();
        let e = spec.edges();
        assert!(
            e[loudest] <= hz && hz < e[loudest + 1],
            "{hz} Hz at {rate} Hz lit band {loudest} ({:.0}..{:.0} Hz)",
            e[loudest],
            e[loudest + 1]
        );
        // A -6 dBFS sine, fixed gain, 60 dB range: 90% of the height, less up to 1.42 dB of Hann
        // scalloping loss when the tone falls between two bins.
        assert!((57_300..=59_100).contains(&top), "{hz} Hz: level {top}");
        // Far bands stay low (Hann sidelobes are more than 31 dB down two bands away).
        for (b, &l) in levels.iter().enumerate() {
            if b.abs_diff(loudest) > 3 {
                assert!(l < top / 2, "{hz} Hz: band {b} at {l} vs {top}");
            }
        }
    }
}

#[test]
fn the_loudest_band_is_the_tallest_bar_on_screen() {
    let rate = 22_050;
    let path = write("sine-screen.wav", &encode_wav_pcm16(rate, 1, &sine(rate, 1000.0, 0.5, 2.0)));
    let size = Size::new(64, 40).unwrap();
    let scene = build(params(&path).with("bands", Value::Int(16)).with("peaks", Value::Bool(false)), size);
    let mut r = renderer(DrawMode::DisplayList);
    let f = r.render_new(&*scene, &RenderContext::new(size, fps60(), 0, 60));
    let lit = |x: u32| (0..40).filter(|&y| f.get(x, y) != Some(Rgba::BLACK)).count();
    let (tallest, _) = (0..64).map(|x| (x, lit(x))).max_by_key(|&(_, n)| n).unwrap();
    let v = visualizer(&path, |p| p);
    let e = v.spectrogram().map(|s| s.edges().to_vec()).unwrap();
    // 16 bands from 40 Hz to 11025 Hz: 1 kHz is in band b with e[b] <= 1000 < e[b+1], 4 px per bar.
    let ratio = (11_025.0f64 / 40.0).powf(1.0 / 16.0);
    let band = ((1000.0f64 / 40.0).ln() / ratio.ln()).floor() as u32;
    assert!(e.len() == 33, "{}", e.len());
    assert_eq!(tallest / 4, band, "tallest column {tallest}");
}

#[test]
fn silence_gives_empty_bars() {
    let path = write("silence.wav", &encode_wav_pcm16(22_050, 1, &vec![0i16; 22_050 * 2]));
    let size = Size::new(64, 32).unwrap();
    for mode in ["bars", "curve"] {
        for gain in ["auto", "fixed"] {
            let scene = build(
                params(&path).with("mode", Value::Str(mode.into())).with("gain", Value::Str(gain.into())),
                size,
            );
            let mut r = renderer(DrawMode::DisplayList);
            for t in [0u64, 30, 60, 119, 500] {
                let f = r.render_new(&*scene, &RenderContext::new(size, fps60(), 0, t));
                assert!(f.pixels().iter().all(|&p| p == Rgba::BLACK), "{mode}/{gain}: tick {t} is not empty");
            }
        }
    }
    let v = visualizer(&path, |p| p);
    let ctx = RenderContext::new(size, fps60(), 0, 30);
    assert!(v.levels_at(&ctx).is_none_or(|(l, p)| l.iter().chain(p).all(|&x| x == 0)));
}

#[test]
fn a_frame_is_the_same_rendered_in_order_or_alone() {
    let size = Size::new(96, 48).unwrap();
    let ticks: Vec<u64> = (0..90).chain([719, 720, 721, 1440, 5000]).collect();
    for (label, p) in variants() {
        let scene = build(p.clone(), size);
        let in_order = hashes(&*scene, size, ticks.iter().copied(), DrawMode::DisplayList);
        // A second, fresh scene: each tick alone, with its own fresh renderer, latest first.
        let fresh = build(p.clone(), size);
        for (i, &t) in ticks.iter().enumerate().rev() {
            let alone = hashes(&*fresh, size, [t], DrawMode::DisplayList);
            assert_eq!(alone[0], in_order[i], "{label}: tick {t}");
        }
        assert!(in_order.iter().collect::<std::collections::BTreeSet<_>>().len() > 20, "{label}: animates");
    }
}

#[test]
fn one_or_several_threads_and_both_draw_paths_give_identical_bytes() {
    let size = Size::new(128, 64).unwrap();
    let ticks: Vec<u64> = (0..240).step_by(3).collect();
    for (label, p) in variants() {
        let scene = build(p, size);
        let one = hashes(&*scene, size, ticks.iter().copied(), DrawMode::DisplayList);
        let direct = hashes(&*scene, size, ticks.iter().copied(), DrawMode::Direct);
        assert_eq!(one, direct, "{label}: display list vs direct");
        let threads: Vec<(u64, u128)> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..3)
                .map(|w| {
                    let (scene, ticks) = (&scene, &ticks);
                    s.spawn(move || {
                        let mine: Vec<u64> = ticks.iter().copied().skip(w).step_by(3).collect();
                        let h = hashes(&**scene, size, mine.iter().copied(), DrawMode::DisplayList);
                        mine.into_iter().zip(h).collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        for (t, h) in threads {
            let i = ticks.iter().position(|&x| x == t).unwrap();
            assert_eq!(h, one[i], "{label}: tick {t} on three threads");
        }
    }
}

#[test]
fn offset_ms_shifts_the_picture_by_whole_ticks() {
    let size = Size::new(64, 32).unwrap();
    for looped in [true, false] {
        let base = || params(&demo_path()).with("loop", Value::Bool(looped));
        let plain = build(base(), size);
        // +50 ms at 60 fps is 3 ticks later in the audio; -100 ms is 6 ticks earlier.
        let ahead = build(base().with("offset_ms", Value::Int(50)), size);
        let behind = build(base().with("offset_ms", Value::Float(-100.0)), size);
        let p = hashes(&*plain, size, 0..200, DrawMode::DisplayList);
        let a = hashes(&*ahead, size, 0..197, DrawMode::DisplayList);
        let b = hashes(&*behind, size, 6..206, DrawMode::DisplayList);
        assert_eq!(a[..], p[3..200], "loop={looped}: +50 ms");
        assert_eq!(b[..], p[..200], "loop={looped}: -100 ms");
        assert_ne!(p[50], a[50], "the offset changes the picture");
    }
    // Exact sample positions, also at NTSC rates.
    let v = visualizer(&demo_path(), |p| p);
    let ntsc = tickframe_core::Timebase::new(FrameRate::new(30_000, 1001).unwrap());
    assert_eq!(v.sample_at(ntsc, 30_000), 1001 * 22_050);
    assert_eq!(v.sample_at(ntsc, 1), 735); // 22050 · 1001 / 30000 = 735.735
}

#[test]
fn the_clip_loops_or_falls_silent() {
    let size = Size::new(64, 32).unwrap();
    // The demo clip is exactly 12 s = 720 ticks at 60 fps.
    let looped = build(params(&demo_path()), size);
    let a = hashes(&*looped, size, 100..160, DrawMode::DisplayList);
    let b = hashes(&*looped, size, 820..880, DrawMode::DisplayList);
    let c = hashes(&*looped, size, 7300..7360, DrawMode::DisplayList);
    assert_eq!(a, b);
    assert_eq!(a, c);
    let once = build(params(&demo_path()).with("loop", Value::Bool(false)), size);
    let empty = hashes(&*build(params(&demo_path()), size), size, [0], DrawMode::Direct);
    let black = {
        let f = Frame::new(size);
        let mut f = f;
        f.fill(Rgba::BLACK);
        frame_hash(f.view())
    };
    assert_ne!(empty[0], black, "a looping clip shows its end before tick 0's window");
    // Long after the end (decay and peak fall included) everything is empty.
    for t in [720 + 600, 100_000] {
        assert_eq!(hashes(&*once, size, [t], DrawMode::Direct)[0], black, "tick {t} after the end");
    }
    // Before the first tick's window reaches the audio (a negative offset), empty too.
    let early = build(
        params(&demo_path()).with("loop", Value::Bool(false)).with("offset_ms", Value::Int(-5000)),
        size,
    );
    assert_eq!(hashes(&*early, size, [0, 100], DrawMode::Direct), vec![black, black]);
}

#[test]
fn missing_and_corrupt_files_give_clear_errors() {
    let size = Size::new(64, 32).unwrap();
    let at = Location { line: 4, column: 8 };
    let with_path = |p: &Path| {
        let mut params = Params::new("visualizer", None);
        params.insert("path", None, Spanned { value: Value::Str(p.display().to_string()), at: Some(at) });
        params
    };
    let expect_err = |p: &Path, needle: &str| {
        let e = try_build(with_path(p), size).err().unwrap_or_else(|| panic!("{} built", p.display()));
        assert_eq!(e.at, Some(at), "{}", e.message);
        assert!(e.message.contains(&p.display().to_string()), "names the file: {}", e.message);
        assert!(e.message.contains(needle), "expected `{needle}` in: {}", e.message);
    };
    let good = encode_wav_pcm16(22_050, 1, &sine(22_050, 440.0, 0.5, 0.5));

    expect_err(&temp_path("does-not-exist.wav"), "cannot open audio file");
    expect_err(&write("garbage.wav", &[0x5a; 4000]), "not a recognised audio format");
    expect_err(&write("empty.wav", &[]), "cannot decode audio file");
    // The header cut inside the `fmt ` chunk.
    expect_err(&write("cut-header.wav", &good[..30]), "cannot decode audio file");
    // An unknown codec tag (0x1234) in an otherwise valid header.
    let mut odd = good.clone();
    odd[20..22].copy_from_slice(&0x1234u16.to_le_bytes());
    expect_err(&write("odd-codec.wav", &odd), "cannot decode audio file");
    // A header and no samples.
    expect_err(&write("no-samples.wav", &encode_wav_pcm16(22_050, 1, &[])), "cannot decode audio file");
    // A sample rate out of range.
    let mut slow = good.clone();
    slow[24..28].copy_from_slice(&100u32.to_le_bytes());
    expect_err(&write("slow.wav", &slow), "sample rate 100 Hz");

    // Samples cut off mid-file: what is there plays, with a warning.
    let cut = write("truncated.wav", &good[..good.len() / 2]);
    let (scene, warnings) = try_build(with_path(&cut), size).expect("a truncated file still plays");
    assert!(warnings.iter().any(|w| w.contains("truncated") && w.contains("truncated.wav")), "{warnings:?}");
    let _ = hashes(&*scene, size, [0, 10], DrawMode::DisplayList);
}

#[test]
fn bad_parameters_are_rejected_with_their_location() {
    let size = Size::new(64, 32).unwrap();
    let e = try_build(params(&demo_path()).with("bands", Value::Int(8)), size).err().unwrap();
    assert!(e.message.contains("`visualizer.bands`: expected a whole number in 16..=64"), "{}", e.message);
    let e = try_build(params(&demo_path()).with("mode", Value::Str("scope".into())), size).err().unwrap();
    assert!(e.message.contains("unknown value \"scope\""), "{}", e.message);
    let e = try_build(
        params(&demo_path()).with("min_hz", Value::Int(5000)).with("max_hz", Value::Int(6000)),
        size,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("`max_hz`"), "{}", e.message);
    let e = try_build(Params::new("visualizer", None), size).err().unwrap();
    assert!(e.message.contains("missing required parameter `path`"), "{}", e.message);
}

#[test]
fn the_example_scene_file_loads_and_plays() {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/visualizer.toml"));
    let file = tickframe_scenes::load_scene_file(&path, &Overrides::default()).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    assert_eq!(file.size, Size::new(256, 64).unwrap());
    let h = hashes(&*file.root, file.size, [0, 300, 1000, 1800], DrawMode::DisplayList);
    assert_eq!(h.iter().collect::<std::collections::BTreeSet<_>>().len(), 4);
}

/// CRC-8 (polynomial 0x07) of FLAC frame headers.
fn crc8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |mut c, &b| {
        c ^= b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        }
        c
    })
}

/// CRC-16 (polynomial 0x8005) of FLAC frames.
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |mut c, &b| {
        c ^= u16::from(b) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
        }
        c
    })
}

/// A minimal FLAC file: mono, 16-bit, fixed 4096-sample blocks, VERBATIM subframes (no
/// compression, but a valid stream with real frame headers and checksums).
fn encode_flac_verbatim(rate: u32, samples: &[i16]) -> Vec<u8> {
    const BLOCK: usize = 4096;
    let mut out = b"fLaC".to_vec();
    out.extend_from_slice(&[0x80, 0, 0, 34]); // last metadata block, STREAMINFO, 34 bytes
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&[0; 6]); // min/max frame size unknown
    // rate (20 bits), channels − 1 (3), bits − 1 (5), total samples (36).
    let packed: u64 = (u64::from(rate) << 44) | (15 << 36) | samples.len() as u64;
    out.extend_from_slice(&packed.to_be_bytes());
    out.extend_from_slice(&[0; 16]); // MD5 unknown
    for (n, block) in samples.chunks(BLOCK).enumerate() {
        assert!(n < 128, "one-byte frame numbers only");
        let start = out.len();
        // Sync, fixed blocking; block size from the end of the header (16 bits); rate from
        // STREAMINFO; mono; 16 bits per sample; frame number; block size − 1.
        out.extend_from_slice(&[0xFF, 0xF8, 0x70, 0x08, n as u8]);
        out.extend_from_slice(&((block.len() - 1) as u16).to_be_bytes());
        out.push(crc8(&out[start..]));
        out.push(0x02); // VERBATIM subframe, no wasted bits
        for s in block {
            out.extend_from_slice(&s.to_be_bytes());
        }
        let crc = crc16(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

#[test]
fn decodes_flac() {
    let samples = sine(22_050, 440.0, 0.7, 1.0);
    let path = write("sine.flac", &encode_flac_verbatim(22_050, &samples));
    let clip = decode_file(&path).unwrap();
    assert_eq!((clip.rate, clip.channels), (22_050, 1));
    assert!(clip.warnings.is_empty(), "{:?}", clip.warnings);
    let expected: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32_768.0).collect();
    assert_eq!(clip.samples, expected, "FLAC decodes to exactly the PCM samples");
    // The same pictures as the same samples in a WAV file.
    let wav = write("sine-as-wav.wav", &encode_wav_pcm16(22_050, 1, &samples));
    let size = Size::new(64, 32).unwrap();
    let a = hashes(&*build(params(&path), size), size, 0..60, DrawMode::DisplayList);
    let b = hashes(&*build(params(&wav), size), size, 0..60, DrawMode::DisplayList);
    assert_eq!(a, b);
}

/// A clip with loud and quiet passages, short silences and several notes: every recurrence
/// (attack, decay, peak hold and fall, the automatic gain's release) has something to do.
pub(crate) fn busy_clip(rate: u32, seconds: f64) -> tickframe_scenes::audio::Clip {
    let n = (f64::from(rate) * seconds) as usize;
    let samples = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let env = match (t * 2.0) as u32 % 5 {
                0 => 0.9,
                1 => 0.05,
                2 => 0.0,
                3 => 0.5,
                _ => 0.2,
            };
            let hz = [110.0, 440.0, 1250.0, 3000.0][(t * 3.0) as usize % 4];
            (env * libm::sin(TAU * hz * t) + 0.1 * env * libm::sin(TAU * 97.0 * t)) as f32
        })
        .collect();
    tickframe_scenes::audio::Clip { rate, channels: 1, samples, warnings: Vec::new() }
}

/// The table is a cache of the windowed definition: every row equals the row computed straight
/// from its window of past audio (FFTs and recurrences from a zero state), for fixed and
/// automatic gain, looping and not, at positions across block restarts, before the clip and in
/// the tail.
#[test]
fn every_row_is_a_function_of_a_fixed_window_of_past_audio() {
    use tickframe_scenes::audio::{AnalysisSettings, DirectScratch, Gain, Spectrogram};
    let rate = 8_000;
    let clip = busy_clip(rate, 6.0);
    for (gain, looped, decay, hold, fall) in [
        (Gain::Fixed, false, 60.0, 100.0, 300.0),
        (Gain::Fixed, true, 60.0, 100.0, 300.0),
        (Gain::Auto, false, 200.0, 400.0, 1500.0),
        (Gain::Auto, true, 200.0, 400.0, 1500.0),
    ] {
        let settings = AnalysisSettings {
            bands: 24,
            min_hz: 40.0,
            max_hz: 4_000.0,
            attack_ms: 15.0,
            decay_ms: decay,
            peak_hold_ms: hold,
            peak_fall_ms: fall,
            gain,
            gain_db: 0.0,
            range_db: 60.0,
            looped,
        };
        let spec = Spectrogram::analyse(&clip, &settings);
        let w = spec.window_hops() as i64;
        assert!(w > 10, "{gain:?}: window {w}");
        let hop = i64::from(spec.hop());
        let len = clip.samples.len() as i64;
        // Each direct row costs W..2W FFTs, and the automatic gain's window is long (about 14 s):
        // fewer positions there.
        let auto = gain == Gain::Auto;
        let mut positions: Vec<i64> = if auto {
            vec![len / 3, len + 7 * hop]
        } else {
            vec![-5 * hop, 0, 1, len / 3, len - 1, len, len + 7 * hop]
        };
        // Both sides of block restarts (every W hops).
        for k in 1..if auto { 2 } else { 4 } {
            positions.extend([k * w * hop - 1, k * w * hop, k * w * hop + hop / 2]);
        }
        if !looped {
            positions.push(len + (w + 30) * hop);
        }
        let mut sc = DirectScratch::default();
        let (mut lv, mut pk) = (vec![0u16; 24], vec![0u16; 24]);
        let mut nonzero = 0;
        for &pos in &positions {
            spec.row_from_audio(&clip.samples, pos, &mut sc, &mut lv, &mut pk);
            let (tl, tp) =
                spec.row_at_sample(pos).map_or((vec![0; 24], vec![0; 24]), |(l, p)| (l.to_vec(), p.to_vec()));
            assert_eq!((&lv, &pk), (&tl, &tp), "{gain:?} looped {looped} at sample {pos} (window {w} hops)");
            nonzero += usize::from(lv.iter().any(|&v| v > 0));
        }
        let need = if auto { 2 } else { 4 };
        assert!(nonzero >= need, "{gain:?} looped {looped}: only {nonzero} non-empty rows tested");
    }
}

/// The window really is fixed: changing the audio more than `2W` hops before a row leaves the
/// row exactly as it was.
#[test]
fn audio_outside_the_window_does_not_change_a_row() {
    use tickframe_scenes::audio::{AnalysisSettings, Gain, Spectrogram};
    let rate = 8_000;
    let clip = busy_clip(rate, 8.0);
    let settings = AnalysisSettings {
        bands: 16,
        min_hz: 40.0,
        max_hz: 4_000.0,
        attack_ms: 15.0,
        decay_ms: 100.0,
        peak_hold_ms: 200.0,
        peak_fall_ms: 500.0,
        gain: Gain::Fixed,
        gain_db: 0.0,
        range_db: 60.0,
        looped: false,
    };
    let a = Spectrogram::analyse(&clip, &settings);
    let (w, hop) = (a.window_hops() as i64, i64::from(a.hop()));
    let mut louder = clip.clone();
    // Change the first second only.
    for s in &mut louder.samples[..rate as usize] {
        *s = (*s * 0.3).clamp(-1.0, 1.0);
    }
    let b = Spectrogram::analyse(&louder, &settings);
    let later = i64::from(rate) + (2 * w + 10) * hop + a.fft_len() as i64;
    let mut differ_early = false;
    for pos in (0..clip.samples.len() as i64).step_by(hop as usize * 7) {
        let (ra, rb) = (a.row_at_sample(pos), b.row_at_sample(pos));
        if pos >= later {
            assert_eq!(ra, rb, "row at {pos} depends on audio more than 2W hops before it");
        } else if ra != rb {
            differ_early = true;
        }
    }
    assert!(differ_early, "changing the first second changed nothing");
}

/// MP3 and Ogg Vorbis decode: two bundled 0.75 s clips of a -6 dBFS 440 Hz tone at 22.05 kHz
/// (written with LAME through the `lameenc` Python package and libvorbis through `soundfile`;
/// see docs/visualizer.md), and the 440 Hz band is the one lit.
#[test]
fn mp3_and_ogg_vorbis_clips_decode_and_light_440_hz() {
    for name in ["tone-440hz.mp3", "tone-440hz.ogg"] {
        let path = example_assets().join("audio").join(name);
        let clip = decode_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(clip.rate, 22_050, "{name}");
        let secs = clip.samples.len() as f64 / 22_050.0;
        // MP3 adds encoder delay and padding (a few frames of 1152 samples).
        assert!((0.74..=0.95).contains(&secs), "{name}: {secs} s");
        let peak = clip.samples.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        assert!((0.4..=0.6).contains(&peak), "{name}: peak {peak}");
        let v = visualizer(&path, |p| p);
        let spec = v.spectrogram().unwrap();
        let ctx = RenderContext::new(Size::new(64, 32).unwrap(), fps60(), 0, 24);
        let (levels, _) = v.levels_at(&ctx).expect("levels 0.4 s in");
        let (loudest, _) = levels.iter().enumerate().max_by_key(|(_, l)| **l).unwrap();
        let e = spec.edges();
        assert!(
            e[loudest] <= 440.0 && 440.0 < e[loudest + 1],
            "{name}: band {loudest} ({:.0}..{:.0} Hz)",
            e[loudest],
            e[loudest + 1]
        );
    }
}

/// LED bars are cut into segments with dark gaps; mirrored bars grow from the middle row out,
/// the same above and below.
#[test]
fn led_segments_and_mirrored_bars() {
    let rate = 22_050;
    let path = write("sine-led.wav", &encode_wav_pcm16(rate, 1, &sine(rate, 1000.0, 0.9, 2.0)));
    let size = Size::new(64, 64).unwrap();
    let base = || params(&path).with("bands", Value::Int(16)).with("peaks", Value::Bool(false));
    let ctx = RenderContext::new(size, fps60(), 0, 60);
    let mut r = renderer(DrawMode::DisplayList);
    let lit = |f: &Frame, x: u32, y: u32| f.get(x, y) != Some(Rgba::BLACK);
    // The tallest column of the solid and the LED picture (the 1 kHz band).
    let solid = r.render_new(&*build(base(), size), &ctx);
    let tallest = (0..64).max_by_key(|&x| (0..64).filter(|&y| lit(&solid, x, y)).count()).unwrap();
    let solid_rows: Vec<bool> = (0..64).map(|y| lit(&solid, tallest, y)).collect();
    // Solid: one unbroken run from the bottom.
    let n = solid_rows.iter().filter(|&&l| l).count();
    assert!(n > 32 && solid_rows[64 - n..].iter().all(|&l| l), "{solid_rows:?}");
    // LED, 16 segments of 4 px: lit rows come in runs of 3 with 1-px gaps.
    let led = r.render_new(
        &*build(base().with("style", Value::Str("led".into())).with("segments", Value::Int(16)), size),
        &ctx,
    );
    let rows: Vec<bool> = (0..64).map(|y| lit(&led, tallest, y)).collect();
    let segments =
        rows.chunks(4).filter(|c| c == &[true, true, true, false] || c == &[false, true, true, true]).count();
    assert!(segments >= 8, "LED column {rows:?}");
    assert!(rows.iter().filter(|&&l| !l).count() >= 16, "no gaps: {rows:?}");
    // Mirrored: symmetric about the middle, lit from the middle rows outwards.
    let m = r.render_new(&*build(base().with("layout", Value::Str("mirrored".into())), size), &ctx);
    for x in 0..64 {
        for y in 0..32 {
            assert_eq!(lit(&m, x, y), lit(&m, x, 63 - y), "column {x} rows {y} and {}", 63 - y);
        }
    }
    assert!(lit(&m, tallest, 31) && lit(&m, tallest, 32));
    assert!(!lit(&m, tallest, 0) || (0..64).all(|y| lit(&m, tallest, y)));
    let half = (0..32).filter(|&y| lit(&m, tallest, y)).count();
    assert!(half > 16, "mirrored half-height {half}");
}
