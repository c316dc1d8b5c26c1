//! Where played frames go: the engine's [`Output`] trait (re-exported here, with [`RunInfo`] and
//! [`NullOutput`]) and the file outputs: numbered PNGs and raw RGBA to stdout. The terminal
//! preview is in [`crate::terminal`].

mod audio;
mod files;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

pub use audio::{AudioLatency, AudioOutput};
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

/// The value of a `seed_offset=N` option.
fn seed_offset_value(text: &str, v: &str) -> Result<u64, String> {
    v.parse::<u64>().map_err(|_| {
        format!(
            "`{text}`: `seed_offset={v}` is not a whole number in 0..={} (this output's seed is the run's seed plus it, e.g. `window:monitor=1:seed_offset=1`)",
            u64::MAX
        )
    })
}

fn parse_window(text: &str) -> Result<(OutputSpec, Option<u64>), String> {
    let (mut fullscreen, mut monitor, mut seed_offset) = (false, None, None);
    for opt in text.split(':').skip(1) {
        match opt.split_once('=') {
            None if opt == "fullscreen" && !fullscreen => fullscreen = true,
            Some(("monitor", n)) if monitor.is_none() => {
                monitor = Some(n.parse::<usize>().map_err(|_| {
                    format!("`{text}`: `monitor={n}` is not a monitor number (0 = the first)")
                })?);
            }
            Some(("seed_offset", v)) if seed_offset.is_none() => {
                seed_offset = Some(seed_offset_value(text, v)?)
            }
            _ => {
                return Err(format!(
                    "`{text}`: unknown or repeated window option `{opt}` (expected e.g. `window`, `window:fullscreen`, `window:monitor=1`, `window:fullscreen:monitor=0` or `window:monitor=1:seed_offset=1`)"
                ));
            }
        }
    }
    Ok((OutputSpec::Window { fullscreen, monitor }, seed_offset))
}

impl OutputSpec {
    /// Parses `terminal`, `png-dir:DIR`, `raw`, `null`, `window[:fullscreen]` or a controller
    /// URL (`ddp://`, `e131://`, `artnet://`, `opc://`; checked when the output is built).
    ///
    /// # Errors
    /// A message listing the accepted forms.
    pub fn parse(text: &str) -> Result<OutputSpec, String> {
        match OutputSpec::parse_with_seed_offset(text)? {
            (spec, None) => Ok(spec),
            (_, Some(_)) => Err(format!(
                "`{text}`: `seed_offset` is an option of `tickframe play` outputs only (a trace's frames are fixed)"
            )),
        }
    }

    /// [`OutputSpec::parse`] with an optional seed offset (this output's seed is the run's seed
    /// plus it, wrapping): `window:…:seed_offset=N` among the window options, `?seed_offset=N`
    /// in a controller URL's query (`ddp://10.0.0.5?seed_offset=1`), and a trailing
    /// `:seed_offset=N` on the other forms (`null:seed_offset=1`, `png-dir:out:seed_offset=1`,
    /// `hub75:rows=64:seed_offset=1`). `None` when not given.
    ///
    /// # Errors
    /// As [`OutputSpec::parse`], and a value that is not a whole number in `0..=u64::MAX`.
    pub fn parse_with_seed_offset(text: &str) -> Result<(OutputSpec, Option<u64>), String> {
        if text == "window" || text.starts_with("window:") {
            return parse_window(text);
        }
        if text.contains("://") {
            let (url, offset) = tickframe_outputs::take_seed_offset(text).map_err(|e| e.to_string())?;
            return Ok((OutputSpec::Device(url), offset));
        }
        match text.rsplit_once(":seed_offset=") {
            Some((rest, v)) => {
                let offset = seed_offset_value(text, v)?;
                if rest.contains(":seed_offset=") {
                    return Err(format!("`{text}`: `seed_offset` is given twice"));
                }
                Ok((OutputSpec::parse_plain(rest)?, Some(offset)))
            }
            None => Ok((OutputSpec::parse_plain(text)?, None)),
        }
    }

    fn parse_plain(text: &str) -> Result<OutputSpec, String> {
        match text {
            "terminal" => Ok(OutputSpec::Terminal),
            "raw" => Ok(OutputSpec::Raw),
            "null" => Ok(OutputSpec::Null),
            _ if text.contains("://") => Ok(OutputSpec::Device(text.to_string())),
            _ if text == "hub75" || text.starts_with("hub75:") => Ok(OutputSpec::Hub75(text.to_string())),
            _ => match text.strip_prefix("png-dir:") {
                Some(dir) if !dir.is_empty() => Ok(OutputSpec::PngDir(PathBuf::from(dir))),
                _ => Err(format!(
                    "unknown output `{text}`: expected `terminal`, `window`, `window:fullscreen`, `png-dir:DIR`, \
                     `raw`, `null`, `hub75:rows=64,cols=64,chain=4`, or a controller URL such as `ddp://192.168.1.50`, \
                     `e131://239.255.0.1?universe=1`, `artnet://10.0.0.7?universe=0`, `opc://localhost:7890` \
                     (any of them with a seed offset: `window:monitor=1:seed_offset=1`, `null:seed_offset=1`, \
                     `ddp://192.168.1.50?seed_offset=1`)"
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

#[cfg(test)]
mod tests {
    use super::OutputSpec;

    #[test]
    fn seed_offsets_parse_on_every_output_form() {
        let parse = OutputSpec::parse_with_seed_offset;
        assert_eq!(
            parse("window:monitor=1:seed_offset=1").unwrap(),
            (OutputSpec::Window { fullscreen: false, monitor: Some(1) }, Some(1))
        );
        assert_eq!(
            parse("window:seed_offset=3:fullscreen").unwrap(),
            (OutputSpec::Window { fullscreen: true, monitor: None }, Some(3))
        );
        assert_eq!(parse("window").unwrap(), (OutputSpec::Window { fullscreen: false, monitor: None }, None));
        assert_eq!(
            parse("ddp://10.0.0.5?seed_offset=2&id=3").unwrap(),
            (OutputSpec::Device("ddp://10.0.0.5?id=3".into()), Some(2))
        );
        assert_eq!(
            parse("null:seed_offset=18446744073709551615").unwrap(),
            (OutputSpec::Null, Some(u64::MAX))
        );
        assert_eq!(parse("png-dir:a:b:seed_offset=0").unwrap(), (OutputSpec::PngDir("a:b".into()), Some(0)));
        assert_eq!(
            parse("hub75:rows=32:seed_offset=1").unwrap(),
            (OutputSpec::Hub75("hub75:rows=32".into()), Some(1))
        );
        assert_eq!(parse("null").unwrap(), (OutputSpec::Null, None));
    }

    #[test]
    fn bad_seed_offsets_say_what_is_expected() {
        let e = OutputSpec::parse_with_seed_offset("window:monitor=1:seed_offset=x").unwrap_err();
        assert_eq!(
            e,
            "`window:monitor=1:seed_offset=x`: `seed_offset=x` is not a whole number in 0..=18446744073709551615 (this output's seed is the run's seed plus it, e.g. `window:monitor=1:seed_offset=1`)"
        );
        let e = OutputSpec::parse_with_seed_offset("window:seed_offset=1:seed_offset=2").unwrap_err();
        assert!(e.contains("unknown or repeated window option `seed_offset=2`"), "{e}");
        let e = OutputSpec::parse_with_seed_offset("null:seed_offset=-1").unwrap_err();
        assert!(e.contains("`seed_offset=-1` is not a whole number"), "{e}");
        let e = OutputSpec::parse_with_seed_offset("ddp://x?seed_offset=1.5").unwrap_err();
        assert!(e.contains("`seed_offset=1.5` is not a whole number") && e.contains("ddp://"), "{e}");
        let e = OutputSpec::parse_with_seed_offset("null:seed_offset=1:seed_offset=2").unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        // Replaying a trace: the frames are fixed.
        let e = OutputSpec::parse("window:seed_offset=1").unwrap_err();
        assert!(e.contains("`tickframe play` outputs only"), "{e}");
    }
}
