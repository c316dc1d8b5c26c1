//! The `tickframe` command line: `play`, `render`, `scenes`, `check`, `bench`.
//!
//! Exit codes: 0 success, 1 a check failed, 2 bad input (unreadable or invalid scene file,
//! bad option, missing asset), 130 when Ctrl-C stopped a check before it could decide
//! (`verify`). A closed output pipe ends a run cleanly.

pub mod alloc_count;
mod bench;
mod commands;
pub mod devices;
pub use bench::BenchArgs;
pub use commands::{EngineArgs, FaultArg, MissArg};
pub mod output;
pub mod terminal;
mod trace_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tickframe_core::{DrawMode, FrameRate, Size};

/// How a command ended badly.
#[derive(Debug)]
pub enum Failure {
    /// A check did not pass (exit 1).
    Check(String),
    /// The input was bad: scene file, option, asset (exit 2).
    BadInput(String),
    /// Anything else that stopped the run, e.g. a write error (exit 2).
    Io(anyhow::Error),
    /// Ctrl-C stopped a run before it was done (exit 130, the shell's code for SIGINT).
    Interrupted(String),
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Check(_) => 1,
            Failure::BadInput(_) | Failure::Io(_) => 2,
            Failure::Interrupted(_) => 130,
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Io(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Io(e.into())
    }
}

/// tickframe: deterministic animations for LED matrices, small screens and desktops.
#[derive(Debug, Parser)]
#[command(name = "tickframe", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command that renders.
#[derive(Debug, clap::Args, Clone)]
pub struct RenderOpts {
    /// Override the scene file's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the frame rate: `60`, `30000/1001` or `29.97` (at least 0.01 fps).
    #[arg(long, value_parser = parse_rate, allow_hyphen_values = true)]
    pub fps: Option<FrameRate>,
    /// Override the display size, `WIDTHxHEIGHT` (each 1..=16384).
    #[arg(long, value_parser = Size::parse)]
    pub size: Option<Size>,
    /// Drawing path: the display list (default) or direct drawing; both give identical pixels.
    #[arg(long, value_enum, default_value_t = DrawArg::List)]
    pub draw: DrawArg,
}

/// The drawing path, as an option.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DrawArg {
    /// Record a display list and flush it in one pass.
    List,
    /// Draw every command immediately.
    Direct,
}

impl From<DrawArg> for DrawMode {
    fn from(d: DrawArg) -> DrawMode {
        match d {
            DrawArg::List => DrawMode::DisplayList,
            DrawArg::Direct => DrawMode::Direct,
        }
    }
}

/// The slowest frame rate accepted: one frame every 100 seconds.
pub const MIN_FPS: f64 = 0.01;

fn parse_rate(s: &str) -> Result<FrameRate, String> {
    if s.trim_start().starts_with('-') {
        return Err(format!("the frame rate must be positive, got `{s}`"));
    }
    let rate = FrameRate::parse(s).map_err(|e| e.to_string())?;
    if rate.as_f64() < MIN_FPS {
        return Err(format!(
            "the frame rate {s} is below the minimum of {MIN_FPS} fps (one frame every 100 s)"
        ));
    }
    Ok(rate)
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a scene file (or the built-in demo) to an output.
    Play {
        /// The scene file (TOML). Without it, the built-in demo plays.
        file: Option<PathBuf>,
        /// Where frames go (repeat for several outputs at once, each with its own presenter):
        /// `terminal` (default), `window`, `window:fullscreen`, `png-dir:DIR`, `raw` (RGBA to
        /// stdout), `null`, or a controller URL: `ddp://host`, `e131://host?universe=1`,
        /// `artnet://host?universe=0`, `opc://host:7890`.
        #[arg(long)]
        out: Vec<String>,
        /// How many seconds of frames to play. Default: until `q` in the terminal, 10 s elsewhere.
        #[arg(long)]
        seconds: Option<f64>,
        /// Shared rendering options.
        #[command(flatten)]
        opts: RenderOpts,
        /// Render-ahead engine options.
        #[command(flatten)]
        engine: EngineArgs,
        /// LED mapping and colour for controller outputs.
        #[command(flatten)]
        devices: devices::DeviceArgs,
        /// Clock overlay start (`--clock`, `--utc-offset`).
        #[command(flatten)]
        clock: commands::ClockArgs,
    },
    /// Render one frame to a PNG file.
    Render {
        /// The scene file (TOML).
        file: PathBuf,
        /// The tick to render (0-based frame index).
        #[arg(long, default_value_t = 0)]
        tick: u64,
        /// The PNG file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Shared rendering options.
        #[command(flatten)]
        opts: RenderOpts,
        /// Clock overlay start (`--clock`, `--utc-offset`).
        #[command(flatten)]
        clock: commands::ClockArgs,
    },
    /// List the built-in scenes with their parameters and defaults.
    Scenes {
        /// Show only this scene.
        name: Option<String>,
    },
    /// Validate a scene file (and load its assets) without playing it.
    Check {
        /// The scene file (TOML).
        file: PathBuf,
    },
    /// Measure single-core render time and allocations per frame (against the reference
    /// renderers this project replaces), worker scaling, and naive-loop vs render-ahead pacing.
    Bench {
        /// Only these scenes (default: every built-in scene, plus the confetti preset).
        #[arg(long, value_delimiter = ',')]
        scenes: Vec<String>,
        /// Frame sizes to measure (fewer for a quicker run), e.g. `256x64,128x64`.
        #[arg(long, value_delimiter = ',', value_parser = Size::parse, default_value = bench::DEFAULT_SIZES)]
        sizes: Vec<Size>,
        /// Most frames to render per scene and size for the single-core measurement (and per
        /// engine scaling run); `--case-seconds` bounds them in time too.
        #[arg(long, default_value_t = 600)]
        frames: u64,
        /// Write the results as JSON to this file too.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Engine scaling and pacing options.
        #[command(flatten)]
        engine: BenchArgs,
    },
    /// Export a deterministic trace (index with a hash per frame, GIF, APNG, frame store, FSEQ),
    /// or `trace diff A B`, `trace prune ROOT`, `trace merge SHARD… -o DIR`.
    Trace(trace_cmd::TraceCommand),
    /// Re-render a trace and check every frame of its index, GIF, APNG and frame store
    /// (exit 1 on a mismatch).
    Verify(trace_cmd::VerifyArgs),
    /// Play a trace's frame store through an output at the recorded pace.
    Replay(trace_cmd::ReplayArgs),
    /// List the audio input devices a `source = "live"` visualizer can use (`device = "…"`);
    /// needs a build with `--features live-audio`.
    AudioDevices,
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Play { file, out, seconds, opts, engine, devices, clock } => {
            commands::play(file.as_deref(), &out, seconds, &opts, &engine, &devices, &clock)
        }
        Command::Render { file, tick, output, opts, clock } => {
            commands::render(&file, tick, &output, &opts, &clock)
        }
        Command::Scenes { name } => commands::scenes(name.as_deref()),
        Command::Check { file } => commands::check(&file),
        Command::Trace(cmd) => trace_cmd::trace(cmd),
        Command::Verify(args) => trace_cmd::verify(args),
        Command::Replay(args) => trace_cmd::replay(args),
        Command::AudioDevices => commands::audio_devices(),
        Command::Bench { scenes, sizes, frames, json, engine } => {
            bench::run(&scenes, &sizes, frames, json.as_deref(), &engine)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            match &f {
                Failure::Check(m) | Failure::BadInput(m) | Failure::Interrupted(m) => eprintln!("error: {m}"),
                Failure::Io(e) => eprintln!("error: {e:#}"),
            }
            ExitCode::from(f.code())
        }
    }
}
