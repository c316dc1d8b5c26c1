//! A desktop window output for tickframe: winit for the window and its events, softbuffer for
//! pixels (no GPU needed), integer nearest-neighbour scaling with the aspect ratio kept, windowed
//! or fullscreen.
//!
//! Every window of the process lives on one event-loop thread (winit allows one event loop per
//! process), so several windows, e.g. one per monitor, each with its own presenter, work
//! together. [`WindowOutput::present`] (called on the engine's presenter thread) copies the
//! frame into that window's back buffer under a short lock and wakes the event loop, which swaps
//! it in and draws it: presenting never waits for the display, and nothing here touches render
//! workers.
//!
//! Keys: `q` or Esc quits (the next `present` returns `Ok(false)`, which stops the whole run),
//! space pauses and resumes, `n` / `p` ask for the next / previous playlist entry: the engine
//! polls them through [`Output::poll_control`] and applies them to the run (a pause holds the
//! presented tick; the window keeps drawing what it is given, so `n` while paused shows the next
//! entry's first frame).

use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use tickframe_core::{Frame, FrameRef, Rgba, Size, Tick};
use tickframe_engine::{ControlRequest, Output, RunInfo};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop, EventLoopProxy};
use winit::keyboard::{Key, NamedKey};
use winit::window::{Fullscreen, Window, WindowId};

/// How the window looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    /// Window title. Default `"tickframe"`.
    pub title: String,
    /// Borderless fullscreen (on `monitor`, or the current one). Default `false`.
    pub fullscreen: bool,
    /// Initial integer scale of the frame in windowed mode; `None` picks the largest scale that
    /// keeps the window within 1280×720 (at least 1). Default `None`.
    pub scale: Option<u32>,
    /// The monitor to open on, as numbered by the windowing system's monitor list (0 = first);
    /// `None`: wherever the window manager puts it. Default `None`.
    pub monitor: Option<usize>,
}

impl Default for WindowConfig {
    fn default() -> WindowConfig {
        WindowConfig { title: "tickframe".into(), fullscreen: false, scale: None, monitor: None }
    }
}

/// A request from the keyboard for the engine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WindowCommand {
    /// `n`: the next playlist entry.
    Next,
    /// `p`: the previous playlist entry.
    Previous,
    /// Space: pause or resume.
    TogglePause,
}

/// The integer scale and the top-left offset that fit a `frame` into a `window`, centred,
/// aspect ratio kept (scale at least 1; a window smaller than the frame shows its top-left
/// part).
pub fn fit(frame: Size, window: (u32, u32)) -> (u32, (u32, u32)) {
    let s = (window.0 / frame.width()).min(window.1 / frame.height()).max(1);
    let (w, h) = (frame.width() * s, frame.height() * s);
    (s, (window.0.saturating_sub(w) / 2, window.1.saturating_sub(h) / 2))
}

/// Draws `frame` scaled by `scale` at `offset` into a `0RGB` buffer of `width × height`
/// (softbuffer's format), black around it.
pub fn blit_scaled(frame: FrameRef<'_>, scale: u32, offset: (u32, u32), width: u32, buf: &mut [u32]) {
    buf.fill(0);
    let fh = frame.height() as usize;
    let (s, ox, oy, w) = (scale as usize, offset.0 as usize, offset.1 as usize, width as usize);
    if w == 0 {
        return;
    }
    let h = buf.len() / w;
    for fy in 0..fh {
        let src = frame.row(fy as u32);
        for dy in 0..s {
            let y = oy + fy * s + dy;
            if y >= h {
                return;
            }
            let row = &mut buf[y * w..(y + 1) * w];
            for (fx, p) in src.iter().enumerate() {
                let x0 = ox + fx * s;
                if x0 >= w {
                    break;
                }
                let v = (u32::from(p.r) << 16) | (u32::from(p.g) << 8) | u32::from(p.b);
                let x1 = (x0 + s).min(w);
                row[x0..x1].fill(v);
            }
        }
    }
}

/// State shared between the presenter thread and the window thread.
struct Shared {
    /// The frame most recently presented, waiting to be drawn (`None` when already taken).
    back: Mutex<Option<Frame>>,
    /// Spare frames handed back by the window thread for reuse (no allocation per frame).
    spare: Mutex<Vec<Frame>>,
    quit: AtomicBool,
    paused: AtomicBool,
    commands: Mutex<Vec<WindowCommand>>,
    /// Nanoseconds since `epoch` at which the last frame became visible (0: none yet).
    last_present_ns: AtomicU64,
    epoch: Instant,
    drawn: AtomicU64,
}

struct OpenRequest {
    key: u64,
    config: WindowConfig,
    size: Size,
    shared: Arc<Shared>,
    reply: mpsc::Sender<Result<(), String>>,
}

enum UserEvent {
    Open(Box<OpenRequest>),
    NewFrame(u64),
    Close(u64),
}

/// The process's one event loop (winit allows one per process), on a thread of its own,
/// serving every window.
struct EventLoopThread {
    proxy: Mutex<EventLoopProxy<UserEvent>>,
}

static EVENT_LOOP: OnceLock<Result<EventLoopThread, String>> = OnceLock::new();
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

fn event_loop() -> Result<&'static EventLoopThread, String> {
    EVENT_LOOP
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let spawned = std::thread::Builder::new().name("tickframe-window".into()).spawn(move || {
                let event_loop = match build_event_loop() {
                    Ok(el) => el,
                    Err(e) => {
                        let _ = tx.send(Err(format!("cannot open a window: {e}")));
                        return;
                    }
                };
                let _ = tx.send(Ok(event_loop.create_proxy()));
                let mut app = App { resumed: false, pending: Vec::new(), windows: Vec::new() };
                if let Err(e) = event_loop.run_app(&mut app) {
                    eprintln!("tickframe: the window event loop ended: {e}");
                }
                for w in &app.windows {
                    w.shared.quit.store(true, Ordering::Release);
                }
            });
            if let Err(e) = spawned {
                return Err(format!("starting the window thread: {e}"));
            }
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(proxy)) => Ok(EventLoopThread { proxy: Mutex::new(proxy) }),
                Ok(Err(e)) => Err(e),
                Err(_) => Err("the window event loop did not start within 10 s".into()),
            }
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl EventLoopThread {
    fn send(&self, event: UserEvent) -> bool {
        self.proxy.lock().unwrap_or_else(|e| e.into_inner()).send_event(event).is_ok()
    }
}

/// A desktop window. Create it on any thread; every window of the process lives on one
/// event-loop thread, started by the first [`Output::begin`].
pub struct WindowOutput {
    config: WindowConfig,
    shared: Arc<Shared>,
    key: Option<u64>,
    name: String,
}

impl std::fmt::Debug for WindowOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowOutput").field("config", &self.config).finish()
    }
}

impl WindowOutput {
    /// A window output with `config`; nothing opens before `begin`.
    pub fn new(config: WindowConfig) -> WindowOutput {
        let name = match config.monitor {
            Some(m) => format!("window:monitor={m}"),
            None => "window".to_string(),
        };
        WindowOutput {
            config,
            shared: Arc::new(Shared {
                back: Mutex::new(None),
                spare: Mutex::new(Vec::new()),
                quit: AtomicBool::new(false),
                paused: AtomicBool::new(false),
                commands: Mutex::new(Vec::new()),
                last_present_ns: AtomicU64::new(0),
                epoch: Instant::now(),
                drawn: AtomicU64::new(0),
            }),
            key: None,
            name,
        }
    }

    /// Keyboard requests since the last call (`n`, `p`, space), oldest first (the engine takes
    /// them through [`Output::poll_control`] instead when it runs this output).
    pub fn take_commands(&self) -> Vec<WindowCommand> {
        std::mem::take(&mut *self.shared.commands.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Frames the window thread has drawn so far.
    pub fn frames_drawn(&self) -> u64 {
        self.shared.drawn.load(Ordering::Acquire)
    }

    /// Whether space has been pressed an odd number of times (the engine's pause state follows
    /// the same key presses).
    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::Relaxed)
    }

    fn stop(&mut self) {
        if let Some(key) = self.key.take()
            && let Ok(el) = event_loop()
        {
            el.send(UserEvent::Close(key));
        }
    }
}

impl Drop for WindowOutput {
    fn drop(&mut self) {
        self.stop();
    }
}

fn build_event_loop() -> Result<EventLoop<UserEvent>, String> {
    let mut builder = EventLoop::<UserEvent>::with_user_event();
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        use winit::platform::wayland::EventLoopBuilderExtWayland;
        use winit::platform::x11::EventLoopBuilderExtX11;
        // The windows live on their own thread, not the process's main thread.
        EventLoopBuilderExtX11::with_any_thread(&mut builder, true);
        EventLoopBuilderExtWayland::with_any_thread(&mut builder, true);
    }
    builder.build().map_err(|e| e.to_string())
}

/// One open window.
struct Win {
    key: u64,
    shared: Arc<Shared>,
    window: Rc<Window>,
    surface: softbuffer::Surface<Rc<Window>, Rc<Window>>,
    front: Option<Frame>,
}

struct App {
    resumed: bool,
    /// Open requests that arrived before the event loop was resumed.
    pending: Vec<OpenRequest>,
    windows: Vec<Win>,
}

fn open_window(el: &ActiveEventLoop, req: &OpenRequest) -> Result<Win, String> {
    let size = req.size;
    let scale = req.config.scale.unwrap_or_else(|| (1280 / size.width()).min(720 / size.height()).max(1));
    let mut attrs = Window::default_attributes()
        .with_title(req.config.title.clone())
        .with_inner_size(PhysicalSize::new(size.width() * scale, size.height() * scale));
    let monitor = match req.config.monitor {
        None => None,
        Some(n) => {
            let monitors: Vec<_> = el.available_monitors().collect();
            let m = monitors.get(n).cloned().ok_or_else(|| {
                format!(
                    "monitor {n} does not exist: this display has {} monitor(s), numbered from 0",
                    monitors.len()
                )
            })?;
            Some(m)
        }
    };
    if req.config.fullscreen {
        // Also size and place the window over the monitor: without a window manager (a kiosk X
        // server, Xvfb) the fullscreen hint alone changes nothing.
        if let Some(m) =
            monitor.clone().or_else(|| el.primary_monitor()).or_else(|| el.available_monitors().next())
        {
            attrs = attrs.with_inner_size(m.size()).with_position(m.position());
        }
        attrs = attrs.with_fullscreen(Some(Fullscreen::Borderless(monitor)));
    } else if let Some(m) = &monitor {
        attrs = attrs.with_position(m.position());
    }
    let window = Rc::new(el.create_window(attrs).map_err(|e| format!("creating the window: {e}"))?);
    let context =
        softbuffer::Context::new(Rc::clone(&window)).map_err(|e| format!("softbuffer context: {e}"))?;
    let surface = softbuffer::Surface::new(&context, Rc::clone(&window))
        .map_err(|e| format!("softbuffer surface: {e}"))?;
    Ok(Win { key: req.key, shared: Arc::clone(&req.shared), window, surface, front: None })
}

impl Win {
    fn draw(&mut self) {
        // Swap in the newest frame (an O(1) exchange under the lock). A pause is the engine's:
        // it holds the tick, so the window draws whatever it is given.
        {
            let newest = self.shared.back.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(f) = newest
                && let Some(old) = self.front.replace(f)
            {
                self.shared.spare.lock().unwrap_or_else(|e| e.into_inner()).push(old);
            }
        }
        let Some(frame) = &self.front else { return };
        let PhysicalSize { width, height } = self.window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(width), NonZeroU32::new(height)) else { return };
        if self.surface.resize(w, h).is_err() {
            return;
        }
        let Ok(mut buf) = self.surface.buffer_mut() else { return };
        let (scale, offset) = fit(frame.size(), (width, height));
        blit_scaled(frame.view(), scale, offset, width, &mut buf);
        if buf.present().is_ok() {
            let ns = self.shared.epoch.elapsed().as_nanos() as u64;
            self.shared.last_present_ns.store(ns.max(1), Ordering::Release);
            self.shared.drawn.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl App {
    fn open(&mut self, el: &ActiveEventLoop, req: &OpenRequest) {
        let result = open_window(el, req).map(|w| self.windows.push(w));
        let _ = req.reply.send(result);
    }
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        self.resumed = true;
        for req in std::mem::take(&mut self.pending) {
            self.open(el, &req);
        }
    }

    fn user_event(&mut self, el: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Open(req) if self.resumed => self.open(el, &req),
            UserEvent::Open(req) => self.pending.push(*req),
            UserEvent::NewFrame(key) => {
                if let Some(w) = self.windows.iter().find(|w| w.key == key) {
                    w.window.request_redraw();
                }
            }
            UserEvent::Close(key) => self.windows.retain(|w| w.key != key),
        }
    }

    fn window_event(&mut self, _el: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        let Some(pos) = self.windows.iter().position(|w| w.window.id() == id) else { return };
        let win = &mut self.windows[pos];
        match event {
            WindowEvent::CloseRequested => {
                win.shared.quit.store(true, Ordering::Release);
                self.windows.remove(pos);
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                let shared = &win.shared;
                match event.logical_key.as_ref() {
                    Key::Named(NamedKey::Escape) | Key::Character("q") => {
                        shared.quit.store(true, Ordering::Release);
                    }
                    Key::Named(NamedKey::Space) => {
                        shared.paused.fetch_xor(true, Ordering::AcqRel);
                        shared
                            .commands
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(WindowCommand::TogglePause);
                    }
                    Key::Character("n") => {
                        shared.commands.lock().unwrap_or_else(|e| e.into_inner()).push(WindowCommand::Next);
                    }
                    Key::Character("p") => {
                        shared
                            .commands
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(WindowCommand::Previous);
                    }
                    _ => {}
                }
            }
            WindowEvent::RedrawRequested => win.draw(),
            WindowEvent::Resized(_) => win.window.request_redraw(),
            _ => {}
        }
    }
}

impl Output for WindowOutput {
    fn begin(&mut self, info: &RunInfo) -> anyhow::Result<()> {
        let el = event_loop().map_err(|e| {
            anyhow!("{e} (is a display available? set DISPLAY or WAYLAND_DISPLAY, or use another --out)")
        })?;
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let (reply, result) = mpsc::channel();
        let req = OpenRequest {
            key,
            config: self.config.clone(),
            size: info.size,
            shared: Arc::clone(&self.shared),
            reply,
        };
        anyhow::ensure!(el.send(UserEvent::Open(Box::new(req))), "the window event loop has ended");
        match result.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(anyhow!("{}: {e}", self.name)),
            Err(_) => return Err(anyhow!("{}: the window did not open within 10 s", self.name)),
        }
        self.key = Some(key);
        Ok(())
    }

    fn present(&mut self, _tick: Tick, frame: FrameRef<'_>) -> anyhow::Result<bool> {
        if self.shared.quit.load(Ordering::Acquire) {
            return Ok(false);
        }
        let Some(key) = self.key else { return Ok(false) };
        let mut buf = self
            .shared
            .spare
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| Frame::new(frame.size()));
        buf.resize(frame.size());
        buf.pixels_mut().copy_from_slice(frame.pixels());
        let replaced = self.shared.back.lock().unwrap_or_else(|e| e.into_inner()).replace(buf);
        if let Some(old) = replaced {
            // The window had not drawn the previous frame yet: it is dropped in favour of this one.
            self.shared.spare.lock().unwrap_or_else(|e| e.into_inner()).push(old);
        }
        match event_loop() {
            Ok(el) if el.send(UserEvent::NewFrame(key)) => Ok(true),
            _ => Ok(false),
        }
    }

    fn finish(&mut self, _frames: u64) -> anyhow::Result<()> {
        self.stop();
        Ok(())
    }

    fn is_realtime(&self) -> bool {
        true
    }

    fn poll_control(&mut self) -> Option<ControlRequest> {
        let mut commands = self.shared.commands.lock().unwrap_or_else(|e| e.into_inner());
        if commands.is_empty() {
            return None;
        }
        Some(match commands.remove(0) {
            WindowCommand::Next => ControlRequest::NextEntry,
            WindowCommand::Previous => ControlRequest::PreviousEntry,
            WindowCommand::TogglePause => ControlRequest::TogglePause,
        })
    }

    fn last_present_time(&self) -> Option<Instant> {
        match self.shared.last_present_ns.load(Ordering::Acquire) {
            0 => None,
            ns => Some(self.shared.epoch + Duration::from_nanos(ns)),
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// Black with a frame-sized test pattern: handy for checking a window shows exact pixels.
pub fn test_pattern(size: Size) -> Frame {
    let mut f = Frame::new(size);
    let w = size.width();
    for (i, p) in f.pixels_mut().iter_mut().enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        *p = Rgba::rgb(
            (x * 255 / w.max(2).saturating_sub(1).max(1)) as u8,
            (y * 37 % 256) as u8,
            ((x ^ y) * 8 % 256) as u8,
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_centres_with_integer_scale() {
        let s = Size::new(256, 64).unwrap();
        assert_eq!(fit(s, (1024, 600)), (4, (0, 172)));
        assert_eq!(fit(s, (800, 600)), (3, (16, 204)));
        assert_eq!(fit(s, (100, 100)), (1, (0, 18)));
    }

    #[test]
    fn blit_scales_nearest_neighbour() {
        let mut f = Frame::new(Size::new(2, 1).unwrap());
        f.pixels_mut()[0] = Rgba::rgb(255, 0, 0);
        f.pixels_mut()[1] = Rgba::rgb(0, 0, 255);
        let mut buf = vec![7u32; 6 * 4];
        blit_scaled(f.view(), 2, (1, 1), 6, &mut buf);
        let red = 0x00ff_0000;
        let blue = 0x0000_00ff;
        #[rustfmt::skip]
        let expected = vec![
            0, 0, 0, 0, 0, 0,
            0, red, red, blue, blue, 0,
            0, red, red, blue, blue, 0,
            0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(buf, expected);
    }
}
