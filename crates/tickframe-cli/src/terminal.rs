//! The terminal preview: true-colour half-block characters (`▀`, foreground = upper pixel,
//! background = lower pixel), the frame fitted to the terminal with its aspect ratio kept.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, bail};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};
use tickframe_core::{FrameRef, Rgba, Tick};

use crate::output::{Output, RunInfo};

/// The picture area for a `width × height` frame in a terminal of `cols × rows` character cells
/// (each cell shows two pixels stacked): `(cells wide, pixel rows)`, pixel rows even, never
/// larger than the terminal, aspect ratio kept.
pub fn fit(width: u32, height: u32, cols: u16, rows: u16) -> (u32, u32) {
    let (cols, px_rows) = (u64::from(cols.max(1)), u64::from(rows.max(1)) * 2);
    let (w, h) = (u64::from(width), u64::from(height));
    // Largest scale s with w·s ≤ cols and h·s ≤ px_rows, as the fraction min(cols/w, px_rows/h).
    let (out_w, out_h) = if cols * h <= px_rows * w {
        (cols, (h * cols / w).max(1))
    } else {
        ((w * px_rows / h).max(1), px_rows)
    };
    (out_w as u32, ((out_h as u32) & !1).max(2))
}

/// Writes the escape sequences that draw `frame` fitted into `cols × rows` cells into `out`
/// (cleared first), starting at the top-left corner. Nearest-neighbour sampling.
pub fn draw_half_blocks(frame: FrameRef<'_>, cols: u16, rows: u16, out: &mut String) {
    out.clear();
    let (out_w, out_h) = fit(frame.width(), frame.height(), cols, rows);
    let (w, h) = (u64::from(frame.width()), u64::from(frame.height()));
    let sample = |ox: u32, oy: u32| -> Rgba {
        let sx = (u64::from(ox) * w / u64::from(out_w)) as u32;
        let sy = (u64::from(oy) * h / u64::from(out_h)).min(h - 1) as u32;
        frame.get(sx, sy).unwrap_or(Rgba::BLACK)
    };
    out.push_str("\x1b[H");
    for cy in 0..out_h / 2 {
        let mut last: Option<(Rgba, Rgba)> = None;
        for ox in 0..out_w {
            let top = sample(ox, cy * 2);
            let bottom = sample(ox, cy * 2 + 1);
            if last != Some((top, bottom)) {
                let _ = write!(
                    out,
                    "\x1b[38;2;{};{};{}m\x1b[48;2;{};{};{}m",
                    top.r, top.g, top.b, bottom.r, bottom.g, bottom.b
                );
                last = Some((top, bottom));
            }
            out.push('▀');
        }
        out.push_str("\x1b[0m\x1b[K\r\n");
    }
    out.push_str("\x1b[0m\x1b[J");
}

/// Restores the terminal when dropped (also on panic and early return).
struct TermGuard;

impl Drop for TermGuard {
    fn drop(&mut self) {
        let mut out = io::stdout();
        let _ = execute!(out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

/// The live terminal preview. `q`, Esc or Ctrl-C quits and restores the terminal.
#[derive(Default)]
pub struct TerminalOutput {
    guard: Option<TermGuard>,
    buf: String,
    status: String,
    info: Option<RunInfo>,
}

impl std::fmt::Debug for TerminalOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TerminalOutput")
    }
}

impl TerminalOutput {
    /// Whether stdout is a terminal the preview can use.
    pub fn available() -> bool {
        io::stdout().is_terminal()
    }

    fn quit_requested() -> io::Result<bool> {
        while event::poll(Duration::ZERO)? {
            if let Event::Key(k) = event::read()?
                && k.kind != KeyEventKind::Release
            {
                let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if ctrl_c || matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

impl Output for TerminalOutput {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        if !Self::available() {
            bail!(
                "stdout is not a terminal, so the terminal preview cannot run; \
                 use --out png-dir:DIR, --out raw (piped) or --out null"
            );
        }
        terminal::enable_raw_mode().context("enabling raw terminal mode")?;
        self.guard = Some(TermGuard);
        execute!(
            io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide,
            terminal::Clear(terminal::ClearType::All)
        )
        .context("preparing the terminal")?;
        self.info = Some(info.clone());
        Ok(())
    }

    fn present(&mut self, _tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        if Self::quit_requested()? {
            return Ok(false);
        }
        let (cols, rows) = terminal::size().unwrap_or((80, 24));
        draw_half_blocks(frame, cols, rows.saturating_sub(1).max(1), &mut self.buf);
        self.buf.push_str("\x1b[2m");
        self.buf.push_str(&self.status);
        self.buf.push_str("  q: quit\x1b[0m\x1b[K");
        let mut out = io::stdout().lock();
        out.write_all(self.buf.as_bytes())?;
        out.flush()?;
        Ok(true)
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        self.guard = None;
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        true
    }

    /// Sets the status line shown under the picture (e.g. tick and timing).
    fn set_status(&mut self, status: &str) {
        self.status.clear();
        self.status.push_str(status);
    }

    fn name(&self) -> &str {
        "terminal"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickframe_core::{Frame, Size};

    #[test]
    fn fit_keeps_aspect_and_bounds() {
        // 256x64 into 80x24 cells (48 pixel rows): width-bound, 80 wide, 20 px tall.
        assert_eq!(fit(256, 64, 80, 24), (80, 20));
        // 64x64 into 200x20 cells (40 px rows): height-bound.
        assert_eq!(fit(64, 64, 200, 20), (40, 40));
        for (w, h, c, r) in [(1920, 1080, 80, 24), (1, 1, 1, 1), (128, 64, 300, 100)] {
            let (ow, oh) = fit(w, h, c, r);
            assert!(ow <= u32::from(c) && oh <= u32::from(r) * 2, "{w}x{h} in {c}x{r}: {ow}x{oh}");
        }
    }

    #[test]
    fn half_blocks_carry_both_pixels() {
        let mut f = Frame::new(Size::new(2, 2).unwrap());
        f.pixels_mut()[0] = Rgba::rgb(255, 0, 0);
        f.pixels_mut()[2] = Rgba::rgb(0, 0, 255);
        let mut s = String::new();
        draw_half_blocks(f.view(), 2, 1, &mut s);
        assert!(s.contains("\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m▀"), "{s:?}");
        assert_eq!(s.matches('▀').count(), 2);
    }
}
