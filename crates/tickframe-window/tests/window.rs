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
