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

/// Takes `delay` on the ticks in `from..to` only, and nothing otherwise (pixels still a pure
/// function of the tick).
pub struct SlowBetween {
    pub from: Tick,
    pub to: Tick,
    pub delay: Duration,
}

impl Scene for SlowBetween {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        if (self.from..self.to).contains(&ctx.tick) {
            std::thread::sleep(self.delay);
        }
        Bars.render(ctx, canvas);
    }
}

/// The hash of `Bars` at `tick` (what every test scene here shows).
pub fn bars_hash(base: RenderContext, tick: Tick) -> u128 {
    let f = tickframe_core::Renderer::default().render_new(&Bars, &base.at_tick(tick));
    frame_hash(f.view())
}

/// An output recording every present that, at given present counts, stalls or asks the engine
/// for something (a [`ControlRequest`](tickframe_engine::ControlRequest)), or quits.
pub struct Scripted {
    pub seen: Arc<Mutex<Recorded>>,
    pub stall_at: Option<(usize, Duration)>,
    pub requests: Vec<(usize, tickframe_engine::ControlRequest)>,
    pub quit_at: Option<usize>,
    pub name: &'static str,
    pending: Option<tickframe_engine::ControlRequest>,
}

impl Scripted {
    pub fn new(name: &'static str) -> (Scripted, Arc<Mutex<Recorded>>) {
        let seen = Arc::new(Mutex::new(Recorded::default()));
        let s = Scripted {
            seen: Arc::clone(&seen),
            stall_at: None,
            requests: Vec::new(),
            quit_at: None,
            name,
            pending: None,
        };
        (s, seen)
    }
}

impl Output for Scripted {
    fn begin(&mut self, _info: &RunInfo) -> anyhow::Result<()> {
        self.seen.lock().unwrap().began = true;
        Ok(())
    }

    fn present(&mut self, tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        let n = {
            let mut s = self.seen.lock().unwrap();
            s.frames.push((tick, frame_hash(frame)));
            s.frames.len()
        };
        if let Some((at, d)) = self.stall_at
            && at == n
        {
            std::thread::sleep(d);
        }
        self.pending = self.requests.iter().find(|(at, _)| *at == n).map(|(_, r)| *r);
        Ok(self.quit_at.is_none_or(|q| n < q))
    }

    fn poll_control(&mut self) -> Option<tickframe_engine::ControlRequest> {
        self.pending.take()
    }

    fn finish(&mut self, frames: u64) -> anyhow::Result<()> {
        self.seen.lock().unwrap().finished = Some(frames);
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        self.name
    }
}
