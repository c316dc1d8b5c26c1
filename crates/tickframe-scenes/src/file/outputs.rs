//! `[[output]]` tables of a scene file: the device outputs `tickframe play` uses when no
//! `--out` is given. Only their shape is checked here (keys, types, ranges, with locations); the
//! URL itself is checked by the program that opens it, which reports it at [`SceneOutput::url_at`].

use std::path::{Path, PathBuf};

use super::toml_tree::{Node, Table};
use crate::params::{Location, did_you_mean};

/// One `[[output]]` of a scene file.
///
/// ```toml
/// [[output]]
/// url = "ddp://10.0.0.5"        # any `--out` form: a controller URL, `window`, `hub75:…`, …
/// led_panels = "64x64:4:cube"   # or led_map = "cube.json" (relative to the scene file)
/// gamma = 2.2
/// brightness = 180
/// order = "grb"
/// power_limit_ma = 8000
/// seed_offset = 1               # this output's frames at the run's seed + 1
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SceneOutput {
    /// Where the output goes, as `--out` takes it.
    pub url: String,
    /// Where `url` is written.
    pub url_at: Location,
    /// A mapping file (`led_map`, resolved against the scene file's folder), or one of
    /// `row-major`, `serpentine`, `serpentine-vertical`.
    pub led_map: Option<PathBuf>,
    /// A panel chain in one line (`led_panels`, as `--led-panels`).
    pub led_panels: Option<String>,
    /// Accept unmapped pixels and shared channels (`led_map_lenient`); default false.
    pub led_map_lenient: bool,
    /// Gamma exponent (`gamma`), 0.1..=10; default 1.
    pub gamma: Option<f64>,
    /// Brightness limit (`brightness`), 0..=255; default 255.
    pub brightness: Option<u8>,
    /// Power limit in milliamps (`power_limit_ma`); default none.
    pub power_limit_ma: Option<u64>,
    /// Channel order (`order`): rgb, rbg, grb, gbr, brg, bgr; default rgb.
    pub order: Option<String>,
    /// Added to the run's seed (wrapping) for this output's frames (`seed_offset`, a whole
    /// number ≥ 0), e.g. a different photo order per monitor; `None` when not given (0).
    pub seed_offset: Option<u64>,
    /// Where `seed_offset` is written (for a conflict with a `seed_offset` in `url`).
    pub seed_offset_at: Option<Location>,
}

const KEYS: [&str; 9] = [
    "url",
    "led_map",
    "led_panels",
    "led_map_lenient",
    "gamma",
    "brightness",
    "power_limit_ma",
    "order",
    "seed_offset",
];

type Res<T> = Result<T, (Location, String)>;

/// Reads the `output` entry of the top-level table: an array of tables (`[[output]]`).
pub(crate) fn describe_outputs(root: &Table, base_dir: &Path) -> Res<Vec<SceneOutput>> {
    if let Some(e) = root.entries.iter().find(|e| ["out", "outputs"].contains(&e.key.as_str())) {
        return Err((
            e.key_at,
            format!(
                "`{}`: outputs are written as `[[output]]` tables, one per output, e.g. `[[output]]` then `url = \"ddp://10.0.0.5\"` on the next line",
                e.key
            ),
        ));
    }
    let Some(e) = root.get("output") else { return Ok(Vec::new()) };
    let tables: Vec<&Table> = match &e.item.node {
        Node::Array(items) => items
            .iter()
            .map(|i| match &i.node {
                Node::Table(t) => Ok(t),
                other => Err((
                    i.at,
                    format!("`output`: expected tables (`[[output]]`), found {}", other.describe()),
                )),
            })
            .collect::<Res<_>>()?,
        Node::Table(_) => {
            return Err((
                e.key_at,
                "`output`: write `[[output]]` (an array of tables), not `[output]`".into(),
            ));
        }
        other => {
            return Err((
                e.item.at,
                format!(
                    "`output`: expected `[[output]]` tables with `url = \"ddp://…\"`, found {}",
                    other.describe()
                ),
            ));
        }
    };
    tables.into_iter().enumerate().map(|(i, t)| describe_output(t, i, base_dir)).collect()
}

fn describe_output(t: &Table, i: usize, base_dir: &Path) -> Res<SceneOutput> {
    let path = format!("output[{i}]");
    let Some(url) = t.get("url") else {
        return Err((t.at, format!("`{path}`: missing `url` (e.g. `url = \"ddp://10.0.0.5\"`)")));
    };
    let text = |key: &str| -> Res<Option<(String, Location)>> {
        match t.get(key) {
            None => Ok(None),
            Some(e) => match &e.item.node {
                Node::Str(s) if !s.is_empty() => Ok(Some((s.clone(), e.item.at))),
                other => Err((
                    e.item.at,
                    format!("`{path}.{key}`: expected a non-empty string, found {}", other.describe()),
                )),
            },
        }
    };
    let int = |key: &str, max: i64| -> Res<Option<i64>> {
        match t.get(key) {
            None => Ok(None),
            Some(e) => match e.item.node {
                Node::Int(v) if (0..=max).contains(&v) => Ok(Some(v)),
                ref other => Err((
                    e.item.at,
                    format!(
                        "`{path}.{key}`: expected a whole number in 0..={max}, found {}",
                        other.describe()
                    ),
                )),
            },
        }
    };
    if let Some(e) = t.entries.iter().find(|e| !KEYS.contains(&e.key.as_str())) {
        let quoted: Vec<String> = KEYS.iter().map(|k| format!("`{k}`")).collect();
        return Err((
            e.key_at,
            format!(
                "unknown key `{path}.{}`{}; expected {}",
                e.key,
                did_you_mean(&e.key, KEYS.iter().copied()),
                quoted.join(", ")
            ),
        ));
    }
    let (url, url_at) = text("url")?.unwrap_or_else(|| (String::new(), url.item.at));
    let led_map = text("led_map")?.map(|(m, _)| match m.as_str() {
        "row-major" | "serpentine" | "serpentine-vertical" => PathBuf::from(m),
        file => base_dir.join(file),
    });
    let led_panels = text("led_panels")?.map(|(p, _)| p);
    if let (Some(_), Some(e)) = (&led_panels, t.get("led_map")) {
        return Err((e.key_at, format!("`{path}`: give `led_map` or `led_panels`, not both")));
    }
    let led_map_lenient = match t.get("led_map_lenient") {
        None => false,
        Some(e) => match e.item.node {
            Node::Bool(b) => b,
            ref other => {
                return Err((
                    e.item.at,
                    format!("`{path}.led_map_lenient`: expected true or false, found {}", other.describe()),
                ));
            }
        },
    };
    let gamma = match t.get("gamma") {
        None => None,
        Some(e) => match e.item.node {
            Node::Int(v) if (1..=10).contains(&v) => Some(v as f64),
            Node::Float(f) if f.is_finite() && (0.1..=10.0).contains(&f) => Some(f),
            ref other => {
                return Err((
                    e.item.at,
                    format!("`{path}.gamma`: expected a number in 0.1..=10, found {}", other.describe()),
                ));
            }
        },
    };
    let seed_offset_at = t.get("seed_offset").map(|e| e.item.at);
    Ok(SceneOutput {
        seed_offset: int("seed_offset", i64::MAX)?.map(|v| v as u64),
        seed_offset_at,
        url,
        url_at,
        led_map,
        led_panels,
        led_map_lenient,
        gamma,
        brightness: int("brightness", 255)?.map(|b| b as u8),
        power_limit_ma: int("power_limit_ma", i64::MAX)?.map(|p| p as u64),
        order: text("order")?.map(|(o, _)| o),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::file::{Overrides, parse_scene_str};

    #[test]
    fn outputs_parse_with_paths_against_the_scene_folder() {
        let text = "scene = \"solid\"\n[display]\nwidth = 2\nheight = 2\n\n[[output]]\nurl = \"ddp://10.0.0.5\"\nled_map = \"maps/cube.json\"\ngamma = 2\n\n[[output]]\nurl = \"window\"\nled_map = \"serpentine\"\n";
        let f = parse_scene_str(text, "s.toml", Path::new("/show"), &Overrides::default()).unwrap();
        assert_eq!(f.outputs.len(), 2);
        assert_eq!(f.outputs[0].url, "ddp://10.0.0.5");
        assert_eq!((f.outputs[0].url_at.line, f.outputs[0].url_at.column), (7, 7));
        assert_eq!(f.outputs[0].led_map.as_deref(), Some(Path::new("/show/maps/cube.json")));
        assert_eq!(f.outputs[0].gamma, Some(2.0));
        assert_eq!(f.outputs[1].led_map.as_deref(), Some(Path::new("serpentine")));
        assert_eq!(f.outputs[0].seed_offset, None);
        let e = parse_scene_str(
            "scene = \"solid\"\n[display]\nwidth = 2\nheight = 2\n[[output]]\nled_map = \"x.csv\"\n",
            "s.toml",
            Path::new("."),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "s.toml:5:1: `output[0]`: missing `url` (e.g. `url = \"ddp://10.0.0.5\"`)");
    }

    #[test]
    fn seed_offsets_are_whole_numbers_located_on_error() {
        let text = "scene = \"solid\"\n[display]\nwidth = 2\nheight = 2\n[[output]]\nurl = \"window\"\nseed_offset = 3\n";
        let f = parse_scene_str(text, "s.toml", Path::new("."), &Overrides::default()).unwrap();
        assert_eq!(f.outputs[0].seed_offset, Some(3));
        assert_eq!(f.outputs[0].seed_offset_at.map(|l| (l.line, l.column)), Some((7, 15)));
        for bad in ["-1", "1.5", "\"1\""] {
            let text = format!(
                "scene = \"solid\"\n[display]\nwidth = 2\nheight = 2\n[[output]]\nurl = \"window\"\nseed_offset = {bad}\n"
            );
            let e = parse_scene_str(&text, "s.toml", Path::new("."), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert_eq!(
                e,
                format!(
                    "s.toml:7:15: `output[0].seed_offset`: expected a whole number in 0..=9223372036854775807, found {bad}"
                )
            );
        }
    }
}
