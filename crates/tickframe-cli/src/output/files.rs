//! File-like outputs: numbered PNGs, raw RGBA to stdout, and nothing.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use image::ImageEncoder;
use tickframe_core::{FrameRef, Tick};

use super::{Output, RunInfo};

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Encodes a frame as an RGBA PNG into `out` (cleared first).
///
/// # Errors
/// When the encoder fails.
pub fn encode_png(frame: FrameRef<'_>, out: &mut Vec<u8>) -> anyhow::Result<()> {
    out.clear();
    image::codecs::png::PngEncoder::new(&mut *out)
        .write_image(frame.as_bytes(), frame.width(), frame.height(), image::ExtendedColorType::Rgba8)
        .context("encoding PNG")
}

/// Numbered PNG files `frame-000000.png`, … in a folder, then `manifest.json` last: a folder
/// without a manifest is an incomplete run.
#[derive(Debug)]
pub struct PngDirOutput {
    dir: PathBuf,
    buf: Vec<u8>,
    info: Option<RunInfo>,
}

impl PngDirOutput {
    /// An output writing into `dir` (created when missing).
    pub fn new(dir: PathBuf) -> PngDirOutput {
        PngDirOutput { dir, buf: Vec::new(), info: None }
    }

    fn manifest(&self) -> PathBuf {
        self.dir.join("manifest.json")
    }
}

impl Output for PngDirOutput {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        fs::create_dir_all(&self.dir).with_context(|| format!("creating folder `{}`", self.dir.display()))?;
        // A manifest from an earlier run would make this run look complete before it is.
        match fs::remove_file(self.manifest()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("removing the old manifest.json"),
        }
        self.info = Some(info.clone());
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        encode_png(frame, &mut self.buf)?;
        let path = self.dir.join(format!("frame-{tick:06}.png"));
        write_atomically(&path, &self.buf).with_context(|| format!("writing `{}`", path.display()))?;
        Ok(true)
    }

    fn finish(&mut self, frames: u64) -> anyhow::Result<()> {
        let Some(info) = &self.info else { bail!("finish before begin") };
        let manifest = serde_json::json!({
            "format": "tickframe-png-dir",
            "version": 1,
            "tickframe": env!("CARGO_PKG_VERSION"),
            "scene": info.scene,
            "seed": info.seed,
            "width": info.size.width(),
            "height": info.size.height(),
            "fps": info.rate.to_string(),
            "frames": frames,
            "pattern": "frame-{tick:06}.png",
        });
        let text = serde_json::to_string_pretty(&manifest)?;
        write_atomically(&self.manifest(), text.as_bytes()).context("writing manifest.json")?;
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "png-dir"
    }
}

/// Raw RGBA8 frames, back to back, to stdout. A closed pipe stops the run cleanly.
#[derive(Debug, Default)]
pub struct RawOutput {
    out: Option<io::BufWriter<io::Stdout>>,
}

impl Output for RawOutput {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        if io::stdout().is_terminal() {
            bail!(
                "--out raw writes binary frames to stdout, which is a terminal: pipe it, e.g. `| ffmpeg …`"
            );
        }
        self.out = Some(io::BufWriter::with_capacity(1 << 20, io::stdout()));
        Ok(())
    }

    fn present(&mut self, _tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let Some(out) = self.out.as_mut() else { bail!("present before begin") };
        match out.write_all(frame.as_bytes()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e).context("writing raw frames to stdout"),
        }
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        if let Some(out) = self.out.as_mut() {
            match out.flush() {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e).context("flushing stdout"),
                _ => {}
            }
        }
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "raw"
    }
}
