//! Where played frames go: the engine's [`Output`] trait (re-exported here, with [`RunInfo`] and
//! [`NullOutput`]) and the file outputs: numbered PNGs and raw RGBA to stdout. The terminal
//! preview is in [`crate::terminal`].

mod files;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use files::{PngDirOutput, RawOutput, encode_png, write_atomically};
pub use tickframe_engine::{NullOutput, Output, RunInfo};

/// Wraps an output with a progress bar on stderr (for long runs that are not real time).
///
/// The presenter only bumps an atomic counter; a small thread redraws the bar four times a second,
/// so drawing (which formats and allocates) never runs on the presenting thread.
pub struct WithProgress {
    inner: Box<dyn Output>,
    bar: indicatif::ProgressBar,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    drawer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for WithProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WithProgress")
    }
}

impl WithProgress {
    /// A bar of `total` frames on stderr; hidden when stderr is not a terminal or `total` is
    /// under 120.
    pub fn new(inner: Box<dyn Output>, total: u64) -> WithProgress {
        let bar =
            indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::hidden());
        if total >= 120 && std::io::stderr().is_terminal() {
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames, {per_sec}, eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        let (done, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        WithProgress { inner, bar, done, stop, drawer: None }
    }

    fn stop_drawing(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.drawer.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}

impl Output for WithProgress {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        self.inner.begin(info)?;
        if !self.bar.is_hidden() {
            let (bar, done, stop) = (self.bar.clone(), Arc::clone(&self.done), Arc::clone(&self.stop));
            self.drawer = std::thread::Builder::new()
                .name("tickframe-progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        bar.set_position(done.load(Ordering::Relaxed));
                        std::thread::park_timeout(std::time::Duration::from_millis(250));
                    }
                })
                .ok();
        }
        Ok(())
    }

    fn present(
        &mut self,
        tick: tickframe_core::Tick,
        frame: tickframe_core::FrameRef<'_>,
    ) -> anyhow::Result<bool> {
        let ok = self.inner.present(tick, frame)?;
        self.done.fetch_add(1, Ordering::Relaxed);
        Ok(ok)
    }

    fn finish(&mut self, frames: u64) -> anyhow::Result<()> {
        self.stop_drawing();
        self.inner.finish(frames)
    }

    fn is_realtime(&self) -> bool {
        self.inner.is_realtime()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

impl Drop for WithProgress {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}

/// An output chosen by `--out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputSpec {
    /// The true-colour half-block terminal preview.
    Terminal,
    /// Numbered PNG files in a folder.
    PngDir(PathBuf),
    /// RGBA frames to stdout.
    Raw,
    /// Rendered and dropped.
    Null,
    /// A desktop window (`window`, `window:fullscreen`, `window:monitor=N`,
    /// `window:fullscreen:monitor=N`).
    Window {
        /// Borderless fullscreen.
        fullscreen: bool,
        /// The monitor (0 = first), when given.
        monitor: Option<usize>,
    },
    /// A network LED controller: `ddp://…`, `e131://…`, `artnet://…`, `opc://…`.
    Device(String),
    /// HUB75 panels on a Raspberry Pi: `hub75[:rows=…,cols=…,chain=…]`.
    Hub75(String),
}

fn parse_window(text: &str) -> Result<OutputSpec, String> {
    let (mut fullscreen, mut monitor) = (false, None);
    for opt in text.split(':').skip(1) {
        match opt.split_once('=') {
            None if opt == "fullscreen" && !fullscreen => fullscreen = true,
            Some(("monitor", n)) if monitor.is_none() => {
                monitor = Some(n.parse::<usize>().map_err(|_| {
                    format!("`{text}`: `monitor={n}` is not a monitor number (0 = the first)")
                })?);
            }
            _ => {
                return Err(format!(
                    "`{text}`: unknown or repeated window option `{opt}` (expected e.g. `window`, `window:fullscreen`, `window:monitor=1` or `window:fullscreen:monitor=0`)"
                ));
            }
        }
    }
    Ok(OutputSpec::Window { fullscreen, monitor })
}

impl OutputSpec {
    /// Parses `terminal`, `png-dir:DIR`, `raw`, `null`, `window[:fullscreen]` or a controller
    /// URL (`ddp://`, `e131://`, `artnet://`, `opc://`; checked when the output is built).
    ///
    /// # Errors
    /// A message listing the accepted forms.
    pub fn parse(text: &str) -> Result<OutputSpec, String> {
        match text {
            "terminal" => Ok(OutputSpec::Terminal),
            "raw" => Ok(OutputSpec::Raw),
            "null" => Ok(OutputSpec::Null),
            _ if text == "window" || text.starts_with("window:") => parse_window(text),
            _ if text.contains("://") => Ok(OutputSpec::Device(text.to_string())),
            _ if text == "hub75" || text.starts_with("hub75:") => Ok(OutputSpec::Hub75(text.to_string())),
            _ => match text.strip_prefix("png-dir:") {
                Some(dir) if !dir.is_empty() => Ok(OutputSpec::PngDir(PathBuf::from(dir))),
                _ => Err(format!(
                    "unknown output `{text}`: expected `terminal`, `window`, `window:fullscreen`, `png-dir:DIR`, \
                     `raw`, `null`, `hub75:rows=64,cols=64,chain=4`, or a controller URL such as `ddp://192.168.1.50`, \
                     `e131://239.255.0.1?universe=1`, `artnet://10.0.0.7?universe=0`, `opc://localhost:7890`"
                )),
            },
        }
    }

    /// Whether frames go out at their real pace (displays and devices) rather than as fast as
    /// possible (files, pipes).
    pub fn is_realtime(&self) -> bool {
        matches!(
            self,
            OutputSpec::Terminal | OutputSpec::Window { .. } | OutputSpec::Device(_) | OutputSpec::Hub75(_)
        )
    }
}
