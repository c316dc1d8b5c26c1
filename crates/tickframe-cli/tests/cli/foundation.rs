//! The foundation's CLI promises through the binary: the scene listing tells required from
//! optional parameters; bad input gives a located message, exit code 2 and no files; interrupted
//! exports say so and exit non-zero.

use crate::common::{run, stderr};

/// The parameter line of `name` in `tickframe scenes SCENE`'s output.
fn param_line<'a>(listing: &'a str, name: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("`{name}` not listed in:\n{listing}"))
}

#[test]
fn scenes_listing_tells_required_from_optional() {
    let o = run(&["scenes", "spritesheet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let column = |line: &str| line.split_whitespace().nth(2).map(str::to_string);
    assert_eq!(column(param_line(&text, "path")).as_deref(), Some("required"), "{text}");
    for optional in ["tag", "start", "loop", "end", "background"] {
        let line = param_line(&text, optional);
        assert!(line.contains("optional, none"), "{optional}: {line}");
        assert!(!line.contains("required"), "{optional}: {line}");
    }
    assert!(param_line(&text, "repeat").contains("default 0"), "{text}");
    let o = run(&["scenes", "text"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(param_line(&text, "background").contains("optional, none"), "{text}");
    assert!(!text.contains("required"), "text has no required parameter:\n{text}");
}

/// Whether util-linux `script` (runs a command on a pseudo-terminal) is installed.
fn script_available() -> bool {
    let ok = std::process::Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        println!("NOTICE: `script` (util-linux) is not installed; skipping the terminal progress-bar check");
    }
    ok
}

/// Runs `shell_command` with stdin, stdout and stderr on a pseudo-terminal; returns everything
/// written to the terminal.
fn on_a_terminal(shell_command: &str, scratch_dir: &std::path::Path) -> String {
    let typescript = scratch_dir.join("typescript");
    let o = std::process::Command::new("script")
        .args(["-qfec", shell_command])
        .arg(&typescript)
        .current_dir(crate::common::repo())
        .output()
        .expect("run script");
    assert!(o.status.success(), "{shell_command}: {}", stderr(&o));
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

#[test]
fn long_runs_that_are_not_real_time_show_a_progress_bar_on_a_terminal_only() {
    let bin = env!("CARGO_BIN_EXE_tickframe");
    let dir = crate::common::scratch("progress");
    // Not a terminal: no bar in stderr (the summary line "180 frames (…" is not the bar).
    for out in [&["--out", "raw"][..], &["--out", "null", "--unpaced"]] {
        let mut args = vec!["play", "examples/totem.toml", "--seconds", "3"];
        args.extend_from_slice(out);
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("/180 frames"), "{args:?}: a bar on a pipe:\n{}", stderr(&o));
    }
    if !script_available() {
        return;
    }
    // On a terminal: a bar for raw (whose stdout goes to a file, byte-exact) and unpaced null …
    let raw = dir.join("frames.rgba");
    let term = on_a_terminal(
        &format!("{bin} play examples/totem.toml --out raw --seconds 3 > '{}'", raw.display()),
        &dir,
    );
    assert!(term.contains("/180 frames"), "no bar for raw:\n{term}");
    assert_eq!(std::fs::metadata(&raw).unwrap().len(), 180 * 256 * 64 * 4, "raw stdout corrupted");
    let term =
        on_a_terminal(&format!("{bin} play examples/totem.toml --out null --unpaced --seconds 3"), &dir);
    assert!(term.contains("/180 frames"), "no bar for unpaced null:\n{term}");
    // … and none for a real-time run.
    let term = on_a_terminal(&format!("{bin} play examples/totem.toml --out null --seconds 2"), &dir);
    assert!(
        term.contains("120 frames") && !term.contains("/120 frames"),
        "a bar on a real-time run:\n{term}"
    );
}

#[test]
fn ctrl_c_during_a_png_export_says_interrupted_exits_130_and_leaves_no_manifest() {
    let dir = crate::common::scratch("interrupt");
    let frames = dir.join("frames");
    let child = crate::common::bin()
        .args(["play", "examples/totem.toml", "--seconds", "600", "--out"])
        .arg(format!("png-dir:{}", frames.display()))
        .current_dir(crate::common::repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the export is under way.
    let started = std::time::Instant::now();
    let pngs = || std::fs::read_dir(&frames).map_or(0, |d| d.filter(|e| e.is_ok()).count());
    while pngs() < 5 {
        assert!(started.elapsed().as_secs() < 120, "the export did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{msg}");
    assert!(msg.contains("error: interrupted by Ctrl-C after "), "{msg}");
    assert!(msg.contains(" of 36000 frames: the run is incomplete (no manifest.json written)"), "{msg}");
    assert!(!frames.join("manifest.json").exists(), "an interrupted export looks complete");
    assert!(pngs() >= 5);
}

/// Bad scene files through the binary: each must give exit code 2, its exact located message,
/// no panic, and leave no output behind, for `check`, `render` and `play --out png-dir`.
#[test]
fn bad_input_table_through_the_binary() {
    const DISPLAY: &str = "[display]\nwidth = 64\nheight = 32\nfps = 60\n";
    let dir = crate::common::scratch("bad-input");
    std::fs::write(dir.join("corrupt.png"), b"not a png at all").unwrap();
    let png = std::fs::read(crate::common::repo().join("examples/assets/dancing_robot.png")).unwrap();
    std::fs::write(dir.join("truncated.png"), &png[..100]).unwrap();
    std::fs::write(dir.join("bad.json"), b"{\"frames\": [}").unwrap();
    let with_display = |head: &str| format!("{head}{DISPLAY}");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed",
            "seed = \n".into(),
            "malformed.toml:1:8: invalid TOML: string values must be quoted, expected literal string",
        ),
        (
            "wrong-type",
            "scene = \"solid\"\n[display]\nwidth = \"wide\"\nheight = 32\n".into(),
            "wrong-type.toml:3:9: `display.width`: expected a whole number of pixels in 1..=16384, found \"wide\"",
        ),
        (
            "wrong-param-type",
            with_display("scene = \"solid\"\ncolor = 5\n"),
            "wrong-param-type.toml:2:9: `solid.color`: expected a colour: \"#rrggbb\", \"#rrggbbaa\" or [r, g, b] / [r, g, b, a] with 0..=255, found 5",
        ),
        (
            "size-0",
            "scene = \"solid\"\n[display]\nwidth = 0\nheight = 32\n".into(),
            "size-0.toml:3:9: `display.width`: expected a whole number of pixels in 1..=16384, found 0",
        ),
        (
            "size-20000",
            "scene = \"solid\"\n[display]\nwidth = 64\nheight = 20000\n".into(),
            "size-20000.toml:4:10: `display.height`: expected a whole number of pixels in 1..=16384, found 20000",
        ),
        (
            "fps-0",
            "scene = \"solid\"\n[display]\nwidth = 64\nheight = 32\nfps = 0\n".into(),
            "fps-0.toml:5:7: `display.fps`: expected frames per second in (0, 1000], found 0",
        ),
        (
            "unknown-field",
            "scene = \"solid\"\n[display]\nwidth = 64\nheight = 32\nfsp = 60\n".into(),
            "unknown-field.toml:5:1: unknown key `display.fsp` in `[display]` (did you mean `fps`?); expected `width`, `height`, `fps`, `color` or `threshold`",
        ),
        (
            "unknown-scene",
            with_display("scene = \"plasm\"\n"),
            "unknown-scene.toml:1:9: unknown scene `plasm` (did you mean `plasma`?); `tickframe scenes` lists the built-in scenes",
        ),
        (
            "missing-asset",
            with_display("scene = \"image\"\npath = \"nothere.png\"\n"),
            "missing-asset.toml:2:8: image: cannot read image `./nothere.png`: No such file or directory",
        ),
        (
            "corrupt-png",
            with_display("scene = \"image\"\npath = \"corrupt.png\"\n"),
            "corrupt-png.toml:2:8: image: cannot decode image `./corrupt.png`: not a PNG or JPEG file",
        ),
        (
            "truncated-png",
            with_display("scene = \"image\"\npath = \"truncated.png\"\n"),
            "truncated-png.toml:2:8: image: cannot decode image `./truncated.png`: unexpected end of file",
        ),
        (
            "corrupt-json",
            with_display("scene = \"spritesheet\"\npath = \"bad.json\"\n"),
            "corrupt-json.toml:2:8: spritesheet: `./bad.json` is not a valid Aseprite JSON export: expected value at line 1 column 13",
        ),
    ];
    for (name, source, expected) in &cases {
        let file = format!("{name}.toml");
        std::fs::write(dir.join(&file), source).unwrap();
        let frames = format!("png-dir:frames-{name}");
        let out = format!("{name}.png");
        for args in
            [vec!["check", &file], vec!["render", &file, "-o", &out], vec!["play", &file, "--out", &frames]]
        {
            let o = crate::common::bin().args(&args).current_dir(&dir).output().unwrap();
            let msg = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {msg}");
            assert!(
                msg.starts_with(&format!("error: {expected}")),
                "{args:?}:\n  got  {msg}\n  want {expected}"
            );
            assert_eq!(msg.lines().count(), 1, "{args:?}: one message, once: {msg}");
            assert!(!msg.contains("panicked"), "{args:?}: {msg}");
            assert!(o.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&o.stdout));
        }
    }
    // Nothing was written: only the inputs are in the folder.
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut inputs: Vec<String> = cases.iter().map(|(n, ..)| format!("{n}.toml")).collect();
    inputs.extend(["bad.json", "corrupt.png", "truncated.png"].map(String::from));
    inputs.sort();
    assert_eq!(left, inputs, "files left behind");
}
