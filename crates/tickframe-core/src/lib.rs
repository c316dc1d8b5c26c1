//! tickframe's core: frames and colour, time, deterministic randomness, the [`Scene`] trait and
//! drawing.
//!
//! The one rule: **a frame is a pure function of (scene description, seed, tick).** Everything
//! here exists to make that rule easy to keep: [`RenderContext`] carries the only inputs a scene
//! may look at, [`Rng`] derives random numbers from `(seed, tick, stream)`, [`Checkpointed`] turns
//! stateful simulations into pure scenes, and [`Renderer`] draws into caller-owned, reused
//! buffers.
//!
//! # Examples
//! ```
//! use tickframe_core::{Canvas, FrameRate, Rect, RenderContext, Renderer, Rgba, Scene, Size};
//!
//! struct Blink;
//! impl Scene for Blink {
//!     fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
//!         if ctx.tick % 2 == 0 {
//!             canvas.fill_rect(Rect::new(0, 0, 2, 2), Rgba::WHITE);
//!         }
//!     }
//! }
//!
//! let ctx = RenderContext::new(Size::new(4, 4).unwrap(), FrameRate::whole(60).unwrap(), 7, 0);
//! let frame = Renderer::default().render_new(&Blink, &ctx);
//! assert_eq!(frame.get(1, 1), Some(Rgba::WHITE));
//! assert_eq!(frame.get(2, 2), Some(Rgba::BLACK));
//! ```

mod canvas;
mod checkpoint;
mod composite;
pub mod convert;
mod frame;
mod geometry;
mod pixel;
mod rng;
mod scene;
mod time;

pub use canvas::{Canvas, DisplayList, DrawMode, Font, FramePool, text_width};
pub use checkpoint::{
    CheckpointError, CheckpointStats, Checkpointed, Simulation, open_checkpoint, seal_checkpoint,
};
pub use composite::{BlendMode, composite, crossfade};
pub use frame::{Frame, FrameMut, FrameRef};
pub use geometry::{MAX_DIMENSION, Rect, Size, SizeError};
pub use pixel::{Rgba, mul255};
pub use rng::{Rng, combine, mix64};
pub use scene::{RenderContext, Renderer, Scene};
pub use time::{ExactTime, FrameRate, FrameRateError, Tick, Timebase};

/// The bundled fonts (embedded-graphics' mono fonts), re-exported for scenes.
pub mod fonts {
    pub use embedded_graphics::mono_font::ascii::{
        FONT_4X6, FONT_5X7, FONT_5X8, FONT_6X10, FONT_6X13, FONT_7X13, FONT_8X13, FONT_9X15, FONT_10X20,
    };
}

/// A 128-bit content hash of a frame's RGBA bytes (XXH3-128), as used by golden tests and traces.
pub fn frame_hash(frame: FrameRef<'_>) -> u128 {
    xxhash_rust::xxh3::xxh3_128(frame.as_bytes())
}
