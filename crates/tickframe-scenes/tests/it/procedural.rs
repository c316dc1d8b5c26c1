//! Integration tests: procedural scenes.

use std::path::Path;
use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Rgba, Scene, Size, frame_hash};
use tickframe_scenes::procedural::mandelbrot::{self, Mandelbrot};
use tickframe_scenes::procedural::random_pixels::{CONFETTI_WRITES_256X64, RandomPixels, WritePath};
use tickframe_scenes::{BuildContext, Params, Value, build_scene};

const NAMES: [&str; 8] =
    ["solid", "gradient", "random-pixels", "mandelbrot", "plasma", "life", "fire", "starfield"];

fn size(w: u32, h: u32) -> Size {
    Size::new(w, h).unwrap()
}

fn cx(sz: Size) -> BuildContext {
    BuildContext::new(Path::new("."), sz, FrameRate::whole(60).unwrap())
}

fn build(p: Params, sz: Size) -> Arc<dyn Scene> {
    let name = p.scene().to_string();
    build_scene(p, &mut cx(sz)).unwrap_or_else(|e| panic!("building {name}: {e}"))
}

fn build_err(p: Params) -> String {
    match build_scene(p, &mut cx(size(64, 16))) {
        Ok(_) => panic!("expected a build error"),
        Err(e) => e.message,
    }
}

fn ctx(sz: Size, seed: u64, tick: u64) -> RenderContext {
    RenderContext::new(sz, FrameRate::whole(60).unwrap(), seed, tick)
}

fn hash(scene: &dyn Scene, mode: DrawMode, sz: Size, seed: u64, tick: u64) -> u128 {
    let frame = Renderer::new(mode).render_new(scene, &ctx(sz, seed, tick));
    frame_hash(frame.view())
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn colors(list: &[&str]) -> Value {
    Value::Array(list.iter().map(|c| tickframe_scenes::Spanned::new(s(c))).collect())
}

/// Every scene with non-default parameters.
fn explicit_cases() -> Vec<Params> {
    vec![
        Params::new("solid", None).with("color", s("#ff8000")),
        Params::new("gradient", None)
            .with("colors", colors(&["#ff0000", "#00ff00", "#0000ff"]))
            .with("angle", Value::Float(30.0))
            .with("speed", Value::Float(0.5)),
        Params::new("random-pixels", None)
            .with("count", Value::Int(300))
            .with("colors", colors(&["#ff0000", "#ffffff"]))
            .with("brightness", Value::Float(0.5)),
        Params::new("random-pixels", None).with("preset", s("confetti")),
        Params::new("mandelbrot", None)
            .with("palette", s("ocean"))
            .with("iterations", Value::Int(100))
            .with("zoom_factor", Value::Float(1.2)),
        Params::new("plasma", None)
            .with("speed", Value::Float(2.0))
            .with("scale", Value::Int(8))
            .with("colors", colors(&["#000000", "#ff00ff"])),
        Params::new("life", None)
            .with("cell", Value::Int(2))
            .with("density", Value::Float(0.4))
            .with("reseed_seconds", Value::Float(0.5))
            .with("interval", Value::Int(5))
            .with("checkpoints", Value::Int(3))
            .with("alive", s("#00ff00"))
            .with("dead", s("#101010")),
        Params::new("fire", None)
            .with("speed", Value::Int(40))
            .with("scale", Value::Int(4))
            .with("height", Value::Float(0.5))
            .with("colors", colors(&["#000000", "#0000ff", "#ffffff"])),
        Params::new("starfield", None)
            .with("count", Value::Int(500))
            .with("speed", Value::Float(1.0))
            .with("colors", colors(&["#ff0000"])),
    ]
}

fn all_cases() -> Vec<Params> {
    let mut v: Vec<Params> = NAMES.iter().map(|n| Params::new(*n, None)).collect();
    v.extend(explicit_cases());
    v
}

#[test]
fn every_scene_builds_with_defaults_and_explicit_params_and_is_registered_in_order() {
    let names: Vec<&str> = tickframe_scenes::procedural::SCENES.iter().map(|i| i.name).collect();
    assert_eq!(names, NAMES);
    for info in tickframe_scenes::procedural::SCENES {
        assert!(!info.summary.is_empty());
        for d in info.params {
            assert!(
                !d.doc.is_empty() && !d.kind.is_empty() && !d.default.is_empty(),
                "{}.{}",
                info.name,
                d.name
            );
        }
    }
    let sz = size(48, 16);
    for p in all_cases() {
        let name = p.scene().to_string();
        let scene = build(p, sz);
        let f = Renderer::default().render_new(&*scene, &ctx(sz, 1, 3));
        assert_eq!(f.size(), sz, "{name}");
    }
}

#[test]
fn bad_params_give_clear_errors() {
    let e = build_err(Params::new("solid", None).with("color", s("#zz0000")));
    assert!(e.starts_with("`solid.color`: expected a colour"), "{e}");
    let e = build_err(Params::new("gradient", None).with("colors", colors(&["#ffffff"])));
    assert_eq!(e, "`gradient.colors`: expected at least 2 colour stops, found 1");
    let e = build_err(Params::new("gradient", None).with("angle", Value::Int(400)));
    assert_eq!(e, "`gradient.angle`: expected a number in -360..=360, found 400");
    let e = build_err(Params::new("random-pixels", None).with("count", Value::Int(-1)));
    assert_eq!(e, "`random-pixels.count`: expected a whole number in 0..=10000000, found -1");
    let e = build_err(
        Params::new("random-pixels", None).with("preset", s("confetti")).with("count", Value::Int(5)),
    );
    assert_eq!(e, "`random-pixels.count`: cannot be combined with `preset = \"confetti\"`");
    let e = build_err(Params::new("random-pixels", None).with("preset", s("confeti")));
    assert!(e.contains("did you mean `confetti`?"), "{e}");
    let e = build_err(Params::new("mandelbrot", None).with("palette", Value::Int(6)));
    assert_eq!(
        e,
        "`mandelbrot.palette`: expected 0..=5 or one of rose, gold, aqua, ocean, lime, violet, found 6"
    );
    let e = build_err(Params::new("mandelbrot", None).with("palette", s("ocaen")));
    assert!(e.contains("did you mean `ocean`?"), "{e}");
    let e = build_err(Params::new("mandelbrot", None).with("zoom_max", Value::Float(0.01)));
    assert!(e.starts_with("`mandelbrot.zoom_max`: must be above zoom_min"), "{e}");
    let e = build_err(Params::new("mandelbrot", None).with("zoom_factor", Value::Float(1.0001)));
    assert!(e.contains("longer than 100000 ticks"), "{e}");
    let e = build_err(Params::new("plasma", None).with("scale", Value::Int(1)));
    assert_eq!(e, "`plasma.scale`: expected a number in 2..=4096, found 1");
    let e = build_err(Params::new("life", None).with("cell", Value::Int(0)));
    assert_eq!(e, "`life.cell`: expected a whole number in 1..=256, found 0");
    let e = build_err(Params::new("life", None).with("densty", Value::Float(0.1)));
    assert!(e.contains("unknown parameter `densty`") && e.contains("did you mean `density`?"), "{e}");
    let e = build_err(Params::new("fire", None).with("height", Value::Int(3)));
    assert_eq!(e, "`fire.height`: expected a number in 0.05..=2, found 3");
    let e = build_err(Params::new("starfield", None).with("count", Value::Int(0)));
    assert_eq!(e, "`starfield.count`: expected a whole number in 1..=100000, found 0");
}

#[test]
fn display_list_and_direct_give_identical_bytes() {
    let sz = size(64, 16);
    for p in all_cases() {
        let name = p.scene().to_string();
        let scene = build(p, sz);
        for tick in [0, 1, 7, 60, 301] {
            assert_eq!(
                hash(&*scene, DrawMode::DisplayList, sz, 9, tick),
                hash(&*scene, DrawMode::Direct, sz, 9, tick),
                "{name} at tick {tick}"
            );
        }
    }
}

#[test]
fn shuffled_tick_order_equals_sequential_order() {
    let sz = size(40, 12);
    let ticks: Vec<u64> = (0..40).collect();
    // A fixed shuffle (deterministic): multiply by a unit mod 40, plus a far jump and back.
    let mut shuffled: Vec<u64> = (0..40).map(|i| (i * 17 + 5) % 40).collect();
    shuffled.extend([39, 0, 25]);
    for p in all_cases() {
        let name = p.scene().to_string();
        let seq_scene = build(p, sz);
        let seq: Vec<u128> =
            ticks.iter().map(|&t| hash(&*seq_scene, DrawMode::DisplayList, sz, 4, t)).collect();
        for &t in &shuffled {
            assert_eq!(hash(&*seq_scene, DrawMode::Direct, sz, 4, t), seq[t as usize], "{name} tick {t}");
        }
    }
}

#[test]
fn life_random_access_matches_sequential_with_small_checkpoints() {
    let sz = size(32, 16);
    let p = || {
        Params::new("life", None)
            .with("interval", Value::Int(4))
            .with("checkpoints", Value::Int(2))
            .with("reseed_seconds", Value::Float(1.0))
    };
    let seq_scene = build(p(), sz);
    let seq: Vec<u128> = (0..200).map(|t| hash(&*seq_scene, DrawMode::DisplayList, sz, 11, t)).collect();
    // Reseeding happens (every 60 ticks): the frames are not all alike.
    assert_ne!(seq[59], seq[60]);
    let fresh = build(p(), sz);
    for t in [150u64, 3, 199, 0, 64, 63, 120, 5, 180, 1] {
        assert_eq!(hash(&*fresh, DrawMode::Direct, sz, 11, t), seq[t as usize], "tick {t}");
    }
    // Another seed in between, then back: the store is keyed by seed.
    let _ = hash(&*fresh, DrawMode::Direct, sz, 12, 100);
    assert_eq!(hash(&*fresh, DrawMode::Direct, sz, 11, 101), seq[101]);
    // Far ahead and back.
    let far = hash(&*fresh, DrawMode::Direct, sz, 11, 2_000);
    assert_eq!(hash(&*fresh, DrawMode::Direct, sz, 11, 17), seq[17]);
    assert_eq!(hash(&*build(p(), sz), DrawMode::Direct, sz, 11, 2_000), far);
}

#[test]
fn life_evolves_by_the_rules() {
    use tickframe_core::Simulation;
    use tickframe_scenes::procedural::life::Life;
    let sim = Life::new(1, 0.0, 0, Rgba::WHITE, Rgba::BLACK);
    let c = ctx(size(8, 8), 0, 0);
    let mut b = sim.new_state(&c);
    sim.reset(&mut b, &c);
    assert_eq!(b.population(), 0);
    // A blinker, written through decode (also checks the encoding).
    let mut raw = Vec::new();
    sim.encode(&b, &mut raw);
    assert_eq!(raw.len(), 8 + 8);
    raw[8 + 3] = 0b0000_1110; // row 3: cells 1..=3
    sim.decode(&raw, &mut b, &c).unwrap();
    assert_eq!(b.population(), 3);
    sim.step(&mut b, &c.at_tick(1));
    assert!(b.alive(2, 2) && b.alive(2, 3) && b.alive(2, 4) && !b.alive(1, 3));
    // Validation: wrong size, wrong length.
    assert!(sim.decode(&raw[..10], &mut b, &c).is_err());
    assert!(sim.decode(&raw, &mut b, &ctx(size(16, 8), 0, 0)).is_err());
    // Dying out reseeds (density 0 soup stays empty, so use a dense sim).
    let dense = Life::new(1, 0.5, 0, Rgba::WHITE, Rgba::BLACK);
    let mut lone = dense.new_state(&c);
    raw[8 + 3] = 0b0000_0010; // a lone cell dies
    dense.decode(&raw, &mut lone, &c).unwrap();
    dense.step(&mut lone, &c.at_tick(1));
    assert!(lone.population() > 10, "reseeded: {}", lone.population());
}

#[test]
fn life_far_ticks_start_from_the_latest_reseed() {
    use tickframe_core::{Checkpointed, Simulation};
    use tickframe_scenes::procedural::life::Life;
    let sz = size(24, 12);
    let period = 50u64;
    let sim = || Life::new(1, 0.3, period, Rgba::WHITE, Rgba::BLACK);
    assert_eq!(
        (sim().anchor(0), sim().anchor(49), sim().anchor(50), sim().anchor(20_049)),
        (0, 0, 50, 20_000)
    );
    assert_eq!(Life::new(1, 0.3, 0, Rgba::WHITE, Rgba::BLACK).anchor(20_049), 0, "no reseed: tick 0 only");
    // Stepped through every tick from tick 0, reseeds included (the same simulation without its
    // anchors) …
    struct Stepped(Life);
    impl Simulation for Stepped {
        type State = <Life as Simulation>::State;
        fn new_state(&self, ctx: &RenderContext) -> Self::State {
            self.0.new_state(ctx)
        }
        fn reset(&self, s: &mut Self::State, ctx: &RenderContext) {
            self.0.reset(s, ctx);
        }
        fn step(&self, s: &mut Self::State, ctx: &RenderContext) {
            self.0.step(s, ctx);
        }
        fn draw(&self, s: &Self::State, ctx: &RenderContext, canvas: &mut tickframe_core::Canvas<'_>) {
            self.0.draw(s, ctx, canvas);
        }
        fn encode(&self, s: &Self::State, out: &mut Vec<u8>) {
            self.0.encode(s, out);
        }
        fn decode(
            &self,
            b: &[u8],
            s: &mut Self::State,
            ctx: &RenderContext,
        ) -> Result<(), tickframe_core::CheckpointError> {
            self.0.decode(b, s, ctx)
        }
    }
    let sequential = Checkpointed::new(Stepped(sim()), 1_000_000, 1);
    let mut r = Renderer::default();
    let seq: Vec<u128> =
        (0..=230u64).map(|t| frame_hash(r.render_new(&sequential, &ctx(sz, 3, t)).view())).collect();
    assert_eq!(sequential.stats().steps, 230);
    // … equals jumping straight to a tick, which steps only from its period's start.
    for t in [230u64, 199, 150, 149, 101, 50, 0] {
        let fresh = Checkpointed::new(sim(), 10, 4);
        let got = frame_hash(r.render_new(&fresh, &ctx(sz, 3, t)).view());
        assert_eq!(got, seq[t as usize], "tick {t}");
        assert_eq!(fresh.stats().steps, t % period, "tick {t}: {:?}", fresh.stats());
    }
    // A far tick costs at most one period of steps.
    let far = Checkpointed::new(sim(), 10, 4);
    let _ = r.render_new(&far, &ctx(sz, 3, 1_000_037));
    assert_eq!(far.stats().steps, 37);
}

#[test]
fn two_threads_give_the_same_hashes() {
    let sz = size(48, 16);
    for p in all_cases() {
        let name = p.scene().to_string();
        let scene = build(p, sz);
        let expected: Vec<u128> = (0..24).map(|t| hash(&*scene, DrawMode::DisplayList, sz, 2, t)).collect();
        let shared = Arc::clone(&scene);
        let results: Vec<Vec<(u64, u128)>> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..2u64)
                .map(|k| {
                    let scene = Arc::clone(&shared);
                    sc.spawn(move || {
                        (0..24u64)
                            .rev()
                            .filter(|t| t % 2 == k)
                            .map(|t| (t, hash(&*scene, DrawMode::DisplayList, sz, 2, t)))
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, h) in results.into_iter().flatten() {
            assert_eq!(h, expected[t as usize], "{name} tick {t}");
        }
    }
}

#[test]
fn confetti_makes_exactly_46550_writes_at_256x64() {
    let sz = size(256, 64);
    let scene = RandomPixels::confetti(sz, WritePath::Pixels);
    assert_eq!(scene.layers().len(), 5);
    assert_eq!(scene.writes_per_frame(), u64::from(CONFETTI_WRITES_256X64));
    for tick in [0u64, 1, 99] {
        let c = ctx(sz, 5, tick);
        // Count the writes the renderer makes, and replay them to check they are the frame.
        let mut writes = 0u64;
        let mut replay = Frame::new(sz);
        let px = replay.pixels_mut();
        scene.for_each_write(&c, |i, col| {
            writes += 1;
            px[i] = col;
        });
        assert_eq!(writes, 46_550);
        let rendered = Renderer::default().render_new(&scene, &c);
        assert_eq!(rendered.pixels(), replay.pixels(), "tick {tick}");
        // The plot path is identical, on both draw modes.
        let plot = RandomPixels::confetti(sz, WritePath::Plot);
        for mode in [DrawMode::DisplayList, DrawMode::Direct] {
            assert_eq!(Renderer::new(mode).render_new(&plot, &c).pixels(), replay.pixels());
        }
    }
    // Layers use their own streams and differ between ticks.
    let a = Renderer::default().render_new(&scene, &ctx(sz, 5, 0));
    let b = Renderer::default().render_new(&scene, &ctx(sz, 5, 1));
    assert_ne!(a.pixels(), b.pixels());
    // Scaled by area at other sizes.
    assert_eq!(RandomPixels::confetti(size(128, 64), WritePath::Pixels).writes_per_frame(), 23_275);
}

#[test]
fn random_pixels_count_and_palette() {
    let sz = size(64, 32);
    let scene = build(
        Params::new("random-pixels", None).with("count", Value::Int(50)).with("colors", colors(&["#ff0000"])),
        sz,
    );
    let f = Renderer::default().render_new(&*scene, &ctx(sz, 1, 0));
    let red = f.pixels().iter().filter(|p| **p == Rgba::rgb(255, 0, 0)).count();
    let black = f.pixels().iter().filter(|p| **p == Rgba::BLACK).count();
    assert!((45..=50).contains(&red), "{red}");
    assert_eq!(red + black, 64 * 32);
}

#[test]
fn mandelbrot_cycle_length_and_restart() {
    let m = Mandelbrot::original(0);
    // 2^-5 · 1.05^n ≥ 2e10  ⇔  n ≥ ln(6.4e11) / ln(1.05) = 557.2…, so n = 558 ticks per cycle.
    assert_eq!(m.cycle_len(), 558);
    assert_eq!(m.zoom_at(0), 0.031_25);
    assert_eq!(m.zoom_at(558), 0.031_25);
    assert_eq!(m.zoom_at(558 * 3 + 10), m.zoom_at(10));
    assert!(m.zoom_at(557) < 2e10 && m.zoom_at(557) * 1.05 >= 2e10, "{}", m.zoom_at(557));
    assert!((m.zoom_at(1) - 0.031_25 * 1.05).abs() < 1e-15);
    let sz = size(64, 16);
    let hash_at = |t| hash(&m, DrawMode::DisplayList, sz, 0, t);
    assert_eq!(hash_at(558), hash_at(0));
    assert_eq!(hash_at(558 + 300), hash_at(300));
    assert_ne!(hash_at(557), hash_at(0));
    // The seed does not matter.
    assert_eq!(hash(&m, DrawMode::DisplayList, sz, 77, 300), hash_at(300));
}

#[test]
fn mandelbrot_fast_path_is_bit_exact_with_the_plain_loop_on_every_kernel() {
    let kernels = mandelbrot::Kernel::available();
    eprintln!("mandelbrot kernels on this CPU: {kernels:?}");
    for kernel in kernels {
        let m = Mandelbrot::original(2);
        for (sz, ticks) in [
            (size(64, 16), (0..558).step_by(31).collect::<Vec<u64>>()),
            (size(256, 64), vec![0, 200, 420, 557]),
        ] {
            let mut fast = vec![Rgba::TRANSPARENT; sz.area()];
            let mut slow = vec![Rgba::TRANSPARENT; sz.area()];
            for &t in &ticks {
                let c = ctx(sz, 0, t);
                m.render_with(kernel, &c, &mut fast);
                m.render_reference(&c, &mut slow);
                assert!(fast == slow, "{kernel:?}: tick {t} at {sz:?}");
            }
        }
        // Other iteration limits (not multiples of the block) too.
        for iters in [1, 2, 5, 33, 300] {
            let m = Mandelbrot::new(0, iters, (-0.745, 0.11), mandelbrot::zoom_cycle(0.5, 1e4, 2.0));
            let sz = size(33, 9);
            let mut fast = vec![Rgba::TRANSPARENT; sz.area()];
            let mut slow = vec![Rgba::TRANSPARENT; sz.area()];
            for t in 0..m.cycle_len() {
                let c = ctx(sz, 0, t);
                m.render_with(kernel, &c, &mut fast);
                m.render_reference(&c, &mut slow);
                assert!(fast == slow, "{kernel:?}: iterations {iters} tick {t}");
            }
        }
    }
    assert_eq!(mandelbrot::escape_time(0.0, 0.0, 250), 0);
    assert_eq!(mandelbrot::escape_time(3.0, 0.0, 250), 1);
}

#[test]
fn mandelbrot_palettes_differ_and_start_black() {
    let all: Vec<[Rgba; 256]> = (0..6).map(mandelbrot::palette).collect();
    for (i, a) in all.iter().enumerate() {
        assert_eq!(a[0], Rgba::BLACK);
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
    let sz = size(64, 16);
    let by_index = build(Params::new("mandelbrot", None).with("palette", Value::Int(3)), sz);
    let by_name = build(Params::new("mandelbrot", None).with("palette", s("ocean")), sz);
    let other = build(Params::new("mandelbrot", None).with("palette", s("rose")), sz);
    let h = |sc: &dyn Scene| hash(sc, DrawMode::DisplayList, sz, 0, 100);
    assert_eq!(h(&*by_index), h(&*by_name));
    assert_ne!(h(&*by_index), h(&*other));
}

#[test]
fn scenes_animate_and_solid_is_solid() {
    let sz = size(32, 16);
    let solid = build(Params::new("solid", None).with("color", s("#123456")), sz);
    let f = Renderer::default().render_new(&*solid, &ctx(sz, 0, 5));
    assert!(f.pixels().iter().all(|p| *p == Rgba::rgb(0x12, 0x34, 0x56)));
    // Static gradient: first column is the first stop, last column the last stop (angle 0).
    let g = build(Params::new("gradient", None), sz);
    let f = Renderer::default().render_new(&*g, &ctx(sz, 0, 0));
    assert!(f.get(0, 3).unwrap().r < 10 && f.get(31, 3).unwrap().r > 245);
    assert_eq!(hash(&*g, DrawMode::DisplayList, sz, 0, 0), hash(&*g, DrawMode::DisplayList, sz, 0, 99));
    for name in ["plasma", "fire", "starfield", "random-pixels"] {
        let sc = build(Params::new(name, None), sz);
        assert_ne!(
            hash(&*sc, DrawMode::DisplayList, sz, 0, 10),
            hash(&*sc, DrawMode::DisplayList, sz, 0, 40),
            "{name} animates"
        );
    }
    let scroll = build(Params::new("gradient", None).with("speed", Value::Float(1.0)), sz);
    assert_ne!(
        hash(&*scroll, DrawMode::DisplayList, sz, 0, 0),
        hash(&*scroll, DrawMode::DisplayList, sz, 0, 15)
    );
}
