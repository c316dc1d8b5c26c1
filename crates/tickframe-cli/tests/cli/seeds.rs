//! `seed_offset`: outputs showing the scene at other seeds (a different photo order per
//! monitor), from `--out` and from `[[output]]` tables, and its errors.

use std::path::Path;

use tickframe_core::{DrawMode, RenderContext, Renderer, frame_hash};
use tickframe_scenes::file::{Overrides, load_scene_file};

use crate::common::{decode_png, run, scratch, stderr};

/// Six photos, each one flat colour, so a frame's centre pixel says which photo it shows.
const COLOURS: [[u8; 3]; 6] =
    [[250, 0, 0], [0, 250, 0], [0, 0, 250], [250, 250, 0], [0, 250, 250], [250, 0, 250]];

fn photo_show(dir: &Path) -> std::path::PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for (i, c) in COLOURS.iter().enumerate() {
        let img = image::RgbImage::from_pixel(24, 16, image::Rgb(*c));
        img.save(photos.join(format!("p{i}.png"))).unwrap();
    }
    let scene = dir.join("show.toml");
    // 5 ticks per photo at 10 fps, a one-tick crossfade, photos filling the display.
    std::fs::write(
        &scene,
        "seed = 3\n[display]\nwidth = 24\nheight = 16\nfps = 10\n\n[[layers]]\nscene = \"slideshow\"\nfolder = \"photos\"\norder = \"shuffle\"\ninterval = 0.5\nfit = \"fill\"\ntransition = { kind = \"crossfade\", duration = 0.1 }\n",
    )
    .unwrap();
    scene
}

/// Which photo frame `path` shows (by its centre pixel).
fn photo_of(path: &Path) -> usize {
    let f = decode_png(path);
    let p = f.get(12, 8).unwrap();
    COLOURS
        .iter()
        .position(|c| *c == [p.r, p.g, p.b])
        .unwrap_or_else(|| panic!("{}: centre {p:?} is no photo's colour", path.display()))
}

#[test]
fn a_seed_offset_shows_the_slideshow_in_another_order() {
    let dir = scratch("seed-offset-slideshow");
    let scene = photo_show(&dir);
    let (a, b) = (dir.join("a"), dir.join("b"));
    let report = dir.join("r.json");
    let log = dir.join("frames.jsonl");
    let o = run(&[
        "play",
        scene.to_str().unwrap(),
        "--out",
        &format!("png-dir:{}", a.display()),
        "--out",
        &format!("png-dir:{}:seed_offset=1", b.display()),
        "--seconds",
        "3",
        "--report",
        report.to_str().unwrap(),
        "--log-frames",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(
        msg.contains("seed 3)") && msg.contains("seed 4)"),
        "the summary names each output's seed: {msg}"
    );
    // One photo per slot of 5 ticks; look at the second tick of each (after the crossfade).
    let order = |d: &Path| -> Vec<usize> {
        (0..6).map(|slot| photo_of(&d.join(format!("frame-{:06}.png", slot * 5 + 2)))).collect()
    };
    let (oa, ob) = (order(&a), order(&b));
    let mut sorted = oa.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2, 3, 4, 5], "a shuffled pass shows every photo once: {oa:?}");
    assert_ne!(oa, ob, "seed 3 and seed 4 show the photos in the same order");
    // Every frame is the frame of its output's seed, bit for bit.
    let loaded = load_scene_file(&scene, &Overrides::default()).unwrap();
    let mut r = Renderer::new(DrawMode::DisplayList);
    for (d, seed) in [(&a, 3), (&b, 4)] {
        for t in [0, 2, 4, 5, 13, 29] {
            let ctx = RenderContext::new(loaded.size, loaded.rate, seed, t);
            let want = frame_hash(r.render_new(&*loaded.root, &ctx).view());
            let got = frame_hash(decode_png(&d.join(format!("frame-{t:06}.png"))).view());
            assert_eq!(got, want, "{} tick {t} is not the frame of seed {seed}", d.display());
        }
    }
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["seed"], 3);
    assert_eq!(r["streams"], 2);
    assert_eq!((r["outputs"][0]["seed"].as_u64(), r["outputs"][1]["seed"].as_u64()), (Some(3), Some(4)));
    assert_eq!(r["outputs"][1]["seed_offset"], 1);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 60);
    assert_eq!(lines.iter().filter(|l| l["seed"] == 3).count(), 30, "30 records of the seed 3 output");
    assert_eq!(lines.iter().filter(|l| l["seed"] == 4).count(), 30, "30 records of the seed 4 output");
}

#[test]
fn seed_offsets_in_scene_file_outputs() {
    let dir = scratch("seed-offset-scene-outputs");
    let scene = photo_show(&dir);
    let base = std::fs::read_to_string(&scene).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    let with_outputs = dir.join("outputs.toml");
    std::fs::write(
        &with_outputs,
        format!(
            "{base}\n[[output]]\nurl = \"png-dir:{}\"\n\n[[output]]\nurl = \"png-dir:{}\"\nseed_offset = 1\n",
            a.display(),
            b.display()
        ),
    )
    .unwrap();
    let report = dir.join("r.json");
    let o = run(&[
        "play",
        with_outputs.to_str().unwrap(),
        "--seconds",
        "1",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!((r["outputs"][0]["seed"].as_u64(), r["outputs"][1]["seed"].as_u64()), (Some(3), Some(4)));
    // Played again with --out on the command line: the same frames as the scene file's outputs.
    let c = dir.join("c");
    let o = run(&[
        "play",
        scene.to_str().unwrap(),
        "--out",
        &format!("png-dir:{}:seed_offset=1", c.display()),
        "--seconds",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for t in 0..10 {
        let name = format!("frame-{t:06}.png");
        assert_eq!(
            frame_hash(decode_png(&b.join(&name)).view()),
            frame_hash(decode_png(&c.join(&name)).view()),
            "tick {t}"
        );
    }

    // Errors: located, exit 2.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, format!("{base}\n[[output]]\nurl = \"null\"\nseed_offset = -2\n")).unwrap();
    let o = run(&["play", bad.to_str().unwrap(), "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let line = base.lines().count() + 4;
    assert!(
        stderr(&o).contains(&format!(
            "bad.toml:{line}:15: `output[0].seed_offset`: expected a whole number in 0..=9223372036854775807, found -2"
        )),
        "{}",
        stderr(&o)
    );
    std::fs::write(&bad, format!("{base}\n[[output]]\nurl = \"null:seed_offset=1\"\nseed_offset = 1\n"))
        .unwrap();
    let o = run(&["play", bad.to_str().unwrap(), "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "bad.toml:{line}:15: output[0].seed_offset: the seed offset is also given in `url`"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_seed_offsets_on_the_command_line_exit_2_with_what_was_expected() {
    for (out, needle) in [
        (
            "window:monitor=1:seed_offset=one",
            "`seed_offset=one` is not a whole number in 0..=18446744073709551615",
        ),
        ("null:seed_offset=-1", "`seed_offset=-1` is not a whole number"),
        (
            "ddp://127.0.0.1?seed_offset=1e3",
            "invalid output URL `ddp://127.0.0.1?seed_offset=1e3`: `seed_offset=1e3`",
        ),
        ("window:seed_offset=1:seed_offset=2", "unknown or repeated window option `seed_offset=2`"),
    ] {
        let o = run(&["play", "examples/oled.toml", "--out", out, "--seconds", "0.2"]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{out}: {}", stderr(&o));
    }
    let o = run(&["replay", "/nonexistent-trace", "--out", "null:seed_offset=1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("`tickframe play` outputs only"), "{}", stderr(&o));
}
