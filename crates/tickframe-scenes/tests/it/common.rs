//! Helpers shared by the cross-cutting tests: every built-in scene, built for testing.

use std::path::PathBuf;
use std::sync::Arc;

use tickframe_core::{DrawMode, Frame, FrameRate, RenderContext, Renderer, Scene, Size, frame_hash};
use tickframe_scenes::{BuildContext, Params, Value, build_scene, builtin_scenes};

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
    out
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
