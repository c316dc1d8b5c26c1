//! The render-ahead engine: a worker pool renders future ticks into recycled frame buffers, a
//! bounded cache keyed by `(scene content, tick)` holds them, and a presenter per output shows
//! them at absolute deadlines without ever waiting for a worker.
//!
//! It rests on the one rule: **a frame is a pure function of (scene description, seed, tick)**,
//! so any future tick can be rendered now, on any thread, and the bytes presented are the same
//! whatever the worker count or cache state.
//!
//! # Architecture
//! - [`Engine`] owns the scene (`Arc<dyn Scene>`, shared read-only: nothing is serialised per
//!   frame), its [`SceneKey`], the base [`RenderContext`](tickframe_core::RenderContext) and an
//!   [`EngineConfig`]. [`Engine::run`] plays it to a list of [`Output`]s and returns a
//!   [`RunReport`].
//! - **Workers** (`config.workers` threads, each with its own `Renderer`) claim the lowest tick
//!   of the look-ahead window not yet rendered, take a recycled buffer from the pool, unlock,
//!   render (a panic is caught, retried once, then an error frame or the previous frame by
//!   [`FaultPolicy`]), and lock briefly to insert the `Arc<Frame>` into the [`FrameCache`].
//! - **The cache** is keyed by `(SceneKey, tick)` and bounded in bytes; it evicts ticks behind
//!   the presenters first, then the furthest ahead. Evicted buffers return to the pool, so
//!   steady-state operation allocates nothing.
//! - **Presenters** (one thread per output) sleep until `t0 + k · period` (then spin the last
//!   millisecond), present the frame due, and never catch up: after a stall the skipped ticks
//!   count as dropped. On a miss they repeat the previous frame or render inline when the time
//!   left allows ([`MissPolicy`]). Unpaced runs (files) present every tick in order.
//! - **Metrics** use fixed-size [`Histogram`]s; **frame logs** go through a bounded channel to a
//!   writer thread ([`FrameLogWriter`]), dropping (and counting) records rather than waiting.
//!
//! - **Control**: [`Engine::control`] gives an [`EngineControl`] to pause, resume, seek, jump
//!   between playlist entries and stop from any thread; interactive outputs ask for the same
//!   through [`Output::poll_control`].
//!
//! The policies (pool, cache key, look-ahead, deadlines, miss policies, report fields, frame
//! log format) are described in `docs/engine.md`. In short, the window doubles on a miss and
//! shrinks by a quarter after each idle second, within `[min_lookahead, min(max_lookahead,
//! cache frames)]`.
//!
//! # Examples
//! ```
//! use std::sync::Arc;
//! use tickframe_core::{Canvas, FrameRate, RenderContext, Rgba, Scene, Size};
//! use tickframe_engine::{Engine, EngineConfig, NullOutput, Output, RunOptions, SceneKey};
//!
//! struct Solid;
//! impl Scene for Solid {
//!     fn render(&self, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
//!         canvas.clear(Rgba::WHITE);
//!     }
//! }
//!
//! let base = RenderContext::new(Size::new(8, 8).unwrap(), FrameRate::whole(60).unwrap(), 1, 0);
//! let config = EngineConfig { workers: 2, cache_bytes: 1 << 16, ..EngineConfig::default() };
//! let engine = Engine::new(Arc::new(Solid), SceneKey(1), base, config).unwrap();
//! let outputs: Vec<Box<dyn Output>> = vec![Box::new(NullOutput)];
//! let report = engine.run(outputs, RunOptions { frames: Some(30), ..RunOptions::default() }).unwrap();
//! assert_eq!(report.outputs[0].presented, 30);
//! ```

mod cache;
mod config;
mod control;
mod engine;
mod histogram;
mod log;
mod output;
mod report;

pub use cache::{CacheStats, CachedFrame, DEFAULT_MAX_SLOTS, FrameCache, recycle};
pub use config::{EngineConfig, EngineError, FaultPolicy, MAX_WORKERS, MissPolicy, SceneKey};
pub use control::{ControlRecord, ControlRequest, EngineControl, EntryIndex};
pub use engine::{Engine, RunOptions, fill_error_frame};
pub use histogram::Histogram;
pub use log::{
    FRAME_TARGET, FrameLog, FrameLogLayer, FrameLogWriter, FrameRecord, LogStats, MAX_LOG_BANDS, TickBands,
    emit_frame_event, frame_log_dispatch,
};
pub use output::{NullOutput, Output, OutputOptions, RunInfo};
pub use report::{
    EntryRenderTime, FaultRecord, OutputReport, Percentiles, RunReport, WindowStats, physical_memory_kib,
    resident_kib,
};
