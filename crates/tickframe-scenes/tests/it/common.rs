//! Helpers shared by the cross-cutting tests: every built-in scene, built for testing.

use std::path::PathBuf;
use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Scene, Size, frame_hash};
use tickframe_scenes::{BuildContext, Params, Spanned, Value, build_scene, builtin_scenes};

/// The repository's `examples/assets` folder.
pub fn example_assets() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/assets"))
}

/// 60 fps.
pub fn fps60() -> FrameRate {
    FrameRate::whole(60).unwrap()
}

/// Every built-in scene with the parameters the tests use (defaults, plus asset paths for the
/// scenes that need one, plus the confetti preset), as `(label, params)`.
pub fn all_cases() -> Vec<(String, Params)> {
    let assets = example_assets();
    let mut out = Vec::new();
    for info in builtin_scenes() {
        let mut p = Params::new(info.name, None);
        match info.name {
            "spritesheet" => {
                p = p.with("path", Value::Str(assets.join("dancing_robot.json").display().to_string()));
            }
            "image" => {
                p = p.with("path", Value::Str(assets.join("dancing_robot.png").display().to_string()));
            }
            "slideshow" => {
                p = p.with("folder", Value::Str(assets.join("photos").display().to_string()));
            }
            "visualizer" => {
                p = p.with("path", Value::Str(assets.join("audio/demo-clip.wav").display().to_string()));
            }
            _ => {}
        }
        out.push((info.name.to_string(), p));
        if info.name == "random-pixels" {
            out.push((
                "confetti".into(),
                Params::new("random-pixels", None).with("preset", Value::Str("confetti".into())),
            ));
        }
    }
    assert!(out.len() >= 12, "expected every built-in scene to be registered, found {}", out.len());
    out.extend(variant_cases());
    out
}

/// Whether `label` is a scene's default case (its name, or `confetti`) rather than a variant.
pub fn is_default_case(label: &str) -> bool {
    label == "confetti" || tickframe_scenes::find_scene(label).is_some()
}

/// Non-default parameters worth pinning: every mandelbrot palette, scrolling text, angled and
/// scrolling gradients, spritesheet tags in each direction, the image filters and fits, and the
/// plot write path of random pixels.
fn variant_cases() -> Vec<(String, Params)> {
    let s = |v: &str| Value::Str(v.to_string());
    let mut out = Vec::new();
    for palette in 1..=5 {
        out.push((
            format!("mandelbrot-palette-{palette}"),
            Params::new("mandelbrot", None).with("palette", Value::Int(palette)),
        ));
    }
    let text = || Params::new("text", None).with("text", s("tickframe: hello, LEDs"));
    out.push(("text-scroll-left".into(), text().with("scroll", s("left")).with("speed", Value::Float(45.0))));
    out.push((
        "text-scroll-up-once".into(),
        text()
            .with("scroll", s("up"))
            .with("speed", Value::Float(20.0))
            .with("loop", Value::Bool(false))
            .with("align", s("right"))
            .with("font", s("5x7"))
            .with("color", s("#ffaa00")),
    ));
    out.push((
        "text-scroll-right-gap".into(),
        text().with("scroll", s("right")).with("speed", Value::Float(75.5)).with("gap", Value::Int(7)),
    ));
    let stops = |c: &[&str]| Value::Array(c.iter().map(|c| Spanned::new(s(c))).collect());
    out.push((
        "gradient-angle-30-speed-0.5".into(),
        Params::new("gradient", None)
            .with("colors", stops(&["#ff0000", "#00ff00", "#0000ff"]))
            .with("angle", Value::Float(30.0))
            .with("speed", Value::Float(0.5)),
    ));
    out.push((
        "gradient-angle-90-speed-minus-1.25".into(),
        Params::new("gradient", None).with("angle", Value::Float(90.0)).with("speed", Value::Float(-1.25)),
    ));
    out.push((
        "gradient-angle-minus-135".into(),
        Params::new("gradient", None)
            .with("colors", stops(&["#102030", "#f0e0d0"]))
            .with("angle", Value::Float(-135.0)),
    ));
    let sheet = tagged_robot_json().display().to_string();
    for (tag, direction) in [("fwd", "forward"), ("rev", "reverse"), ("pp", "pingpong")] {
        out.push((
            format!("spritesheet-tag-{direction}"),
            Params::new("spritesheet", None).with("path", s(&sheet)).with("loop", s(tag)),
        ));
    }
    out.push((
        "spritesheet-start-loop-scaled".into(),
        Params::new("spritesheet", None)
            .with("path", s(&sheet))
            .with("start", s("rev"))
            .with("loop", s("pp"))
            .with("scale", s("fit"))
            .with("anchor", s("top-left"))
            .with("background", s("#203040")),
    ));
    // A 960x540 JPEG and a 320x180 PNG (scaled in every fit), and the robot strip with
    // transparency (resampled premultiplied).
    let asset = |name: &str| example_assets().join(name).display().to_string();
    for (file, filter, fit) in [
        ("photos/01-dusk.jpg", "lanczos3", "fill"),
        ("photos/01-dusk.jpg", "lanczos3", "fit"),
        ("photos/01-dusk.jpg", "triangle", "fill"),
        ("photos/04-sea.png", "nearest", "stretch"),
        ("dancing_robot.png", "lanczos3", "stretch"),
    ] {
        let stem = file.rsplit('/').next().unwrap_or(file).split('.').next().unwrap_or(file);
        out.push((
            format!("image-{stem}-{filter}-{fit}"),
            Params::new("image", None)
                .with("path", s(&asset(file)))
                .with("filter", s(filter))
                .with("fit", s(fit)),
        ));
    }
    out.push(("random-pixels-plot".into(), Params::new("random-pixels", None).with("write", s("plot"))));
    out.push((
        "confetti-plot".into(),
        Params::new("random-pixels", None).with("preset", s("confetti")).with("write", s("plot")),
    ));
    out
}

/// The real Aseprite export with three more tags over frames 24..=35 (`fwd` forward, `rev`
/// reverse, `pp` ping-pong) and its image named by absolute path, written once per test process
/// into a temporary folder.
pub fn tagged_robot_json() -> PathBuf {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let assets = example_assets();
        let text = std::fs::read_to_string(assets.join("dancing_robot.json")).unwrap();
        let tags = r##"{ "name": "loop", "from": 0, "to": 8, "direction": "forward", "color": "#000000ff" }"##;
        assert!(text.contains(tags) && text.contains(r#""image": "dancing_robot.png""#));
        let png = assets.join("dancing_robot.png").canonicalize().unwrap();
        let text = text
            .replace(
                tags,
                &format!(
                    "{tags},\n{},\n{},\n{}",
                    r##"{ "name": "fwd", "from": 24, "to": 35, "direction": "forward", "color": "#000000ff" }"##,
                    r##"{ "name": "rev", "from": 24, "to": 35, "direction": "reverse", "color": "#000000ff" }"##,
                    r##"{ "name": "pp", "from": 24, "to": 35, "direction": "pingpong", "color": "#000000ff" }"##,
                ),
            )
            .replace(r#""image": "dancing_robot.png""#, &format!(r#""image": "{}""#, png.display()));
        let dir = std::env::temp_dir().join(format!("tickframe-scenes-it-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("robot-tags.json");
        std::fs::write(&path, text).unwrap();
        path
    })
    .clone()
}

/// Builds `params` for `size` at 60 fps.
pub fn build(params: &Params, size: Size) -> Arc<dyn Scene> {
    let mut cx = BuildContext::new(example_assets(), size, fps60());
    build_scene(params.clone(), &mut cx).unwrap_or_else(|e| panic!("building {}: {e}", params.scene()))
}

/// The hash of `scene` at `tick` (fresh frame).
pub fn hash_at(
    renderer: &mut Renderer,
    scene: &dyn Scene,
    size: Size,
    seed: u64,
    tick: u64,
    frame: &mut Frame,
) -> u128 {
    let ctx = RenderContext::new(size, fps60(), seed, tick);
    renderer.render(scene, &ctx, frame);
    frame_hash(frame.view())
}

/// A renderer on the given path.
pub fn renderer(mode: DrawMode) -> Renderer {
    Renderer::new(mode)
}
