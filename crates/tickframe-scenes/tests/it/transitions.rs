//! Transitions: exact ends for every kind, golden hashes at progress 0.25 / 0.5 / 0.75, the
//! fast crossfade against the core's, and the scene-file syntax of every kind.
//!
//! Re-bless the table below after a deliberate change: run
//! `TICKFRAME_BLESS=1 cargo test -p tickframe-scenes --test it transitions_golden -- --nocapture`
//! and paste the printed lines into `GOLDEN`.

use tickframe_core::{Frame, FrameRef, Rgba, Size, crossfade, frame_hash};
use tickframe_scenes::{Direction, Easing, Transition, TransitionKind, parse_scene_str};

const W: u32 = 67;
const H: u32 = 41;
const SEED: u64 = 99;

/// Two distinct, busy test pictures (every pixel different, alpha varying in `to`).
fn frames() -> (Frame, Frame) {
    let size = Size::new(W, H).unwrap();
    let mut a = Frame::new(size);
    let mut b = Frame::new(size);
    for y in 0..H {
        for x in 0..W {
            let i = (y * W + x) as usize;
            a.pixels_mut()[i] = Rgba::rgb((x * 3) as u8, (y * 5) as u8, ((x ^ y) * 7) as u8);
            b.pixels_mut()[i] = Rgba::new(
                255 - (y * 4) as u8,
                (x * 2 + y) as u8,
                128 + (x % 7) as u8 * 9,
                200 + (x % 50) as u8,
            );
        }
    }
    (a, b)
}

/// Every kind with its parameter variants, labelled.
fn kinds() -> Vec<(String, TransitionKind)> {
    let mut v = vec![("crossfade".to_string(), TransitionKind::Crossfade)];
    for d in Direction::ALL {
        v.push((format!("wipe-{}", d.name()), TransitionKind::Wipe(d)));
    }
    for d in Direction::EDGES {
        v.push((format!("slide-{}", d.name()), TransitionKind::Slide(d)));
    }
    v.push(("dissolve-1".into(), TransitionKind::Dissolve { block: 1 }));
    v.push(("dissolve-8".into(), TransitionKind::Dissolve { block: 8 }));
    v.push(("blinds-h".into(), TransitionKind::Blinds { vertical: false, count: 10 }));
    v.push(("blinds-v".into(), TransitionKind::Blinds { vertical: true, count: 7 }));
    for d in Direction::ALL {
        v.push((format!("block-flip-{}", d.name()), TransitionKind::BlockFlip { tiles: 6, direction: d }));
    }
    v.push(("ripple".into(), TransitionKind::Ripple { rings: 3 }));
    v.push(("warp".into(), TransitionKind::Warp { angle: 270 }));
    v.push(("zoom-in".into(), TransitionKind::Zoom { out: false }));
    v.push(("zoom-out".into(), TransitionKind::Zoom { out: true }));
    v.push(("iris-open".into(), TransitionKind::Iris { close: false }));
    v.push(("iris-close".into(), TransitionKind::Iris { close: true }));
    v.push(("pixelate".into(), TransitionKind::Pixelate { block: 9 }));
    v.push(("burn".into(), TransitionKind::Burn { color: Rgba::rgb(255, 96, 0) }));
    v
}

fn run(kind: TransitionKind, p: f64, a: &Frame, b: &Frame) -> Vec<Rgba> {
    let mut out = vec![Rgba::new(1, 2, 3, 4); a.pixels().len()];
    kind.apply(p, SEED, a.view(), b.view(), &mut out);
    out
}

fn hash(px: &[Rgba]) -> u128 {
    frame_hash(FrameRef::new(Size::new(W, H).unwrap(), px).unwrap())
}

#[test]
fn every_kind_is_exact_at_both_ends_and_for_every_easing() {
    let (a, b) = frames();
    let names: Vec<&str> = kinds().iter().map(|(_, k)| k.name()).collect();
    for n in TransitionKind::NAMES {
        assert!(names.contains(&n), "kind {n} not tested");
    }
    for (label, kind) in kinds() {
        assert_eq!(run(kind, 0.0, &a, &b), a.pixels(), "{label} at 0");
        assert_eq!(run(kind, 1.0, &a, &b), b.pixels(), "{label} at 1");
        assert_eq!(run(kind, -3.0, &a, &b), a.pixels(), "{label} below 0");
        assert_eq!(run(kind, f64::NAN, &a, &b), a.pixels(), "{label} NaN");
        assert_eq!(run(kind, 7.0, &a, &b), b.pixels(), "{label} above 1");
        for e in Easing::ALL {
            let t = Transition { kind, duration: 1.0, easing: e };
            let mut out = vec![Rgba::BLACK; a.pixels().len()];
            t.apply(0.0, SEED, a.view(), b.view(), &mut out);
            assert_eq!(out, a.pixels(), "{label} eased {e:?} at 0");
            t.apply(1.0, SEED, a.view(), b.view(), &mut out);
            assert_eq!(out, b.pixels(), "{label} eased {e:?} at 1");
        }
        // In between, something of both shows, and the output does not depend on its old contents.
        let mid = run(kind, 0.5, &a, &b);
        assert_ne!(mid, a.pixels(), "{label} at 0.5 is the old frame");
        assert_ne!(mid, b.pixels(), "{label} at 0.5 is the new frame");
        let mut dirty = vec![Rgba::WHITE; a.pixels().len()];
        kind.apply(0.5, SEED, a.view(), b.view(), &mut dirty);
        assert_eq!(dirty, mid, "{label}: output depends on the buffer's old contents");
    }
}

/// `label progress = hash` of every kind at 67×41, seed 99.
const GOLDEN: &str = "
crossfade 0.25 = 3589c67ad4ddfdad2fa8d876e4e4edc9
crossfade 0.5 = 8c0dab21db9d4fea51bd37af4c1bf826
crossfade 0.75 = 5060423f915a16c42882a554b102ec70
wipe-left 0.25 = d4bb70db7b40ebb6e3217b1f11bb3a95
wipe-left 0.5 = cb85f02423c04d737a2b35a3f340d9f1
wipe-left 0.75 = 34d8fa7e1e4f9ec04d14dee10f59dace
wipe-right 0.25 = 2c7294352d963a44c80277ab38d9a44f
wipe-right 0.5 = d9b476a28ca6c8541c4b9dc0114d3800
wipe-right 0.75 = 6fcef337ef2eec481acfa67b309a8cae
wipe-up 0.25 = 4752fd12120ffc895ef65764ca94a4b5
wipe-up 0.5 = 09989e163b290f93692d1a34fc87c33e
wipe-up 0.75 = 7eec365cc607e004f19cc8f61a579bb3
wipe-down 0.25 = 2db8ee3f1f18883d5fdc808e462010ab
wipe-down 0.5 = db4be435d165c59cc3d707b18fa5d329
wipe-down 0.75 = 1ae266c687de64ae47510da7d12c0987
wipe-up-left 0.25 = e2dd4c8b577e71352e87a2a8e0a393bb
wipe-up-left 0.5 = d93287e3f308354dded9add41385d81d
wipe-up-left 0.75 = 40176e665cb5ab2844a2bf625fa1eb2a
wipe-up-right 0.25 = fe3ddc85229efaf84e810efe654cc780
wipe-up-right 0.5 = 4a8cf0ee2d96e9d813390f3693360da4
wipe-up-right 0.75 = eaed109e9c3da42d72f29e88b8b62e35
wipe-down-left 0.25 = 6f1b6ff4aab0f73b6f301cfd71485b07
wipe-down-left 0.5 = 4f0f50fdaf0079a1fc1c8bdb9a2da971
wipe-down-left 0.75 = 7bf22da32916d2c520af5a71b5fdd2ef
wipe-down-right 0.25 = 9c7edd56a4609872a901c2d0d672c3a0
wipe-down-right 0.5 = 46d8a9b53f81ea2061838b21f926ea64
wipe-down-right 0.75 = 9ca14401d6f4dc028b7b872eb2f1051a
slide-left 0.25 = 27c1de14e267fa40326a40b2e30a2a94
slide-left 0.5 = b13c6fdc40b3ba41faeaeca5ef576a33
slide-left 0.75 = 5fe101ec2c135bdb3ac1320d284b9623
slide-right 0.25 = da678790e8d9b75242e94e8427c59668
slide-right 0.5 = 697118a1ab4a92c2c113dc8dd5467fc4
slide-right 0.75 = 70f0e026282bd0476dd4fd708f9264e8
slide-up 0.25 = f489a7c6c064c31b47e4c23c191ccf96
slide-up 0.5 = 690f571119cd2ebfa3768fd0bf1e5b28
slide-up 0.75 = badea5d69ef51648483e1a2ca560d018
slide-down 0.25 = 4398960abb0204c9796279b94fbba154
slide-down 0.5 = b57e8e2222a14940c412d16aaa8f7a07
slide-down 0.75 = 364831ce9fad49f765a0cbf90a4b5343
dissolve-1 0.25 = 5db0b6e674d350fdfae1325fb2aceb3f
dissolve-1 0.5 = 1fedd9211daf50e019fa86ab3a33f248
dissolve-1 0.75 = 3ef2b7cf7ff6b4b33d12ce8ad50c1765
dissolve-8 0.25 = a169f00dae9d8a00a6e18b285aa727cc
dissolve-8 0.5 = 316d200ec62bc2d583466535edaf6761
dissolve-8 0.75 = aa3410fc3e802f855654d89ed789f6dc
blinds-h 0.25 = b545e144c2f4ea04e66a923f9822d9a1
blinds-h 0.5 = 3b99713b7ac6ec1402ce5de67c2a88e1
blinds-h 0.75 = 246d72017d2fcd54119e73da0552f51b
blinds-v 0.25 = 1c50c8d2dc6fe105f4b1370518f06daa
blinds-v 0.5 = 4fe5ad1da0bf4ef437adf7a6a435126a
blinds-v 0.75 = 97c151505206b792fbd4010414fbbe50
block-flip-left 0.25 = 29ce252db158dc313e57c6f3051c1e9a
block-flip-left 0.5 = 409e4b62ccf5317e52e868179051188d
block-flip-left 0.75 = 8e89efec3e61dbd8f450b95f13fec518
block-flip-right 0.25 = 142670f46413829d7bdc502b33bb6695
block-flip-right 0.5 = 93bef4ec90183e9dde4b0c477722e14e
block-flip-right 0.75 = d657c532a3b55f72b3a69e38ba2d70b9
block-flip-up 0.25 = 39b04463bb4592d58665d390d0226b51
block-flip-up 0.5 = 520618d7a93ca7c3fbb0709be7dfd02a
block-flip-up 0.75 = ba70f7f1ff3b68ec20ff24d99c727dfc
block-flip-down 0.25 = 15365bec7e3873f773983f10b05c1a2f
block-flip-down 0.5 = de9b76f85318f7c67f725e088cf85c77
block-flip-down 0.75 = 342f83836dd1eb3a241e450599ca99b2
block-flip-up-left 0.25 = 187dda83a8d1c9be1a2bcfb4c11b2378
block-flip-up-left 0.5 = 3d75469d98033e16bac2c5c657618d36
block-flip-up-left 0.75 = 715e29a8c89295eb1da48acf562ef02d
block-flip-up-right 0.25 = 5e9eacd217be5e7fd1a03f0004bbe6c7
block-flip-up-right 0.5 = f0ed967ef639b3573c7cfb8598a3046c
block-flip-up-right 0.75 = b4caed1a86ad2718e97b68332bc3e8f7
block-flip-down-left 0.25 = 3d9d43a05e6014888ba1086ae80eb50e
block-flip-down-left 0.5 = d8aca46ecffd51fe53e257f464c94824
block-flip-down-left 0.75 = 6f11e90a9b68f80bad07e839edaedf23
block-flip-down-right 0.25 = 7439e41716a9c8f7351829bacc561322
block-flip-down-right 0.5 = 6f0c5d7fc17562fde182ee89917d652a
block-flip-down-right 0.75 = 618560be679eaf385d24c9a72e59633f
ripple 0.25 = 3578eded65776ea05209658842b30535
ripple 0.5 = 932a69e3789a313690a1c7909a4c6fbd
ripple 0.75 = d5d66136b3e66307fe92bc88eaef5710
warp 0.25 = 02395174db2869fdcffaeca964a71e35
warp 0.5 = 922c3991ce6e54bd20937a6a93c9205a
warp 0.75 = 75735dfee2e9d3c7c1f9d134fa23b1d8
zoom-in 0.25 = 20d599e17b28b9c0413af19bcaad91a1
zoom-in 0.5 = 93ab17af2f4b1b9ff3e451b900e927fe
zoom-in 0.75 = 99fe99183c9866c782a5fd826bef98e8
zoom-out 0.25 = 0e16a14b0f3a0a8637184596ce402760
zoom-out 0.5 = 04c2c8d86ffe8773e7015e0c7f48b244
zoom-out 0.75 = a7e51e8642cd480f8f652e2c33a967ab
iris-open 0.25 = 74dc1829ecf046fd85cbd36f5358ca19
iris-open 0.5 = 9dba38f40af27ce2f5d53a25f25a77da
iris-open 0.75 = 9799210f89865647363b742b5046e53c
iris-close 0.25 = 8d580ae1f218d1217addd35a543aad87
iris-close 0.5 = 1ca727216f288f6e193767700bde34ab
iris-close 0.75 = b90ca103e8d30018c59d18a42a4f6dc7
pixelate 0.25 = 5ae8a20546aa6458fae6385f67e56e22
pixelate 0.5 = a3ac1be78ba546b82aa1c9996ef88c11
pixelate 0.75 = a17834a9e8d21ae0d1aa72af5991cf28
burn 0.25 = 0044a5db418b19b910cc7c15a36ab4ff
burn 0.5 = 5652e9c1904c9cefd6c71410baab1cbe
burn 0.75 = 83e859c5b275e810e74b254d8e1bcbed
";

#[test]
fn transitions_golden_hashes() {
    let (a, b) = frames();
    let mut lines = Vec::new();
    for (label, kind) in kinds() {
        for p in [0.25, 0.5, 0.75] {
            lines.push(format!("{label} {p} = {:032x}", hash(&run(kind, p, &a, &b))));
        }
    }
    if std::env::var_os("TICKFRAME_BLESS").is_some() {
        println!("{}", lines.join("\n"));
        return;
    }
    let expected: Vec<&str> = GOLDEN.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let problems: Vec<String> = lines
        .iter()
        .filter(|l| !expected.contains(&l.as_str()))
        .map(|l| format!("not blessed or changed: {l}"))
        .collect();
    assert!(problems.is_empty(), "{} transition hashes differ:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(expected.len(), lines.len(), "blessed entries no longer produced");
}

#[test]
fn the_seed_matters_only_where_it_should() {
    let (a, b) = frames();
    for (label, kind) in kinds() {
        let mut x = vec![Rgba::BLACK; a.pixels().len()];
        let mut y = x.clone();
        kind.apply(0.5, 1, a.view(), b.view(), &mut x);
        kind.apply(0.5, 2, a.view(), b.view(), &mut y);
        let seeded = matches!(kind, TransitionKind::Dissolve { .. } | TransitionKind::Burn { .. });
        assert_eq!(x != y, seeded, "{label}: seed dependence");
    }
}

#[test]
fn fast_crossfade_equals_the_core_crossfade() {
    let (a, b) = frames();
    for t in 1..255u32 {
        let p = f64::from(t) / 255.0;
        let mut expected = vec![Rgba::BLACK; a.pixels().len()];
        crossfade(&mut expected, a.pixels(), b.pixels(), (p * 255.0).round() as u8);
        assert_eq!(run(TransitionKind::Crossfade, p, &a, &b), expected, "t = {t}");
    }
}

#[test]
fn shapes_of_iris_wipe_and_blinds() {
    let (a, b) = frames();
    let at = |px: &[Rgba], x: u32, y: u32| px[(y * W + x) as usize];
    let (ai, bi) = (|x, y| at(a.pixels(), x, y), |x, y| at(b.pixels(), x, y));
    // Iris open: the centre shows the new frame, corners the old one.
    let o = run(TransitionKind::Iris { close: false }, 0.3, &a, &b);
    assert_eq!(at(&o, W / 2, H / 2), bi(W / 2, H / 2));
    assert_eq!(at(&o, 0, 0), ai(0, 0));
    let o = run(TransitionKind::Iris { close: true }, 0.3, &a, &b);
    assert_eq!(at(&o, W / 2, H / 2), ai(W / 2, H / 2));
    assert_eq!(at(&o, 0, 0), bi(0, 0));
    // Diagonal wipe down-right: the new frame comes in from the top-left corner.
    let o = run(TransitionKind::Wipe(Direction::DownRight), 0.3, &a, &b);
    assert_eq!(at(&o, 0, 0), bi(0, 0));
    assert_eq!(at(&o, W - 1, H - 1), ai(W - 1, H - 1));
    let o = run(TransitionKind::Wipe(Direction::UpLeft), 0.3, &a, &b);
    assert_eq!(at(&o, 0, 0), ai(0, 0));
    assert_eq!(at(&o, W - 1, H - 1), bi(W - 1, H - 1));
    // Blinds: the first row of every slat opens first.
    let o = run(TransitionKind::Blinds { vertical: false, count: 4 }, 0.2, &a, &b);
    for i in 0..4 {
        let y0 = i * H / 4;
        assert_eq!(at(&o, 5, y0), bi(5, y0), "slat {i}");
        assert_eq!(at(&o, 5, (i + 1) * H / 4 - 1), ai(5, (i + 1) * H / 4 - 1), "slat {i}");
    }
}

#[test]
fn every_kind_and_parameter_parses_from_a_scene_file() {
    let cases = [
        r#""crossfade""#,
        r#""diffuse""#,
        r#"{ kind = "wipe", direction = "down-left" }"#,
        r#"{ kind = "slide", direction = "up" }"#,
        r#"{ kind = "dissolve", block = 4 }"#,
        r#"{ kind = "blinds", orientation = "vertical", count = 12 }"#,
        r#"{ kind = "block-flip", tiles = 16, direction = "right" }"#,
        r#"{ kind = "ripple", rings = 5 }"#,
        r#"{ kind = "warp", angle = 360 }"#,
        r#"{ kind = "zoom", mode = "out" }"#,
        r#"{ kind = "iris", mode = "close", easing = "sine-in-out", duration = 0.5 }"#,
        r#"{ kind = "pixelate", block = 24 }"#,
        r##"{ kind = "burn", color = "#ff2000" }"##,
    ];
    for tr in cases {
        let src = format!(
            "[display]\nwidth = 16\nheight = 8\n[[playlist]]\nscene = \"solid\"\nduration = 2\ntransition = {tr}\n[[playlist]]\nscene = \"solid\"\nduration = 2\n"
        );
        parse_scene_str(&src, "t.toml", std::path::Path::new("."), &Default::default())
            .unwrap_or_else(|e| panic!("{tr}: {e}"));
    }
    let bad = [
        (r#"{ kind = "slide", direction = "up-left" }"#, "unknown direction \"up-left\""),
        (r#"{ kind = "iris", mode = "out" }"#, "unknown mode \"out\"; expected one of `open` or `close`"),
        (r#"{ kind = "blinds", count = 0 }"#, "a number of slats, 1..=256"),
        (r#"{ kind = "crossfade", rings = 2 }"#, "only `ripple` do"),
        (r#"{ kind = "ripple", tiles = 2 }"#, "only `block-flip` do"),
        (r#"{ kind = "burn", color = "red" }"#, "a colour"),
        (r#"{ kind = "sparkle" }"#, "`burn`"),
    ];
    for (tr, want) in bad {
        let src = format!(
            "[display]\nwidth = 16\nheight = 8\n[[playlist]]\nscene = \"solid\"\nduration = 2\ntransition = {tr}\n[[playlist]]\nscene = \"solid\"\nduration = 2\n"
        );
        let e = parse_scene_str(&src, "t.toml", std::path::Path::new("."), &Default::default()).unwrap_err();
        assert!(e.to_string().contains(want), "{tr}: {e}");
    }
}

/// Two busy pictures of any size, every alpha at least 200 (so no mix of them, and no black an
/// uncovering transition paints, can equal the sentinels below).
fn frames_of(w: u32, h: u32) -> (Frame, Frame) {
    let size = Size::new(w, h).unwrap();
    let (mut a, mut b) = (Frame::new(size), Frame::new(size));
    for (i, (p, q)) in a.pixels_mut().iter_mut().zip(b.pixels_mut()).enumerate() {
        let v = (i as u32).wrapping_mul(2_654_435_761);
        *p = Rgba::new(v as u8, (v >> 8) as u8, (v >> 16) as u8, 200 + (v >> 24) as u8 % 56);
        *q = Rgba::new((v >> 3) as u8, (v >> 11) as u8, (v >> 19) as u8, 255 - (v >> 5) as u8 % 40);
    }
    (a, b)
}

/// At tiny and odd sizes every kind (and extreme parameters: more slats or tiles than lines,
/// blocks larger than the display) gives exactly `from` at 0 and `to` at 1, and in between it
/// writes every pixel: the output is the same whatever the buffer held before (two sentinels
/// that no transition can produce).
#[test]
fn every_kind_writes_every_pixel_at_tiny_and_odd_sizes() {
    let mut all = kinds();
    for (vertical, count) in [(false, 1), (false, 5), (false, 10), (false, 256), (true, 10), (true, 256)] {
        all.push((format!("blinds-{vertical}-{count}"), TransitionKind::Blinds { vertical, count }));
    }
    all.push(("block-flip-256".into(), TransitionKind::BlockFlip { tiles: 256, direction: Direction::Down }));
    all.push(("dissolve-64".into(), TransitionKind::Dissolve { block: 64 }));
    all.push(("pixelate-256".into(), TransitionKind::Pixelate { block: 256 }));
    all.push(("ripple-16".into(), TransitionKind::Ripple { rings: 16 }));
    all.push(("warp-1440".into(), TransitionKind::Warp { angle: 1440 }));
    let (s1, s2) = (Rgba::new(1, 2, 3, 4), Rgba::new(250, 251, 252, 5));
    for (w, h) in [(1, 1), (3, 2), (8, 8), (300, 4), (4, 300), (32, 8), (67, 41)] {
        let (a, b) = frames_of(w, h);
        let n = a.pixels().len();
        for (label, kind) in &all {
            let apply = |p: f64, fill: Rgba| {
                let mut out = vec![fill; n];
                kind.apply(p, SEED, a.view(), b.view(), &mut out);
                out
            };
            assert!(apply(0.0, s1) == a.pixels(), "{label} {w}x{h} at 0");
            assert!(apply(1.0, s1) == b.pixels(), "{label} {w}x{h} at 1");
            for k in 1..20 {
                let p = f64::from(k) / 20.0;
                let (x, y) = (apply(p, s1), apply(p, s2));
                let unwritten = x.iter().filter(|&&c| c == s1).count();
                assert_eq!(unwritten, 0, "{label} {w}x{h} at {p}: {unwritten} of {n} pixels left unwritten");
                assert!(x == y, "{label} {w}x{h} at {p}: output depends on the buffer's old contents");
            }
        }
    }
}

/// Each kind has its own default duration and easing, used when a scene file names only the
/// kind.
#[test]
fn every_kind_has_its_own_default_duration_and_easing() {
    let mut durations = Vec::new();
    let mut easings = Vec::new();
    for name in TransitionKind::NAMES {
        let kind = TransitionKind::from_name(name).unwrap();
        let t = Transition::new(kind);
        assert_eq!(t.duration, kind.default_duration(), "{name}");
        assert_eq!(t.easing, kind.default_easing(), "{name}");
        assert!((0.5..=2.0).contains(&t.duration), "{name}: {}", t.duration);
        if !durations.contains(&t.duration.to_bits()) {
            durations.push(t.duration.to_bits());
        }
        if !easings.contains(&t.easing) {
            easings.push(t.easing);
        }
    }
    assert!(durations.len() >= 5 && easings.len() >= 4, "{durations:?} {easings:?}");
    assert_eq!(TransitionKind::from_name("slide").unwrap().default_duration(), 0.7);
    assert_eq!(TransitionKind::from_name("burn").unwrap().default_easing(), Easing::QuadIn);
}
