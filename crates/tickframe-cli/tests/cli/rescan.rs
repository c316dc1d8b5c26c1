//! A slideshow's `rescan` in `play`: a photo copied into the folder during the run joins at a
//! slot boundary, the summary and report record it, and the recorded `added` rebuilds the
//! schedule in another command. (That a joining photo never changes a frame already rendered,
//! and that `added` gives the live run's frames bit for bit, is tested in
//! `tickframe-scenes`' `photo` tests.)

use std::path::Path;

use tickframe_core::{DrawMode, RenderContext, Renderer};
use tickframe_scenes::file::{Overrides, load_scene_file};

use crate::common::{bin, scratch, stderr};

const COLOURS: [[u8; 3]; 4] = [[250, 0, 0], [0, 250, 0], [0, 0, 250], [250, 250, 0]];

fn flat(path: &Path, c: [u8; 3]) {
    image::RgbImage::from_pixel(24, 16, image::Rgb(c)).save(path).unwrap();
}

#[test]
fn a_photo_copied_in_during_play_joins_and_is_recorded() {
    let dir = scratch("rescan-play");
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for (i, c) in COLOURS[..3].iter().enumerate() {
        flat(&photos.join(format!("p{i}.png")), *c);
    }
    let base = "seed = 3\n[display]\nwidth = 24\nheight = 16\nfps = 10\n\n[[layers]]\nscene = \"slideshow\"\nfolder = \"photos\"\norder = \"sorted\"\ninterval = 0.5\nfit = \"fill\"\ntransition = { kind = \"crossfade\", duration = 0.1 }\n";
    let scene = dir.join("show.toml");
    std::fs::write(&scene, format!("{base}rescan = 1\n")).unwrap();
    let report = dir.join("r.json");
    let log = dir.join("frames.jsonl");
    let child = bin()
        .args(["play", scene.to_str().unwrap(), "--out", "null", "--seconds", "5", "--report"])
        .arg(&report)
        .arg("--log-frames")
        .arg(&log)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Copied in under another name, then renamed, as a careful copy does.
    std::thread::sleep(std::time::Duration::from_millis(400));
    flat(&dir.join("incoming.png"), COLOURS[3]);
    std::fs::rename(dir.join("incoming.png"), photos.join("p3.png")).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("1 new photo joins at slot"), "{msg}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rescan = &r["photo_rescans"][0];
    let added = &rescan["additions"][0];
    assert_eq!(added["files"], serde_json::json!(["p3.png"]), "{r}");
    let slot = added["slot"].as_u64().unwrap();
    // Seen by the looks at about 1 s and 2 s: it joins two slots past the frames rendered by
    // then (at least slot 3 at 5 ticks per slot; how far depends on the look-ahead).
    assert!(slot >= 3, "slot {slot}");
    assert_eq!(added["tick"].as_u64(), Some(slot * 5));
    let line = rescan["added"].as_str().unwrap();
    assert_eq!(line, format!("added = [{{ slot = {slot}, files = [\"p3.png\"] }}]"));
    assert!(msg.contains(line), "the summary says how to reproduce the run: {msg}");
    // The frame log ends with the addition, after the 50 frame lines.
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 51);
    let last = &lines[50]["photos_added"];
    assert_eq!(
        (last["slot"].as_u64(), last["files"].clone()),
        (Some(slot), serde_json::json!(["p3.png"])),
        "{last}"
    );
    assert_eq!(last["added"].as_str(), Some(line));

    // The recorded line rebuilds the run's schedule: the photo of each slot (its third tick,
    // past the crossfade), the new yellow one first at the recorded slot.
    let again = dir.join("again.toml");
    std::fs::write(&again, format!("{base}{line}\n")).unwrap();
    let loaded = load_scene_file(&again, &Overrides::default()).unwrap();
    let mut renderer = Renderer::new(DrawMode::DisplayList);
    let shown: Vec<usize> = (0..slot + 4)
        .map(|k| {
            let f = renderer
                .render_new(&*loaded.root, &RenderContext::new(loaded.size, loaded.rate, 3, k * 5 + 2));
            let p = f.get(12, 8).unwrap();
            COLOURS.iter().position(|c| *c == [p.r, p.g, p.b]).unwrap()
        })
        .collect();
    let first_new = shown.iter().position(|&p| p == 3);
    assert!(
        first_new.is_some_and(|k| k as u64 >= slot && (k as u64) < slot + 4),
        "{shown:?} (joined at {slot})"
    );
    for k in 0..slot as usize {
        assert_eq!(shown[k], k % 3, "before slot {slot} the sorted order of the first three: {shown:?}");
    }
    // Without `added`, a fresh start with the photo there from the beginning shows it in slot 3.
    let fresh = load_scene_file(&scene, &Overrides::default()).unwrap();
    let f = renderer.render_new(&*fresh.root, &RenderContext::new(fresh.size, fresh.rate, 3, 3 * 5 + 2));
    assert_eq!(f.get(12, 8).map(|p| [p.r, p.g, p.b]), Some(COLOURS[3]));
}

#[test]
fn rescan_in_a_playlist_entry_is_refused_naming_the_entry() {
    let dir = scratch("rescan-playlist");
    let photos = dir.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    flat(&photos.join("p0.png"), COLOURS[0]);
    let scene = dir.join("list.toml");
    std::fs::write(
        &scene,
        "[display]\nwidth = 24\nheight = 16\nfps = 10\n\n[[playlist]]\nduration = 5\nscene = \"plasma\"\n\n[[playlist]]\nduration = 5\nscene = \"slideshow\"\nfolder = \"photos\"\nrescan = 2\n",
    )
    .unwrap();
    let o = crate::common::run(&["play", scene.to_str().unwrap(), "--out", "null", "--seconds", "0.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(msg.contains("list.toml:") && msg.contains("`rescan` cannot be a playlist entry"), "{msg}");
    // Without `rescan` it plays.
    let text = std::fs::read_to_string(&scene).unwrap().replace("rescan = 2\n", "");
    std::fs::write(&scene, text).unwrap();
    let o = crate::common::run(&["play", scene.to_str().unwrap(), "--out", "null", "--seconds", "0.2"]);
    assert!(o.status.success(), "{}", stderr(&o));
}
