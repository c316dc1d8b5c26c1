//! `play` (through the render-ahead engine), `render`, `scenes` and `check`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tickframe_core::Tick;
use tickframe_core::{RenderContext, Renderer, Timebase};
use tickframe_engine::{
    Engine, EngineConfig, EngineError, EntryIndex, FaultPolicy, FrameLogWriter, MAX_WORKERS, MissPolicy,
    OutputOptions, RunOptions, SceneKey, physical_memory_kib,
};
use tickframe_scenes::compose::Playlist;
use tickframe_scenes::file::{Overrides, SceneFile, demo_scene};
use tickframe_scenes::photo::{ClockStart, UtcOffset};
use tickframe_scenes::registry::builtin_scenes;

use crate::devices::{
    BuiltDevice, DeviceArgs, device_output, hub75_output, scene_output_specs, window_output,
};
use crate::output::{
    AudioLatency, AudioOutput, NullOutput, Output, OutputSpec, PngDirOutput, RawOutput, WithProgress,
    encode_png, write_atomically,
};
use crate::terminal::TerminalOutput;
use crate::{Failure, RenderOpts};

/// Loads the scene file (or the built-in demo) with the command-line overrides, printing its
/// warnings to stderr.
fn load(file: Option<&Path>, opts: &RenderOpts) -> Result<SceneFile, Failure> {
    load_clocked(file, opts, None)
}

/// [`load`] with the start of every clock overlay replaced.
fn load_clocked(
    file: Option<&Path>,
    opts: &RenderOpts,
    clock: Option<ClockStart>,
) -> Result<SceneFile, Failure> {
    let overrides = Overrides { size: opts.size, rate: opts.fps, seed: opts.seed };
    let scene = match file {
        Some(path) => SceneFile::load_with_clock(path, &overrides, clock)
            .map_err(|e| Failure::BadInput(e.to_string()))?,
        None => demo_scene(&overrides),
    };
    for w in &scene.warnings {
        eprintln!("{w}");
    }
    Ok(scene)
}

fn scene_label(file: Option<&Path>) -> String {
    file.map_or_else(|| "<demo>".to_string(), |p| p.display().to_string())
}

/// A miss policy, as an option.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum MissArg {
    /// Show the previous frame again.
    Repeat,
    /// Render on the presenter thread when the time left allows, else repeat.
    Inline,
}

/// What a twice-panicking render shows, as an option.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum FaultArg {
    /// Red and black stripes.
    ErrorFrame,
    /// The previous frame again.
    Previous,
}

/// `play`'s render-ahead engine options.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Worker threads rendering ahead (1..=256). Default: the machine's cores.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Frame cache budget in MiB (at least one frame, at most 65536 MiB and the machine's
    /// memory). Default: 2 seconds of frames, at most 256 MiB, at least one frame.
    #[arg(long, allow_hyphen_values = true)]
    pub cache_mb: Option<f64>,
    /// On a miss (the due frame is not ready): `repeat` the previous frame, or render `inline`
    /// when 1.5× the recent render time fits before the deadline (else repeat).
    #[arg(long, value_enum, default_value_t = MissArg::Repeat)]
    pub miss: MissArg,
    /// What a render that panicked twice shows: `error-frame` (red/black stripes) or `previous`.
    #[arg(long, value_enum, default_value_t = FaultArg::ErrorFrame)]
    pub on_fault: FaultArg,
    /// Write the run's metrics as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write one JSON line per presented frame to this file (non-blocking; dropped records are
    /// counted in the summary). A write error is reported after the run (exit 2); the summary
    /// and `--report` are still written.
    #[arg(long)]
    pub log_frames: Option<PathBuf>,
    /// Present every tick in order as fast as possible instead of at real-time deadlines (for
    /// soak runs with `--out null`). File outputs are always unpaced.
    #[arg(long)]
    pub unpaced: bool,
    /// Leave presenter threads at normal scheduling priority (by default they ask for real-time
    /// priority where permitted, so a busy machine does not delay frames).
    #[arg(long)]
    pub normal_priority: bool,
    /// Shift the picture against external audio, in ms: positive shows each moment this much
    /// earlier (the frame at wall time t is the scene's frame for t + offset), negative later
    /// (tick 0 is held at the start). Whole ticks: rounded to the nearest frame. Recorded in
    /// the report.
    #[arg(long, allow_hyphen_values = true)]
    pub audio_offset_ms: Option<f64>,
    /// Play this audio file (WAV, FLAC, MP3, Ogg Vorbis; looped unless --play-audio-once) in
    /// step with the presented ticks: tick t sounds the file at t / fps seconds, pausing and
    /// seeking with the picture (`play` only; needs the `audio-out` feature). The picture can
    /// still be shifted against it with --audio-offset-ms.
    #[arg(long)]
    pub play_audio: Option<PathBuf>,
    /// Play the --play-audio file once, silence after its end (default: looped, as the
    /// visualizer's `loop = true`).
    #[arg(long, requires = "play_audio")]
    pub play_audio_once: bool,
    /// The audio output device for --play-audio. Default: the system's default output.
    #[arg(long, default_value = "default")]
    pub audio_device: String,
    /// How much earlier each tick's sound is queued, to make up for the audio device's output
    /// latency, in ms (0 to 10000), or `device`: what the device reports, read once at the start
    /// (0 when it reports nothing). Shown with the audio output in the summary and the report.
    #[arg(long, default_value = "device", requires = "play_audio", allow_hyphen_values = true)]
    pub audio_latency_ms: String,
}

impl Default for EngineArgs {
    fn default() -> Self {
        EngineArgs {
            workers: None,
            cache_mb: None,
            miss: MissArg::Repeat,
            on_fault: FaultArg::ErrorFrame,
            report: None,
            log_frames: None,
            unpaced: false,
            normal_priority: false,
            audio_offset_ms: None,
            play_audio: None,
            play_audio_once: false,
            audio_device: "default".into(),
            audio_latency_ms: "device".into(),
        }
    }
}

/// The content key of a loaded scene: XXH3-128 of its source text, seed, size and rate, so a
/// changed scene never matches another's cached frames.
pub fn scene_key(scene: &SceneFile) -> SceneKey {
    let text = format!("{}\0{}\0{}\0{}", scene.source, scene.seed, scene.size, scene.rate);
    SceneKey(xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

/// The largest `--cache-mb`.
pub const MAX_CACHE_MB: f64 = 65536.0;
/// The default cache budget's ceiling (the default is two seconds of frames).
const DEFAULT_CACHE_MAX: usize = 256 << 20;

/// The entries of a root playlist, for next/previous and for naming a slow entry.
struct PlaylistEntries(Arc<Playlist>);

impl PlaylistEntries {
    /// The pass containing `tick` and its first tick.
    fn pass(&self, tick: Tick) -> (u64, Tick) {
        let p = &self.0;
        if p.is_looping() && p.total_ticks() > 0 {
            let pass = tick / p.total_ticks();
            (pass, pass * p.total_ticks())
        } else {
            (0, 0)
        }
    }
}

impl EntryIndex for PlaylistEntries {
    fn entries(&self) -> usize {
        self.0.len()
    }

    fn entry_at(&self, tick: Tick) -> usize {
        self.0.position(tick).entry
    }

    fn next_start(&self, tick: Tick) -> Option<Tick> {
        let p = &self.0;
        let (pass, base) = self.pass(tick);
        let e = p.position(tick).entry;
        if e + 1 < p.len() {
            Some(base + p.start_of(e + 1))
        } else if p.is_looping() {
            Some((pass + 1).saturating_mul(p.total_ticks()))
        } else {
            None
        }
    }

    fn previous_start(&self, tick: Tick) -> Option<Tick> {
        let p = &self.0;
        let (pass, base) = self.pass(tick);
        let e = p.position(tick).entry;
        if e > 0 {
            Some(base + p.start_of(e - 1))
        } else if pass > 0 {
            Some((pass - 1) * p.total_ticks() + p.start_of(p.len() - 1))
        } else {
            Some(0)
        }
    }
}

/// Set by the Ctrl-C handler (installed once per process).
fn ctrl_c_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&flag);
        // When a handler cannot be installed, Ctrl-C keeps its default (the process ends).
        let _ = ctrlc::set_handler(move || f.store(true, Ordering::Relaxed));
        flag
    })
    .clone()
}

/// Sends worker fault messages (tracing events) to stderr.
fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .with_target(false)
        .try_init();
}

/// Clock overlay options (`play` and `render`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClockArgs {
    /// Start time of clock overlays: `now` (read once, at launch), unix seconds (as recorded in
    /// the report and the frame log), an RFC 3339 date-time (`2026-12-03T18:00:00+01:00`), or a
    /// zone-less `HH:MM[:SS]`, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]` shown as written.
    /// Default: the scene file's own start.
    #[arg(long)]
    pub clock: Option<String>,
    /// The UTC offset (`+HH:MM`, `-HH:MM`, `Z`) at which `--clock` instants are shown. Default:
    /// for `now`, this machine's offset (as `date +%z` prints it; UTC when that fails); for unix
    /// seconds, UTC; for an RFC 3339 time, its own offset.
    #[arg(long, allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
}

/// A `--clock` start, resolved once at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSetting {
    /// What the clock overlays show at tick 0.
    pub start: ClockStart,
    /// The instant, in seconds since 1970-01-01 00:00:00 UTC (for a zone-less start: the start
    /// read at `offset`).
    pub unix: i64,
    /// The offset the instant is shown at.
    pub offset: UtcOffset,
}

impl ClockSetting {
    /// The options that give exactly this start again.
    pub fn replay_args(&self) -> String {
        format!("--clock {} --utc-offset {}", self.unix, self.offset)
    }

    /// The fields recorded in reports, frame logs (and trace indexes): `clock_start_unix_seconds`,
    /// `clock_utc_offset` and `clock_replay` (the options that reproduce it).
    pub fn record(&self) -> serde_json::Value {
        serde_json::json!({
            "clock_start_unix_seconds": self.unix,
            "clock_utc_offset": self.offset.to_string(),
            "clock_replay": self.replay_args(),
        })
    }
}

/// This machine's UTC offset now, from `date +%z` (no time-zone database is read here).
fn local_utc_offset() -> Option<UtcOffset> {
    let out = std::process::Command::new("date").arg("+%z").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    out.status.success().then_some(())?;
    UtcOffset::parse(text.trim()).ok()
}

/// The clock start `--clock` and `--utc-offset` ask for: `now` reads the wall clock once, here,
/// at launch.
pub fn resolve_clock(args: &ClockArgs) -> Result<Option<ClockSetting>, Failure> {
    let offset = match &args.utc_offset {
        Some(t) => Some(UtcOffset::parse(t).map_err(|e| Failure::BadInput(format!("--utc-offset: {e}")))?),
        None => None,
    };
    let Some(text) = args.clock.as_deref() else {
        return match offset {
            Some(_) => Err(Failure::BadInput("--utc-offset needs --clock".into())),
            None => Ok(None),
        };
    };
    if text.trim() == "now" {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let offset = offset.or_else(local_utc_offset).unwrap_or(UtcOffset::UTC);
        return Ok(Some(ClockSetting { start: ClockStart::from_unix(unix, offset), unix, offset }));
    }
    let (start, unix) = ClockStart::parse_instant(text, offset)
        .map_err(|e| Failure::BadInput(format!("--clock: expected `now`, {}", e.0)))?;
    // The offset the start is shown at: given, or UTC for unix seconds, or the RFC 3339 time's
    // own (start − unix).
    let offset = match (offset, unix) {
        (Some(o), _) => o,
        (None, Some(u)) => UtcOffset { seconds: i32::try_from(start.seconds - u).unwrap_or(0) },
        (None, None) => UtcOffset::UTC,
    };
    let unix = unix.unwrap_or(start.seconds - i64::from(offset.seconds));
    Ok(Some(ClockSetting { start, unix, offset }))
}

/// `tickframe play`.
#[allow(clippy::too_many_arguments)]
pub fn play(
    file: Option<&Path>,
    outs: &[String],
    seconds: Option<f64>,
    opts: &RenderOpts,
    eng: &EngineArgs,
    devices: &DeviceArgs,
    clock: &ClockArgs,
) -> Result<(), Failure> {
    // Without --out, the scene file's `[[output]]` tables (each with its own LED options), else
    // the terminal.
    let clock = resolve_clock(clock)?;
    let clock_start = clock.map(|c| c.start);
    let mut scene = load_clocked(file, opts, clock_start)?;
    let scene_outputs = if outs.is_empty() { scene_output_specs(&scene, devices)? } else { Vec::new() };
    let mut per_output_args: Vec<(DeviceArgs, Option<String>)> = Vec::new();
    // Each output's seed offset (its frames are rendered at the run's seed plus it, wrapping).
    let mut seed_offsets: Vec<u64> = Vec::new();
    let specs: Vec<OutputSpec> = if !scene_outputs.is_empty() {
        scene_outputs
            .into_iter()
            .map(|o| {
                per_output_args.push((o.args, Some(o.at)));
                seed_offsets.push(o.seed_offset);
                o.spec
            })
            .collect()
    } else if outs.is_empty() {
        vec![OutputSpec::Terminal]
    } else {
        outs.iter()
            .map(|o| {
                let (spec, offset) = OutputSpec::parse_with_seed_offset(o)?;
                seed_offsets.push(offset.unwrap_or(0));
                Ok(spec)
            })
            .collect::<Result<_, String>>()
            .map_err(Failure::BadInput)?
    };
    let realtime = specs.iter().any(OutputSpec::is_realtime);
    let files = specs.iter().any(|s| matches!(s, OutputSpec::PngDir(_) | OutputSpec::Raw));
    if realtime && files {
        return Err(Failure::BadInput(
            "file outputs (png-dir, raw) are written as fast as possible and cannot be combined with \
             real-time outputs (terminal, window, controllers) in one run"
                .into(),
        ));
    }
    if specs.iter().filter(|s| **s == OutputSpec::Terminal).count() > 1 {
        return Err(Failure::BadInput("--out terminal can be given only once".into()));
    }
    if let Some(s) = seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(Failure::BadInput(format!("--seconds must be a positive number, got {s}")));
    }
    if eng.workers == Some(0) {
        return Err(Failure::BadInput("--workers must be at least 1 (got 0)".into()));
    }
    if let Some(w) = eng.workers
        && w > MAX_WORKERS
    {
        return Err(Failure::BadInput(format!(
            "--workers {w} is too many: tickframe starts at most {MAX_WORKERS} worker threads (this machine has {} cores)",
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        )));
    }
    let physical = physical_memory_kib().map(|k| k.saturating_mul(1024));
    if let Some(mb) = eng.cache_mb {
        if !(mb.is_finite() && mb > 0.0) {
            return Err(Failure::BadInput(format!("--cache-mb must be a positive number of MiB, got {mb}")));
        }
        if mb > MAX_CACHE_MB {
            return Err(Failure::BadInput(format!(
                "--cache-mb {mb} is more than the maximum of {MAX_CACHE_MB} MiB"
            )));
        }
        if let Some(bytes) = physical
            && mb * 1048576.0 > bytes as f64
        {
            return Err(Failure::BadInput(format!(
                "--cache-mb {mb} is more than this machine's memory ({:.0} MiB)",
                bytes as f64 / 1048576.0
            )));
        }
    }
    if specs.contains(&OutputSpec::Terminal) && !TerminalOutput::available() {
        return Err(Failure::BadInput(
            "stdout is not a terminal, so the terminal preview cannot run; \
             use --out png-dir:DIR, --out raw (piped, e.g. to ffmpeg) or --out null"
                .into(),
        ));
    }
    let tb = Timebase::new(scene.rate);
    let shift = match eng.audio_offset_ms {
        Some(ms) if !ms.is_finite() || ms.abs() > 3_600_000.0 => {
            return Err(Failure::BadInput(format!(
                "--audio-offset-ms must be a number of ms within ±3600000, got {ms}"
            )));
        }
        Some(ms) => {
            let ticks = tb.ticks_for_seconds(ms.abs() / 1000.0) as i64;
            if ms < 0.0 { -ticks } else { ticks }
        }
        None => 0,
    };
    let live = scene.live.clone();
    if live.is_some() && shift != 0 {
        return Err(Failure::BadInput(
            "--audio-offset-ms cannot shift live audio input: a live visualizer shows the sound as it arrives".into(),
        ));
    }
    if shift != 0 {
        scene.root = Arc::new(TickShift { inner: Arc::clone(&scene.root), ticks: shift });
        // Shifted frames are other frames: keep them apart from the unshifted scene's.
        scene.source.push_str(&format!("\n# --audio-offset-ms: {shift} ticks"));
    }
    let frame_bytes = scene.size.area() * 4;
    let workers = eng
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get));
    let cache_bytes = match eng.cache_mb {
        Some(mb) => {
            let bytes = (mb * 1048576.0) as usize;
            if bytes < frame_bytes {
                return Err(Failure::BadInput(format!(
                    "--cache-mb {mb} holds less than one frame: a {} frame is {frame_bytes} bytes ({:.3} MiB)",
                    scene.size,
                    frame_bytes as f64 / 1048576.0
                )));
            }
            bytes
        }
        None => {
            // Two seconds of frames within the default budget, but always at least one frame.
            let two_seconds = tb.ticks_for_seconds(2.0).max(1) as usize;
            two_seconds.saturating_mul(frame_bytes).min(DEFAULT_CACHE_MAX).max(frame_bytes)
        }
    };
    // Every frame buffer the run can hold at once: the cache's frames (at most the engine's
    // look-ahead), two per worker (in flight, not yet evicted), three per output plus each
    // output's own frame.
    let outputs_n = specs.len().max(1);
    let cache_frames = (cache_bytes / frame_bytes.max(1)).min(EngineConfig::default().max_lookahead as usize);
    let buffers = cache_frames + 2 * workers + 4 * outputs_n + 2;
    let footprint = buffers as f64 * frame_bytes as f64;
    if let Some(bytes) = physical
        && footprint > bytes as f64 * 0.9
    {
        return Err(Failure::BadInput(format!(
            "a {} frame is {:.1} MiB and this run would hold up to {buffers} of them ({:.1} GiB: cache, {workers} worker(s), outputs), more than this machine's memory ({:.1} GiB); use a smaller --size, fewer --workers or a smaller --cache-mb",
            scene.size,
            frame_bytes as f64 / 1048576.0,
            footprint / f64::from(1u32 << 30),
            bytes as f64 / f64::from(1u32 << 30)
        )));
    }
    let paced = !eng.unpaced && !files;
    let frames = match seconds {
        Some(s) => Some(tb.ticks_for_seconds(s).max(1)),
        None if realtime => None,
        None => Some(tb.ticks_for_seconds(10.0)),
    };
    let mut outputs: Vec<(Box<dyn Output>, OutputOptions)> = Vec::with_capacity(specs.len());
    // One progress bar (stderr, terminals only) for a run that is not real time.
    let mut bar = if paced { None } else { frames };
    let mut device_metrics = Vec::new();
    let mut device = |built: Result<BuiltDevice, String>| -> Result<Box<dyn Output>, Failure> {
        let built = built.map_err(Failure::BadInput)?;
        device_metrics.push(built.metrics);
        Ok(built.output)
    };
    for (i, spec) in specs.into_iter().enumerate() {
        // LED options and the error location of a scene file's `[[output]]`, or the command line's.
        let (devices, at) = per_output_args.get(i).map_or((devices, None), |(a, at)| (a, at.as_deref()));
        let located =
            |r: Result<BuiltDevice, String>| r.map_err(|e| at.map_or(e.clone(), |at| format!("{at}: {e}")));
        let out: Box<dyn Output> = match spec {
            OutputSpec::Terminal => Box::new(TerminalOutput::default()),
            OutputSpec::PngDir(dir) => Box::new(PngDirOutput::new(dir)),
            OutputSpec::Raw => Box::new(RawOutput::default()),
            OutputSpec::Null => Box::new(NullOutput),
            OutputSpec::Window { fullscreen, monitor } => {
                window_output(fullscreen, monitor).map_err(Failure::BadInput)?
            }
            OutputSpec::Device(url) => device(located(device_output(&url, scene.size, devices)))?,
            OutputSpec::Hub75(spec) => device(located(hub75_output(&spec, scene.size, devices)))?,
        };
        let out: Box<dyn Output> = match bar.take_if(|_| !out.is_realtime()) {
            Some(total) => Box::new(WithProgress::new(out, total)),
            None => out,
        };
        outputs.push((out, OutputOptions { seed_offset: seed_offsets.get(i).copied().unwrap_or(0) }));
    }
    if let Some(path) = &eng.play_audio {
        if !paced {
            return Err(Failure::BadInput(
                "--play-audio needs a run at real-time pace (not --unpaced or a file output)".into(),
            ));
        }
        let latency = match eng.audio_latency_ms.trim() {
            "device" => AudioLatency::Device,
            other => match other.parse::<f64>() {
                Ok(ms) if (0.0..=10_000.0).contains(&ms) => AudioLatency::Ms(ms),
                _ => {
                    return Err(Failure::BadInput(format!(
                        "--audio-latency-ms must be `device` or a number of ms from 0 to 10000, got `{other}`"
                    )));
                }
            },
        };
        let clip =
            tickframe_scenes::audio::decode_file(path).map_err(|e| Failure::BadInput(e.to_string()))?;
        let device = tickframe_scenes::audio::PlaybackDevice::open(&eng.audio_device, 250)
            .map_err(|e| Failure::BadInput(format!("--play-audio: {e}")))?;
        let out = AudioOutput::new(clip, !eng.play_audio_once, latency, device);
        outputs.push((Box::new(out), OutputOptions::default()));
    }
    let config = EngineConfig {
        workers,
        cache_bytes,
        render_ahead: true,
        draw_mode: opts.draw.into(),
        miss_policy: match eng.miss {
            MissArg::Repeat => MissPolicy::RepeatPrevious,
            MissArg::Inline => MissPolicy::RenderInline,
        },
        fault_policy: match eng.on_fault {
            FaultArg::ErrorFrame => FaultPolicy::ErrorFrame,
            FaultArg::Previous => FaultPolicy::PreviousFrame,
        },
        raise_presenter_priority: !eng.normal_priority,
        // Live input: render each frame just in time (at most two frames ahead), so it shows the
        // sound of the moment it is presented.
        min_lookahead: if live.is_some() { 1 } else { 0 },
        max_lookahead: if live.is_some() {
            LIVE_MAX_LOOKAHEAD
        } else {
            EngineConfig::default().max_lookahead
        },
        ..EngineConfig::default()
    };
    let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
    let mut engine = Engine::new(Arc::clone(&scene.root), scene_key(&scene), base, config)
        .map_err(|e| Failure::BadInput(e.to_string()))?
        .with_alloc_counter(crate::alloc_count::allocations)
        .with_counted_threads(crate::alloc_count::count_this_thread);
    if let Some(playlist) = &scene.root_playlist {
        // Window keys n/p jump between entries; a slow entry is named in the summary.
        engine = engine.with_entries(Arc::new(PlaylistEntries(Arc::clone(playlist))));
    }
    init_tracing();
    let log_writer = match &eng.log_frames {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Failure::BadInput(format!("cannot create `{}`: {e}", path.display())))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
            if let Some(c) = clock {
                // First line: the clock start, so the run can be reproduced from the log alone.
                use std::io::Write;
                writeln!(w, "{}", c.record()).map_err(anyhow::Error::from)?;
            }
            let names = outputs.iter().map(|(o, _)| o.name().to_string()).collect();
            // With live input, every line carries the bands its tick was drawn from.
            let bands = live.clone().map(|l| Arc::new(LiveBands(l)) as Arc<dyn tickframe_engine::TickBands>);
            Some(FrameLogWriter::start_with_bands(w, 1 << 16, names, "cpu", bands)?)
        }
        None => None,
    };
    let run = RunOptions {
        frames,
        paced,
        stop: Some(ctrl_c_flag()),
        log: log_writer.as_ref().and_then(FrameLogWriter::log),
        scene_name: scene_label(file),
    };
    // Slideshows with `rescan`: each looks for new files on a thread of its own.
    let rescan_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rescanners: Vec<_> = scene
        .rescans
        .iter()
        .filter_map(|r| {
            let (r, stop) = (Arc::clone(r), Arc::clone(&rescan_stop));
            std::thread::Builder::new()
                .name("tickframe-rescan".into())
                .spawn(move || rescan_loop(&r, &stop))
                .ok()
        })
        .collect();
    let result = engine.run_with(outputs, run);
    rescan_stop.store(true, Ordering::Relaxed);
    for t in rescanners {
        let _ = t.join();
    }
    // A failed log loses neither the summary nor the report: its error is returned last.
    let log_stats = log_writer.map(FrameLogWriter::finish);
    let mut log_error = log_stats.as_ref().and_then(|l| l.error.clone());
    if let (Some(path), None) = (&eng.log_frames, &log_error)
        && let Err(e) = append_photo_additions(path, &scene.rescans)
    {
        log_error = Some(e.to_string());
    }
    let mut report = result.map_err(|e| match e {
        EngineError::Begin { .. } => Failure::BadInput(e.to_string()),
        e => Failure::Io(e.into()),
    })?;
    report.log = log_stats;
    let (presented, dropped) = report.outputs.first().map_or((0, 0), |o| (o.presented, o.dropped));
    let played = tb.tick_to_seconds(report.ticks);
    let render = if report.workers > 0 { report.worker_render_ms } else { Default::default() };
    eprintln!(
        "{} frames ({played:.2} s of animation at {} fps) in {:.2} s; {presented} presented, {dropped} dropped; render p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        report.ticks, scene.rate, report.wall_seconds, render.p50, render.p99, render.max
    );
    eprint!("{}", report.summary());
    let device_reports: Vec<_> =
        device_metrics.iter().map(tickframe_outputs::DeviceMetrics::report).collect();
    for d in &device_reports {
        eprintln!("{}", d.summary_line());
    }
    if let Some(input) = &live {
        eprintln!(
            "live audio input `{}` ({} Hz): NOT reproducible; {} hops analysed, {} samples dropped, {} stream errors; \
             latency: {:.0} ms of analysis window + up to {LIVE_MAX_LOOKAHEAD} frames rendered ahead + the device's buffer",
            input.device(),
            input.rate(),
            input.hops(),
            input.overruns(),
            input.stream_errors(),
            input.analysis_latency_ms()
        );
    }
    for r in scene.rescans.iter().filter(|r| !r.additions().is_empty()) {
        eprintln!(
            "slideshow `{}`: photos joined during the run; to show the same frames again, give its table {}",
            r.folder().display(),
            r.added_toml()
        );
    }
    if let Some(c) = clock {
        eprintln!(
            "clock overlays started at {} s since 1970-01-01 UTC, shown at UTC{}; replay with {}",
            c.unix,
            c.offset,
            c.replay_args()
        );
    }
    // Ctrl-C before a bounded run is done: say so, and fail (no file output was finished, so a
    // png-dir has no manifest). Ending an unbounded real-time run with Ctrl-C is normal.
    let interrupted = ctrl_c_flag().load(Ordering::Relaxed)
        && frames.is_some()
        && report.outputs.iter().any(|o| !o.finished && !o.stopped_by_output);
    if let Some(path) = &eng.report {
        let mut value = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
        if let (Some(obj), Some(ms)) = (value.as_object_mut(), eng.audio_offset_ms) {
            obj.insert("audio_offset_ms".into(), serde_json::json!(ms));
            obj.insert("audio_offset_ticks".into(), serde_json::json!(shift));
        }
        if let (Some(obj), Some(c)) = (value.as_object_mut(), clock) {
            // Recorded so a run with `--clock now` can be reproduced: `--clock` and
            // `--utc-offset` take these back.
            if let serde_json::Value::Object(fields) = c.record() {
                obj.extend(fields);
            }
        }
        if let Some(obj) = value.as_object_mut() {
            // A live run cannot be reproduced from the scene file: say so, and what it listened to.
            obj.insert("live_input".into(), serde_json::json!(live.is_some()));
            if let Some(input) = &live {
                obj.insert("live_audio".into(), live_record(input, LIVE_MAX_LOOKAHEAD, tb));
            }
        }
        if let (Some(obj), false) = (value.as_object_mut(), scene.rescans.is_empty()) {
            // Photos that joined (slideshow `rescan`), with the `added` that reproduces them.
            let rescans: Vec<_> = scene
                .rescans
                .iter()
                .map(|r| {
                    let additions: Vec<_> = r
                        .additions()
                        .iter()
                        .map(|a| serde_json::json!({ "slot": a.slot, "tick": a.tick, "files": a.files }))
                        .collect();
                    serde_json::json!({
                        "folder": r.folder().display().to_string(),
                        "additions": additions,
                        "added": r.added_toml(),
                    })
                })
                .collect();
            obj.insert("photo_rescans".into(), serde_json::json!(rescans));
        }
        if let Some(obj) = value.as_object_mut() {
            // What each device output sent (frames, overwritten ticks, send times, failure).
            obj.insert("devices".into(), serde_json::to_value(&device_reports).map_err(anyhow::Error::from)?);
        }
        let text = serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?;
        write_atomically(path, text.as_bytes())
            .map_err(|e| Failure::BadInput(format!("cannot write `{}`: {e}", path.display())))?;
    }
    if let (Some(e), Some(path)) = (log_error, &eng.log_frames) {
        return Err(Failure::Io(anyhow::anyhow!(
            "writing the frame log `{}` failed: {e}; it is incomplete (the summary and report above are complete)",
            path.display()
        )));
    }
    if let Some(d) = device_reports.iter().find(|d| d.failed.is_some()) {
        return Err(Failure::Io(anyhow::anyhow!(
            "output {} failed: {}; it sent {} of {} frames",
            d.output,
            d.failed.as_deref().unwrap_or_default(),
            d.frames_sent,
            d.frames_presented
        )));
    }
    if interrupted {
        return Err(Failure::Interrupted(format!(
            "interrupted by Ctrl-C after {} of {} frames: the run is incomplete{}",
            report.ticks,
            frames.unwrap_or(0),
            if report.outputs.iter().any(|o| o.output == "png-dir") {
                " (no manifest.json written)"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// A scene seen `ticks` later (or, negative, earlier, holding tick 0 before its start): what
/// `play --audio-offset-ms` shows.
struct TickShift {
    inner: Arc<dyn tickframe_core::Scene>,
    ticks: i64,
}

impl tickframe_core::Scene for TickShift {
    fn render(&self, ctx: &RenderContext, canvas: &mut tickframe_core::Canvas<'_>) {
        let tick = i64::try_from(ctx.tick).unwrap_or(i64::MAX).saturating_add(self.ticks).max(0) as u64;
        self.inner.render(&RenderContext { tick, ..*ctx }, canvas);
    }
}

/// Appends one `photos_added` line per photo addition of the run (slideshow `rescan`) to the
/// frame log, after its frame lines, with the `added` line that reproduces it.
fn append_photo_additions(
    path: &Path,
    rescans: &[Arc<tickframe_scenes::photo::PhotoRescan>],
) -> std::io::Result<()> {
    use std::io::Write;
    let lines: Vec<String> = rescans
        .iter()
        .flat_map(|r| {
            let (folder, added) = (r.folder().display().to_string(), r.added_toml());
            r.additions().into_iter().map(move |a| {
                serde_json::json!({ "photos_added": {
                    "folder": folder, "slot": a.slot, "tick": a.tick, "files": a.files, "added": added,
                } })
                .to_string()
            })
        })
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new().append(true).open(path)?;
    for l in lines {
        writeln!(f, "{l}")?;
    }
    f.sync_data()
}

/// A slideshow's `rescan` during `play`: looks every `rescan` seconds until `stop`, and says
/// what joined (on this thread, never the presenting one).
fn rescan_loop(r: &tickframe_scenes::photo::PhotoRescan, stop: &std::sync::atomic::AtomicBool) {
    let period = std::time::Duration::from_secs_f64(r.period_seconds().max(1.0));
    let mut next = std::time::Instant::now() + period;
    while !stop.load(Ordering::Relaxed) {
        let now = std::time::Instant::now();
        if now >= next {
            if let Some(a) = r.rescan() {
                eprintln!(
                    "slideshow `{}`: {} new photo{} join{} at slot {} (tick {}): {}",
                    r.folder().display(),
                    a.files.len(),
                    if a.files.len() == 1 { "" } else { "s" },
                    if a.files.len() == 1 { "s" } else { "" },
                    a.slot,
                    a.tick,
                    a.files.join(", ")
                );
            }
            next = std::time::Instant::now() + period;
        }
        std::thread::sleep(next.saturating_duration_since(now).min(std::time::Duration::from_millis(50)));
    }
}

/// Refuses a scene with live audio input for a command that needs reproducible frames (`done`:
/// "traced", `verb`: "trace").
pub fn refuse_live(scene: &SceneFile, file: &Path, done: &str, verb: &str) -> Result<(), Failure> {
    match &scene.live {
        Some(_) => Err(Failure::BadInput(format!(
            "`{}` takes live audio input (`source = \"live\"`): its frames are not reproducible, so it cannot be {done}; \
             play it with `--log-frames FILE`, then {verb} a copy with `source = \"log\"` and `path = \"FILE\"` \
             (it draws each tick from the bands the log recorded, exactly as shown)",
            file.display()
        ))),
        None => Ok(()),
    }
}

/// The frame log's view of a live input: the band values each tick was drawn from.
struct LiveBands(Arc<tickframe_scenes::audio::LiveInput>);

impl tickframe_engine::TickBands for LiveBands {
    fn bands_of(
        &self,
        tick: u64,
        levels: &mut [u16; tickframe_engine::MAX_LOG_BANDS],
        peaks: &mut [u16; tickframe_engine::MAX_LOG_BANDS],
    ) -> usize {
        let mut row = tickframe_scenes::audio::BandRow::empty(0);
        if !self.0.recorded(tick, &mut row) {
            return 0;
        }
        let n = row.bands.min(tickframe_engine::MAX_LOG_BANDS);
        levels[..n].copy_from_slice(&row.levels[..n]);
        peaks[..n].copy_from_slice(&row.peaks[..n]);
        n
    }
}

/// The report's and summary's account of a live input.
fn live_record(
    input: &tickframe_scenes::audio::LiveInput,
    lookahead: u64,
    tb: Timebase,
) -> serde_json::Value {
    serde_json::json!({
        "device": input.device(),
        "sample_rate": input.rate(),
        "reproducible": false,
        "analysis_latency_ms": input.analysis_latency_ms(),
        "max_render_ahead_frames": lookahead,
        "max_render_ahead_ms": tb.tick_to_seconds(lookahead) * 1000.0,
        "hops_analysed": input.hops(),
        "samples_dropped": input.overruns(),
        "stream_errors": input.stream_errors(),
    })
}

/// Frames a live scene may be rendered ahead of its deadline (the engine's look-ahead window).
pub const LIVE_MAX_LOOKAHEAD: u64 = 2;

/// `tickframe audio-devices`.
pub fn audio_devices() -> Result<(), Failure> {
    let devices = tickframe_scenes::audio::live::input_devices().map_err(Failure::BadInput)?;
    println!("default\n    the system's default input");
    for d in devices {
        let config =
            d.default_config.map_or(String::new(), |(rate, ch)| format!(" ({rate} Hz, {ch} channel(s))"));
        println!("{}\n    {}{config}", d.id, d.name);
    }
    Ok(())
}

/// `tickframe render`.
pub fn render(
    file: &Path,
    tick: u64,
    output: &Path,
    opts: &RenderOpts,
    clock: &ClockArgs,
) -> Result<(), Failure> {
    let clock = resolve_clock(clock)?;
    let scene = load_clocked(Some(file), opts, clock.map(|c| c.start))?;
    refuse_live(&scene, file, "rendered", "render")?;
    let ctx = RenderContext::new(scene.size, scene.rate, scene.seed, tick);
    let frame = Renderer::new(opts.draw.into()).render_new(&*scene.root, &ctx);
    let mut png = Vec::new();
    encode_png(frame.view(), &mut png)?;
    write_atomically(output, &png)
        .map_err(|e| Failure::BadInput(format!("cannot write `{}`: {e}", output.display())))?;
    eprintln!("wrote {} ({}, tick {tick}, seed {})", output.display(), scene.size, scene.seed);
    Ok(())
}

/// `tickframe scenes`.
pub fn scenes(name: Option<&str>) -> Result<(), Failure> {
    let mut any = false;
    for info in builtin_scenes().filter(|s| name.is_none_or(|n| n == s.name)) {
        any = true;
        println!("{}\n    {}", info.name, info.summary);
        if info.params.is_empty() {
            println!("    (no parameters)");
        }
        for p in info.params {
            println!("    {:<14} {:<24} {:<22} {}", p.name, p.kind, p.default_label(), p.doc);
        }
        println!();
    }
    if !any {
        let n = name.unwrap_or_default();
        return Err(Failure::BadInput(format!(
            "no built-in scene called `{n}`{}",
            tickframe_scenes::params::did_you_mean(n, builtin_scenes().map(|s| s.name))
        )));
    }
    Ok(())
}

/// `tickframe check`.
pub fn check(file: &Path) -> Result<(), Failure> {
    let opts = RenderOpts { seed: None, fps: None, size: None, draw: crate::DrawArg::List };
    let scene = load(Some(file), &opts)?;
    println!(
        "ok: {} is valid: {} at {} fps, seed {}, {} warning(s)",
        file.display(),
        scene.size,
        scene.rate,
        scene.seed,
        scene.warnings.len()
    );
    Ok(())
}
