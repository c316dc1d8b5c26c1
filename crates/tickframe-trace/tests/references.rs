//! Reference checksums: the examples, exported through the same code as `tickframe trace`
//! (`export_scene`, default files: GIF, APNG, frame store), reproduce the hashes committed under
//! `tests/references/`, in debug and in release builds alike.
//!
//! Each reference lists tick segments; every segment is exported as one trace and its digest,
//! every frame's raw hash and every frame's GIF hash are compared. Debug builds export the first
//! segments only (marked in each test), release builds (CI) all of them, so both profiles check
//! the same committed numbers.
//!
//! `totem-120s.json` is the 120-second totem export (7,200 frames): its digest (the one
//! `tickframe trace examples/totem.toml --seconds 120 -o DIR` prints), one digest per 60-tick
//! chunk, and `totem-120s.hashes`, the first 16 hex digits of every frame's hash, one line per
//! tick, so a failure names the first differing tick. Debug builds export its first two chunks.
//!
//! Re-bless after an intended change of pixels (and say why in the commit); it runs every
//! segment whatever the profile:
//!
//! ```sh
//! TICKFRAME_BLESS=1 cargo test --release -p tickframe-trace --test references -- --include-ignored
//! ```

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};
use tickframe_core::DrawMode;
use tickframe_scenes::file::{Overrides, SceneFile, load_scene_file};
use tickframe_trace::{
    ExportOptions, Formats, TraceIndex, digest_of, export_scene, hex128, parse_hex128, pool,
};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn blessing() -> bool {
    std::env::var_os("TICKFRAME_BLESS").is_some()
}

fn load(example: &str) -> SceneFile {
    load_scene_file(&repo().join(example), &Overrides::default()).unwrap_or_else(|e| panic!("{example}: {e}"))
}

/// Exports ticks `ticks` of `example` (loaded as `scene`) as `tickframe trace` does (default
/// files, all cores) into a scratch folder and returns the index and the frame store's size.
fn export(example: &str, scene: &SceneFile, ticks: Range<u64>, tag: &str) -> (TraceIndex, u64) {
    let path = repo().join(example);
    let dir = std::env::temp_dir().join(format!("tickframe-ref-{}-{tag}", std::process::id()));
    let stop = AtomicBool::new(false);
    let opts = ExportOptions {
        dir: dir.clone(),
        ticks,
        workers: pool::default_workers(),
        formats: Formats::default(),
        force: true,
        stop: &stop,
        draw: DrawMode::DisplayList,
        clock: None,
    };
    let s = export_scene(scene, path.parent().unwrap(), &opts, &mut |_| {})
        .unwrap_or_else(|e| panic!("{example}: export failed: {e}"));
    let store = s.index.files.store.as_ref().map_or(0, |f| f.bytes);
    let _ = std::fs::remove_dir_all(&dir);
    (s.index, store)
}

fn range_text(r: &Range<u64>) -> String {
    format!("{}..{}", r.start, r.end)
}

fn read_reference(name: &str) -> Value {
    let path = repo().join("tests/references").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; bless with TICKFRAME_BLESS=1 (see this file's docs)", path.display())
    });
    serde_json::from_str(&text).unwrap()
}

fn write_reference(name: &str, v: &Value) {
    let path = repo().join("tests/references").join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap() + "\n").unwrap();
}

/// Exports each segment of `example` (only the first `quick` in a debug build unless
/// blessing) and compares digests, frame hashes and GIF hashes with `tests/references/NAME.json`.
fn check(name: &str, example: &str, segments: &[Range<u64>], quick: usize) {
    let run = if blessing() || !cfg!(debug_assertions) { segments.len() } else { quick };
    let mut got_segments = Vec::new();
    let mut got_frames = Vec::new();
    let scene = load(example);
    for (i, seg) in segments.iter().take(run).enumerate() {
        let (index, _) = export(example, &scene, seg.clone(), &format!("{name}-{i}"));
        got_segments.push(json!({ "ticks": range_text(seg), "digest": index.digest }));
        for r in &index.frames {
            got_frames.push(json!({ "tick": r.tick, "hash": r.hash, "gif_hash": r.gif_hash }));
        }
    }
    if blessing() {
        write_reference(
            name,
            &json!({
                "scene": example,
                "formats": "gif,apng,tfs",
                "hash_algorithm": "xxh3-128",
                "segments": got_segments,
                "frames": got_frames,
            }),
        );
        return;
    }
    let want = read_reference(name);
    let want_segments = want["segments"].as_array().expect("segments");
    assert_eq!(want_segments.len(), segments.len(), "{name}: the reference has other segments; re-bless");
    // The first differing frame names the tick; then the digests.
    for (g, w) in got_frames.iter().zip(want["frames"].as_array().expect("frames")) {
        assert_eq!(g["tick"], w["tick"], "{name}: the reference has other ticks; re-bless");
        assert!(
            g == w,
            "{name}: first differing tick {}: got {g}, the reference has {w}; if the change is intended, re-bless (see this file's docs)",
            w["tick"]
        );
    }
    for (g, w) in got_segments.iter().zip(want_segments) {
        assert_eq!(g, w, "{name}: segment digest differs from the reference");
    }
}

/// A spread of ticks: the first 30, then one tick every 150th up to two minutes, so every
/// playlist entry and transition of the examples is sampled.
fn spread() -> Vec<Range<u64>> {
    std::iter::once(0..30).chain((1..=48).map(|k| k * 150..k * 150 + 1)).collect()
}

#[test]
fn oled_matches_its_reference() {
    check("oled", "examples/oled.toml", &spread(), 49);
}

#[test]
fn totem_matches_its_reference() {
    check("totem", "examples/totem.toml", &spread(), 49);
}

#[test]
fn desktop_matches_its_reference() {
    let segments: Vec<Range<u64>> =
        [0..2, 2..4].into_iter().chain((1..=12).map(|k| k * 250..k * 250 + 1)).collect();
    // 1280×720: the first two ticks in a debug build.
    check("desktop", "examples/desktop.toml", &segments, 1);
}

#[test]
fn slideshow_matches_its_reference() {
    // 3 s at 1920×1080; a debug build exports the first tick only.
    check("slideshow", "examples/slideshow.toml", &[0..1, 1..180], 1);
}

#[test]
fn visualizer_matches_its_reference() {
    // 3 s; a debug build exports the first half second.
    check("visualizer", "examples/visualizer.toml", &[0..30, 30..180], 1);
}

/// The 120-second totem export (7,200 frames at 60 fps): digest, chunk digests and per-tick
/// hashes. A debug build exports the first two chunks (120 ticks) and checks them against the
/// same reference; release builds (CI) export all 7,200 frames, and check that the frame store
/// is at most 25 % of the raw RGBA (a property of the format on this example).
#[test]
fn totem_120_seconds_reproduces_its_digest() {
    const CHUNK: u64 = 60;
    let full = blessing() || !cfg!(debug_assertions);
    let ticks = if full { 0..7200 } else { 0..2 * CHUNK };
    let (index, store) =
        export("examples/totem.toml", &load("examples/totem.toml"), ticks.clone(), "totem-120s");
    let hashes: Vec<u128> = index.frames.iter().map(|r| parse_hex128(&r.hash).unwrap()).collect();
    let chunks: Vec<String> = hashes
        .chunks(CHUNK as usize)
        .enumerate()
        .map(|(c, hs)| {
            let base = c as u64 * CHUNK;
            hex128(digest_of(hs.iter().enumerate().map(|(i, &h)| (base + i as u64, h))))
        })
        .collect();
    let lines: Vec<String> = hashes.iter().map(|h| hex128(*h)[..16].to_string()).collect();
    let raw = 7200u64 * 256 * 64 * 4;
    let hashes_path = repo().join("tests/references/totem-120s.hashes");
    if blessing() {
        write_reference(
            "totem-120s",
            &json!({
                "scene": "examples/totem.toml",
                "formats": "gif,apng,tfs",
                "hash_algorithm": "xxh3-128",
                "ticks": range_text(&ticks),
                "frame_count": index.frame_count,
                "digest": index.digest,
                "chunk_ticks": CHUNK,
                "chunks": chunks,
                "hashes": "totem-120s.hashes (first 16 hex digits of each frame's hash, one line per tick from 0)",
                "store_bytes": store,
                "store_percent_of_raw": format!("{:.1}", 100.0 * store as f64 / raw as f64),
            }),
        );
        std::fs::write(&hashes_path, lines.join("\n") + "\n").unwrap();
        return;
    }
    let want = read_reference("totem-120s");
    let want_lines = std::fs::read_to_string(&hashes_path).unwrap();
    for (i, (g, w)) in lines.iter().zip(want_lines.lines()).enumerate() {
        assert!(
            g == w,
            "totem-120s: first differing tick {i}: hash {g}…, the reference has {w}…; if the change is intended, re-bless (see this file's docs)"
        );
    }
    let want_chunks = want["chunks"].as_array().expect("chunks");
    assert_eq!(want_chunks.len(), 120);
    for (c, (g, w)) in chunks.iter().zip(want_chunks).enumerate() {
        assert_eq!(
            Value::from(g.as_str()),
            *w,
            "totem-120s: chunk {c} (ticks {}..) differs",
            c as u64 * CHUNK
        );
    }
    if full {
        assert_eq!(want_lines.lines().count(), 7200);
        assert_eq!(Value::from(index.digest.as_str()), want["digest"], "totem-120s: digest differs");
        assert!(
            store * 4 <= raw,
            "the frame store is {store} bytes, {:.1} % of the raw RGBA ({raw} bytes): more than 25 %",
            100.0 * store as f64 / raw as f64
        );
    }
}
