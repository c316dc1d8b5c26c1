//! `tickframe verify` and `tickframe trace diff`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tickframe_core::{FrameRate, RenderContext, Renderer, Size};
use tickframe_scenes::file::{Overrides, SceneFile};
use tickframe_scenes::photo::ClockStart;

use crate::index::{FrameRecord, TraceIndex, hex128, parse_hex128, read_index};
use crate::store::StoreReader;
use crate::{TraceError, names};

/// How to verify.
#[derive(Debug)]
pub struct VerifyOptions<'a> {
    /// Worker threads re-rendering (default: available parallelism).
    pub workers: usize,
    /// Resolve relative asset paths against this folder instead of the recorded `asset_dir`.
    pub asset_dir: Option<PathBuf>,
    /// Where to write the PNG of the first mismatch (default: the trace folder).
    pub report_dir: Option<PathBuf>,
    /// Set to `true` to stop early.
    pub stop: &'a AtomicBool,
}

/// One check that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The file inside the trace: `index.json`, `trace.gif`, `trace.apng`, `frames.tfs`,
    /// `trace.fseq` or `scene.toml`.
    pub file: String,
    /// The first tick concerned, when known.
    pub tick: Option<u64>,
    /// What differs.
    pub message: String,
    /// A PNG showing expected, actual and their difference side by side, when one was written.
    pub image: Option<PathBuf>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(t) = self.tick {
            write!(f, ": tick {t}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(p) = &self.image {
            write!(f, " (see {})", p.display())?;
        }
        Ok(())
    }
}

/// The outcome of [`verify`].
#[derive(Clone, Debug)]
pub struct VerifyReport {
    /// Frames re-rendered and compared.
    pub frames: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// What was checked (for the summary line).
    pub checked: Vec<String>,
    /// Every failed check, first tick first; empty when the trace verifies.
    pub mismatches: Vec<Mismatch>,
}

fn mismatch(file: &str, tick: Option<u64>, message: impl Into<String>) -> Mismatch {
    Mismatch { file: file.to_string(), tick, message: message.into(), image: None }
}

fn from_error(file: &str, e: TraceError) -> Mismatch {
    match e {
        TraceError::Corrupt { file, tick, message } => Mismatch { file, tick, message, image: None },
        TraceError::Io { source, .. } => mismatch(file, None, source.to_string()),
        other => mismatch(file, None, other.to_string()),
    }
}

/// Loads the scene of a trace from its `scene.toml`, checking it against the recorded hash, with
/// relative assets resolved against `asset_dir` (default: the recorded folder) and the recorded
/// seed, size and rate.
///
/// # Errors
/// [`TraceError::BadInput`] when `scene.toml` is missing or the scene (or an asset) cannot be
/// loaded; [`TraceError::Corrupt`] when `scene.toml` differs from the recorded hash.
pub fn load_trace_scene(
    dir: &Path,
    index: &TraceIndex,
    asset_dir: Option<&Path>,
) -> Result<SceneFile, TraceError> {
    let path = dir.join(names::SCENE);
    let source = std::fs::read_to_string(&path).map_err(|e| {
        TraceError::BadInput(format!("`{}`: {e}: the trace cannot be re-rendered", path.display()))
    })?;
    let hash = crate::index::hex128(crate::hash_rgba(source.as_bytes()));
    if hash != index.scene.source_hash {
        return Err(TraceError::corrupt(
            names::SCENE,
            None,
            format!("content hash {hash} differs from the index's {}", index.scene.source_hash),
        ));
    }
    let size = Size::new(index.width, index.height).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let rate =
        FrameRate::new(index.rate.num, index.rate.den).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let assets = asset_dir.map_or_else(|| PathBuf::from(&index.scene.asset_dir), Path::to_path_buf);
    let overrides = Overrides { size: Some(size), rate: Some(rate), seed: Some(index.seed) };
    // A clock start given to `trace --clock` is recorded; the scene is re-rendered with it.
    let clock = index.clock.as_ref().map(|c| ClockStart { seconds: c.start_civil_seconds });
    let scene =
        SceneFile::parse_with_clock(&source, &path.display().to_string(), &assets, &overrides, clock).map_err(
            |e| {
                TraceError::BadInput(format!(
                    "{e}\n(relative asset paths are resolved against `{}`, recorded when the trace was made; pass --assets DIR to use another folder)",
                    assets.display()
                ))
            },
        )?;
    if scene.live.is_some() {
        return Err(TraceError::BadInput(format!(
            "`{}` takes live audio input (`source = \"live\"`): its frames are not reproducible, so they cannot be verified",
            path.display()
        )));
    }
    Ok(scene)
}

/// Writes a PNG of three panels side by side: `expected`, `actual` (each grey when unknown),
/// and their difference (black where equal, magenta where any channel differs, grey when a
/// side is unknown).
///
/// # Errors
/// I/O or encoding errors.
pub fn write_diff_png(
    path: &Path,
    w: u32,
    h: u32,
    expected: Option<&[u8]>,
    actual: Option<&[u8]>,
) -> Result<(), TraceError> {
    let (wu, hu) = (w as usize, h as usize);
    let grey: &[u8] = &[128, 128, 128, 255];
    let mut img = vec![0u8; wu * 3 * hu * 4];
    for y in 0..hu {
        for x in 0..wu {
            let i = (y * wu + x) * 4;
            let a = actual.and_then(|a| a.get(i..i + 4));
            let e = expected.and_then(|e| e.get(i..i + 4));
            let d: &[u8] = match (e, a) {
                (Some(e), Some(a)) if e != a => &[255, 0, 255, 255],
                (Some(_), Some(_)) => &[0, 0, 0, 255],
                _ => grey,
            };
            let row = y * wu * 3;
            img[(row + x) * 4..][..4].copy_from_slice(e.unwrap_or(grey));
            img[(row + wu + x) * 4..][..4].copy_from_slice(a.unwrap_or(grey));
            img[(row + 2 * wu + x) * 4..][..4].copy_from_slice(d);
        }
    }
    let file = File::create(path).map_err(TraceError::io(path))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w * 3, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let err = |e: png::EncodingError| TraceError::BadInput(format!("`{}`: {e}", path.display()));
    let mut wr = enc.write_header().map_err(err)?;
    wr.write_image_data(&img).map_err(err)?;
    wr.finish().map_err(err)
}

/// Calls `f(frame number, delay (cs), composed RGBA)` for each GIF frame of a GIF whose
/// canvas must be `size` (checked before anything is allocated); returns the repeat setting.
pub(crate) fn for_each_gif_frame(
    path: &Path,
    size: (u32, u32),
    mut f: impl FnMut(usize, u16, &[u8]) -> bool,
) -> Result<gif::Repeat, TraceError> {
    let file = File::open(path).map_err(TraceError::io(path))?;
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts
        .read_info(BufReader::new(file))
        .map_err(|e| TraceError::corrupt(names::GIF, None, format!("cannot read the GIF header: {e}")))?;
    if (u32::from(dec.width()), u32::from(dec.height())) != size {
        return Err(TraceError::corrupt(
            names::GIF,
            None,
            format!("the GIF is {}x{}, the trace {}x{}", dec.width(), dec.height(), size.0, size.1),
        ));
    }
    let (w, h) = (usize::from(dec.width()), usize::from(dec.height()));
    let mut canvas = vec![0u8; w * h * 4];
    let mut n = 0;
    loop {
        let frame = match dec.read_next_frame() {
            Ok(Some(fr)) => fr,
            Ok(None) => return Ok(dec.repeat()),
            Err(e) => {
                return Err(TraceError::corrupt(
                    names::GIF,
                    None,
                    format!("GIF frame {n} cannot be decoded: {e}"),
                ));
            }
        };
        let (fl, ft, fw, fh) = (
            usize::from(frame.left),
            usize::from(frame.top),
            usize::from(frame.width),
            usize::from(frame.height),
        );
        if fl + fw > w || ft + fh > h || frame.buffer.len() < fw * fh * 4 {
            return Err(TraceError::corrupt(
                names::GIF,
                None,
                format!("GIF frame {n} lies outside the canvas"),
            ));
        }
        for y in 0..fh {
            for x in 0..fw {
                let s = &frame.buffer[(y * fw + x) * 4..][..4];
                if s[3] != 0 {
                    canvas[((ft + y) * w + fl + x) * 4..][..4].copy_from_slice(s);
                }
            }
        }
        if !f(n, frame.delay, &canvas) {
            return Ok(dec.repeat());
        }
        n += 1;
    }
}

/// Calls `f(frame number, (delay num, delay den), RGBA)` for each APNG frame (full frames only)
/// of an APNG that must be `size` (checked before anything is allocated).
pub(crate) fn for_each_apng_frame(
    path: &Path,
    size: (u32, u32),
    mut f: impl FnMut(usize, (u16, u16), &[u8]) -> bool,
) -> Result<(), TraceError> {
    let bad = |n: Option<usize>, m: String| {
        TraceError::corrupt(names::APNG, None, n.map_or(m.clone(), |n| format!("APNG frame {n}: {m}")))
    };
    let file = File::open(path).map_err(TraceError::io(path))?;
    let mut reader =
        png::Decoder::new(BufReader::new(file)).read_info().map_err(|e| bad(None, e.to_string()))?;
    let info = reader.info();
    if (info.width, info.height) != size {
        return Err(bad(
            None,
            format!("the APNG is {}x{}, the trace {}x{}", info.width, info.height, size.0, size.1),
        ));
    }
    let (w, h) = (info.width as usize, info.height as usize);
    let frames = info.animation_control.map_or(1, |a| a.num_frames as usize);
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(bad(None, "not an 8-bit RGBA image".into()));
    }
    let mut buf = vec![0u8; w * h * 4];
    for n in 0..frames {
        let out = reader.next_frame(&mut buf).map_err(|e| bad(Some(n), e.to_string()))?;
        let fc = reader.info().frame_control;
        let delay = fc.map_or((0, 0), |c| (c.delay_num, c.delay_den));
        if out.width as usize != w || out.height as usize != h {
            return Err(bad(Some(n), "not a full frame".into()));
        }
        if !f(n, delay, &buf) {
            break;
        }
    }
    Ok(())
}

/// What the re-render found for one tick.
struct Rendered {
    hash: u128,
    entry: Option<u32>,
    /// The hash of a fresh colour reduction, for ticks that start a GIF frame.
    gif_hash: Option<u128>,
    /// XXH3-128 of the frame's R, G, B bytes (FSEQ channel order), when the trace has FSEQ.
    rgb_hash: Option<u128>,
}

struct RenderState {
    renderer: Renderer,
    frame: tickframe_core::Frame,
    q: crate::quant::Quantizer,
    indices: Vec<u8>,
    palette: Vec<u8>,
    expanded: Vec<u8>,
    rgb: Vec<u8>,
}

/// The FSEQ file as scanned beside the re-render: its header and one hash per frame.
struct FseqScan {
    header: crate::fseq::FseqHeader,
    hashes: Vec<u128>,
    error: Option<(u64, String)>,
}

fn rgb_of(rgba: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
}

/// Scans an FSEQ file whose frames must hold `channels` channels (checked before anything is
/// decoded: the header mismatch is then reported by [`check_fseq`]).
fn scan_fseq(path: &Path, channels: u64) -> Result<FseqScan, Mismatch> {
    let bytes = std::fs::read(path).map_err(|e| mismatch(names::FSEQ, None, e.to_string()))?;
    let header = crate::fseq::parse_header(&bytes).map_err(|m| mismatch(names::FSEQ, None, m))?;
    if u64::from(header.channels) != channels {
        return Ok(FseqScan { header, hashes: Vec::new(), error: None });
    }
    let mut hashes = Vec::with_capacity((header.frames as usize).min(1 << 16));
    let error = crate::fseq::scan_frames(&bytes, &header, |_, data| {
        hashes.push(crate::hash_rgba(data));
        true
    })
    .err();
    Ok(FseqScan { header, hashes, error })
}

/// Verifies a trace: checks the index's consistency (exit 2 when it is not), re-renders every
/// tick on all cores and compares the raw hashes, the playlist entries and the GIF colour
/// reduction with the index; decodes `trace.gif` and `trace.apng` and checks every frame and
/// delay against the index; decodes every frame of `frames.tfs`; checks every frame of
/// `trace.fseq` against the re-rendered frames. For the first mismatch of each file a PNG of
/// expected / actual / difference is written.
///
/// # Errors
/// [`TraceError::BadInput`] when the index is unreadable or inconsistent, or the scene cannot
/// be read or an asset is missing (exit 2); [`TraceError::Corrupt`] when `scene.toml` was
/// edited (exit 1); [`TraceError::VerifyInterrupted`] when `stop` was set. Mismatches in the
/// frames are reported in [`VerifyReport::mismatches`], not as errors.
pub fn verify(
    dir: &Path,
    opts: &VerifyOptions<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<VerifyReport, TraceError> {
    let started = Instant::now();
    let index = read_index(dir)?;
    let mut mismatches = Vec::new();
    if let Err(e) = index.check() {
        match e {
            TraceError::Corrupt { .. } => mismatches.push(from_error(names::INDEX, e)),
            other => return Err(other),
        }
    }
    let scene = load_trace_scene(dir, &index, opts.asset_dir.as_deref())?;
    let (w, h) = (index.width, index.height);
    let count = index.frame_count;
    let report_dir = opts.report_dir.clone().unwrap_or_else(|| dir.to_path_buf());
    let with_fseq = index.files.fseq.is_some();
    let playlist = scene.root_playlist.as_deref();

    let mut checked = vec![format!("{count} re-rendered frames (hashes, playlist entries, GIF colours)")];
    for (present, what) in [
        (index.files.gif.is_some(), "GIF frames and delays"),
        (index.files.apng.is_some(), "APNG frames and delays"),
        (index.files.store.is_some(), "frame store"),
        (with_fseq, "FSEQ header and frames"),
    ] {
        if present {
            checked.push(what.to_string());
        }
    }

    let mut first_bad: Option<(u64, u128)> = None;
    let mut entry_bad: Option<(u64, Option<u32>)> = None;
    let mut gif_bad: Option<(u64, u128)> = None;
    let mut rgb_hashes: Vec<u128> = Vec::new();
    let (done, file_results, fseq_scan) = std::thread::scope(|s| {
        let index = &index;
        let gif = index.files.gif.as_ref().map(|g| {
            let path = dir.join(&g.name);
            s.spawn(move || check_gif(&path, index))
        });
        let apng = index.files.apng.as_ref().map(|a| {
            let path = dir.join(&a.name);
            s.spawn(move || check_apng(&path, index))
        });
        let store = index.files.store.as_ref().map(|_| s.spawn(move || check_store(dir, index)));
        let fseq = index.files.fseq.as_ref().map(|f| {
            let path = dir.join(&f.name);
            let channels = u64::from(index.width) * u64::from(index.height) * 3;
            s.spawn(move || scan_fseq(&path, channels))
        });
        let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
        let root = &*scene.root;
        let r = crate::pool::run_ordered(
            index.ticks(),
            60,
            opts.workers,
            opts.stop,
            || {
                Ok::<_, ()>(RenderState {
                    renderer: Renderer::default(),
                    frame: tickframe_core::Frame::new(scene.size),
                    q: crate::quant::Quantizer::new(),
                    indices: Vec::new(),
                    palette: Vec::new(),
                    expanded: Vec::new(),
                    rgb: Vec::new(),
                })
            },
            |st, tick, _| {
                st.renderer.render(root, &base.at_tick(tick), &mut st.frame);
                let bytes = st.frame.as_bytes();
                let starts_gif_frame =
                    index.record(tick).is_some_and(|r| r.gif_frame.is_some() && !r.gif_merged);
                let gif_hash = starts_gif_frame.then(|| {
                    st.q.quantize(bytes, &mut st.indices, &mut st.palette);
                    crate::quant::expand(&st.indices, &st.palette, &mut st.expanded);
                    crate::hash_rgba(&st.expanded)
                });
                let rgb_hash = with_fseq.then(|| {
                    rgb_of(bytes, &mut st.rgb);
                    crate::hash_rgba(&st.rgb)
                });
                Ok(Rendered {
                    hash: crate::hash_rgba(bytes),
                    entry: playlist.map(|p| p.position(tick).entry as u32),
                    gif_hash,
                    rgb_hash,
                })
            },
            |tick, got| {
                progress(1);
                let Some(rec) = index.record(tick) else { return Err(()) };
                if first_bad.is_none() && parse_hex128(&rec.hash) != Some(got.hash) {
                    first_bad = Some((tick, got.hash));
                }
                if entry_bad.is_none() && rec.entry != got.entry {
                    entry_bad = Some((tick, got.entry));
                }
                if gif_bad.is_none()
                    && let Some(g) = got.gif_hash
                    && rec.gif_hash.as_deref().and_then(parse_hex128) != Some(g)
                {
                    gif_bad = Some((tick, g));
                }
                if let Some(h) = got.rgb_hash {
                    rgb_hashes.push(h);
                }
                Ok(())
            },
        );
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<Vec<Mismatch>, TraceError>>, file: &str| {
            h.join().unwrap_or_else(|_| Ok(vec![mismatch(file, None, "the checker failed unexpectedly")]))
        };
        let mut files = Vec::new();
        for (h, file) in [(gif, names::GIF), (apng, names::APNG), (store, names::STORE)] {
            if let Some(h) = h {
                files.push((file, join(h, file)));
            }
        }
        let fseq = fseq.map(|h| {
            h.join().unwrap_or_else(|_| Err(mismatch(names::FSEQ, None, "the checker failed unexpectedly")))
        });
        (r, files, fseq)
    });
    if !done.is_ok_and(|n| n == count) {
        return Err(TraceError::VerifyInterrupted);
    }
    let record = |t: u64| index.record(t);
    if let Some((tick, actual)) = first_bad {
        let recorded = record(tick).map(|r| r.hash.clone()).unwrap_or_default();
        mismatches.push(mismatch(
            names::INDEX,
            Some(tick),
            format!("re-rendered frame hash {} differs from the recorded {recorded}", hex128(actual)),
        ));
    }
    if let Some((tick, actual)) = entry_bad {
        let recorded = record(tick).and_then(|r| r.entry);
        let show = |e: Option<u32>| e.map_or("none".to_string(), |e| e.to_string());
        mismatches.push(mismatch(
            names::INDEX,
            Some(tick),
            format!(
                "the active playlist entry is {} when re-rendered, the index says {}",
                show(actual),
                show(recorded)
            ),
        ));
    }
    if let Some((tick, fresh)) = gif_bad {
        let recorded = record(tick).and_then(|r| r.gif_hash.clone()).unwrap_or_default();
        mismatches.push(mismatch(
            names::INDEX,
            Some(tick),
            format!(
                "gif_hash {recorded} differs from a fresh colour reduction of the re-rendered frame ({})",
                hex128(fresh)
            ),
        ));
    }
    for (file, r) in file_results {
        match r {
            Ok(ms) => mismatches.extend(ms),
            Err(e @ (TraceError::Corrupt { .. } | TraceError::Io { .. })) => {
                mismatches.push(from_error(file, e))
            }
            Err(e) => return Err(e),
        }
    }
    match fseq_scan {
        Some(Ok(scan)) => mismatches.extend(check_fseq(&index, &scan, &rgb_hashes)),
        Some(Err(m)) => mismatches.push(m),
        None => {}
    }
    mismatches.sort_by_key(|m| (m.tick.is_none(), m.tick));
    let pictures = Pictures { dir, index: &index, scene: &scene, report_dir: &report_dir, w, h };
    let mut pictured: Vec<String> = Vec::new();
    for m in &mut mismatches {
        if let Some(tick) = m.tick
            && !pictured.contains(&m.file)
        {
            m.image = pictures.write(&m.file, tick);
            if m.image.is_some() {
                pictured.push(m.file.clone());
            }
        }
    }
    Ok(VerifyReport { frames: count, elapsed: started.elapsed(), checked, mismatches })
}

/// Writes the expected | actual | difference pictures of mismatches.
struct Pictures<'a> {
    dir: &'a Path,
    index: &'a TraceIndex,
    scene: &'a SceneFile,
    report_dir: &'a Path,
    w: u32,
    h: u32,
}

impl Pictures<'_> {
    fn render(&self, tick: u64) -> Vec<u8> {
        let s = self.scene;
        Renderer::default()
            .render_new(&*s.root, &RenderContext::new(s.size, s.rate, s.seed, tick))
            .as_bytes()
            .to_vec()
    }

    /// The picture for the first mismatch of `file` at `tick`; `None` when none applies.
    fn write(&self, file: &str, tick: u64) -> Option<PathBuf> {
        let rec = self.index.record(tick)?;
        let offset = tick - self.index.first_tick;
        let (name, expected, actual) = match file {
            // The re-render against what was recorded (the frame store's frame, when readable).
            names::INDEX => {
                if rec.hash == hex128(crate::hash_rgba(&self.render(tick))) {
                    return None; // not a pixel mismatch (entry, digest)
                }
                let recorded = StoreReader::open(&self.dir.join(names::STORE))
                    .ok()
                    .and_then(|mut r| r.frame(tick).ok().map(<[u8]>::to_vec));
                (format!("verify-tick-{tick}.png"), recorded, Some(self.render(tick)))
            }
            names::GIF => {
                let g = rec.gif_frame?;
                let mut actual = None;
                let _ = for_each_gif_frame(&self.dir.join(names::GIF), (self.w, self.h), |n, _, rgba| {
                    if n as u64 == g {
                        actual = Some(rgba.to_vec());
                        return false;
                    }
                    true
                });
                let (mut idx, mut pal, mut exp) = (Vec::new(), Vec::new(), Vec::new());
                crate::quant::Quantizer::new().quantize(&self.render(tick), &mut idx, &mut pal);
                crate::quant::expand(&idx, &pal, &mut exp);
                (format!("verify-gif-tick-{tick}.png"), Some(exp), actual)
            }
            names::APNG => {
                let mut actual = None;
                let _ = for_each_apng_frame(&self.dir.join(names::APNG), (self.w, self.h), |n, _, rgba| {
                    if n as u64 == offset {
                        actual = Some(rgba.to_vec());
                        return false;
                    }
                    true
                });
                (format!("verify-apng-tick-{tick}.png"), Some(self.render(tick)), actual)
            }
            names::STORE => {
                let actual = StoreReader::open(&self.dir.join(names::STORE))
                    .ok()
                    .and_then(|mut r| r.frame_unchecked(tick).ok().map(<[u8]>::to_vec));
                (format!("verify-tfs-tick-{tick}.png"), Some(self.render(tick)), actual)
            }
            names::FSEQ => {
                let rate = FrameRate::new(self.index.rate.num, self.index.rate.den).ok()?;
                let bytes = std::fs::read(self.dir.join(names::FSEQ)).ok()?;
                let header = crate::fseq::parse_header(&bytes).ok()?;
                if u64::from(header.channels) != u64::from(self.w) * u64::from(self.h) * 3 {
                    return None;
                }
                let k = (0..u64::from(header.frames)).find(|&k| crate::fseq::tick_of(rate, k) >= offset)?;
                let mut actual = None;
                let _ = crate::fseq::scan_frames(&bytes, &header, |n, data| {
                    if n == k {
                        actual = Some(data.chunks_exact(3).flat_map(|c| [c[0], c[1], c[2], 255]).collect());
                        return false;
                    }
                    true
                });
                let tick = self.index.first_tick + crate::fseq::tick_of(rate, k);
                (format!("verify-fseq-tick-{tick}.png"), Some(self.render(tick)), actual)
            }
            _ => return None,
        };
        let path = self.report_dir.join(name);
        write_diff_png(&path, self.w, self.h, expected.as_deref(), actual.as_deref()).ok()?;
        Some(path)
    }
}

/// The first tick shown by GIF frame `n`.
fn tick_of_gif_frame(index: &TraceIndex, n: u64) -> Option<u64> {
    index.frames.iter().find(|r| r.gif_frame == Some(n)).map(|r| r.tick)
}

fn check_gif(path: &Path, index: &TraceIndex) -> Result<Vec<Mismatch>, TraceError> {
    let file = names::GIF;
    let mut decoded: Vec<(u16, u128)> = Vec::new();
    let result = for_each_gif_frame(path, (index.width, index.height), |_, d, rgba| {
        decoded.push((d, crate::hash_rgba(rgba)));
        true
    });
    let mut out = Vec::new();
    match result {
        // Map a decode failure at GIF frame n to the first tick shown by frame n.
        Err(TraceError::Corrupt { message, .. }) => {
            let n = decoded.len() as u64;
            let tick = tick_of_gif_frame(index, n).or(if n == 0 { Some(index.first_tick) } else { None });
            out.push(mismatch(file, tick, message));
        }
        Err(e) => return Err(e),
        Ok(gif::Repeat::Infinite) => {}
        Ok(other) => out.push(mismatch(file, None, format!("does not loop forever (repeat {other:?})"))),
    }
    let mut prev: Option<&FrameRecord> = None;
    let mut total_cs = 0u64;
    for r in &index.frames {
        if let Some(g) = r.gif_frame {
            let Some(&(delay, hash)) = decoded.get(g as usize) else {
                if !out.iter().any(|m| m.tick.is_some()) {
                    out.push(mismatch(file, Some(r.tick), format!("GIF frame {g} is missing")));
                }
                break;
            };
            if !r.gif_merged {
                total_cs += u64::from(delay);
                if u32::from(delay) != r.gif_delay_cs {
                    out.push(mismatch(
                        file,
                        Some(r.tick),
                        format!("GIF frame {g} has delay {delay} cs, the index says {}", r.gif_delay_cs),
                    ));
                    break;
                }
            } else if prev
                .is_none_or(|p| p.hash != r.hash || p.gif_frame != Some(g) || p.gif_hash != r.gif_hash)
            {
                out.push(mismatch(
                    names::INDEX,
                    Some(r.tick),
                    "marked as merged in the GIF but differs from the previous tick",
                ));
                break;
            }
            if r.gif_hash.as_deref().and_then(parse_hex128) != Some(hash) {
                out.push(mismatch(
                    file,
                    Some(r.tick),
                    format!(
                        "GIF frame {g} decodes to {}, the index says {}",
                        hex128(hash),
                        r.gif_hash.as_deref().unwrap_or("nothing")
                    ),
                ));
                break;
            }
        }
        prev = Some(r);
    }
    if out.is_empty() {
        let dur_ms =
            index.frame_count as f64 * f64::from(index.rate.den) * 1000.0 / f64::from(index.rate.num);
        if (total_cs as f64 * 10.0 - dur_ms).abs() > 10.0 + 1e-6 {
            out.push(mismatch(
                file,
                None,
                format!("delays add up to {} ms, the trace lasts {dur_ms:.3} ms", total_cs * 10),
            ));
        }
        if let Some(g) = &index.files.gif
            && g.frames != decoded.len() as u64
        {
            out.push(mismatch(file, None, format!("{} frames, the index says {}", decoded.len(), g.frames)));
        }
    }
    Ok(out)
}

fn check_apng(path: &Path, index: &TraceIndex) -> Result<Vec<Mismatch>, TraceError> {
    let rate =
        FrameRate::new(index.rate.num, index.rate.den).map_err(|e| TraceError::BadInput(e.to_string()))?;
    let mut delays = crate::timing::apng_delays(rate, index.ticks());
    let mut out = Vec::new();
    let mut n_frames = 0usize;
    let r = for_each_apng_frame(path, (index.width, index.height), |n, delay, rgba| {
        n_frames = n + 1;
        let tick = index.first_tick.saturating_add(n as u64);
        let (Some(rec), Some(want)) = (index.frames.get(n), delays.next()) else {
            out.push(mismatch(names::APNG, Some(tick), "more frames than the index"));
            return false;
        };
        if delay != want {
            out.push(mismatch(
                names::APNG,
                Some(tick),
                format!("delay {}/{} s, expected {}/{}", delay.0, delay.1, want.0, want.1),
            ));
            return false;
        }
        let hash = crate::hash_rgba(rgba);
        if parse_hex128(&rec.hash) != Some(hash) {
            out.push(mismatch(
                names::APNG,
                Some(tick),
                format!("frame {n} decodes to {}, the index says {}", hex128(hash), rec.hash),
            ));
            return false;
        }
        true
    });
    match r {
        Err(TraceError::Corrupt { message, .. }) => {
            // The frame that failed to decode is the one after the last one delivered.
            let failed = if out.is_empty() { n_frames } else { n_frames - 1 };
            out.push(mismatch(names::APNG, Some(index.first_tick + failed as u64), message));
        }
        Err(e) => return Err(e),
        Ok(()) => {
            if out.is_empty() && n_frames != index.frames.len() {
                out.push(mismatch(
                    names::APNG,
                    Some(index.first_tick + n_frames as u64),
                    format!("{n_frames} frames, the index has {}", index.frames.len()),
                ));
            }
        }
    }
    Ok(out)
}

fn check_store(dir: &Path, index: &TraceIndex) -> Result<Vec<Mismatch>, TraceError> {
    let mut r = match StoreReader::open(&dir.join(names::STORE)) {
        Ok(r) => r,
        Err(e @ (TraceError::Corrupt { .. } | TraceError::Io { .. })) => {
            let mut m = from_error(names::STORE, e);
            // A truncated store names the first tick it cannot give; keep it within the trace.
            m.tick = m.tick.map(|t| t.min(index.ticks().end - 1));
            return Ok(vec![m]);
        }
        Err(e) => return Err(e),
    };
    let h = r.header();
    if (h.width, h.height, h.rate_num, h.rate_den, h.first_tick, r.len() as u64)
        != (index.width, index.height, index.rate.num, index.rate.den, index.first_tick, index.frame_count)
    {
        return Ok(vec![mismatch(names::STORE, None, "header (size, rate, ticks) does not match the index")]);
    }
    for (rec, entry) in index.frames.iter().zip(r.entries().to_vec()) {
        if Some(entry.hash) != parse_hex128(&rec.hash) {
            return Ok(vec![mismatch(
                names::STORE,
                Some(rec.tick),
                format!("stored hash {} differs from the index's {}", hex128(entry.hash), rec.hash),
            )]);
        }
        if let Err(e) = r.frame(rec.tick) {
            return Ok(vec![from_error(names::STORE, e)]);
        }
    }
    Ok(Vec::new())
}

/// Compares the FSEQ frames with the re-rendered frames (`rgb_hashes`, one per tick).
fn check_fseq(index: &TraceIndex, scan: &FseqScan, rgb_hashes: &[u128]) -> Vec<Mismatch> {
    let file = names::FSEQ;
    let Ok(rate) = FrameRate::new(index.rate.num, index.rate.den) else { return Vec::new() };
    let h = &scan.header;
    let want_frames = crate::fseq::frame_count(rate, index.frame_count);
    let mut problems = Vec::new();
    if h.version != (2, 0) {
        problems.push(format!("version {}.{}, expected 2.0", h.version.0, h.version.1));
    }
    if u64::from(h.channels) != u64::from(index.width) * u64::from(index.height) * 3 {
        problems.push(format!("{} channels, expected {}", h.channels, index.width * index.height * 3));
    }
    if u32::from(h.step_ms) != crate::fseq::step_ms(rate) {
        problems.push(format!("step {} ms, expected {}", h.step_ms, crate::fseq::step_ms(rate)));
    }
    if u64::from(h.frames) != want_frames {
        problems.push(format!("{} frames, expected {want_frames}", h.frames));
    }
    if h.compression != 1 || !h.sparse_ranges.is_empty() {
        problems.push(format!(
            "compression type {} with {} sparse ranges, expected zstd (1) without",
            h.compression,
            h.sparse_ranges.len()
        ));
    }
    if !problems.is_empty() {
        return vec![mismatch(
            file,
            None,
            format!("header does not match the trace: {}", problems.join(", ")),
        )];
    }
    let tick_at = |k: u64| index.first_tick + crate::fseq::tick_of(rate, k);
    for (k, hash) in scan.hashes.iter().enumerate() {
        let offset = crate::fseq::tick_of(rate, k as u64);
        if rgb_hashes.get(offset as usize) != Some(hash) {
            return vec![mismatch(
                file,
                Some(tick_at(k as u64)),
                format!("FSEQ frame {k} differs from the re-rendered frame"),
            )];
        }
    }
    if let Some((k, message)) = &scan.error {
        let tick = tick_at(*k).min(index.ticks().end - 1);
        return vec![mismatch(file, Some(tick), format!("FSEQ frame {k}: {message}"))];
    }
    Vec::new()
}

/// Compares two traces by their indexes (each checked for consistency first): `None` when
/// they hold the same frames at the same ticks, else the first tick where they differ (or
/// `None` as tick when the traces are not comparable, e.g. different sizes) and why.
///
/// # Errors
/// [`TraceError::BadInput`] when an index cannot be read, is inconsistent or does not match
/// its own digest.
pub fn diff_traces(a: &Path, b: &Path) -> Result<Option<(Option<u64>, String)>, TraceError> {
    let load = |dir: &Path| {
        let index = read_index(dir)?;
        index.check().map_err(|e| {
            TraceError::BadInput(format!(
                "`{}`: {e} (the index was edited or damaged; `tickframe verify` names the tick)",
                dir.display()
            ))
        })?;
        Ok::<_, TraceError>(index)
    };
    let (ia, ib) = (load(a)?, load(b)?);
    if (ia.width, ia.height) != (ib.width, ib.height) {
        return Ok(Some((
            None,
            format!("sizes differ: {}x{} and {}x{}", ia.width, ia.height, ib.width, ib.height),
        )));
    }
    if ia.rate != ib.rate {
        return Ok(Some((None, "frame rates differ".into())));
    }
    let (ra, rb) = (ia.ticks(), ib.ticks());
    if ra.start != rb.start {
        return Ok(Some((Some(ra.start.min(rb.start)), "the traces start at different ticks".into())));
    }
    for (x, y) in ia.frames.iter().zip(&ib.frames) {
        if x.hash != y.hash {
            return Ok(Some((
                Some(x.tick),
                format!("hash {} in `{}`, {} in `{}`", x.hash, a.display(), y.hash, b.display()),
            )));
        }
    }
    if ra.end != rb.end {
        let t = ra.end.min(rb.end);
        return Ok(Some((Some(t), format!("one trace ends before tick {t}"))));
    }
    Ok(None)
}
