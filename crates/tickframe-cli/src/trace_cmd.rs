//! `trace` (with `diff`, `prune`, `merge`), `verify` and `replay`: deterministic traces.
//!
//! The work is done by the `tickframe-trace` crate; this module parses options, shows progress
//! and maps errors onto exit codes (0 ok, 1 a check failed, 2 bad input).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use tickframe_core::{Frame, FrameRate, Size, Timebase};
use tickframe_engine::{Histogram, Percentiles};
use tickframe_scenes::file::{Overrides, SceneFile};
use tickframe_trace::{
    ExportOptions, Formats, PrunePolicy, TraceClock, TraceError, VerifyOptions, merge_traces, names,
    parse_age, read_index, store::StoreReader,
};

use crate::output::{NullOutput, Output, OutputSpec, PngDirOutput, RawOutput, RunInfo};
use crate::terminal::TerminalOutput;
use crate::{Failure, RenderOpts};

/// `tickframe trace`: export a trace, or `diff`, `prune`, `merge` traces.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TraceCommand {
    /// `diff`, `prune` or `merge` (without one: export a trace of FILE).
    #[command(subcommand)]
    pub action: Option<TraceAction>,
    /// Export options.
    #[command(flatten)]
    pub export: TraceArgs,
}

/// Options of `tickframe trace FILE -o DIR`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The scene file (TOML).
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// The trace folder to write (must be empty or missing unless --force).
    #[arg(short, long, required = true)]
    pub output: Option<PathBuf>,
    /// Seconds of animation to record from tick 0 (default 10 unless --ticks is given).
    #[arg(long, conflicts_with = "ticks")]
    pub seconds: Option<f64>,
    /// The tick range to record, `A..B` (B excluded), e.g. one shard of a long export.
    #[arg(long, value_parser = parse_ticks)]
    pub ticks: Option<std::ops::Range<u64>>,
    /// Worker threads rendering in parallel (default: all cores). The output does not depend on it.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Files to write, comma-separated: `gif`, `apng`, `tfs`, `fseq`, `all`.
    #[arg(long, default_value = "gif,apng,tfs")]
    pub format: String,
    /// Replace the trace in a non-empty output folder.
    #[arg(long)]
    pub force: bool,
    /// Shared rendering options (seed, fps, size, drawing path).
    #[command(flatten)]
    pub opts: RenderOpts,
    /// Clock overlay start (`--clock`, `--utc-offset`): recorded in the index, so `verify`
    /// renders the same times.
    #[command(flatten)]
    pub clock: crate::commands::ClockArgs,
}

/// The sub-actions of `tickframe trace`.
#[derive(Debug, Subcommand)]
pub enum TraceAction {
    /// Name the first tick where two traces differ (exit 1 when they differ).
    Diff {
        /// The first trace folder.
        a: PathBuf,
        /// The second trace folder.
        b: PathBuf,
    },
    /// Remove old traces under ROOT by a retention policy (see docs/traces.md).
    Prune {
        /// The folder holding trace folders; nothing outside it is ever touched.
        root: PathBuf,
        /// Keep at most the N newest complete traces.
        #[arg(long)]
        keep: Option<usize>,
        /// Keep the newest traces whose total size fits in this many MB (10^6 bytes).
        #[arg(long)]
        max_total_mb: Option<f64>,
        /// Remove traces older than this: `90s`, `30m`, `12h`, `7d`, `2w`.
        #[arg(long, value_parser = parse_age)]
        older_than: Option<Duration>,
        /// Also remove folders with trace files but no index (interrupted exports) older than 1 hour.
        #[arg(long)]
        incomplete: bool,
        /// Only print what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Join shard traces (consecutive tick ranges of the same scene) into one trace with the
    /// shards' files (GIF, APNG, frame store, FSEQ), byte for byte those of a single export.
    Merge {
        /// The shard trace folders, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// The merged trace folder to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        workers: Option<usize>,
        /// Replace the trace in a non-empty output folder.
        #[arg(long)]
        force: bool,
    },
}

/// Options of `tickframe verify DIR`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The trace folder.
    pub dir: PathBuf,
    /// Worker threads re-rendering in parallel (default: all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Resolve the scene's relative asset paths against this folder instead of the recorded one.
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Where to write the PNG of a mismatch (default: the trace folder).
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
}

/// Options of `tickframe replay DIR`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The trace folder (its frame store is played).
    pub dir: PathBuf,
    /// Where frames go: `terminal` (default), `png-dir:DIR`, `raw`, `null`.
    #[arg(long, default_value = "terminal")]
    pub out: String,
    /// Play as fast as possible instead of at the recorded pace (files are always fast).
    #[arg(long)]
    pub fast: bool,
    /// Write a JSON report here: frames presented, the recorded period, and the measured
    /// intervals between presents and lateness against each frame's deadline (milliseconds).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn parse_ticks(s: &str) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("invalid tick range `{s}`: expected A..B with A < B, e.g. 0..3600");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a >= b {
        return Err(bad());
    }
    Ok(a..b)
}

fn failure(e: TraceError) -> Failure {
    match e.exit_code() {
        1 => Failure::Check(e.to_string()),
        130 => Failure::Interrupted(e.to_string()),
        _ => Failure::BadInput(e.to_string()),
    }
}

fn stop_flag() -> &'static AtomicBool {
    static STOP: AtomicBool = AtomicBool::new(false);
    // Ctrl-C stops cleanly: no index is written. Ignore failure (a handler may exist already).
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
    &STOP
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if total < 120 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

fn workers(n: Option<usize>) -> Result<usize, Failure> {
    match n {
        Some(0) => Err(Failure::BadInput("--workers must be at least 1".into())),
        Some(n) => Ok(n),
        None => Ok(tickframe_trace::pool::default_workers()),
    }
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// `tickframe trace …`.
pub fn trace(cmd: TraceCommand) -> Result<(), Failure> {
    match cmd.action {
        Some(TraceAction::Diff { a, b }) => diff(&a, &b),
        Some(TraceAction::Prune { root, keep, max_total_mb, older_than, incomplete, dry_run }) => {
            let policy = PrunePolicy {
                keep,
                max_total_bytes: max_total_mb.map(|m| (m * 1e6) as u64),
                older_than,
                incomplete,
            };
            prune(&root, &policy, dry_run)
        }
        Some(TraceAction::Merge { shards, output, workers: w, force }) => {
            let stop = stop_flag();
            let opts = ExportOptions {
                dir: output.clone(),
                ticks: 0..0,
                workers: workers(w)?,
                formats: Formats::default(),
                force,
                stop,
                draw: tickframe_core::DrawMode::DisplayList,
                // Merging takes the shards' recorded clock start.
                clock: None,
            };
            let started = Instant::now();
            let total: u64 = shards.iter().filter_map(|d| read_index(d).ok()).map(|i| i.frame_count).sum();
            let bar = progress_bar(total);
            let result = merge_traces(&shards, &opts, &mut |n| bar.inc(n));
            bar.finish_and_clear();
            let s = result.map_err(failure)?;
            eprintln!(
                "merged {} shards into `{}`: ticks {}..{}, {} frames, digest {} ({:.2} s)",
                shards.len(),
                output.display(),
                s.index.first_tick,
                s.index.first_tick + s.index.frame_count,
                s.index.frame_count,
                s.index.digest,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        None => export(cmd.export),
    }
}

fn export(args: TraceArgs) -> Result<(), Failure> {
    let (Some(file), Some(dir)) = (args.file, args.output) else {
        return Err(Failure::BadInput("usage: tickframe trace FILE -o DIR".into()));
    };
    let formats = Formats::parse(&args.format).map_err(Failure::BadInput)?;
    let workers = workers(args.workers)?;
    if let Some(s) = args.seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(Failure::BadInput(format!("--seconds must be a positive number, got {s}")));
    }
    let o = &args.opts;
    let clock = crate::commands::resolve_clock(&args.clock)?;
    let overrides = Overrides { size: o.size, rate: o.fps, seed: o.seed };
    let scene = SceneFile::load_with_clock(&file, &overrides, clock.map(|c| c.start))
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    crate::commands::refuse_live(&scene, &file, "traced", "trace")?;
    for w in &scene.warnings {
        eprintln!("{w}");
    }
    let tb = Timebase::new(scene.rate);
    let ticks = match (args.ticks, args.seconds) {
        (Some(r), _) => r,
        (None, s) => 0..tb.ticks_for_seconds(s.unwrap_or(10.0)).max(1),
    };
    let asset_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stop = stop_flag();
    let opts = ExportOptions {
        dir: dir.clone(),
        ticks: ticks.clone(),
        workers,
        formats,
        force: args.force,
        stop,
        draw: o.draw.into(),
        clock: clock.map(|c| TraceClock {
            start_civil_seconds: c.start.seconds,
            start_unix_seconds: c.unix,
            utc_offset: c.offset.to_string(),
            replay: c.replay_args(),
        }),
    };
    let bar = progress_bar(ticks.end - ticks.start);
    let result = tickframe_trace::export_scene(&scene, &asset_dir, &opts, &mut |n| bar.inc(n));
    bar.finish_and_clear();
    let s = result.map_err(failure)?;
    let n = s.index.frame_count;
    let secs = s.elapsed.as_secs_f64();
    let anim = n as f64 * f64::from(scene.rate.den()) / f64::from(scene.rate.num());
    eprintln!(
        "traced `{}` ticks {}..{} ({n} frames, {anim:.2} s at {} fps, {}x{}) into `{}` in {secs:.2} s: {:.1}× real time, {} workers",
        file.display(),
        ticks.start,
        ticks.end,
        scene.rate,
        scene.size.width(),
        scene.size.height(),
        dir.display(),
        anim / secs.max(1e-9),
        s.workers,
    );
    let raw = n * u64::from(scene.size.width()) * u64::from(scene.size.height()) * 4;
    for (name, bytes) in &s.files {
        let pct = if name == names::STORE {
            format!(" ({:.1}% of raw RGBA)", 100.0 * *bytes as f64 / raw as f64)
        } else {
            String::new()
        };
        eprintln!("  {name:<12} {:>12}{pct}", human(*bytes));
    }
    if let Some(c) = &s.index.clock {
        eprintln!(
            "  clock overlays start at unix {} shown at {} (recorded: {})",
            c.start_unix_seconds, c.utc_offset, c.replay
        );
    }
    if s.index.gif_merged_frames > 0 {
        eprintln!("  {} identical consecutive frames merged in the GIF", s.index.gif_merged_frames);
    }
    println!("{}", s.index.digest);
    Ok(())
}

/// `tickframe verify DIR`.
pub fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let opts = VerifyOptions {
        workers: workers(args.workers)?,
        asset_dir: args.assets,
        report_dir: args.report_dir,
        stop: stop_flag(),
    };
    let index = read_index(&args.dir).map_err(failure)?;
    let bar = progress_bar(index.frame_count);
    let result = tickframe_trace::verify(&args.dir, &opts, &mut |n| bar.inc(n));
    bar.finish_and_clear();
    let report = result.map_err(failure)?;
    let anim = report.frames as f64 * f64::from(index.rate.den) / f64::from(index.rate.num);
    let secs = report.elapsed.as_secs_f64();
    if report.mismatches.is_empty() {
        eprintln!(
            "ok: {} frames ({anim:.2} s) verified in {secs:.2} s ({:.1}× real time): {}",
            report.frames,
            anim / secs.max(1e-9),
            report.checked.join(", ")
        );
        return Ok(());
    }
    for m in &report.mismatches {
        eprintln!("mismatch: {m}");
    }
    let first = &report.mismatches[0];
    Err(Failure::Check(format!(
        "the trace does not verify: first difference in `{}`{}",
        first.file,
        first.tick.map(|t| format!(" at tick {t}")).unwrap_or_default()
    )))
}

fn diff(a: &Path, b: &Path) -> Result<(), Failure> {
    match tickframe_trace::diff_traces(a, b).map_err(failure)? {
        None => {
            println!("identical: same frames at every tick");
            Ok(())
        }
        Some((tick, why)) => {
            println!("first difference at tick {}: {why}", tick.map_or("-".into(), |t| t.to_string()));
            Err(Failure::Check(format!(
                "`{}` and `{}` differ{}",
                a.display(),
                b.display(),
                tick.map(|t| format!(" from tick {t}")).unwrap_or_default()
            )))
        }
    }
}

fn prune(root: &Path, policy: &PrunePolicy, dry_run: bool) -> Result<(), Failure> {
    let actions = tickframe_trace::prune(root, policy, dry_run).map_err(failure)?;
    let (mut removed, mut bytes) = (0, 0);
    for a in &actions {
        if a.remove {
            removed += 1;
            bytes += a.entry.bytes;
        }
        println!(
            "{} {} ({}, {})",
            if a.remove { "remove" } else { "keep  " },
            a.entry.path.display(),
            human(a.entry.bytes),
            a.reason
        );
    }
    eprintln!(
        "{}{removed} of {} traces, {}",
        if dry_run { "would remove " } else { "removed " },
        actions.len(),
        human(bytes)
    );
    Ok(())
}

/// `tickframe replay DIR`.
pub fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let spec = OutputSpec::parse(&args.out).map_err(Failure::BadInput)?;
    let index = read_index(&args.dir).map_err(failure)?;
    let mut store = StoreReader::open(&args.dir.join(names::STORE)).map_err(failure)?;
    let size = Size::new(index.width, index.height).map_err(|e| Failure::BadInput(e.to_string()))?;
    let rate =
        FrameRate::new(index.rate.num, index.rate.den).map_err(|e| Failure::BadInput(e.to_string()))?;
    if store.header().first_tick != index.first_tick || store.len() as u64 != index.frame_count {
        return Err(Failure::Check("frames.tfs does not hold the ticks of index.json".into()));
    }
    if spec == OutputSpec::Terminal && !TerminalOutput::available() {
        return Err(Failure::BadInput(
            "stdout is not a terminal; use --out png-dir:DIR, --out raw or --out null".into(),
        ));
    }
    let paced = !args.fast && !matches!(spec, OutputSpec::PngDir(_) | OutputSpec::Raw);
    let mut out: Box<dyn Output> = match spec {
        OutputSpec::Terminal => Box::new(TerminalOutput::default()),
        OutputSpec::PngDir(dir) => Box::new(PngDirOutput::new(dir)),
        OutputSpec::Raw => Box::new(RawOutput::default()),
        OutputSpec::Null => Box::new(NullOutput),
        OutputSpec::Window { fullscreen, monitor } => {
            crate::devices::window_output(fullscreen, monitor).map_err(Failure::BadInput)?
        }
        OutputSpec::Device(url) => {
            crate::devices::device_output(&url, size, &crate::devices::DeviceArgs::default())
                .map_err(Failure::BadInput)?
                .output
        }
        OutputSpec::Hub75(spec) => {
            crate::devices::hub75_output(&spec, size, &crate::devices::DeviceArgs::default())
                .map_err(Failure::BadInput)?
                .output
        }
    };
    let info = RunInfo {
        size,
        rate,
        seed: index.seed,
        scene: args.dir.join(names::SCENE).display().to_string(),
        frames: Some(index.frame_count),
    };
    out.begin(&info).map_err(|e| Failure::BadInput(format!("{e:#}")))?;
    // Files and pipes go as fast as they can; everything else (displays, devices, null) at the
    // recorded pace, on absolute deadlines from the start (no drift, no catching up).
    let tb = Timebase::new(rate);
    let stop = stop_flag();
    let (mut intervals, mut lateness) = (Histogram::new(), Histogram::new());
    let mut last_present: Option<Instant> = None;
    let t0 = Instant::now();
    let mut frame = Frame::new(size);
    let mut presented = 0;
    for tick in index.ticks() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let bytes = store.frame(tick).map_err(failure)?;
        frame = Frame::from_rgba_bytes(size, bytes).unwrap_or(frame);
        let due = Duration::from_nanos(
            u64::try_from(tb.tick_to_nanos(tick - index.first_tick)).unwrap_or(u64::MAX),
        );
        if paced {
            wait_until(t0 + due);
        }
        let now = Instant::now();
        if let Some(prev) = last_present.replace(now) {
            intervals.record(u64::try_from((now - prev).as_nanos()).unwrap_or(u64::MAX));
        }
        if paced {
            lateness.record(
                u64::try_from(now.saturating_duration_since(t0 + due).as_nanos()).unwrap_or(u64::MAX),
            );
        }
        if !out.present(tick, frame.view())? {
            break;
        }
        presented += 1;
    }
    if presented == index.frame_count || out.is_realtime() {
        out.finish(presented)?;
    }
    let wall = t0.elapsed().as_secs_f64();
    let period_ms = 1000.0 * f64::from(rate.den()) / f64::from(rate.num());
    let iv = Percentiles::of(&intervals);
    eprintln!(
        "replayed {presented} frames in {wall:.2} s{}",
        if paced {
            format!(
                " at the recorded pace: interval p50 {:.2} ms, p99 {:.2} ms (period {period_ms:.2} ms)",
                iv.p50, iv.p99
            )
        } else {
            String::new()
        }
    );
    if let Some(path) = &args.report {
        let report = serde_json::json!({
            "trace": args.dir.display().to_string(),
            "output": out.name(),
            "paced": paced,
            "frames": index.frame_count,
            "presented": presented,
            "period_ms": period_ms,
            "wall_seconds": wall,
            "interval_ms": iv,
            "lateness_ms": Percentiles::of(&lateness),
        });
        let text = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::BadInput(format!("`{}`: {e}", path.display())))?;
    }
    Ok(())
}

/// Sleeps until `deadline`, then spins the last stretch (sleep overshoots by up to ~1 ms).
fn wait_until(deadline: Instant) {
    const SPIN: Duration = Duration::from_micros(1500);
    if let Some(wait) = deadline.checked_duration_since(Instant::now())
        && wait > SPIN
    {
        std::thread::sleep(wait - SPIN);
    }
    while Instant::now() < deadline {
        std::hint::spin_loop();
    }
}
