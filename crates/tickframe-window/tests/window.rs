//! A real window under Xvfb: present a known frame, take a screenshot of the X display, and
//! compare its pixels with the frame scaled up.
//!
//! Needs the `Xvfb` binary (Debian package `xvfb`; `.ci/run` installs it). Without it the test
//! fails and says so; set `TICKFRAME_SKIP_WINDOW_TESTS=1` to skip it on a machine with no X.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tickframe_core::{FrameRate, Size};
use tickframe_engine::{Output, RunInfo};
use tickframe_window::{WindowConfig, WindowOutput, test_pattern};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

const SIZE: (u32, u32) = (64, 32);
const SCALE: u32 = 3;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a free display and returns it with the display name.
fn start_xvfb() -> Option<(KillOnDrop, String)> {
    let mut child = match Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("TICKFRAME_SKIP_WINDOW_TESTS").is_some() {
                eprintln!("skipping the window test: Xvfb not available ({e})");
                return None;
            }
            panic!(
                "the window test needs Xvfb (apt-get install xvfb): {e}; set TICKFRAME_SKIP_WINDOW_TESTS=1 to skip"
            );
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let display = format!(":{}", line.trim());
    Some((KillOnDrop(child), display))
}

/// The child half: runs in a process whose DISPLAY is the Xvfb display.
#[test]
#[ignore = "run by window_shows_exact_pixels_under_xvfb in a child process"]
fn window_child() {
    let size = Size::new(SIZE.0, SIZE.1).unwrap();
    let mut out = WindowOutput::new(WindowConfig {
        title: "tickframe test".into(),
        fullscreen: false,
        scale: Some(SCALE),
        monitor: None,
    });
    let info =
        RunInfo { size, rate: FrameRate::whole(60).unwrap(), seed: 0, scene: "test".into(), frames: None };
    out.begin(&info).expect("open the window");
    let frame = test_pattern(size);
    let start = Instant::now();
    while out.frames_drawn() < 3 && start.elapsed() < Duration::from_secs(10) {
        assert!(out.present(0, frame.view()).unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(out.frames_drawn() >= 1, "the window never drew");
    assert!(out.last_present_time().is_some());
    println!("READY");
    // Keep the window up while the parent takes its screenshot (it kills us when done).
    std::thread::sleep(Duration::from_secs(10));
    out.finish(1).unwrap();
}

#[test]
fn window_shows_exact_pixels_under_xvfb() {
    let Some((_xvfb, display)) = start_xvfb() else { return };
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "window_child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut ready = false;
    for line in BufReader::new(child.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains("READY") {
            ready = true;
            break;
        }
    }
    if !ready {
        let mut err = String::new();
        let _ = child.0.stderr.take().unwrap().read_to_string(&mut err);
        panic!("the window child never became ready:\n{err}");
    }
    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let root = conn.setup().roots[screen].root;
    let (w, h) = (SIZE.0 * SCALE, SIZE.1 * SCALE);
    let image =
        conn.get_image(ImageFormat::Z_PIXMAP, root, 0, 0, w as u16, h as u16, !0).unwrap().reply().unwrap();
    assert_eq!(image.data.len(), (w * h * 4) as usize, "expected 32 bits per pixel");
    let frame = test_pattern(Size::new(SIZE.0, SIZE.1).unwrap());
    let mut mismatches = 0;
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 4) as usize;
            let (b, g, r) = (image.data[i], image.data[i + 1], image.data[i + 2]);
            let p = frame.get(x / SCALE, y / SCALE).unwrap();
            if (r, g, b) != (p.r, p.g, p.b) {
                if mismatches < 5 {
                    eprintln!("({x},{y}): screen {:?}, frame {:?}", (r, g, b), (p.r, p.g, p.b));
                }
                mismatches += 1;
            }
        }
    }
    assert_eq!(mismatches, 0, "{mismatches} of {} screen pixels differ from the frame", w * h);
}

/// A frame whose aspect ratio does not divide the 640×480 screen: 100×30 fills it at scale 6
/// (600×180) with black bars of 20 px left and right and 150 px above and below.
const WIDE: (u32, u32) = (100, 30);

/// The child half of `two_windows_one_event_loop_fullscreen_letterboxed`.
#[test]
#[ignore = "run by two_windows_one_event_loop_fullscreen_letterboxed in a child process"]
fn two_windows_child() {
    let info = |w, h| RunInfo {
        size: Size::new(w, h).unwrap(),
        rate: FrameRate::whole(60).unwrap(),
        seed: 0,
        scene: "test".into(),
        frames: None,
    };
    // Two windows in one process (one event loop for both), each with its own frames.
    let mut small = WindowOutput::new(WindowConfig { scale: Some(SCALE), ..WindowConfig::default() });
    small.begin(&info(SIZE.0, SIZE.1)).expect("open the first window");
    let mut full =
        WindowOutput::new(WindowConfig { fullscreen: true, monitor: Some(0), ..WindowConfig::default() });
    full.begin(&info(WIDE.0, WIDE.1)).expect("open the second window, fullscreen on monitor 0");
    let (a, b) =
        (test_pattern(Size::new(SIZE.0, SIZE.1).unwrap()), test_pattern(Size::new(WIDE.0, WIDE.1).unwrap()));
    let start = Instant::now();
    while (small.frames_drawn() < 3 || full.frames_drawn() < 3) && start.elapsed() < Duration::from_secs(10) {
        assert!(small.present(0, a.view()).unwrap());
        assert!(full.present(0, b.view()).unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(small.frames_drawn() >= 1 && full.frames_drawn() >= 1, "both windows draw");
    // A monitor that does not exist is a clear error.
    let mut missing = WindowOutput::new(WindowConfig { monitor: Some(7), ..WindowConfig::default() });
    let e = format!("{:#}", missing.begin(&info(8, 8)).unwrap_err());
    assert!(e.contains("monitor 7 does not exist: this display has 1 monitor(s)"), "{e}");
    println!("READY1");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    // Close the fullscreen window: the first one is uncovered and still shows its frame.
    full.finish(1).unwrap();
    let start = Instant::now();
    let before = small.frames_drawn();
    while small.frames_drawn() < before + 3 && start.elapsed() < Duration::from_secs(10) {
        assert!(small.present(1, a.view()).unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("READY2");
    std::thread::sleep(Duration::from_secs(10));
    small.finish(1).unwrap();
}

/// Screen pixels of `(x, y, w, h)` on the root window as RGB.
fn screenshot(conn: &impl Connection, root: u32, (x, y, w, h): (u32, u32, u32, u32)) -> Vec<[u8; 3]> {
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, root, x as i16, y as i16, w as u16, h as u16, !0)
        .unwrap()
        .reply()
        .unwrap();
    image.data.chunks_exact(4).map(|p| [p[2], p[1], p[0]]).collect()
}

#[test]
fn two_windows_one_event_loop_fullscreen_letterboxed() {
    let Some((_xvfb, display)) = start_xvfb() else { return };
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "two_windows_child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut stdin = child.0.stdin.take().unwrap();
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut wait_for = |tag: &str, child: &mut KillOnDrop| {
        for line in lines.by_ref() {
            if line.unwrap().contains(tag) {
                return;
            }
        }
        let mut err = String::new();
        let _ = child.0.stderr.take().unwrap().read_to_string(&mut err);
        panic!("the window child never printed {tag}:\n{err}");
    };
    wait_for("READY1", &mut child);
    let (conn, screen) = x11rb::connect(Some(&display)).expect("connect to Xvfb");
    let root = conn.setup().roots[screen].root;
    let shot = screenshot(&conn, root, (0, 0, 640, 480));
    std::fs::write(std::env::temp_dir().join("tickframe-fullscreen.rgb"), shot.concat()).ok();
    let wide = test_pattern(Size::new(WIDE.0, WIDE.1).unwrap());
    let (scale, (ox, oy)) = tickframe_window::fit(wide.size(), (640, 480));
    assert_eq!((scale, ox, oy), (6, 20, 150));
    let mut bad = 0;
    for y in 0..480 {
        for x in 0..640 {
            let inside = (ox..ox + WIDE.0 * scale).contains(&x) && (oy..oy + WIDE.1 * scale).contains(&y);
            let want = if inside {
                let p = wide.get((x - ox) / scale, (y - oy) / scale).unwrap();
                [p.r, p.g, p.b]
            } else {
                [0, 0, 0] // the letterbox bars
            };
            if shot[(y * 640 + x) as usize] != want {
                if bad < 5 {
                    eprintln!(
                        "fullscreen ({x},{y}): screen {:?}, want {want:?}",
                        shot[(y * 640 + x) as usize]
                    );
                }
                bad += 1;
            }
        }
    }
    assert_eq!(
        bad, 0,
        "{bad} of 307200 pixels differ: the fullscreen window does not fill the screen letterboxed"
    );
    use std::io::Write as _;
    writeln!(stdin, "next").unwrap();
    wait_for("READY2", &mut child);
    let (w, h) = (SIZE.0 * SCALE, SIZE.1 * SCALE);
    let shot = screenshot(&conn, root, (0, 0, w, h));
    let frame = test_pattern(Size::new(SIZE.0, SIZE.1).unwrap());
    let bad = (0..w * h)
        .filter(|i| {
            let p = frame.get(i % w / SCALE, i / w / SCALE).unwrap();
            shot[*i as usize] != [p.r, p.g, p.b]
        })
        .count();
    assert_eq!(bad, 0, "the first window, uncovered, shows its own frame exactly");
}
