//! `play`, `render`, `scenes` and `check`.

use std::path::Path;
use std::time::{Duration, Instant};

use tickframe_core::{Frame, RenderContext, Renderer, Timebase};
use tickframe_scenes::file::{Overrides, SceneFile, demo_scene, load_scene_file};
use tickframe_scenes::registry::builtin_scenes;

use crate::output::{
    NullOutput, Output, OutputSpec, PngDirOutput, RawOutput, RunInfo, encode_png, write_atomically,
};
use crate::terminal::TerminalOutput;
use crate::{Failure, RenderOpts};

/// Loads the scene file (or the built-in demo) with the command-line overrides, printing its
/// warnings to stderr.
fn load(file: Option<&Path>, opts: &RenderOpts) -> Result<SceneFile, Failure> {
    let overrides = Overrides { size: opts.size, rate: opts.fps, seed: opts.seed };
    let scene = match file {
        Some(path) => load_scene_file(path, &overrides).map_err(|e| Failure::BadInput(e.to_string()))?,
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

/// Render-time statistics of a run, in microseconds.
#[derive(Default)]
struct Timings {
    samples: Vec<u32>,
}

impl Timings {
    const MAX_SAMPLES: usize = 1 << 20;

    fn record(&mut self, d: Duration) {
        if self.samples.len() < Self::MAX_SAMPLES {
            self.samples.push(d.as_micros().min(u128::from(u32::MAX)) as u32);
        }
    }

    fn percentile_ms(&self, sorted: &[u32], p: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let i = ((sorted.len() - 1) as f64 * p).round() as usize;
        f64::from(sorted[i]) / 1000.0
    }

    fn summary(&self) -> String {
        let mut s = self.samples.clone();
        s.sort_unstable();
        format!(
            "render p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            self.percentile_ms(&s, 0.5),
            self.percentile_ms(&s, 0.99),
            self.percentile_ms(&s, 1.0)
        )
    }
}

/// `tickframe play`.
pub fn play(file: Option<&Path>, out: &str, seconds: Option<f64>, opts: &RenderOpts) -> Result<(), Failure> {
    let spec = OutputSpec::parse(out).map_err(Failure::BadInput)?;
    if let Some(s) = seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(Failure::BadInput(format!("--seconds must be a positive number, got {s}")));
    }
    if spec == OutputSpec::Terminal && !TerminalOutput::available() {
        return Err(Failure::BadInput(
            "stdout is not a terminal, so the terminal preview cannot run; \
             use --out png-dir:DIR, --out raw (piped, e.g. to ffmpeg) or --out null"
                .into(),
        ));
    }
    let scene = load(file, opts)?;
    let tb = Timebase::new(scene.rate);
    let mut terminal = None;
    let mut other: Box<dyn Output> = match spec {
        OutputSpec::Terminal => {
            terminal = Some(TerminalOutput::default());
            Box::new(NullOutput)
        }
        OutputSpec::PngDir(dir) => Box::new(PngDirOutput::new(dir)),
        OutputSpec::Raw => Box::new(RawOutput::default()),
        OutputSpec::Null => Box::new(NullOutput),
    };
    let realtime = terminal.is_some();
    let frames = match seconds {
        Some(s) => Some(tb.ticks_for_seconds(s).max(1)),
        None if realtime => None,
        None => Some(tb.ticks_for_seconds(10.0)),
    };
    let info =
        RunInfo { size: scene.size, rate: scene.rate, seed: scene.seed, scene: scene_label(file), frames };
    let mut renderer = Renderer::new(opts.draw.into());
    let mut frame = Frame::new(scene.size);
    let base = RenderContext::new(scene.size, scene.rate, scene.seed, 0);
    let mut timings = Timings::default();
    let started = Instant::now();

    let (presented, dropped) = if let Some(term) = terminal.as_mut() {
        term.begin(&info).map_err(|e| Failure::BadInput(format!("{e:#}")))?;
        let result = play_paced(term, &*scene.root, &mut renderer, &mut frame, base, frames, &mut timings);
        term.finish(result.as_ref().map_or(0, |r| r.0))?;
        result?
    } else {
        let out = other.as_mut();
        out.begin(&info).map_err(|e| Failure::BadInput(format!("{e:#}")))?;
        let total = frames.unwrap_or(0);
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} frames, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        if total < 120 {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let mut presented = 0;
        for tick in 0..total {
            let t = Instant::now();
            renderer.render(&*scene.root, &base.at_tick(tick), &mut frame);
            timings.record(t.elapsed());
            if !out.present(tick, frame.view())? {
                break;
            }
            presented += 1;
            bar.inc(1);
        }
        bar.finish_and_clear();
        if presented == total {
            out.finish(presented)?;
        }
        (presented, 0)
    };
    let wall = started.elapsed().as_secs_f64();
    let played = tb.tick_to_seconds(presented);
    eprintln!(
        "{presented} frames ({played:.2} s of animation at {} fps) in {wall:.2} s; {dropped} dropped; {}",
        scene.rate,
        timings.summary()
    );
    Ok(())
}

/// Plays in real time: frame `k` is due at `t0 + k / fps` (absolute deadlines, no drift); after
/// a stall it skips to the tick that is due now instead of catching up, counting the skipped
/// ticks as dropped. Returns `(presented, dropped)`.
fn play_paced(
    term: &mut TerminalOutput,
    scene: &dyn tickframe_core::Scene,
    renderer: &mut Renderer,
    frame: &mut Frame,
    base: RenderContext,
    frames: Option<u64>,
    timings: &mut Timings,
) -> Result<(u64, u64), Failure> {
    let tb = base.timebase;
    let t0 = Instant::now();
    let (mut tick, mut presented, mut dropped) = (0u64, 0u64, 0u64);
    let mut status = String::new();
    while frames.is_none_or(|n| tick < n) {
        let t = Instant::now();
        renderer.render(scene, &base.at_tick(tick), frame);
        let took = t.elapsed();
        timings.record(took);
        status.clear();
        use std::fmt::Write as _;
        let _ = write!(
            status,
            "tick {tick}  {:.1} s  render {:.2} ms  dropped {dropped}",
            tb.tick_to_seconds(tick),
            took.as_secs_f64() * 1e3
        );
        term.set_status(&status);
        if !term.present(tick, frame.view())? {
            break;
        }
        presented += 1;
        let due = Duration::from_nanos(u64::try_from(tb.tick_to_nanos(tick + 1)).unwrap_or(u64::MAX));
        if let Some(wait) = due.checked_sub(t0.elapsed()) {
            std::thread::sleep(wait);
        }
        let now_tick = tb.tick_at_nanos(t0.elapsed().as_nanos());
        let next = now_tick.max(tick + 1);
        dropped += next - (tick + 1);
        tick = next;
    }
    Ok((presented, dropped))
}

/// `tickframe render`.
pub fn render(file: &Path, tick: u64, output: &Path, opts: &RenderOpts) -> Result<(), Failure> {
    let scene = load(Some(file), opts)?;
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
            let default =
                if p.default.is_empty() { "required".to_string() } else { format!("default {}", p.default) };
            println!("    {:<14} {:<24} {:<22} {}", p.name, p.kind, default, p.doc);
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
