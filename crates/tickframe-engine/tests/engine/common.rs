//! Test scenes and outputs shared by the engine tests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tickframe_core::{Canvas, FrameRate, FrameRef, Rect, RenderContext, Rgba, Scene, Size, Tick, frame_hash};
use tickframe_engine::{Output, RunInfo};

/// Serialises the tests of this binary (see the crate docs).
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn fps(n: u32) -> FrameRate {
    FrameRate::whole(n).unwrap()
}

pub fn size(w: u32, h: u32) -> Size {
    Size::new(w, h).unwrap()
}

/// A cheap, allocation-free scene whose pixels depend on the tick and seed.
pub struct Bars;

impl Scene for Bars {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let mut rng = ctx.rng(0);
        let w = ctx.width();
        let x = (ctx.tick % u64::from(w)) as i32;
        canvas.fill_rect(Rect::new(x, 0, 3, ctx.height()), Rgba::rgb(200, 100, (ctx.tick % 256) as u8));
        let c = rng.next_u64();
        canvas.plot((c % u64::from(w)) as i32, 0, Rgba::rgb(c as u8, (c >> 8) as u8, (c >> 16) as u8));
    }
}

/// Panics at one tick: always (`flaky` false) or only on its first try.
pub struct PanicAt {
    pub tick: Tick,
    pub flaky: bool,
    pub fired: AtomicBool,
}

impl Scene for PanicAt {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        if ctx.tick == self.tick && (!self.flaky || !self.fired.swap(true, Ordering::SeqCst)) {
            panic!("injected panic at tick {}", ctx.tick);
        }
        Bars.render(ctx, canvas);
    }
}

/// Takes `delay` per frame (a deliberately slow scene; pixels still a pure function of tick).
pub struct Slow {
    pub delay: Duration,
}

impl Scene for Slow {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        std::thread::sleep(self.delay);
        Bars.render(ctx, canvas);
    }
}

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
pub struct Recorded {
    pub frames: Vec<(Tick, u128)>,
    pub began: bool,
    pub finished: Option<u64>,
}

/// An output recording `(tick, frame hash)` of every present.
pub struct Recorder {
    pub seen: Arc<Mutex<Recorded>>,
    pub stop_after: Option<usize>,
}

impl Recorder {
    pub fn new() -> (Recorder, Arc<Mutex<Recorded>>) {
        let seen = Arc::new(Mutex::new(Recorded::default()));
        (Recorder { seen: Arc::clone(&seen), stop_after: None }, seen)
    }
}

impl Output for Recorder {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        self.seen.lock().unwrap().began = true;
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let mut s = self.seen.lock().unwrap();
        s.frames.push((tick, frame_hash(frame)));
        Ok(self.stop_after.is_none_or(|n| s.frames.len() < n))
    }

    fn finish(&mut self, frames: u64) -> anyhow::Result<()> {
        self.seen.lock().unwrap().finished = Some(frames);
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "recorder"
    }
}
