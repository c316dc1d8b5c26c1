//! The [`Scene`] trait, its [`RenderContext`], and the per-thread [`Renderer`] that drives it.

use crate::canvas::{DisplayList, FramePool};
use crate::{Canvas, DrawMode, Frame, FrameMut, FrameRate, Rgba, Rng, Size, Tick, Timebase};

/// Everything a frame may depend on besides the scene itself: the one rule is
/// `frame = f(scene, seed, tick)`, and this is `(seed, tick)` plus the display's fixed facts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RenderContext {
    /// The frame being rendered (0-based).
    pub tick: Tick,
    /// The frame rate, to turn ticks into seconds exactly.
    pub timebase: Timebase,
    /// The run's seed: every random choice derives from it.
    pub seed: u64,
    /// Frame size in pixels.
    pub size: Size,
}

impl RenderContext {
    /// A context for `tick` of a run at `rate` with `seed`, `size` pixels.
    pub fn new(size: Size, rate: FrameRate, seed: u64, tick: Tick) -> RenderContext {
        RenderContext { tick, timebase: Timebase::new(rate), seed, size }
    }

    /// The same context at another tick.
    #[must_use]
    pub fn at_tick(self, tick: Tick) -> RenderContext {
        RenderContext { tick, ..self }
    }

    /// The same context with another seed.
    #[must_use]
    pub fn with_seed(self, seed: u64) -> RenderContext {
        RenderContext { seed, ..self }
    }

    /// The random generator for this `(seed, tick)` and `stream`.
    pub fn rng(&self, stream: u64) -> Rng {
        Rng::new(self.seed, self.tick, stream)
    }

    /// The start of this tick in seconds (see [`Timebase::tick_to_seconds`]).
    pub fn seconds(&self) -> f64 {
        self.timebase.tick_to_seconds(self.tick)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.size.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.size.height()
    }
}

/// Something that draws a frame for any tick.
///
/// # Determinism
/// `render` must be a pure function of `self` and `ctx`: no wall clock, no global or
/// thread-local random numbers (use [`RenderContext::rng`]), no iteration over hash maps into
/// pixels, transcendental maths through `libm`, and no state that changes between calls
/// (stateful effects use [`crate::Checkpointed`]). Then any tick, rendered in any order, on any
/// thread, gives identical bytes, and render-ahead, traces and verification all work.
///
/// The canvas arrives cleared to opaque black at the top level (unless the scene
/// [paints every pixel](Scene::paints_every_pixel)), and to transparent black when the scene is
/// a layer or one side of a transition.
pub trait Scene: Send + Sync {
    /// Draws the frame for `ctx.tick` onto `canvas` (`ctx.size` pixels).
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>);

    /// Whether [`render`](Scene::render) at `ctx` replaces every pixel of the canvas, whatever
    /// it held before (written, not blended over). Default `false`.
    ///
    /// When `true`, [`Renderer`] does not clear the frame first, which saves one write of the
    /// whole frame (a 1920×1080 fill is about 0.3 ms). A wrong `true` makes frames depend on
    /// what a recycled buffer held before, so every scene that answers `true` has a test
    /// rendering into a buffer full of other pixels.
    fn paints_every_pixel(&self, ctx: &RenderContext) -> bool {
        let _ = ctx;
        false
    }
}

impl<S: Scene + ?Sized> Scene for std::sync::Arc<S> {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        (**self).render(ctx, canvas);
    }

    fn paints_every_pixel(&self, ctx: &RenderContext) -> bool {
        (**self).paints_every_pixel(ctx)
    }
}

impl<S: Scene + ?Sized> Scene for Box<S> {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        (**self).render(ctx, canvas);
    }

    fn paints_every_pixel(&self, ctx: &RenderContext) -> bool {
        (**self).paints_every_pixel(ctx)
    }
}

/// Renders scenes into caller-owned frames, reusing its display list and scratch frames: keep
/// one per thread. After the first few frames it allocates nothing.
#[derive(Debug, Default)]
pub struct Renderer {
    mode: DrawMode,
    list: DisplayList,
    pool: FramePool,
}

impl Renderer {
    /// A renderer drawing with `mode` (the display list by default).
    pub fn new(mode: DrawMode) -> Renderer {
        Renderer { mode, list: DisplayList::default(), pool: FramePool::default() }
    }

    /// The drawing path in use.
    pub fn mode(&self) -> DrawMode {
        self.mode
    }

    /// Draw commands (clear, rectangles, plots, lines, circles, blits, glyphs) issued by the
    /// scenes this renderer has rendered, in total, on either path (see [`DisplayList::issued`]).
    pub fn commands_issued(&self) -> u64 {
        self.list.issued()
    }

    /// Renders `scene` at `ctx` into `target`, resizing it to `ctx.size` (keeping its allocation
    /// when large enough).
    pub fn render(&mut self, scene: &dyn Scene, ctx: &RenderContext, target: &mut Frame) {
        target.resize(ctx.size);
        self.render_into(scene, ctx, target.view_mut());
    }

    /// Renders into a borrowed view, which must be `ctx.size`. The view is cleared to opaque
    /// black first, unless the scene [paints every pixel](Scene::paints_every_pixel) itself.
    ///
    /// # Panics
    /// When the view's size differs from `ctx.size`.
    pub fn render_into(&mut self, scene: &dyn Scene, ctx: &RenderContext, mut target: FrameMut<'_>) {
        assert_eq!(target.size(), ctx.size, "render target size");
        if !scene.paints_every_pixel(ctx) {
            target.fill(Rgba::BLACK);
        }
        let mut canvas = Canvas::new(target, &mut self.list, &mut self.pool, self.mode);
        scene.render(ctx, &mut canvas);
        canvas.flush();
    }

    /// Renders into a new frame (allocates; for tools and tests, not the hot path).
    pub fn render_new(&mut self, scene: &dyn Scene, ctx: &RenderContext) -> Frame {
        let mut frame = Frame::new(ctx.size);
        self.render(scene, ctx, &mut frame);
        frame
    }
}
