//! End-to-end tests: traces (trace, verify, replay, diff, prune, merge).

use std::fs;
use std::io::BufReader;
use std::path::Path;

use serde_json::Value;

use crate::common::{decode_png, run, scratch, stderr};

fn index(dir: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(dir.join("index.json")).unwrap()).unwrap()
}

fn trace(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["trace", "examples/oled.toml", "-o", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

fn assert_no_panic(o: &std::process::Output) {
    assert!(!stderr(o).contains("panicked"), "panicked: {}", stderr(o));
}

#[test]
fn trace_writes_a_complete_trace_that_independent_readers_agree_with() {
    let root = scratch("trace-readers");
    let (one, many) = (root.join("one"), root.join("many"));
    // 4 s = 240 ticks = 4 chunks of 60, so 3 workers really run (one chunk each at least).
    let o = trace(&one, &["--seconds", "4", "--workers", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("× real time, 1 workers"), "{}", stderr(&o));
    let o = trace(&many, &["--seconds", "4", "--workers", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("× real time, 3 workers"), "{}", stderr(&o));
    let (a, b) = (index(&one), index(&many));
    assert_eq!(a["digest"], b["digest"], "the worker count changed the digest");
    assert_eq!(a["frames"].as_array().unwrap().len(), 240);
    assert_eq!(a["rate"], serde_json::json!({ "num": 60, "den": 1 }));
    assert_eq!(a["frame_count"], 240);
    for name in ["trace.gif", "trace.apng", "frames.tfs", "scene.toml"] {
        assert_eq!(fs::read(one.join(name)).unwrap(), fs::read(many.join(name)).unwrap(), "{name} differs");
    }
    let frames = a["frames"].as_array().unwrap();
    assert!(frames.iter().all(|f| f["entry"] == 0), "the first 4 s are playlist entry 0");

    // GIF, decoded with the gif crate: every frame's hash and delay match the index.
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let gif_bytes = fs::read(one.join("trace.gif")).unwrap();
    let mut dec = opts.read_info(&gif_bytes[..]).unwrap();
    let mut gif_frames = Vec::new();
    while let Some(f) = dec.read_next_frame().unwrap() {
        assert_eq!((f.width, f.height), (128, 64));
        gif_frames.push((f.delay, hash(&f.buffer)));
    }
    assert_eq!(dec.repeat(), gif::Repeat::Infinite, "the GIF loops forever");
    // And the bytes say so: the NETSCAPE2.0 application extension with loop count 0.
    let netscape = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00";
    assert!(gif_bytes.windows(netscape.len()).any(|w| w == netscape), "no endless-loop extension");
    let total_cs: u32 = gif_frames.iter().map(|f| u32::from(f.0)).sum();
    assert!((i64::from(total_cs) * 10 - 4000).abs() <= 10, "GIF lasts {total_cs} cs");
    for f in frames {
        let g = f["gif_frame"].as_u64().unwrap() as usize;
        assert_eq!(Value::from(gif_frames[g].1.clone()), f["gif_hash"], "tick {}", f["tick"]);
        if f["gif_merged"] != true {
            assert_eq!(u64::from(gif_frames[g].0), f["gif_delay_cs"].as_u64().unwrap());
        }
    }
    assert_eq!(gif_frames.len() as u64, a["files"]["gif"]["frames"].as_u64().unwrap());

    // APNG, decoded with the png crate: lossless frames with exact delays.
    let mut r = png::Decoder::new(BufReader::new(fs::File::open(one.join("trace.apng")).unwrap()))
        .read_info()
        .unwrap();
    assert_eq!(r.info().animation_control.unwrap().num_frames, 240);
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    for f in frames {
        r.next_frame(&mut buf).unwrap();
        let fc = r.info().frame_control.unwrap();
        assert_eq!((fc.delay_num, fc.delay_den), (1, 60));
        assert_eq!(Value::from(hash(&buf)), f["hash"]);
    }

    // verify passes.
    let o = run(&["verify", one.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("ok: 240 frames"), "{}", stderr(&o));
    assert!(stderr(&o).contains("× real time"), "{}", stderr(&o));
}

#[test]
fn sixty_fps_gif_delays_follow_2_2_1() {
    let dir = scratch("trace-221");
    // A scene that changes every tick, so no GIF frame is merged.
    let scene = dir.join("noise.toml");
    fs::write(&scene, "seed = 3\nscene = \"random-pixels\"\n[display]\nwidth = 16\nheight = 8\nfps = 60\n")
        .unwrap();
    let out = dir.join("t");
    let o = run(&[
        "trace",
        scene.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--seconds",
        "0.5",
        "--format",
        "gif",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let delays: Vec<u64> = index(&out)["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["gif_delay_cs"].as_u64().unwrap())
        .collect();
    assert_eq!(&delays[..6], &[2, 2, 1, 2, 2, 1]);
    let o = run(&["verify", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn trace_refuses_a_non_empty_folder_unless_forced() {
    let dir = scratch("trace-force");
    fs::write(dir.join("other.txt"), "x").unwrap();
    let o = trace(&dir, &["--seconds", "0.1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(!dir.join("index.json").exists());
    let o = trace(&dir, &["--seconds", "0.1", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("index.json").exists() && dir.join("other.txt").exists());
}

#[test]
fn corrupted_traces_are_named_and_never_panic() {
    let root = scratch("trace-corrupt");
    let good = root.join("good");
    let o = trace(&good, &["--seconds", "0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let copy = |name: &str| {
        let d = root.join(name);
        fs::create_dir_all(&d).unwrap();
        for e in fs::read_dir(&good).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
        d
    };
    // Truncated index: unreadable input.
    let d = copy("index-truncated");
    let text = fs::read(d.join("index.json")).unwrap();
    fs::write(d.join("index.json"), &text[..text.len() / 2]).unwrap();
    let o = run(&["verify", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("index.json"), "{}", stderr(&o));
    assert_no_panic(&o);
    // Edited index: a mismatch naming the tick, and a diff picture.
    let d = copy("index-edited");
    let mut v = index(&d);
    v["frames"][7]["hash"] = Value::from("0".repeat(32));
    fs::write(d.join("index.json"), serde_json::to_string(&v).unwrap()).unwrap();
    let o = run(&["verify", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("index.json` at tick 7"), "{}", stderr(&o));
    let pic = decode_png(&d.join("verify-tick-7.png"));
    assert_eq!((pic.width(), pic.height()), (3 * 128, 64));
    // Truncated or edited GIF, APNG, frame store: exit 1 naming the file.
    for (name, file) in [("gif", "trace.gif"), ("apng", "trace.apng"), ("tfs", "frames.tfs")] {
        for how in ["truncated", "edited"] {
            let d = copy(&format!("{name}-{how}"));
            let mut bytes = fs::read(d.join(file)).unwrap();
            if how == "truncated" {
                bytes.truncate(bytes.len() * 2 / 3);
            } else {
                let at = bytes.len() / 2;
                for b in &mut bytes[at..at + 16] {
                    *b ^= 0x5a;
                }
            }
            fs::write(d.join(file), &bytes).unwrap();
            let o = run(&["verify", d.to_str().unwrap()]);
            assert_no_panic(&o);
            assert!(matches!(o.status.code(), Some(1 | 2)), "{file} {how}: {}", stderr(&o));
            assert!(stderr(&o).contains(file), "{file} {how} not named: {}", stderr(&o));
        }
    }
    // A missing scene asset: exit 2 with a clear message.
    let d = root.join("asset");
    let o = run(&["trace", "examples/totem.toml", "-o", d.to_str().unwrap(), "--ticks", "0..3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["verify", d.to_str().unwrap(), "--assets", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--assets"), "{}", stderr(&o));
}

#[test]
fn diff_names_the_first_differing_tick_and_replay_plays_the_store() {
    let root = scratch("trace-diff");
    let (a, b, c) = (root.join("a"), root.join("b"), root.join("c"));
    let scene = root.join("noise.toml");
    fs::write(&scene, "scene = \"random-pixels\"\n[display]\nwidth = 32\nheight = 16\nfps = 60\n").unwrap();
    for (d, extra) in [(&a, &["--seed", "1"][..]), (&b, &["--seed", "1"]), (&c, &["--seed", "2"])] {
        let o = run(&[
            "trace",
            scene.to_str().unwrap(),
            "-o",
            d.to_str().unwrap(),
            "--ticks",
            "0..20",
            "--format",
            "tfs",
            extra[0],
            extra[1],
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run(&["trace", "diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["trace", "diff", a.to_str().unwrap(), c.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("first difference at tick 0"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    let frames = root.join("frames");
    let o = run(&["replay", a.to_str().unwrap(), "--out", &format!("png-dir:{}", frames.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let idx = index(&a);
    for t in [0usize, 19] {
        let f = decode_png(&frames.join(format!("frame-{t:06}.png")));
        assert_eq!(Value::from(hash(f.as_bytes())), idx["frames"][t]["hash"]);
    }
}

#[test]
fn replay_keeps_the_recorded_pace() {
    let root = scratch("trace-replay-pace");
    let dir = root.join("t");
    let o = trace(&dir, &["--seconds", "1", "--format", "tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = root.join("replay.json");
    let o = run(&["replay", dir.to_str().unwrap(), "--out", "null", "--report", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["paced"], true);
    assert_eq!(r["presented"], 60);
    assert_eq!(r["interval_ms"]["count"], 59);
    let period = r["period_ms"].as_f64().unwrap();
    assert!((period - 1000.0 / 60.0).abs() < 1e-9);
    // The measured intervals, not the test's wall clock: the median is the period.
    let p50 = r["interval_ms"]["p50"].as_f64().unwrap();
    assert!((p50 - period).abs() < 0.5, "interval p50 {p50} ms, period {period} ms");
    let mean = r["interval_ms"]["mean"].as_f64().unwrap();
    assert!((mean - period).abs() < 1.0, "interval mean {mean} ms: the replay drifted");
    // --fast does not pace.
    let o = run(&[
        "replay",
        dir.to_str().unwrap(),
        "--out",
        "null",
        "--fast",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["paced"], false);
}

#[test]
fn fseq_export_reads_back() {
    let dir = scratch("trace-fseq").join("t");
    let o = trace(&dir, &["--seconds", "1", "--fps", "40", "--format", "fseq,tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = fs::read(dir.join("trace.fseq")).unwrap();
    assert_eq!(&b[..4], b"PSEQ");
    assert_eq!((b[7], b[6]), (2, 0), "version 2.0");
    let u16_at = |a: usize| usize::from(u16::from_le_bytes([b[a], b[a + 1]]));
    let u32_at = |a: usize| u32::from_le_bytes(b[a..a + 4].try_into().unwrap()) as usize;
    let (data_at, channels, frames, step) = (u16_at(4), u32_at(10), u32_at(14), b[18]);
    assert_eq!((channels, frames, step), (128 * 64 * 3, 40, 25));
    assert_eq!(b[20] & 0x0f, 1, "zstd");
    let blocks = usize::from(b[21]);
    assert!(blocks >= 1 && b[22] == 0);
    let mut data = Vec::new();
    let mut at = data_at;
    for k in 0..blocks {
        let len = u32_at(32 + 8 * k + 4);
        data.extend(zstd::bulk::decompress(&b[at..at + len], 1 << 26).unwrap());
        at += len;
    }
    assert_eq!(at, b.len());
    assert_eq!(data.len(), channels * frames);
    // At 40 fps (25 ms) FSEQ frame k is tick k: compare with the replayed store.
    let pngs = dir.parent().unwrap().join("pngs");
    let o = run(&["replay", dir.to_str().unwrap(), "--out", &format!("png-dir:{}", pngs.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    for k in [0usize, 39] {
        let f = decode_png(&pngs.join(format!("frame-{k:06}.png")));
        let rgb: Vec<u8> = f.as_bytes().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(&data[k * channels..(k + 1) * channels], &rgb[..], "frame {k}");
    }
    let o = run(&["verify", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// FSEQ v2 at 60 fps, read back field by field against the published layout (FPP's
/// `FSEQ_Sequence_File_Format.txt`): 32-byte header, block table, variable header `sp`,
/// zstd blocks; 17 ms steps, FSEQ frame k showing tick ⌊k·17·60/1000⌋.
#[test]
fn fseq_at_60_fps_has_the_published_header_and_17_ms_steps() {
    let root = scratch("trace-fseq-60");
    let dir = root.join("t");
    let o = trace(&dir, &["--seconds", "1", "--format", "fseq,tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = fs::read(dir.join("trace.fseq")).unwrap();
    let u16_at = |a: usize| usize::from(u16::from_le_bytes([b[a], b[a + 1]]));
    let u32_at = |a: usize| u32::from_le_bytes(b[a..a + 4].try_into().unwrap()) as usize;
    // Fixed header.
    assert_eq!(&b[0..4], b"PSEQ", "magic");
    assert_eq!((b[7], b[6]), (2, 0), "major 2, minor 0");
    let channels = 128 * 64 * 3;
    assert_eq!(u32_at(10), channels, "channels = pixels x 3");
    let frames = 59; // ceil(1000 ms / 17 ms)
    assert_eq!(u32_at(14), frames, "frame count");
    assert_eq!(b[18], 17, "step time: round(1000/60) ms");
    assert_eq!(b[19], 0, "flags");
    assert_eq!(b[20] & 0x0f, 1, "compression type zstd");
    let blocks = usize::from(b[21]) | (usize::from(b[20] >> 4) << 8);
    assert!((1..=255).contains(&blocks), "{blocks} blocks");
    assert_eq!(b[22], 0, "no sparse ranges");
    assert_eq!(b[23], 0, "reserved");
    let header_len = u16_at(8);
    assert_eq!(header_len, 32 + 8 * blocks, "variable headers follow the block table");
    // Variable header `sp` (sequence producer), NUL-terminated, then the channel data.
    let data_at = u16_at(4);
    let var_len = u16_at(header_len);
    assert_eq!(&b[header_len + 2..header_len + 4], b"sp");
    assert_eq!(header_len + var_len, data_at);
    let producer = std::str::from_utf8(&b[header_len + 4..data_at - 1]).unwrap();
    assert!(producer.starts_with("tickframe ") && b[data_at - 1] == 0, "{producer}");
    // The id is reproducible: a second export writes the same file.
    let again = root.join("again");
    let o = trace(&again, &["--seconds", "1", "--format", "fseq,tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(again.join("trace.fseq")).unwrap(), b, "FSEQ export is not reproducible");
    assert_ne!(&b[24..32], &[0; 8], "64-bit id");
    // Blocks: consecutive frames, lengths adding up to the file.
    let mut data = Vec::new();
    let mut at = data_at;
    let mut next_frame = 0;
    for k in 0..blocks {
        let (first, len) = (u32_at(32 + 8 * k), u32_at(32 + 8 * k + 4));
        assert_eq!(first, next_frame, "block {k} starts at frame {first}");
        let block = zstd::bulk::decompress(&b[at..at + len], 1 << 26).unwrap();
        assert_eq!(block.len() % channels, 0, "block {k} holds whole frames");
        next_frame += block.len() / channels;
        data.extend(block);
        at += len;
    }
    assert_eq!(at, b.len(), "nothing after the last block");
    assert_eq!(next_frame, frames);
    // Every FSEQ frame k is tick floor(k * 17 * 60 / 1000): compare with the frame store.
    let pngs = root.join("pngs");
    let o = run(&["replay", dir.to_str().unwrap(), "--out", &format!("png-dir:{}", pngs.display())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown: Vec<u64> = (0..frames as u64).map(fseq_tick_60).collect();
    assert_eq!(shown.iter().filter(|&&t| t == 50).count(), 0, "tick 50 is skipped (17 ms steps)");
    assert_eq!(*shown.last().unwrap(), 59);
    for (k, t) in shown.iter().enumerate() {
        let f = decode_png(&pngs.join(format!("frame-{t:06}.png")));
        let rgb: Vec<u8> = f.as_bytes().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert!(data[k * channels..(k + 1) * channels] == rgb[..], "FSEQ frame {k} is not tick {t}");
    }
    let v = index(&dir);
    assert_eq!(v["files"]["fseq"]["step_ms"], 17);
    assert_eq!(v["files"]["fseq"]["frames"], 59);
    let o = run(&["verify", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn shards_merge_into_the_digest_of_a_single_export() {
    let root = scratch("trace-merge");
    let whole = root.join("whole");
    let totem = |dir: &Path, ticks: &str, format: &str| {
        let o = run(&[
            "trace",
            "examples/totem.toml",
            "-o",
            dir.to_str().unwrap(),
            "--ticks",
            ticks,
            "--format",
            format,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    totem(&whole, "0..50", "all");
    let mut shards = Vec::new();
    for r in ["20..50", "0..20"] {
        let d = root.join(r.replace("..", "-"));
        totem(&d, r, "all");
        shards.push(d);
    }
    let merge = |dirs: &[&Path], out: &Path| {
        let mut args = vec!["trace", "merge"];
        args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
        args.extend(["-o", out.to_str().unwrap()]);
        let o = run(&args);
        assert_no_panic(&o);
        o
    };
    let merged = root.join("merged");
    let o = merge(&[&shards[0], &shards[1]], &merged);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(index(&merged)["digest"], index(&whole)["digest"]);
    assert_eq!(index(&merged)["files"], index(&whole)["files"]);
    for name in ["trace.gif", "trace.apng", "frames.tfs", "trace.fseq"] {
        assert_eq!(fs::read(merged.join(name)).unwrap(), fs::read(whole.join(name)).unwrap(), "{name}");
    }
    let o = run(&["verify", merged.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Refused, exit 2, nothing merged: a gap, an overlap, different files, an edited scene.
    let gap = merge(&[&shards[0], &whole], &root.join("bad-gap"));
    assert_eq!(gap.status.code(), Some(2), "{}", stderr(&gap));
    let overlap = root.join("10-30");
    totem(&overlap, "10..30", "all");
    let o = merge(&[&shards[1], &overlap], &root.join("bad-overlap"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ends at tick 20") && stderr(&o).contains("starts at tick 10"),
        "{}",
        stderr(&o)
    );
    let tfs_only = root.join("20-50-tfs");
    totem(&tfs_only, "20..50", "tfs");
    let o = merge(&[&shards[1], &tfs_only], &root.join("bad-formats"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("different files"), "{}", stderr(&o));
    let edited = root.join("edited");
    fs::create_dir_all(&edited).unwrap();
    for e in fs::read_dir(&shards[1]).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), edited.join(e.file_name())).unwrap();
    }
    let mut scene = fs::read_to_string(edited.join("scene.toml")).unwrap();
    scene.push_str("\n# edited\n");
    fs::write(edited.join("scene.toml"), scene).unwrap();
    let o = merge(&[&edited, &shards[0]], &root.join("bad-scene"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("scene.toml") && stderr(&o).contains("was edited"), "{}", stderr(&o));
    for bad in ["bad-gap", "bad-overlap", "bad-formats", "bad-scene"] {
        assert!(!root.join(bad).join("index.json").exists(), "{bad} left an index");
    }
}

#[test]
fn absurd_tick_ranges_are_refused_without_allocating() {
    let root = scratch("trace-absurd");
    for (i, extra) in [
        &["--ticks", "0..18446744073709551615", "--format", "tfs"][..],
        &["--seconds", "1e9"],
        &["--ticks", "0..16777217"],
    ]
    .iter()
    .enumerate()
    {
        let d = root.join(i.to_string());
        let o = trace(&d, extra);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("a trace holds at most 16777216"), "{extra:?}: {}", stderr(&o));
        assert!(!d.exists() || fs::read_dir(&d).unwrap().next().is_none(), "{extra:?} wrote files");
    }
    // The very last ticks of the counter work (no overflow at the end of the range).
    let d = root.join("end");
    let o = trace(&d, &["--ticks", "18446744073709551610..18446744073709551615", "--format", "all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(index(&d)["frame_count"], 5);
    let o = run(&["verify", d.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn prune_applies_the_policy_inside_root_only() {
    let root = scratch("trace-prune");
    for name in ["old", "mid", "new"] {
        let o = trace(&root.join(name), &["--ticks", "0..2", "--format", "tfs"]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    fs::create_dir_all(root.join("partial")).unwrap();
    fs::write(root.join("partial/frames.tfs"), "x").unwrap();
    fs::create_dir_all(root.join("notes")).unwrap();
    let o = run(&["trace", "prune", root.to_str().unwrap(), "--keep", "1", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(root.join("old/index.json").exists());
    let o = run(&["trace", "prune", root.to_str().unwrap(), "--keep", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!root.join("old").exists() && !root.join("mid").exists());
    assert!(
        root.join("new/index.json").exists()
            && root.join("partial/frames.tfs").exists()
            && root.join("notes").exists()
    );
    let o = run(&["trace", "prune", root.join("missing").to_str().unwrap(), "--keep", "1"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Sets the modification time of every file in `dir` to `age` ago.
#[cfg(unix)]
fn age_files(dir: &Path, age: std::time::Duration) {
    let when = std::time::SystemTime::now() - age;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.symlink_metadata().unwrap().is_file() {
            fs::File::options().append(true).open(&p).unwrap().set_modified(when).unwrap();
        }
    }
}

#[cfg(unix)]
fn folder_bytes(dir: &Path) -> u64 {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().symlink_metadata().unwrap().len()).sum()
}

#[cfg(unix)]
#[test]
fn prune_by_size_age_and_incompleteness_never_follows_links() {
    use std::time::Duration;
    let hour = Duration::from_secs(3600);
    let root = scratch("trace-prune-rules");
    let traces = root.join("traces");
    for (name, age) in [("new", Duration::ZERO), ("mid", hour), ("old", 48 * hour)] {
        let o = trace(&traces.join(name), &["--ticks", "0..2", "--format", "tfs"]);
        assert!(o.status.success(), "{}", stderr(&o));
        age_files(&traces.join(name), age);
    }
    // An interrupted export (no index) and a trace whose index is inconsistent: both incomplete.
    fs::create_dir_all(traces.join("partial")).unwrap();
    fs::write(traces.join("partial/frames.tfs"), "x").unwrap();
    let o = trace(&traces.join("edited"), &["--ticks", "0..2", "--format", "tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut v = index(&traces.join("edited"));
    v["frames"][1]["hash"] = Value::from("0".repeat(32));
    fs::write(traces.join("edited/index.json"), serde_json::to_string(&v).unwrap()).unwrap();
    age_files(&traces.join("edited"), 3 * hour);
    // A trace outside ROOT, reached through a link inside ROOT and from inside a trace.
    let outside = root.join("outside");
    let o = trace(&outside, &["--ticks", "0..2", "--format", "tfs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    age_files(&outside, 100 * hour);
    std::os::unix::fs::symlink(&outside, traces.join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("index.json"), traces.join("old/escape")).unwrap();
    let prune = |extra: &[&str]| {
        let mut args = vec!["trace", "prune", traces.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let exists = |name: &str| traces.join(name).exists();

    // --max-total-mb: room for the newest trace only (sizes in 10^6 bytes).
    let limit = (folder_bytes(&traces.join("new")) + 10) as f64 / 1e6;
    let out = prune(&["--max-total-mb", &limit.to_string(), "--dry-run"]);
    assert!(out.contains("over the total size limit"), "{out}");
    assert!(exists("old") && exists("mid"), "a dry run removed something");
    // --older-than: only the 48-hour-old trace.
    let out = prune(&["--older-than", "1d"]);
    assert!(!exists("old") && exists("mid") && exists("new"), "{out}");
    assert!(outside.join("index.json").exists(), "removing `old` followed its link out of ROOT");
    assert!(exists("edited") && exists("partial"), "incomplete folders removed without --incomplete: {out}");
    // --max-total-mb for real: `mid` goes.
    let out = prune(&["--max-total-mb", &limit.to_string()]);
    assert!(!exists("mid") && exists("new"), "{out}");
    // --incomplete: the 3-hour-old inconsistent trace goes, the fresh partial export stays.
    let out = prune(&["--incomplete"]);
    assert!(!exists("edited"), "{out}");
    assert!(exists("partial"), "an export under an hour old was removed: {out}");
    age_files(&traces.join("partial"), 2 * hour);
    let out = prune(&["--incomplete", "--keep", "0"]);
    assert!(!exists("partial") && !exists("new"), "{out}");
    // The link and what it points at were never touched.
    assert!(traces.join("link").symlink_metadata().unwrap().file_type().is_symlink());
    assert!(outside.join("index.json").exists() && outside.join("frames.tfs").exists());
}

/// Starts `tickframe ARGS`, sends it SIGINT after `after`, and returns its exit code and stderr.
#[cfg(unix)]
fn interrupt(args: &[&str], after: std::time::Duration) -> (Option<i32>, String) {
    let child = crate::common::bin()
        .args(args)
        .current_dir(crate::common::repo())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let o = child.wait_with_output().unwrap();
    (o.status.code(), stderr(&o))
}

#[cfg(unix)]
#[test]
fn an_interrupted_export_leaves_no_index() {
    let dir = scratch("trace-interrupt").join("t");
    let (code, err) = interrupt(
        &["trace", "examples/totem.toml", "--seconds", "600", "-o", dir.to_str().unwrap()],
        std::time::Duration::from_millis(1500),
    );
    // Without the handler SIGINT would kill the process (no exit code, no message).
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("interrupted: no index was written, so the folder is not a trace"), "{err}");
    assert!(dir.join("trace.gif").exists(), "the export had not started");
    assert!(!dir.join("index.json").exists(), "an interrupted export left an index");
}

#[cfg(unix)]
#[test]
fn an_interrupted_verify_says_so_with_its_own_exit_code() {
    let dir = scratch("trace-interrupt-verify").join("t");
    let o = run(&[
        "trace",
        "examples/totem.toml",
        "--ticks",
        "0..360",
        "--format",
        "tfs",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (code, err) = interrupt(&["verify", dir.to_str().unwrap()], std::time::Duration::from_millis(1000));
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted: verification stopped before every frame was checked"), "{err}");
    assert!(!err.contains("no index was written"), "{err}");
    assert!(dir.join("index.json").exists(), "verify touched the trace");
}

/// Where frames live inside the files of a trace, found by walking each format's own structure
/// (independently of the reader under test): the frame (or tick) whose data holds byte `at`.
mod layout {
    /// GIF: the 0-based frame whose image data (or extension) holds byte `at`.
    pub fn gif_frame_at(b: &[u8], at: usize) -> Option<u64> {
        let mut p = 13;
        if b[10] & 0x80 != 0 {
            p += 3 << ((b[10] & 7) + 1);
        }
        let mut frame = 0u64;
        let skip_sub_blocks = |mut p: usize| {
            while p < b.len() && b[p] != 0 {
                p += usize::from(b[p]) + 1;
            }
            p + 1
        };
        while p < b.len() {
            let start = p;
            match b[p] {
                0x21 => p = skip_sub_blocks(p + 2),
                0x2c => {
                    let flags = b[p + 9];
                    p += 10;
                    if flags & 0x80 != 0 {
                        p += 3 << ((flags & 7) + 1);
                    }
                    p = skip_sub_blocks(p + 1);
                    if (start..p).contains(&at) {
                        return Some(frame);
                    }
                    frame += 1;
                    continue;
                }
                _ => return None,
            }
            if (start..p).contains(&at) {
                // A graphic control extension belongs to the frame after it.
                return Some(frame);
            }
        }
        None
    }

    /// APNG: the 0-based animation frame whose chunks (fcTL, IDAT/fdAT) hold byte `at`.
    pub fn apng_frame_at(b: &[u8], at: usize) -> Option<u64> {
        let mut p = 8;
        let mut frames = 0u64;
        while p + 12 <= b.len() {
            let len = u32::from_be_bytes(b[p..p + 4].try_into().unwrap()) as usize;
            let kind = &b[p + 4..p + 8];
            if kind == b"fcTL" {
                frames += 1;
            }
            let end = p + 12 + len;
            if (p..end).contains(&at) {
                return frames.checked_sub(1);
            }
            p = end;
        }
        None
    }

    /// Frame store: the tick whose payload holds byte `at` (from the table of an intact store).
    pub fn tfs_tick_at(b: &[u8], at: usize) -> Option<u64> {
        let n = b.len();
        let table = u64::from_le_bytes(b[n - 32..n - 24].try_into().unwrap()) as usize;
        let count = u64::from_le_bytes(b[n - 24..n - 16].try_into().unwrap()) as usize;
        let first = u64::from_le_bytes(b[32..40].try_into().unwrap());
        (0..count).find_map(|i| {
            let e = &b[table + 32 * i..];
            let off = u64::from_le_bytes(e[..8].try_into().unwrap()) as usize;
            let len = u32::from_le_bytes(e[8..12].try_into().unwrap()) as usize;
            (off..off + len).contains(&at).then_some(first + i as u64)
        })
    }

    /// FSEQ: the first frame of the compression block holding byte `at`.
    pub fn fseq_frame_at(b: &[u8], at: usize) -> Option<u64> {
        let data = usize::from(u16::from_le_bytes([b[4], b[5]]));
        let blocks = usize::from(b[21]) | (usize::from(b[20] >> 4) << 8);
        let mut p = data;
        for k in 0..blocks {
            let e = &b[32 + 8 * k..];
            let first = u32::from_le_bytes(e[..4].try_into().unwrap());
            let len = u32::from_le_bytes(e[4..8].try_into().unwrap()) as usize;
            if (p..p + len).contains(&at) {
                return Some(u64::from(first));
            }
            p += len;
        }
        None
    }
}

/// The tick FSEQ frame `k` shows at 60 fps in 17 ms steps (independent of the library:
/// the tick whose interval holds k·17 ms).
fn fseq_tick_60(k: u64) -> u64 {
    k * 17 * 60 / 1000
}

#[test]
fn every_corruption_of_every_file_is_named_with_its_tick_and_never_panics() {
    let root = scratch("trace-corrupt-table");
    let good = root.join("good");
    // Ticks 440..560 of oled: the wipe into `life`, then life (changes every tick); all formats.
    let o = trace(&good, &["--ticks", "440..560", "--format", "all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = 440u64;
    let idx = index(&good);
    let copy = |name: &str| {
        let d = root.join(name);
        fs::create_dir_all(&d).unwrap();
        for e in fs::read_dir(&good).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
        d
    };
    let verify = |d: &Path| {
        let o = run(&["verify", d.to_str().unwrap()]);
        assert_no_panic(&o);
        (o.status.code(), stderr(&o))
    };
    type Edit = Box<dyn Fn(&mut Value)>;
    // Edits of index.json: (name, edit, exit code, text that must appear).
    let edits: Vec<(&str, Edit, i32, String)> = vec![
        (
            "frame_count+1",
            Box::new(|v| v["frame_count"] = Value::from(v["frame_count"].as_u64().unwrap() + 1)),
            2,
            "frame_count is 121 but there are 120 frame records".into(),
        ),
        (
            "frame_count-1",
            Box::new(|v| v["frame_count"] = Value::from(v["frame_count"].as_u64().unwrap() - 1)),
            2,
            "frame_count is 119".into(),
        ),
        (
            "tick-99999",
            Box::new(|v| v["frames"][5]["tick"] = Value::from(99999)),
            2,
            "record 5 (tick 445): has tick 99999".into(),
        ),
        ("first_tick-max", Box::new(|v| v["first_tick"] = Value::from(u64::MAX)), 2, "overflows".into()),
        ("rate-zero", Box::new(|v| v["rate"]["num"] = Value::from(0)), 2, "invalid frame rate 0/1".into()),
        ("width-zero", Box::new(|v| v["width"] = Value::from(0)), 2, "invalid frame size 0x64".into()),
        ("width-huge", Box::new(|v| v["width"] = Value::from(1u64 << 31)), 2, "invalid frame size".into()),
        (
            "hash-malformed",
            Box::new(|v| v["frames"][3]["hash"] = Value::from("xyz")),
            2,
            "record 3 (tick 443): hash is not 32 hex digits".into(),
        ),
        (
            "gif_hash-malformed",
            Box::new(|v| v["frames"][4]["gif_hash"] = Value::from("0")),
            2,
            "record 4 (tick 444): gif_hash".into(),
        ),
        (
            "time-edited",
            Box::new(|v| v["frames"][6]["time"] = Value::from("1/2")),
            2,
            "record 6 (tick 446): time 1/2".into(),
        ),
        (
            "file-name-escapes",
            Box::new(|v| v["files"]["gif"]["name"] = Value::from("../../etc/passwd")),
            2,
            "files.gif.name".into(),
        ),
        (
            "hash-edited",
            Box::new(|v| v["frames"][7]["hash"] = Value::from("0".repeat(32))),
            1,
            "index.json` at tick 447".into(),
        ),
        (
            "entry-edited",
            Box::new(|v| v["frames"][9]["entry"] = Value::from(5)),
            1,
            "index.json: tick 449: the active playlist entry is 0 when re-rendered, the index says 5".into(),
        ),
        (
            "gif_hash-edited",
            Box::new(|v| {
                let f = v["frames"].as_array_mut().unwrap().iter_mut().find(|f| f["tick"] == 500).unwrap();
                f["gif_hash"] = Value::from("1".repeat(32));
            }),
            1,
            "tick 500".into(),
        ),
    ];
    for (name, edit, code, text) in &edits {
        let d = copy(name);
        let mut v = index(&d);
        edit(&mut v);
        fs::write(d.join("index.json"), serde_json::to_string(&v).unwrap()).unwrap();
        let (got, err) = verify(&d);
        assert_eq!(got, Some(*code), "{name}: {err}");
        assert!(err.contains("index.json"), "{name}: index.json not named: {err}");
        assert!(err.contains(text.as_str()), "{name}: expected `{text}` in: {err}");
        if *code == 2 {
            // trace diff checks the index first too.
            let o = run(&["trace", "diff", d.to_str().unwrap(), good.to_str().unwrap()]);
            assert_no_panic(&o);
            assert_eq!(o.status.code(), Some(2), "diff {name}: {}", stderr(&o));
            assert!(stderr(&o).contains("index.json"), "diff {name}: {}", stderr(&o));
        }
    }
    // An edited gif_hash is also caught against a fresh colour reduction of the re-render.
    let (_, err) = verify(&root.join("gif_hash-edited"));
    assert!(err.contains("fresh colour reduction"), "{err}");

    // Headers claiming huge frames: reported, nothing allocated for them (no abort).
    for (file, at, value) in [
        ("trace.gif", 6, &[0xff, 0xff][..]),
        ("trace.apng", 16, &[0x00, 0x00, 0xff, 0xff][..]),
        ("frames.tfs", 12, &[0x00, 0x40, 0x00, 0x00][..]),
        ("trace.fseq", 10, &[0xff, 0xff, 0xff, 0xff][..]),
    ] {
        let d = copy(&format!("{file}-header"));
        let mut b = fs::read(d.join(file)).unwrap();
        b[at..at + value.len()].copy_from_slice(value);
        fs::write(d.join(file), &b).unwrap();
        let (code, err) = verify(&d);
        assert_eq!(code, Some(1), "{file} header: {err}");
        assert!(err.contains(file), "{file} header not named: {err}");
    }

    // Truncation and a flipped byte in each file: (file, where the frame at a byte lies).
    let gif_tick = |n: u64| {
        idx["frames"].as_array().unwrap().iter().find(|f| f["gif_frame"] == n).unwrap()["tick"]
            .as_u64()
            .unwrap()
    };
    for file in ["index.json", "trace.gif", "trace.apng", "frames.tfs", "trace.fseq"] {
        let bytes = fs::read(good.join(file)).unwrap();
        for how in ["truncated", "flipped"] {
            let d = copy(&format!("{file}-{how}"));
            let at = match how {
                "truncated" => bytes.len() * 2 / 3,
                _ => bytes.len() / 2,
            };
            let mut b = bytes.clone();
            if how == "truncated" {
                b.truncate(at);
            } else {
                b[at] ^= 0x5a;
            }
            fs::write(d.join(file), &b).unwrap();
            let tick = match file {
                "trace.gif" => layout::gif_frame_at(&bytes, at).map(gif_tick),
                "trace.apng" => layout::apng_frame_at(&bytes, at).map(|n| first + n),
                "frames.tfs" => layout::tfs_tick_at(&bytes, at),
                "trace.fseq" => layout::fseq_frame_at(&bytes, at).map(|k| first + fseq_tick_60(k)),
                _ => None,
            };
            let (code, err) = verify(&d);
            let what = format!("{file} {how} at byte {at} of {}", bytes.len());
            assert!(matches!(code, Some(1 | 2)), "{what}: exit {code:?}: {err}");
            assert!(err.contains(file), "{what}: file not named: {err}");
            if file == "index.json" {
                continue;
            }
            assert_eq!(code, Some(1), "{what}: {err}");
            let tick = tick.unwrap_or_else(|| panic!("{what}: byte not inside a frame"));
            assert!(
                err.contains(&format!("{file}: tick {tick}:")),
                "{what}: expected tick {tick} named: {err}"
            );
            if file != "trace.gif" {
                let kind = match file {
                    "trace.apng" => "apng",
                    "frames.tfs" => "tfs",
                    _ => "fseq",
                };
                let pic = d.join(format!("verify-{kind}-tick-{tick}.png"));
                assert!(pic.exists(), "{what}: no picture {}: {err}", pic.display());
                let p = decode_png(&pic);
                assert_eq!((p.width(), p.height()), (3 * 128, 64));
            }
        }
    }
}

#[test]
fn fseq_frames_are_checked_without_a_frame_store() {
    let root = scratch("trace-fseq-nostore");
    let d = root.join("t");
    let o = trace(&d, &["--ticks", "470..530", "--format", "fseq"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!d.join("frames.tfs").exists());
    let o = run(&["verify", d.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Overwrite block 1 with block 0 (fixing up the block table so the file stays well formed).
    let b = fs::read(d.join("trace.fseq")).unwrap();
    let data = usize::from(u16::from_le_bytes([b[4], b[5]]));
    let len = |k: usize| u32::from_le_bytes(b[32 + 8 * k + 4..32 + 8 * k + 8].try_into().unwrap()) as usize;
    let first_of = |k: usize| u32::from_le_bytes(b[32 + 8 * k..32 + 8 * k + 4].try_into().unwrap());
    assert_eq!(first_of(1), 1, "one frame per block at this length");
    let (l0, l1) = (len(0), len(1));
    let mut out = b[..data].to_vec();
    out[32 + 12..32 + 16].copy_from_slice(&(l0 as u32).to_le_bytes());
    out.extend_from_slice(&b[data..data + l0]);
    out.extend_from_slice(&b[data..data + l0]);
    out.extend_from_slice(&b[data + l0 + l1..]);
    fs::write(d.join("trace.fseq"), &out).unwrap();
    let o = run(&["verify", d.to_str().unwrap()]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let tick = 470 + fseq_tick_60(1);
    assert!(
        stderr(&o)
            .contains(&format!("trace.fseq: tick {tick}: FSEQ frame 1 differs from the re-rendered frame")),
        "{}",
        stderr(&o)
    );
    assert!(d.join(format!("verify-fseq-tick-{tick}.png")).exists());
}
