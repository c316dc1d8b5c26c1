//! The table of built-in scenes: names, parameter docs, and constructors.

use std::path::PathBuf;
use std::sync::Arc;

use tickframe_core::{FrameRate, Scene, Size};

use crate::params::{BuildError, Params};

/// One documented parameter of a built-in scene, as `tickframe scenes` lists it.
#[derive(Clone, Copy, Debug)]
pub struct ParamDoc {
    /// Key in the scene file.
    pub name: &'static str,
    /// Type and range, e.g. `float 0..=10`, `colour`, `one of: a, b`.
    pub kind: &'static str,
    /// The default, as written in a scene file; [`ParamDoc::REQUIRED`] when the scene file must
    /// give it, [`ParamDoc::NONE`] when it is optional and leaving it out means "none" (the doc
    /// says what happens then).
    pub default: &'static str,
    /// What it does, with units.
    pub doc: &'static str,
}

impl ParamDoc {
    /// `default` of a parameter the scene file must give (no default).
    pub const REQUIRED: &'static str = "";
    /// `default` of an optional parameter without a default value (e.g. no background).
    pub const NONE: &'static str = "(none)";

    /// Whether the scene file must give this parameter.
    pub fn is_required(&self) -> bool {
        self.default == ParamDoc::REQUIRED
    }

    /// The default column of `tickframe scenes`: `required`, `optional, none` or `default …`.
    pub fn default_label(&self) -> String {
        match self.default {
            ParamDoc::REQUIRED => "required".to_string(),
            ParamDoc::NONE => "optional, none".to_string(),
            d => format!("default {d}"),
        }
    }
}

/// Facts a scene may use while it is built (never while it renders).
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// The folder relative asset paths are resolved against (the scene file's folder).
    pub base_dir: PathBuf,
    /// The display size every frame will have.
    pub size: Size,
    /// The display frame rate.
    pub rate: FrameRate,
    /// Warnings found while building (shown to the user; building goes on).
    pub warnings: Vec<String>,
    /// The live audio input a `source = "live"` visualizer opened (at most one per scene
    /// file): the run is then not reproducible.
    pub live: Option<Arc<crate::audio::LiveInput>>,
    /// The slideshows with `rescan` on, in build order: `play` asks each to look for new
    /// files every `rescan` seconds; other commands never do.
    pub rescans: Vec<Arc<crate::photo::PhotoRescan>>,
}

impl BuildContext {
    /// A context for `size` pixels at `rate`, assets relative to `base_dir`.
    pub fn new(base_dir: impl Into<PathBuf>, size: Size, rate: FrameRate) -> BuildContext {
        BuildContext {
            base_dir: base_dir.into(),
            size,
            rate,
            warnings: Vec::new(),
            live: None,
            rescans: Vec::new(),
        }
    }

    /// Records a warning.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }
}

/// Builds a scene from its parameters. It must read every parameter it accepts through
/// `params`' getters; the caller then rejects unknown keys.
pub type BuildFn = fn(&mut Params, &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError>;

/// A built-in scene: name, one-line summary, parameters, constructor.
#[derive(Clone, Copy)]
pub struct SceneInfo {
    /// The name used in scene files (`scene = "plasma"`).
    pub name: &'static str,
    /// One line saying what it shows.
    pub summary: &'static str,
    /// Its parameters.
    pub params: &'static [ParamDoc],
    /// Its constructor.
    pub build: BuildFn,
}

impl std::fmt::Debug for SceneInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneInfo").field("name", &self.name).finish()
    }
}

/// Every built-in scene, in listing order.
pub fn builtin_scenes() -> impl Iterator<Item = &'static SceneInfo> {
    crate::procedural::SCENES
        .iter()
        .chain(crate::assets::SCENES.iter())
        .chain(crate::photo::SCENES.iter())
        .chain(crate::audio::SCENES.iter())
}

/// The built-in scene called `name`.
pub fn find_scene(name: &str) -> Option<&'static SceneInfo> {
    builtin_scenes().find(|s| s.name == name)
}

/// Builds built-in scene `params.scene()` from `params`, rejecting unknown parameters.
///
/// # Errors
/// Unknown scene (with the nearest name suggested), bad or unknown parameters, unreadable assets.
pub fn build_scene(mut params: Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let Some(info) = find_scene(params.scene()) else {
        let name = params.scene().to_string();
        return Err(BuildError::new(
            params.location(),
            format!(
                "unknown scene `{name}`{}; `tickframe scenes` lists the built-in scenes",
                crate::params::did_you_mean(&name, builtin_scenes().map(|s| s.name))
            ),
        ));
    };
    let scene = (info.build)(&mut params, cx)?;
    params.finish()?;
    Ok(scene)
}
