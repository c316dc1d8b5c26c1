//! Reading scene files: validation with locations, then building the scene tree.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tickframe_core::convert::{MonoMode, quantize_mono};
use tickframe_core::{BlendMode, FrameRate, MAX_DIMENSION, Scene, Size, Timebase};

use super::toml_tree::{self, Item, Node, Table, format_float};
use crate::compose::{Direction, Easing, Layer, Layers, Playlist, PlaylistEntry, Transition, TransitionKind};
use crate::params::{BuildError, Location, Params, Spanned, Value, did_you_mean, nearest};
use crate::photo::ClockStart;
use crate::registry::{BuildContext, build_scene};

/// Settings given on the command line that replace the scene file's own. Applied before the
/// scenes are built, so scenes see the final size and rate.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Overrides {
    /// Replaces `[display] width` / `height`.
    pub size: Option<Size>,
    /// Replaces `[display] fps`.
    pub rate: Option<FrameRate>,
    /// Replaces `seed`.
    pub seed: Option<u64>,
}

/// A loaded scene file: the display settings, the seed and the built scene tree.
#[derive(Clone)]
pub struct SceneFile {
    /// The file it came from (`None` for text and the built-in demo).
    pub path: Option<PathBuf>,
    /// Frame size in pixels (after overrides).
    pub size: Size,
    /// Frame rate (after overrides).
    pub rate: FrameRate,
    /// The run's seed (after overrides; default 0).
    pub seed: u64,
    /// `[display] color`: how the display shows colour; a monochrome mode is already applied
    /// by `root` (its last step), so every output sees the frames the display will show.
    pub color: DisplayColor,
    /// The root scene.
    pub root: Arc<dyn Scene>,
    /// The root scene again when it is a playlist (`None` otherwise), so callers can ask which
    /// entry is active at a tick ([`Playlist::position`]); traces record it per frame.
    pub root_playlist: Option<Arc<Playlist>>,
    /// Warnings found while loading (`file:line:col: message` or `file: message`).
    pub warnings: Vec<String>,
    /// The scene file's text, exactly as read (for traces: hash it to identify the scene).
    pub source: String,
    /// Device outputs named by `[[output]]` tables, in file order (used when no `--out` is
    /// given); their URLs are checked by whoever opens them.
    pub outputs: Vec<super::SceneOutput>,
    /// The live audio input of a `source = "live"` visualizer, if there is one: the scene is
    /// then **not reproducible** (a frame depends on the sound when it was rendered), and its
    /// frames must be rendered just in time (see `docs/visualizer.md`).
    pub live: Option<Arc<crate::audio::LiveInput>>,
    /// The slideshows with `rescan` on (see [`crate::photo::PhotoRescan`]): `play` runs them.
    pub rescans: Vec<Arc<crate::photo::PhotoRescan>>,
}

impl std::fmt::Debug for SceneFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SceneFile")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("rate", &self.rate)
            .field("seed", &self.seed)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// `[display] color`: what the display can show.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum DisplayColor {
    /// Every RGB colour (the default).
    #[default]
    Full,
    /// 1-bit: lit (white) when the pixel's luma is at least the threshold, else black.
    MonoThreshold(u8),
    /// 1-bit: 8×8 Bayer ordered dither of the luma (grey levels become dot densities).
    MonoDither,
}

impl DisplayColor {
    /// The conversion for monochrome modes.
    pub fn mono_mode(self) -> Option<MonoMode> {
        match self {
            DisplayColor::Full => None,
            DisplayColor::MonoThreshold(t) => Some(MonoMode::Threshold(t)),
            DisplayColor::MonoDither => Some(MonoMode::Bayer8),
        }
    }
}

/// The last step of a monochrome display's scene: renders the scene, then turns each pixel
/// into white or black exactly as [`tickframe_core::convert::to_mono`] packs it (in place,
/// allocating nothing).
pub struct MonoDisplay {
    inner: Arc<dyn Scene>,
    mode: MonoMode,
}

impl std::fmt::Debug for MonoDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MonoDisplay({:?})", self.mode)
    }
}

impl MonoDisplay {
    /// `inner`, shown in 1 bit through `mode`.
    pub fn new(inner: Arc<dyn Scene>, mode: MonoMode) -> MonoDisplay {
        MonoDisplay { inner, mode }
    }
}

impl Scene for MonoDisplay {
    fn render(&self, ctx: &tickframe_core::RenderContext, canvas: &mut tickframe_core::Canvas<'_>) {
        self.inner.render(ctx, canvas);
        let width = canvas.width();
        quantize_mono(canvas.pixels_mut(), width, self.mode);
    }

    fn paints_every_pixel(&self, ctx: &tickframe_core::RenderContext) -> bool {
        self.inner.paints_every_pixel(ctx)
    }
}

/// Why a scene file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SceneFileError {
    /// The file could not be read.
    #[error("cannot read scene file `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid scene file: where and why.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file's name as given (its path, or a name such as `<demo>`).
        file: String,
        /// Line, from 1.
        line: u32,
        /// Column in characters, from 1.
        column: u32,
        /// What was wrong and what was expected.
        message: String,
    },
}

/// Reads and loads the scene file at `path`; relative asset paths are resolved against its
/// folder.
///
/// # Errors
/// [`SceneFileError::Io`] when it cannot be read, [`SceneFileError::Invalid`] (with line and
/// column) when it is not a valid scene file or a scene cannot be built.
pub fn load_scene_file(path: &Path, overrides: &Overrides) -> Result<SceneFile, SceneFileError> {
    load(path, overrides, None)
}

impl SceneFile {
    /// [`load_scene_file`], with every `clock` scene's `start` replaced by `clock_start` (for
    /// `tickframe play --clock now`, which reads the wall clock once, at launch; rendering never
    /// does). `None` is exactly [`load_scene_file`].
    ///
    /// # Errors
    /// As [`load_scene_file`].
    pub fn load_with_clock(
        path: &Path,
        overrides: &Overrides,
        clock_start: Option<ClockStart>,
    ) -> Result<SceneFile, SceneFileError> {
        load(path, overrides, clock_start)
    }

    /// [`parse_scene_str`] with a clock start override (see [`SceneFile::load_with_clock`]).
    ///
    /// # Errors
    /// As [`parse_scene_str`].
    pub fn parse_with_clock(
        source: &str,
        name: &str,
        base_dir: &Path,
        overrides: &Overrides,
        clock_start: Option<ClockStart>,
    ) -> Result<SceneFile, SceneFileError> {
        parse(source, name, base_dir, overrides, clock_start)
    }
}

fn load(path: &Path, overrides: &Overrides, clock: Option<ClockStart>) -> Result<SceneFile, SceneFileError> {
    let source = std::fs::read_to_string(path)
        .map_err(|source| SceneFileError::Io { path: path.to_path_buf(), source })?;
    let base_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut file = parse(&source, &path.display().to_string(), &base_dir, overrides, clock)?;
    file.path = Some(path.to_path_buf());
    Ok(file)
}

/// Loads a scene file from its text. `name` is used in messages; relative asset paths are
/// resolved against `base_dir`. The result's `path` is `None`.
///
/// # Errors
/// [`SceneFileError::Invalid`] with line and column.
pub fn parse_scene_str(
    source: &str,
    name: &str,
    base_dir: &Path,
    overrides: &Overrides,
) -> Result<SceneFile, SceneFileError> {
    parse(source, name, base_dir, overrides, None)
}

fn parse(
    source: &str,
    name: &str,
    base_dir: &Path,
    overrides: &Overrides,
    clock: Option<ClockStart>,
) -> Result<SceneFile, SceneFileError> {
    let invalid = |(at, message): (Location, String)| SceneFileError::Invalid {
        file: name.to_string(),
        line: at.line,
        column: at.column,
        message,
    };
    let root = toml_tree::parse(source).map_err(invalid)?;
    let outputs = super::outputs::describe_outputs(&root, base_dir).map_err(invalid)?;
    let (header, desc) = describe_file(root).map_err(invalid)?;
    let size = match (overrides.size, header.size) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => return Err(invalid(header.missing_size())),
    };
    let rate = overrides.rate.unwrap_or(header.rate);
    let seed = overrides.seed.unwrap_or(header.seed);
    let mut cx = BuildContext::new(base_dir, size, rate);
    let mut warnings = Vec::new();
    let (root, root_playlist) = match desc {
        Desc::Playlist { entries, looping, at } => {
            let p = build_playlist(entries, looping, at, &mut cx, &mut warnings, clock).map_err(invalid)?;
            (Arc::clone(&p) as Arc<dyn Scene>, Some(p))
        }
        other => (build(other, &mut cx, &mut warnings, clock).map_err(invalid)?, None),
    };
    let mut all: Vec<String> = warnings
        .into_iter()
        .map(|(at, w)| format!("{name}:{}:{}: warning: {w}", at.line, at.column))
        .collect();
    all.extend(cx.warnings.iter().map(|w| format!("{name}: warning: {w}")));
    let root = match header.color.mono_mode() {
        Some(mode) => Arc::new(MonoDisplay::new(root, mode)),
        None => root,
    };
    Ok(SceneFile {
        path: None,
        size,
        rate,
        seed,
        color: header.color,
        root,
        root_playlist,
        warnings: all,
        source: source.to_string(),
        outputs,
        live: cx.live.take(),
        rescans: std::mem::take(&mut cx.rescans),
    })
}

/// The built-in demo: procedural and text scenes only (no asset files), 256×64 at 60 fps,
/// a playlist of about 30 seconds that loops.
///
/// # Panics
/// When the built-in scenes it uses are missing (a build defect, caught by the tests).
pub fn demo_scene(overrides: &Overrides) -> SceneFile {
    match parse_scene_str(include_str!("demo.toml"), "<demo>", Path::new("."), overrides) {
        Ok(f) => f,
        Err(e) => panic!("the built-in demo scene is invalid: {e}"),
    }
}

type Res<T> = Result<T, (Location, String)>;

fn err<T>(at: Location, message: impl Into<String>) -> Res<T> {
    Err((at, message.into()))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn expected<T>(item: &Item, path: &str, what: &str) -> Res<T> {
    err(item.at, format!("`{path}`: expected {what}, found {}", item.node.describe()))
}

fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

fn unknown_key<T>(e: &toml_tree::Entry, path: &str, what: &str, known: &[&str]) -> Res<T> {
    err(
        e.key_at,
        format!(
            "unknown key `{}` in {what}{}; expected {}",
            join(path, &e.key),
            did_you_mean(&e.key, known.iter().copied()),
            list(known)
        ),
    )
}

fn number(item: &Item) -> Option<f64> {
    match item.node {
        Node::Int(i) => Some(i as f64),
        Node::Float(f) => Some(f),
        _ => None,
    }
}

/// Seconds: a finite number > 0 and at most a year.
fn seconds(item: &Item, path: &str) -> Res<f64> {
    const MAX: f64 = 31_536_000.0;
    match number(item) {
        Some(s) if s.is_finite() && s > 0.0 && s <= MAX => Ok(s),
        _ => expected(item, path, "a duration in seconds, > 0 and at most 31536000 (one year)"),
    }
}

fn seconds_text(s: f64) -> String {
    let t = format_float(s);
    t.strip_suffix(".0").map_or(t.clone(), str::to_string)
}

struct Header {
    seed: u64,
    size: Option<Size>,
    /// Where a missing size should be reported (the `[display]` header or the file start).
    size_at: Location,
    missing: &'static str,
    rate: FrameRate,
    color: DisplayColor,
}

impl Header {
    fn missing_size(&self) -> (Location, String) {
        let (key, what) = if self.missing == "width" { ("width", "width") } else { ("height", "height") };
        (
            self.size_at,
            format!(
                "`display.{key}`: missing required key (the display {what} in pixels, 1..={MAX_DIMENSION})"
            ),
        )
    }
}

/// A validated node, not built yet: every structural error is found before any scene is built.
enum Desc {
    Scene(Params),
    Layers(Vec<(Desc, f64, BlendMode)>),
    Playlist { entries: Vec<EntryDesc>, looping: bool, at: Location },
}

struct EntryDesc {
    node: Desc,
    duration: f64,
    transition: Option<(Transition, Location)>,
    /// The entry's path in messages, e.g. `playlist[2]`.
    path: String,
}

const NODE_KEYS: [&str; 3] = ["scene", "layers", "playlist"];

fn describe_file(root: Table) -> Res<(Header, Desc)> {
    let mut seed = 0u64;
    if let Some(e) = root.get("seed") {
        seed = match &e.item.node {
            Node::Int(i) if *i >= 0 => *i as u64,
            Node::Str(s) if s.parse::<u64>().is_ok() => s.parse().unwrap_or(0),
            _ => {
                return expected(
                    &e.item,
                    "seed",
                    "a whole number >= 0 (or a string holding a 64-bit number)",
                );
            }
        };
    }
    let mut header = Header {
        seed,
        size: None,
        size_at: root.at,
        missing: "width",
        rate: FrameRate::whole(60).map_err(|e| (root.at, e.to_string()))?,
        color: DisplayColor::Full,
    };
    if let Some(e) = root.get("display") {
        let Node::Table(display) = &e.item.node else {
            return expected(&e.item, "display", "a table ([display] with width, height, fps)");
        };
        header.size_at = display.at;
        let dim = |key: &str| -> Res<Option<u32>> {
            let Some(d) = display.get(key) else { return Ok(None) };
            match d.item.node {
                Node::Int(v) if (1..=i64::from(MAX_DIMENSION)).contains(&v) => Ok(Some(v as u32)),
                _ => expected(
                    &d.item,
                    &format!("display.{key}"),
                    &format!("a whole number of pixels in 1..={MAX_DIMENSION}"),
                ),
            }
        };
        let (w, h) = (dim("width")?, dim("height")?);
        if let Some(f) = display.get("fps") {
            header.rate = fps(&f.item)?;
        }
        header.color = display_color(display)?;
        if let Some(e) = display.entries.iter().find(|e| !DISPLAY_KEYS.contains(&e.key.as_str())) {
            if ["seed", "loop", "scene", "layers", "playlist"].contains(&e.key.as_str()) {
                return err(
                    e.key_at,
                    format!(
                        "`display.{0}`: `{0}` is a top-level key but is written inside `[display]`; move it above the first `[table]` header (in TOML every key after `[display]` belongs to it)",
                        e.key
                    ),
                );
            }
            return unknown_key(e, "display", "`[display]`", &DISPLAY_KEYS);
        }
        match (w, h) {
            (Some(w), Some(h)) => header.size = Size::new(w, h).ok(),
            (Some(_), None) => header.missing = "height",
            _ => {}
        }
    }
    let node = describe_node(&root, "", &["seed", "display", "output"], "the top level")?;
    Ok((header, node))
}

const DISPLAY_KEYS: [&str; 5] = ["width", "height", "fps", "color", "threshold"];
const COLOR_MODES: [&str; 3] = ["full", "mono-threshold", "mono-dither"];

/// `[display] color` and `threshold`.
fn display_color(display: &Table) -> Res<DisplayColor> {
    let mode = match display.get("color") {
        None => "full",
        Some(e) => match &e.item.node {
            Node::Str(s) if COLOR_MODES.contains(&s.as_str()) => s.as_str(),
            Node::Str(s) => {
                return err(
                    e.item.at,
                    format!(
                        "`display.color`: unknown colour mode \"{s}\"{}; expected {}",
                        did_you_mean(s, COLOR_MODES),
                        list(&COLOR_MODES)
                    ),
                );
            }
            _ => return expected(&e.item, "display.color", &format!("one of {}", list(&COLOR_MODES))),
        },
    };
    let threshold = match display.get("threshold") {
        None => 128,
        Some(e) if mode != "mono-threshold" => {
            return err(
                e.key_at,
                format!(
                    "`display.threshold`: only used with `color = \"mono-threshold\"` (color is \"{mode}\")"
                ),
            );
        }
        Some(e) => match e.item.node {
            Node::Int(v) if (0..=255).contains(&v) => v as u8,
            _ => return expected(&e.item, "display.threshold", "a luma level, a whole number in 0..=255"),
        },
    };
    Ok(match mode {
        "mono-threshold" => DisplayColor::MonoThreshold(threshold),
        "mono-dither" => DisplayColor::MonoDither,
        _ => DisplayColor::Full,
    })
}

fn fps(item: &Item) -> Res<FrameRate> {
    const WHAT: &str = "frames per second in (0, 1000]";
    let parsed = match &item.node {
        Node::Int(i) if *i > 0 && *i <= i64::from(FrameRate::MAX_FPS) => FrameRate::whole(*i as u32).ok(),
        Node::Float(f) if f.is_finite() && *f > 0.0 => FrameRate::parse(&format!("{f}")).ok(),
        Node::Str(s) => FrameRate::parse(s).ok(),
        _ => None,
    };
    match parsed {
        Some(r) => Ok(r),
        None if matches!(item.node, Node::Str(_)) => {
            expected(item, "display.fps", &format!("{WHAT} (like 60, \"30000/1001\" or 29.97)"))
        }
        None => expected(item, "display.fps", WHAT),
    }
}

/// Validates the node in `table` at `path`; `reserved` keys belong to the caller.
fn describe_node(table: &Table, path: &str, reserved: &[&str], place: &str) -> Res<Desc> {
    let mut kinds = table.entries.iter().filter(|e| NODE_KEYS.contains(&e.key.as_str()));
    let Some(kind) = kinds.next() else {
        let what = if path.is_empty() { "the root node".to_string() } else { format!("`{path}`") };
        return err(
            table.at,
            format!(
                "{what}: missing `scene`, `layers` or `playlist` (a node is exactly one of a scene, a layer stack or a playlist)"
            ),
        );
    };
    if let Some(second) = kinds.next() {
        return err(
            second.key_at,
            format!(
                "`{}`: a node has exactly one of `scene`, `layers` or `playlist`, found both `{}` and `{}`",
                join(path, &second.key),
                kind.key,
                second.key
            ),
        );
    }
    let kind_path = join(path, &kind.key);
    match kind.key.as_str() {
        "scene" => {
            let Node::Str(name) = &kind.item.node else {
                return expected(&kind.item, &kind_path, "the name of a built-in scene (a string)");
            };
            let mut params = Params::new(name.clone(), Some(kind.item.at));
            let scene_keys: Vec<&str> = crate::registry::find_scene(name)
                .map_or_else(Vec::new, |i| i.params.iter().map(|p| p.name).collect());
            for e in &table.entries {
                if e.key == "scene" || reserved.contains(&e.key.as_str()) {
                    continue;
                }
                // A misspelt key of the node itself (`opacty` on a layer, `transiton` on an
                // entry) would otherwise be reported as an unknown scene parameter.
                if !scene_keys.contains(&e.key.as_str())
                    && let Some(near) = nearest(&e.key, scene_keys.iter().chain(reserved).copied())
                    && reserved.contains(&near)
                {
                    return err(
                        e.key_at,
                        format!(
                            "unknown key `{}` in {place} (did you mean `{near}`?); {place} takes {} and the parameters of scene `{name}`",
                            join(path, &e.key),
                            reserved.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                params.insert(e.key.clone(), Some(e.key_at), spanned(&e.item, &join(path, &e.key))?);
            }
            Ok(Desc::Scene(params))
        }
        "layers" => {
            let mut known = vec!["layers"];
            known.extend_from_slice(reserved);
            if let Some(e) = table.entries.iter().find(|e| !known.contains(&e.key.as_str())) {
                return unknown_key(e, path, &format!("a layers node ({place})"), &known);
            }
            let items = tables(&kind.item, &kind_path, "layers")?;
            let mut layers = Vec::with_capacity(items.len());
            for (i, (t, _)) in items.iter().enumerate() {
                let lp = format!("{kind_path}[{i}]");
                let mut opacity = 1.0;
                if let Some(o) = t.get("opacity") {
                    opacity = match number(&o.item) {
                        Some(v) if (0.0..=1.0).contains(&v) => v,
                        _ => return expected(&o.item, &join(&lp, "opacity"), "a number in 0..=1"),
                    };
                }
                let mut blend = BlendMode::Normal;
                if let Some(b) = t.get("blend") {
                    let names = BlendMode::ALL.map(BlendMode::name);
                    blend =
                        name_of(&b.item, &join(&lp, "blend"), "blend mode", &names, BlendMode::from_name)?;
                }
                let node = describe_node(t, &lp, &["opacity", "blend"], "a layer")?;
                layers.push((node, opacity, blend));
            }
            Ok(Desc::Layers(layers))
        }
        _ => {
            let mut known = vec!["playlist", "loop"];
            known.extend_from_slice(reserved);
            if let Some(e) = table.entries.iter().find(|e| !known.contains(&e.key.as_str())) {
                return unknown_key(e, path, &format!("a playlist node ({place})"), &known);
            }
            let mut looping = true;
            if let Some(l) = table.get("loop") {
                looping = match l.item.node {
                    Node::Bool(b) => b,
                    _ => return expected(&l.item, &join(path, "loop"), "true or false"),
                };
            }
            let items = tables(&kind.item, &kind_path, "playlist")?;
            let mut entries = Vec::with_capacity(items.len());
            for (i, (t, _)) in items.iter().enumerate() {
                let ep = format!("{kind_path}[{i}]");
                let Some(d) = t.get("duration") else {
                    // `durration = 2`: name the typo rather than the missing key.
                    if let Some(e) = t.entries.iter().find(|e| nearest(&e.key, ["duration"]).is_some()) {
                        return err(
                            e.key_at,
                            format!(
                                "unknown key `{}` in a playlist entry (did you mean `duration`?); an entry needs `duration`, how long it is shown, in seconds",
                                join(&ep, &e.key)
                            ),
                        );
                    }
                    return err(
                        t.at,
                        format!(
                            "`{ep}.duration`: missing required key (how long the entry is shown, in seconds)"
                        ),
                    );
                };
                let duration = seconds(&d.item, &join(&ep, "duration"))?;
                let transition = match t.get("transition") {
                    Some(tr) => Some((transition(&tr.item, &join(&ep, "transition"))?, tr.item.at)),
                    None => None,
                };
                let node = describe_node(t, &ep, &["duration", "transition"], "a playlist entry")?;
                entries.push(EntryDesc { node, duration, transition, path: ep });
            }
            Ok(Desc::Playlist { entries, looping, at: kind.item.at })
        }
    }
}

/// A non-empty array of tables.
fn tables<'t>(item: &'t Item, path: &str, key: &str) -> Res<Vec<(&'t Table, Location)>> {
    let what = format!("a non-empty array of tables (`[[{key}]]` sections or `[{{ ... }}, ...]`)");
    let Node::Array(items) = &item.node else { return expected(item, path, &what) };
    if items.is_empty() {
        return expected(item, path, &what);
    }
    items
        .iter()
        .enumerate()
        .map(|(i, x)| match &x.node {
            Node::Table(t) => Ok((t, x.at)),
            _ => expected(x, &format!("{path}[{i}]"), "a table"),
        })
        .collect()
}

fn name_of<T>(
    item: &Item,
    path: &str,
    what: &str,
    names: &[&str],
    find: impl Fn(&str) -> Option<T>,
) -> Res<T> {
    match &item.node {
        Node::Str(s) => find(s).map_or_else(
            || {
                err(
                    item.at,
                    format!(
                        "`{path}`: unknown {what} {s:?}{}; expected one of {}",
                        did_you_mean(s, names.iter().copied()),
                        list(names)
                    ),
                )
            },
            Ok,
        ),
        _ => expected(item, path, &format!("a {what}: one of {}", list(names))),
    }
}

fn transition(item: &Item, path: &str) -> Res<Transition> {
    let table = match &item.node {
        Node::Str(_) => {
            let kind = name_of(item, path, "transition", &TransitionKind::NAMES, default_kind)?;
            return Ok(Transition::new(kind));
        }
        Node::Table(t) => t,
        _ => {
            return expected(
                item,
                path,
                "a transition: a table like { kind = \"crossfade\", duration = 1.0 } or a kind name",
            );
        }
    };
    let Some(k) = table.get("kind") else {
        return err(
            table.at,
            format!("`{path}.kind`: missing required key (one of {})", list(&TransitionKind::NAMES)),
        );
    };
    let kind_path = join(path, "kind");
    let mut kind = name_of(&k.item, &kind_path, "transition", &TransitionKind::NAMES, default_kind)?;
    let mut known = vec!["kind", "duration", "easing"];
    let int = |key: &'static str, range: std::ops::RangeInclusive<i64>, what: &str| -> Res<Option<u32>> {
        match table.get(key) {
            None => Ok(None),
            Some(e) => match e.item.node {
                Node::Int(v) if range.contains(&v) => Ok(Some(v as u32)),
                _ => expected(
                    &e.item,
                    &join(path, key),
                    &format!("{what}, {}..={}", range.start(), range.end()),
                ),
            },
        }
    };
    let choice = |key: &'static str, names: &[&str]| -> Res<Option<usize>> {
        match table.get(key) {
            None => Ok(None),
            Some(e) => name_of(&e.item, &join(path, key), key, names, |s| names.iter().position(|n| *n == s))
                .map(Some),
        }
    };
    let all_dirs = Direction::ALL.map(Direction::name);
    let edge_dirs = Direction::EDGES.map(Direction::name);
    match &mut kind {
        TransitionKind::Wipe(dir) => {
            known.push("direction");
            if let Some(i) = choice("direction", &all_dirs)? {
                *dir = Direction::ALL[i];
            }
        }
        TransitionKind::Slide(dir) => {
            known.push("direction");
            if let Some(i) = choice("direction", &edge_dirs)? {
                *dir = Direction::EDGES[i];
            }
        }
        TransitionKind::Dissolve { block } => {
            known.push("block");
            if let Some(b) = int("block", 1..=256, "a block size in pixels")? {
                *block = b;
            }
        }
        TransitionKind::Blinds { vertical, count } => {
            known.extend(["orientation", "count"]);
            if let Some(i) = choice("orientation", &["horizontal", "vertical"])? {
                *vertical = i == 1;
            }
            if let Some(c) = int("count", 1..=256, "a number of slats")? {
                *count = c;
            }
        }
        TransitionKind::BlockFlip { tiles, direction } => {
            known.extend(["tiles", "direction"]);
            if let Some(t) = int("tiles", 1..=256, "a number of tiles across")? {
                *tiles = t;
            }
            if let Some(i) = choice("direction", &all_dirs)? {
                *direction = Direction::ALL[i];
            }
        }
        TransitionKind::Ripple { rings } => {
            known.push("rings");
            if let Some(r) = int("rings", 1..=16, "a number of rings")? {
                *rings = r;
            }
        }
        TransitionKind::Warp { angle } => {
            known.push("angle");
            if let Some(a) = int("angle", 0..=1440, "a swirl angle in degrees")? {
                *angle = a;
            }
        }
        TransitionKind::Zoom { out } => {
            known.push("mode");
            if let Some(i) = choice("mode", &["in", "out"])? {
                *out = i == 1;
            }
        }
        TransitionKind::Iris { close } => {
            known.push("mode");
            if let Some(i) = choice("mode", &["open", "close"])? {
                *close = i == 1;
            }
        }
        TransitionKind::Pixelate { block } => {
            known.push("block");
            if let Some(b) = int("block", 2..=256, "a largest block size in pixels")? {
                *block = b;
            }
        }
        TransitionKind::Burn { color } => {
            known.push("color");
            if let Some(e) = table.get("color") {
                let bad = || expected(&e.item, &join(path, "color"), "a colour: \"#rrggbb\"");
                *color = match &e.item.node {
                    Node::Str(s) => match tickframe_core::Rgba::parse_hex(s) {
                        Some(c) => c.with_alpha(255),
                        None => return bad(),
                    },
                    _ => return bad(),
                };
            }
        }
        TransitionKind::Crossfade => {}
    }
    let mut t = Transition::new(kind);
    if let Some(d) = table.get("duration") {
        t.duration = seconds(&d.item, &join(path, "duration"))?;
    }
    if let Some(e) = table.get("easing") {
        let names = Easing::ALL.map(Easing::name);
        t.easing = name_of(&e.item, &join(path, "easing"), "easing", &names, Easing::from_name)?;
    }
    if let Some(e) = table.entries.iter().find(|e| !known.contains(&e.key.as_str())) {
        let only = match e.key.as_str() {
            "direction" => Some("`wipe`, `slide` and `block-flip`"),
            "block" => Some("`dissolve` and `pixelate`"),
            "orientation" | "count" => Some("`blinds`"),
            "tiles" => Some("`block-flip`"),
            "rings" => Some("`ripple`"),
            "angle" => Some("`warp`"),
            "mode" => Some("`zoom` and `iris`"),
            "color" => Some("`burn`"),
            _ => None,
        };
        if let Some(only) = only {
            return err(
                e.key_at,
                format!(
                    "`{}`: a `{}` transition has no `{}` (only {only} do)",
                    join(path, &e.key),
                    kind.name(),
                    e.key
                ),
            );
        }
        return unknown_key(e, path, &format!("a `{}` transition", kind.name()), &known);
    }
    Ok(t)
}

impl Transition {
    /// Reads a transition written as a scene parameter (a kind name, or a table such as
    /// `{ kind = "iris", mode = "close", duration = 0.8 }`), with the same rules and messages as
    /// a playlist entry's `transition`; `path` names it in messages.
    ///
    /// # Errors
    /// Whatever a playlist entry's `transition` would report.
    pub(crate) fn from_value(value: &Spanned, path: &str) -> Result<Transition, BuildError> {
        transition(&item_of(value), path)
            .map_err(|(at, m)| BuildError::new(Some(at).filter(|_| value.at.is_some()), m))
    }
}

/// A parameter value back as a TOML item (locations kept where known).
fn item_of(v: &Spanned) -> Item {
    let at = v.at.unwrap_or(Location { line: 1, column: 1 });
    let node = match &v.value {
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) => Node::Int(*i),
        Value::Float(f) => Node::Float(*f),
        Value::Str(s) => Node::Str(s.clone()),
        Value::Array(items) => Node::Array(items.iter().map(item_of).collect()),
        Value::Table(entries) => Node::Table(Table {
            entries: entries
                .iter()
                .map(|(k, v)| toml_tree::Entry {
                    key: k.clone(),
                    key_at: v.at.unwrap_or(at),
                    item: item_of(v),
                })
                .collect(),
            at,
        }),
    };
    Item { node, at }
}

fn default_kind(name: &str) -> Option<TransitionKind> {
    TransitionKind::from_name(name)
}

/// A scene parameter's value, with its location.
fn spanned(item: &Item, path: &str) -> Res<Spanned> {
    let value = match &item.node {
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::Int(*i),
        Node::Float(f) => Value::Float(*f),
        Node::Str(s) => Value::Str(s.clone()),
        Node::DateTime => {
            return err(item.at, format!("`{path}`: date-times are not scene parameters"));
        }
        Node::Array(items) => Value::Array(
            items.iter().enumerate().map(|(i, x)| spanned(x, &format!("{path}[{i}]"))).collect::<Res<_>>()?,
        ),
        Node::Table(t) => Value::Table(
            t.entries
                .iter()
                .map(|e| Ok((e.key.clone(), spanned(&e.item, &join(path, &e.key))?)))
                .collect::<Res<_>>()?,
        ),
    };
    Ok(Spanned { value, at: Some(item.at) })
}

fn build(
    desc: Desc,
    cx: &mut BuildContext,
    warnings: &mut Vec<(Location, String)>,
    clock: Option<ClockStart>,
) -> Res<Arc<dyn Scene>> {
    match desc {
        Desc::Scene(mut params) => {
            let at = params.location().unwrap_or(Location { line: 1, column: 1 });
            let built = match clock {
                Some(start) if params.scene() == "clock" => {
                    crate::photo::clock::build_with_start(&mut params, cx, Some(start))
                        .and_then(|scene| params.finish().map(|()| scene))
                }
                _ => build_scene(params, cx),
            };
            built.map_err(|e| (e.at.unwrap_or(at), e.message))
        }
        Desc::Layers(layers) => {
            let mut built = Vec::with_capacity(layers.len());
            for (node, opacity, blend) in layers {
                built.push(
                    Layer::new(build(node, cx, warnings, clock)?).with_opacity(opacity).with_blend(blend),
                );
            }
            Ok(Arc::new(Layers::new(built)))
        }
        Desc::Playlist { entries, looping, at } => {
            build_playlist(entries, looping, at, cx, warnings, clock).map(|p| p as Arc<dyn Scene>)
        }
    }
}

fn build_playlist(
    entries: Vec<EntryDesc>,
    looping: bool,
    at: Location,
    cx: &mut BuildContext,
    warnings: &mut Vec<(Location, String)>,
    clock: Option<ClockStart>,
) -> Res<Arc<Playlist>> {
    let tb = Timebase::new(cx.rate);
    let last = entries.len() - 1;
    let mut built = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        if let Some((t, t_at)) = e.transition {
            let (n, ticks) = (tb.ticks_for_seconds(t.duration), tb.ticks_for_seconds(e.duration).max(1));
            if !looping && i == last {
                warnings.push((
                    t_at,
                    "the last entry's transition has no effect: the playlist does not loop".to_string(),
                ));
            } else if n >= ticks {
                return err(
                    t_at,
                    format!(
                        "`{}.transition`: expected a transition shorter than its entry ({} s = {ticks} ticks), found {} s = {n} ticks",
                        e.path,
                        seconds_text(e.duration),
                        seconds_text(t.duration)
                    ),
                );
            }
        }
        let had_live = cx.live.is_some();
        let had_rescans = cx.rescans.len();
        let entry_at = match &e.node {
            Desc::Scene(params) => params.location().unwrap_or(at),
            _ => at,
        };
        let scene = build(e.node, cx, warnings, clock)?;
        if !had_live && cx.live.is_some() {
            // Its frames are latched by the tick it sees, which is the entry's, not the show's:
            // the frame log could not say which values a presented tick was drawn from.
            return err(
                entry_at,
                format!(
                    "`{}`: a `source = \"live\"` visualizer cannot be a playlist entry; put it at the top \
                     level (`scene = \"visualizer\"`) or in the top level's `[[layers]]`",
                    e.path
                ),
            );
        }
        if cx.rescans.len() > had_rescans {
            // Its slots are the entry's, which start again on every pass of the playlist: photos
            // scheduled past the slots rendered so far would never show.
            return err(
                entry_at,
                format!(
                    "`{}`: a slideshow with `rescan` cannot be a playlist entry (its slots start again with                      every pass); put it at the top level or in the top level's `[[layers]]`, or drop `rescan`",
                    e.path
                ),
            );
        }
        built.push(PlaylistEntry { scene, duration: e.duration, transition: e.transition.map(|(t, _)| t) });
    }
    Playlist::new(built, cx.rate, looping).map(Arc::new).map_err(|e| (at, e.to_string()))
}
