//! Golden hashes: every built-in scene at fixed ticks and sizes, and every example scene file.
//! The same hashes must come out in debug and release builds and on every machine.
//!
//! Re-bless after a deliberate change of output:
//! `TICKFRAME_BLESS=1 cargo test -p tickframe-scenes --test it golden`
//! then review and commit `tests/golden/hashes.txt`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tickframe_core::{DrawMode, Frame, RenderContext, Size, frame_hash};
use tickframe_scenes::file::{Overrides, load_scene_file};

use crate::common::{all_cases, build, hash_at, renderer};

const SIZES: [(u32, u32); 2] = [(256, 64), (128, 64)];
const TICKS: [u64; 5] = [0, 1, 60, 599, 4321];
const SEED: u64 = 2026;

fn golden_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/hashes.txt"))
}

fn compute() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (w, h) in SIZES {
        let size = Size::new(w, h).unwrap();
        for (label, params) in all_cases() {
            let scene = build(&params, size);
            let mut r = renderer(DrawMode::DisplayList);
            let mut f = Frame::new(size);
            for t in TICKS {
                let hash = hash_at(&mut r, &*scene, size, SEED, t, &mut f);
                out.insert(format!("scene {label} {size} tick {t}"), format!("{hash:032x}"));
            }
        }
    }
    let examples = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    for name in ["totem.toml", "oled.toml", "desktop.toml", "slideshow.toml", "visualizer.toml"] {
        let file = load_scene_file(&examples.join(name), &Overrides::default())
            .unwrap_or_else(|e| panic!("loading example {name}: {e}"));
        let mut r = renderer(DrawMode::DisplayList);
        let mut f = Frame::new(file.size);
        for t in [0u64, 1, 600, 1799, 5000] {
            let ctx = RenderContext::new(file.size, file.rate, file.seed, t);
            r.render(&*file.root, &ctx, &mut f);
            out.insert(format!("example {name} tick {t}"), format!("{:032x}", frame_hash(f.view())));
        }
    }
    out
}

#[test]
fn golden_hashes_match() {
    let actual = compute();
    let path = golden_path();
    if std::env::var_os("TICKFRAME_BLESS").is_some() {
        let text: String = actual.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        eprintln!("blessed {} hashes into {}", actual.len(), path.display());
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; bless with TICKFRAME_BLESS=1 cargo test -p tickframe-scenes --test it golden", path.display())
    });
    let expected: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut problems = Vec::new();
    for (k, v) in &actual {
        match expected.get(k) {
            None => problems.push(format!("new, not blessed: {k}")),
            Some(e) if e != v => problems.push(format!("changed: {k}: expected {e}, got {v}")),
            _ => {}
        }
    }
    for k in expected.keys().filter(|k| !actual.contains_key(*k)) {
        problems.push(format!("blessed but no longer produced: {k}"));
    }
    assert!(
        problems.is_empty(),
        "{} golden mismatches (re-bless only if the change is intended: TICKFRAME_BLESS=1 cargo test -p tickframe-scenes --test it golden):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
