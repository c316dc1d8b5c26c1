//! Reference checksums: the examples render to the hashes committed under `tests/references/`.
//!
//! Re-bless after an intended change of pixels (and say why in the commit):
//!
//! ```sh
//! TICKFRAME_BLESS=1 cargo test --release -p tickframe-trace --test references -- --include-ignored
//! ```

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};
use tickframe_core::{Frame, RenderContext, Renderer};
use tickframe_scenes::file::{Overrides, load_scene_file};
use tickframe_trace::{digest_of, hex128, pool};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Renders `ticks` of an example on all cores and returns `(tick, hash)` in order.
fn hashes(example: &str, ticks: &[u64]) -> Vec<(u64, u128)> {
    let scene = load_scene_file(&repo().join(example), &Overrides::default()).unwrap();
    let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
    let stop = AtomicBool::new(false);
    let mut out = Vec::with_capacity(ticks.len());
    pool::run_ordered(
        0..ticks.len() as u64,
        16,
        pool::default_workers(),
        &stop,
        || Ok::<_, ()>((Renderer::default(), Frame::new(scene.size))),
        |(r, f), i, _| {
            let t = ticks[i as usize];
            r.render(&*scene.root, &base.at_tick(t), f);
            Ok((t, tickframe_trace::hash_rgba(f.as_bytes())))
        },
        |_, v| {
            out.push(v);
            Ok(())
        },
    )
    .unwrap();
    out
}

fn check(name: &str, example: &str, ticks: Vec<u64>, with_hashes: bool) {
    let path = repo().join("tests/references").join(format!("{name}.json"));
    let got = hashes(example, &ticks);
    let digest = hex128(digest_of(got.iter().copied()));
    let record = json!({
        "scene": example,
        "ticks": if with_hashes { json!(null) } else { json!(format!("{}..{}", ticks[0], ticks[ticks.len() - 1] + 1)) },
        "frame_count": got.len(),
        "hash_algorithm": "xxh3-128",
        "digest": digest,
        "frames": if with_hashes {
            got.iter().map(|(t, h)| json!({ "tick": t, "hash": hex128(*h) })).collect::<Vec<_>>()
        } else {
            Vec::new()
        },
    });
    if std::env::var_os("TICKFRAME_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&record).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; bless with TICKFRAME_BLESS=1 (see this file's docs)", path.display())
    });
    let want: Value = serde_json::from_str(&text).unwrap();
    if want["digest"] != record["digest"] {
        let first = want["frames"].as_array().and_then(|fr| {
            fr.iter().zip(&got).find(|(w, g)| w["hash"] != json!(hex128(g.1))).map(|(w, _)| w["tick"].clone())
        });
        panic!(
            "{name}: digest {} differs from the reference {} (first differing tick: {first:?}); if the change is intended, re-bless (see this file's docs)",
            record["digest"], want["digest"]
        );
    }
}

/// A spread of ticks: the first 30, then every 150th up to two minutes, so every playlist entry
/// and transition of the examples is sampled even in a debug build.
fn spread(rate_fps: u64) -> Vec<u64> {
    let mut t: Vec<u64> = (0..30).collect();
    t.extend((1..=48).map(|k| k * 150 * rate_fps / 60));
    t
}

#[test]
fn oled_matches_its_reference() {
    check("oled", "examples/oled.toml", spread(60), true);
}

#[test]
fn totem_matches_its_reference() {
    check("totem", "examples/totem.toml", spread(60), true);
}

#[test]
fn desktop_matches_its_reference() {
    let mut ticks: Vec<u64> = (0..4).collect();
    ticks.extend((1..=12).map(|k| k * 250));
    check("desktop", "examples/desktop.toml", ticks, true);
}

/// The 120-second totem export (7,200 frames at 60 fps): its digest is the one
/// `tickframe trace examples/totem.toml --seconds 120 -o DIR` prints and writes to `index.json`.
/// Release builds only (CI): `cargo test --release -p tickframe-trace --test references`.
#[test]
#[cfg_attr(debug_assertions, ignore = "7,200 frames: run in release (CI does)")]
fn totem_120_seconds_reproduces_its_digest() {
    check("totem-120s", "examples/totem.toml", (0..7200).collect(), false);
}
