//! Integration tests: scene files (loading, precise errors, overrides, the examples).

use std::path::{Path, PathBuf};

use tickframe_core::{FrameRate, RenderContext, Renderer, Size, frame_hash};
use tickframe_scenes::file::{
    Overrides, SceneFile, SceneFileError, demo_scene, load_scene_file, parse_scene_str,
};

fn parse(source: &str) -> Result<SceneFile, SceneFileError> {
    parse_scene_str(source, "bad.toml", Path::new("."), &Overrides::default())
}

fn error_of(source: &str) -> String {
    match parse(source) {
        Ok(_) => panic!("expected an error for:\n{source}"),
        Err(e) => e.to_string(),
    }
}

const DISPLAY: &str = "[display]\nwidth = 8\nheight = 4\n";

/// Bad scene files and the exact message each must give: `file:line:col: message`.
#[test]
fn bad_scene_files_give_precise_errors() {
    let cases: &[(&str, &str)] = &[
        // Malformed TOML: the parser's message at its position.
        ("seed = \n", "bad.toml:1:8: invalid TOML: string values must be quoted, expected literal string"),
        ("seed = 1\nseed = 2\n", "bad.toml:2:1: invalid TOML: duplicate key"),
        // Display size.
        (
            "[display]\nwidth = 0\nheight = 4\nscene = \"solid\"\n",
            "bad.toml:2:9: `display.width`: expected a whole number of pixels in 1..=16384, found 0",
        ),
        (
            "[display]\nwidth = 8\nheight = 16385\n",
            "bad.toml:3:10: `display.height`: expected a whole number of pixels in 1..=16384, found 16385",
        ),
        (
            "[display]\nwidth = \"256\"\nheight = 4\n",
            "bad.toml:2:9: `display.width`: expected a whole number of pixels in 1..=16384, found \"256\"",
        ),
        (
            "scene = \"solid\"\n[display]\nwidth = 8\n",
            "bad.toml:2:1: `display.height`: missing required key (the display height in pixels, 1..=16384)",
        ),
        (
            "scene = \"solid\"\n",
            "bad.toml:1:1: `display.width`: missing required key (the display width in pixels, 1..=16384)",
        ),
        // Frame rate.
        (
            "[display]\nwidth = 8\nheight = 4\nfps = 0\n",
            "bad.toml:4:7: `display.fps`: expected frames per second in (0, 1000], found 0",
        ),
        (
            "[display]\nwidth = 8\nheight = 4\nfps = -30\n",
            "bad.toml:4:7: `display.fps`: expected frames per second in (0, 1000], found -30",
        ),
        (
            "[display]\nwidth = 8\nheight = 4\nfps = 1000.5\n",
            "bad.toml:4:7: `display.fps`: expected frames per second in (0, 1000], found 1000.5",
        ),
        (
            "[display]\nwidth = 8\nheight = 4\nfps = \"fast\"\n",
            "bad.toml:4:7: `display.fps`: expected frames per second in (0, 1000] (like 60, \"30000/1001\" or 29.97), found \"fast\"",
        ),
        // Unknown keys, with suggestions.
        (
            "sed = 3\nscene = \"solid\"\n",
            "bad.toml:1:1: unknown key `sed` in the top level (did you mean `seed`?); the top level takes `seed`, `display`, `output` and the parameters of scene `solid`",
        ),
        (
            "sed = 3\n[display]\nwidth = 8\nheight = 4\n[[playlist]]\nduration = 1\nscene = \"solid\"\n",
            "bad.toml:1:1: unknown key `sed` in a playlist node (the top level) (did you mean `seed`?); expected `playlist`, `loop`, `seed`, `display` or `output`",
        ),
        (
            "[display]\nwidth = 8\nheight = 4\nfsp = 60\n",
            "bad.toml:4:1: unknown key `display.fsp` in `[display]` (did you mean `fps`?); expected `width`, `height`, `fps`, `color` or `threshold`",
        ),
        // The classic TOML trap: a top-level key written after `[display]` belongs to it.
        (
            "[display]\nwidth = 8\nheight = 4\nloop = true\n",
            "bad.toml:4:1: `display.loop`: `loop` is a top-level key but is written inside `[display]`; move it above the first `[table]` header (in TOML every key after `[display]` belongs to it)",
        ),
        // Types and ranges.
        (
            "seed = -1\n",
            "bad.toml:1:8: `seed`: expected a whole number >= 0 (or a string holding a 64-bit number), found -1",
        ),
        (
            "seed = 1.5\n",
            "bad.toml:1:8: `seed`: expected a whole number >= 0 (or a string holding a 64-bit number), found 1.5",
        ),
        // Node shape.
        (
            &format!("seed = 1\n{DISPLAY}"),
            "bad.toml:1:1: the root node: missing `scene`, `layers` or `playlist` (a node is exactly one of a scene, a layer stack or a playlist)",
        ),
        (
            &format!("scene = \"solid\"\n{DISPLAY}[[layers]]\nscene = \"solid\"\n"),
            "bad.toml:5:3: `layers`: a node has exactly one of `scene`, `layers` or `playlist`, found both `scene` and `layers`",
        ),
        (
            &format!("scene = 5\n{DISPLAY}"),
            "bad.toml:1:9: `scene`: expected the name of a built-in scene (a string), found 5",
        ),
        (
            &format!("playlist = []\n{DISPLAY}"),
            "bad.toml:1:12: `playlist`: expected a non-empty array of tables (`[[playlist]]` sections or `[{ ... }, ...]`), found an empty array",
        ),
        (
            &format!("layers = 3\n{DISPLAY}"),
            "bad.toml:1:10: `layers`: expected a non-empty array of tables (`[[layers]]` sections or `[{ ... }, ...]`), found 3",
        ),
        (
            &format!("{DISPLAY}[[playlist]]\nscene = \"solid\"\n"),
            "bad.toml:4:1: `playlist[0].duration`: missing required key (how long the entry is shown, in seconds)",
        ),
        (
            &format!("{DISPLAY}[[playlist]]\nduration = 0\nscene = \"solid\"\n"),
            "bad.toml:5:12: `playlist[0].duration`: expected a duration in seconds, > 0 and at most 31536000 (one year), found 0",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 2\n[[playlist.layers]]\nscene = \"solid\"\nopacity = 1.5\n"
            ),
            "bad.toml:8:11: `playlist[0].layers[0].opacity`: expected a number in 0..=1, found 1.5",
        ),
        (
            &format!("{DISPLAY}[[layers]]\nscene = \"solid\"\nblend = \"lighten\"\n"),
            "bad.toml:6:9: `layers[0].blend`: unknown blend mode \"lighten\"; expected one of `normal`, `add`, `multiply` or `screen`",
        ),
        (
            &format!("{DISPLAY}[[layers]]\nscene = \"solid\"\nduration = 3\n"),
            "bad.toml:6:1: unknown parameter `duration` for scene `solid`; known parameters: color",
        ),
        (
            &format!("loop = \"yes\"\n{DISPLAY}[[playlist]]\nduration = 1\nscene = \"solid\"\n"),
            "bad.toml:1:8: `loop`: expected true or false, found \"yes\"",
        ),
        // Transitions.
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"fade\" }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:23: `playlist[0].transition.kind`: unknown transition \"fade\"; expected one of `crossfade`, `wipe`, `slide`, `dissolve`, `blinds`, `block-flip`, `ripple`, `warp`, `zoom`, `iris`, `pixelate` or `burn`",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"wipe\", direction = \"sideways\" }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:43: `playlist[0].transition.direction`: unknown direction \"sideways\"; expected one of `left`, `right`, `up`, `down`, `up-left`, `up-right`, `down-left` or `down-right`",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"crossfade\", easing = \"sine-inout\" }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:45: `playlist[0].transition.easing`: unknown easing \"sine-inout\" (did you mean `sine-in-out`?); expected one of `linear`, `quad-in`, `quad-out`, `quad-in-out`, `sine-in`, `sine-out` or `sine-in-out`",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"crossfade\", direction = \"left\" }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:36: `playlist[0].transition.direction`: a `crossfade` transition has no `direction` (only `wipe`, `slide` and `block-flip` do)",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ duration = 0.5 }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:14: `playlist[0].transition.kind`: missing required key (one of `crossfade`, `wipe`, `slide`, `dissolve`, `blinds`, `block-flip`, `ripple`, `warp`, `zoom`, `iris`, `pixelate` or `burn`)",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"dissolve\", block = 0 }}\nscene = \"solid\"\n"
            ),
            "bad.toml:6:43: `playlist[0].transition.block`: expected a block size in pixels, 1..=256, found 0",
        ),
        (
            &format!(
                "{DISPLAY}[[playlist]]\nduration = 1\ntransition = {{ kind = \"wipe\", duration = 2 }}\nscene = \"solid\"\n[[playlist]]\nduration = 1\nscene = \"solid\"\n"
            ),
            "bad.toml:6:14: `playlist[0].transition`: expected a transition shorter than its entry (1 s = 60 ticks), found 2 s = 120 ticks",
        ),
        // Misspelt node keys are named, with the key they resemble.
        (
            &format!("{DISPLAY}[[playlist]]\ndurration = 2\nscene = \"solid\"\n"),
            "bad.toml:5:1: unknown key `playlist[0].durration` in a playlist entry (did you mean `duration`?); an entry needs `duration`, how long it is shown, in seconds",
        ),
        (
            &format!("{DISPLAY}[[playlist]]\nduration = 2\ntransiton = \"wipe\"\nscene = \"solid\"\n"),
            "bad.toml:6:1: unknown key `playlist[0].transiton` in a playlist entry (did you mean `transition`?); a playlist entry takes `duration`, `transition` and the parameters of scene `solid`",
        ),
        (
            &format!("{DISPLAY}[[layers]]\nscene = \"solid\"\nopacty = 0.5\n"),
            "bad.toml:6:1: unknown key `layers[0].opacty` in a layer (did you mean `opacity`?); a layer takes `opacity`, `blend` and the parameters of scene `solid`",
        ),
        (
            &format!("{DISPLAY}[[layers]]\nscene = \"text\"\nblned = \"add\"\n"),
            "bad.toml:6:1: unknown key `layers[0].blned` in a layer (did you mean `blend`?); a layer takes `opacity`, `blend` and the parameters of scene `text`",
        ),
        // A scene parameter's own typo still suggests the parameter.
        (
            &format!("{DISPLAY}[[layers]]\nscene = \"text\"\nbackgrund = \"#000000\"\n"),
            "bad.toml:6:1: unknown parameter `backgrund` for scene `text` (did you mean `background`?); known parameters: align, background, color, font, gap, loop, scroll, speed, text, valign",
        ),
        // Huge numbers are shown in exponent form.
        (
            &format!("{DISPLAY}[[playlist]]\nduration = 1e300\nscene = \"solid\"\n"),
            "bad.toml:5:12: `playlist[0].duration`: expected a duration in seconds, > 0 and at most 31536000 (one year), found 1e300",
        ),
        (
            &format!("scene = \"plasma\"\nspeed = 1e300\n{DISPLAY}"),
            "bad.toml:2:9: `plasma.speed`: expected a number in 0..=20, found 1e300",
        ),
        (
            &format!("scene = \"plasma\"\nspeed = -2.5e-9\n{DISPLAY}"),
            "bad.toml:2:9: `plasma.speed`: expected a number in 0..=20, found -2.5e-9",
        ),
        // `[display] color` for monochrome displays.
        (
            "scene = \"solid\"\n[display]\nwidth = 8\nheight = 4\ncolour = \"mono-dither\"\n",
            "bad.toml:5:1: unknown key `display.colour` in `[display]` (did you mean `color`?); expected `width`, `height`, `fps`, `color` or `threshold`",
        ),
        (
            "scene = \"solid\"\n[display]\nwidth = 8\nheight = 4\ncolor = \"mono-dithr\"\n",
            "bad.toml:5:9: `display.color`: unknown colour mode \"mono-dithr\" (did you mean `mono-dither`?); expected `full`, `mono-threshold` or `mono-dither`",
        ),
        (
            "scene = \"solid\"\n[display]\nwidth = 8\nheight = 4\ncolor = 1\n",
            "bad.toml:5:9: `display.color`: expected one of `full`, `mono-threshold` or `mono-dither`, found 1",
        ),
        (
            "scene = \"solid\"\n[display]\nwidth = 8\nheight = 4\ncolor = \"mono-dither\"\nthreshold = 100\n",
            "bad.toml:6:1: `display.threshold`: only used with `color = \"mono-threshold\"` (color is \"mono-dither\")",
        ),
        (
            "scene = \"solid\"\n[display]\nwidth = 8\nheight = 4\ncolor = \"mono-threshold\"\nthreshold = 256\n",
            "bad.toml:6:13: `display.threshold`: expected a luma level, a whole number in 0..=255, found 256",
        ),
        // Scene-level errors come from the registry, located at the scene.
        (
            &format!("scene = \"nosuchscene\"\n{DISPLAY}"),
            "bad.toml:1:9: unknown scene `nosuchscene`; `tickframe scenes` lists the built-in scenes",
        ),
        (
            &format!("scene = \"solid\"\nwhen = 1979-05-27\n{DISPLAY}"),
            "bad.toml:2:8: `when`: date-times are not scene parameters",
        ),
    ];
    let mut failures = Vec::new();
    for (source, want) in cases {
        let got = error_of(source);
        if got != *want {
            failures.push(format!("source:\n{source}\n  want: {want}\n   got: {got}\n"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn io_errors_name_the_path() {
    let e = load_scene_file(Path::new("/no/such/dir/scene.toml"), &Overrides::default()).unwrap_err();
    assert!(matches!(e, SceneFileError::Io { .. }));
    assert!(e.to_string().starts_with("cannot read scene file `/no/such/dir/scene.toml`: "), "{e}");
}

const GOOD: &str = r##"# a small but complete file
seed = 12345
loop = false
[display]
width = 16
height = 8
fps = "30000/1001"

[[playlist]]
duration = 1.5
transition = { kind = "slide", direction = "up", duration = 0.5, easing = "quad-out" }
scene = "solid"
color = "#ff0000"

[[playlist]]
duration = 2
transition = "crossfade"
[[playlist.layers]]
scene = "solid"
color = [0, 0, 255]
[[playlist.layers]]
scene = "solid"
color = "#00ff0080"
blend = "add"
opacity = 0.5
"##;

#[test]
fn good_file_loads_with_its_settings() {
    let f = parse(GOOD).unwrap();
    assert_eq!(f.size, Size::new(16, 8).unwrap());
    assert_eq!(f.rate, FrameRate::new(30000, 1001).unwrap());
    assert_eq!(f.seed, 12345);
    assert_eq!(f.source, GOOD);
    assert_eq!(f.path, None);
    // The last entry's transition does nothing when the playlist does not loop.
    assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
    assert!(f.warnings[0].starts_with("bad.toml:17:14: warning: "), "{:?}", f.warnings);
    // Loading twice gives the same frames.
    let g = parse(GOOD).unwrap();
    let mut r = Renderer::default();
    for tick in [0u64, 20, 40, 44, 100] {
        let cx = RenderContext::new(f.size, f.rate, f.seed, tick);
        let (a, b) = (r.render_new(f.root.as_ref(), &cx), r.render_new(g.root.as_ref(), &cx));
        assert_eq!(frame_hash(a.view()), frame_hash(b.view()), "tick {tick}");
    }
    let first = r.render_new(f.root.as_ref(), &RenderContext::new(f.size, f.rate, f.seed, 0));
    assert_eq!(first.get(0, 0), Some(tickframe_core::Rgba::rgb(255, 0, 0)));
}

#[test]
fn overrides_replace_file_settings() {
    let o = Overrides {
        size: Some(Size::new(32, 16).unwrap()),
        rate: Some(FrameRate::whole(25).unwrap()),
        seed: Some(9),
    };
    let f = parse_scene_str(GOOD, "good.toml", Path::new("."), &o).unwrap();
    assert_eq!((f.size, f.rate, f.seed), (o.size.unwrap(), o.rate.unwrap(), 9));
    // With a size override the file need not say its size.
    let f = parse_scene_str("scene = \"solid\"\n", "x.toml", Path::new("."), &o).unwrap();
    assert_eq!(f.size, Size::new(32, 16).unwrap());
    // A transition too long at the overridden rate is caught after the override: 0.5 s is
    // 1 tick at 2 fps and so is the 0.5 s entry.
    let src = "[display]\nwidth = 4\nheight = 4\n[[playlist]]\nduration = 0.5\ntransition = { kind = \"wipe\", duration = 0.4 }\nscene = \"solid\"\n";
    assert!(parse(src).is_ok());
    let slow = Overrides { rate: Some(FrameRate::whole(2).unwrap()), ..Overrides::default() };
    let e = parse_scene_str(src, "t.toml", Path::new("."), &slow).unwrap_err().to_string();
    assert_eq!(
        e,
        "t.toml:6:14: `playlist[0].transition`: expected a transition shorter than its entry (0.5 s = 1 ticks), found 0.4 s = 1 ticks"
    );
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn unknown_scene_suggests_the_nearest() {
    let e = error_of(&format!("scene = \"mandlebrot\"\n{DISPLAY}"));
    assert_eq!(
        e,
        "bad.toml:1:9: unknown scene `mandlebrot` (did you mean `mandelbrot`?); `tickframe scenes` lists the built-in scenes"
    );
}

#[test]
fn the_examples_load_and_render() {
    for (name, w, h) in [("totem.toml", 256, 64), ("oled.toml", 128, 64), ("desktop.toml", 1280, 720)] {
        let path = examples_dir().join(name);
        let f = load_scene_file(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.size, Size::new(w, h).unwrap(), "{name}");
        assert_eq!(f.path.as_deref(), Some(path.as_path()));
        // The robot's Aseprite export has known quirks the spritesheet scene warns about.
        assert!(f.warnings.iter().all(|w| w.contains("spritesheet")), "{name}: {:?}", f.warnings);
        let small = Overrides { size: Some(Size::new(64, 16).unwrap()), ..Overrides::default() };
        let f = load_scene_file(&path, &small).unwrap();
        let mut r = Renderer::default();
        for tick in [0u64, 59, 600, 1234] {
            r.render_new(f.root.as_ref(), &RenderContext::new(f.size, f.rate, f.seed, tick));
        }
    }
}

#[test]
fn the_demo_loads() {
    let d = demo_scene(&Overrides::default());
    assert_eq!(d.size, Size::new(256, 64).unwrap());
    assert_eq!(d.rate, FrameRate::whole(60).unwrap());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let small = demo_scene(&Overrides { size: Some(Size::new(64, 16).unwrap()), ..Overrides::default() });
    let mut r = Renderer::default();
    for tick in [0u64, 300, 359, 1000, 1799] {
        r.render_new(small.root.as_ref(), &RenderContext::new(small.size, small.rate, small.seed, tick));
    }
}

/// The parameter metadata `tickframe scenes` lists says "required" exactly for the parameters a
/// scene cannot be built without.
#[test]
fn param_docs_say_required_exactly_when_the_scene_needs_the_parameter() {
    use tickframe_scenes::{BuildContext, ParamDoc, build_scene, find_scene};
    // Known wrong in a module this crate's scene-file work does not own: the visualizer's
    // `background` is optional but its doc uses the `REQUIRED` default. Listed so the test
    // stays honest: it fails (and this entry must go) once the entry says `ParamDoc::NONE`.
    const KNOWN_WRONG: &[(&str, &str)] = &[("visualizer", "background")];
    let size = Size::new(32, 16).unwrap();
    let mut required_seen = 0;
    let mut optional_seen = 0;
    for (label, params) in
        crate::common::all_cases().into_iter().filter(|(l, _)| crate::common::is_default_case(l))
    {
        let info = find_scene(params.scene()).unwrap();
        let build = |p| {
            build_scene(
                p,
                &mut BuildContext::new(crate::common::example_assets(), size, crate::common::fps60()),
            )
        };
        // The test cases give only what the scene needs.
        for key in params.keys() {
            let doc =
                info.params.iter().find(|d| d.name == key).unwrap_or_else(|| panic!("{label}: `{key}`"));
            assert!(
                doc.is_required() || label == "confetti",
                "{label}: `{key}` is given but documented optional"
            );
        }
        for doc in info.params {
            let known_wrong = KNOWN_WRONG.contains(&(info.name, doc.name));
            if doc.is_required() && !known_wrong {
                required_seen += 1;
                assert!(
                    params.keys().contains(&doc.name),
                    "{label}: required `{}` not in the test case",
                    doc.name
                );
                let without = params.clone().without(doc.name);
                let err =
                    build(without).err().unwrap_or_else(|| panic!("{label} built without `{}`", doc.name));
                assert!(
                    err.message.contains(&format!("missing required parameter `{}`", doc.name)),
                    "{label}: {}",
                    err.message
                );
                assert_eq!(doc.default_label(), "required");
            } else {
                optional_seen += 1;
                assert!(
                    !params.keys().contains(&doc.name) || label == "confetti",
                    "{label}: `{}` is optional but the test case needs it",
                    doc.name
                );
                if known_wrong {
                    assert!(
                        doc.is_required(),
                        "{}.{} is fixed: remove it from KNOWN_WRONG",
                        info.name,
                        doc.name
                    );
                } else {
                    assert_ne!(doc.default_label(), "required", "{label}: `{}`", doc.name);
                }
            }
            if doc.default == ParamDoc::NONE {
                assert_eq!(doc.default_label(), "optional, none");
            }
        }
        // An unknown parameter lists exactly the documented ones as known.
        let err = build(params.clone().with("zzzzzzzz", tickframe_scenes::Value::Int(1))).err().unwrap();
        let (_, known) = err.message.split_once("known parameters: ").unwrap_or((&err.message, ""));
        let mut known: Vec<&str> = known.split(", ").filter(|k| !k.is_empty()).collect();
        // Known wrong, also in audio/: an absent `background` is never asked for, so it is not
        // listed (nor suggested for a typo). Kept honest the same way as `KNOWN_WRONG`.
        const KNOWN_UNLISTED: &[(&str, &str)] = &[("visualizer", "background")];
        let unlisted = |d: &&str| KNOWN_UNLISTED.contains(&(info.name, *d));
        let mut documented: Vec<&str> = info.params.iter().map(|d| d.name).filter(|d| !unlisted(d)).collect();
        assert!(!known.iter().any(unlisted), "{label}: fixed, remove it from KNOWN_UNLISTED");
        known.sort_unstable();
        documented.sort_unstable();
        assert_eq!(known, documented, "{label}: {}", err.message);
        // And the case builds as given.
        build(params).unwrap_or_else(|e| panic!("{label}: {e}"));
    }
    assert!(required_seen >= 4 && optional_seen > 50, "{required_seen} required, {optional_seen} optional");
}

#[test]
fn monochrome_displays_show_only_white_and_black() {
    use tickframe_core::convert::{MonoMode, mono_lit};
    use tickframe_core::{DrawMode, Rgba};
    use tickframe_scenes::DisplayColor;
    // A grey ramp through every mode: full keeps it; threshold and dither light exactly the
    // pixels `to_mono` would, as white on black.
    let ramp = |color: &str| {
        format!(
            "scene = \"gradient\"\ncolors = [\"#000000\", \"#ffffff\"]\n[display]\nwidth = 64\nheight = 8\n{color}"
        )
    };
    let render = |source: &str| {
        let f = parse(source).unwrap();
        let ctx = RenderContext::new(f.size, f.rate, f.seed, 0);
        let list = Renderer::new(DrawMode::DisplayList).render_new(&*f.root, &ctx);
        let direct = Renderer::new(DrawMode::Direct).render_new(&*f.root, &ctx);
        assert_eq!(list, direct);
        (f.color, list)
    };
    let (color, full) = render(&ramp(""));
    assert_eq!(color, DisplayColor::Full);
    assert!(full.pixels().iter().any(|p| p.r > 0 && p.r < 255), "the ramp has greys");
    for (line, want, mode) in [
        ("color = \"mono-threshold\"\n", DisplayColor::MonoThreshold(128), MonoMode::Threshold(128)),
        (
            "color = \"mono-threshold\"\nthreshold = 40\n",
            DisplayColor::MonoThreshold(40),
            MonoMode::Threshold(40),
        ),
        ("color = \"mono-dither\"\n", DisplayColor::MonoDither, MonoMode::Bayer8),
    ] {
        let (color, mono) = render(&ramp(line));
        assert_eq!(color, want);
        for y in 0..8 {
            for x in 0..64 {
                let lit = mono_lit(mode, x, y, full.get(x, y).unwrap());
                assert_eq!(
                    mono.get(x, y),
                    Some(if lit { Rgba::WHITE } else { Rgba::BLACK }),
                    "{line} ({x}, {y})"
                );
            }
        }
        let lit = mono.pixels().iter().filter(|p| **p == Rgba::WHITE).count();
        assert!(lit > 0 && lit < 64 * 8, "{line}: {lit} lit");
    }
    // The OLED example is truly monochrome, also through its starfield and transitions.
    let oled = load_scene_file(&examples_dir().join("oled.toml"), &Overrides::default()).unwrap();
    assert_eq!(oled.color, DisplayColor::MonoDither);
    let mut r = Renderer::default();
    for t in [0u64, 470, 500, 1000, 1700, 1750, 2000, 2600] {
        let ctx = RenderContext::new(oled.size, oled.rate, oled.seed, t);
        let f = r.render_new(&*oled.root, &ctx);
        assert!(f.pixels().iter().all(|p| *p == Rgba::WHITE || *p == Rgba::BLACK), "tick {t}");
    }
}
