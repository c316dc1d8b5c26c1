//! `mandelbrot`: the auto-zooming Mandelbrot set of the original LED renderer (heart).
//!
//! Tick `t` shows zoom `zoom_min · zoom_factor^(t mod N)`: the view is `4 / zoom` high and as
//! wide as the frame's aspect ratio makes it, centred on (`center_x`, `center_y`); row 0 is the
//! lowest imaginary part. `N`, the cycle length, is the number of zoom steps from `zoom_min`
//! before the zoom reaches `zoom_max` (at the defaults 2^-5, ×1.05, 2e10: **558 ticks**, 9.3 s
//! at 60 fps); tick `N` restarts at `zoom_min`. The zooms are precomputed by repeated
//! multiplication while building, so every tick uses the same bits.
//!
//! A pixel's colour is `palette[min(k, 255)]`, where `k` is the first iteration at which
//! `|z|² > 4` (z₀ = 0, `z ← z² + c`, at most `iterations` checks), or 0 (black) when it never
//! escapes.
//!
//! # Determinism and speed
//! The result is bit-for-bit that of the plain escape-time loop
//! ([`Mandelbrot::render_reference`]), computed faster by:
//! - skipping points in the main cardioid and the period-2 bulb (never escape), and points
//!   with `|c|² > 4` (escape at iteration 1, exactly: z₁ = c);
//! - iterating [`LANES`] pixels at once in plain arrays the compiler vectorises, in blocks of
//!   [`BLOCK`] iterations without a branch: each lane keeps an "alive" mask (cleared at its first
//!   `|z|² > 4`, never set again) and counts the checks passed while alive, which is exactly the
//!   escape iteration within the block; iterating on past the escape changes nothing;
//! - refilling a lane with the next pixel as soon as its pixel is done.
//!
//! No fused multiply-add, no fast-math: `+ − ×` only, in the same order as the reference.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene};

use crate::params::{BuildError, Params, Value};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "mandelbrot",
    summary: "the auto-zooming Mandelbrot set of the original LED renderer, six palettes",
    params: &[
        ParamDoc {
            name: "palette",
            kind: "integer 0..=5 or one of: rose, gold, aqua, ocean, lime, violet",
            default: "0",
            doc: "colour palette: 256 entries, black for points in the set, then a 64-entry cycle t^e per channel (exponents a permutation of 0.5, 2.0, 0.8) with a sine pulse",
        },
        ParamDoc {
            name: "iterations",
            kind: "integer 1..=100000",
            default: "250",
            doc: "maximum iterations per pixel; escape counts above 255 use the last palette entry",
        },
        ParamDoc {
            name: "center_x",
            kind: "float -2..=2",
            default: "-0.7446419526560056",
            doc: "real part of the zoom target (≈ -0.74464, seahorse valley)",
        },
        ParamDoc {
            name: "center_y",
            kind: "float -2..=2",
            default: "0.11883810795259032",
            doc: "imaginary part of the zoom target (≈ 0.11884)",
        },
        ParamDoc {
            name: "zoom_min",
            kind: "float 1e-6..=1e12",
            default: "0.03125",
            doc: "zoom at the start of each cycle (view height = 4 / zoom); 2^-5",
        },
        ParamDoc {
            name: "zoom_max",
            kind: "float 1e-6..=1e13",
            default: "2e10",
            doc: "the cycle restarts at zoom_min when the zoom would reach this (beyond ~1e13 double precision runs out)",
        },
        ParamDoc {
            name: "zoom_factor",
            kind: "float 1.0001..=4",
            default: "1.05",
            doc: "zoom multiplier per tick; the cycle is at most 100000 ticks",
        },
    ],
    build,
};

/// Pixels iterated together by the portable kernel (plain arrays, vectorised by the compiler).
pub const LANES: usize = 8;
/// Iterations per block between escape tests (portable kernel).
pub const BLOCK: u32 = 32;

/// The instruction set the fast renderer runs on. All give identical bytes: the same IEEE-754
/// operations in the same order, never fused (AVX-512 implies the FMA target feature, but Rust
/// never contracts `a * b + c` on its own and this code calls no `mul_add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Baseline x86-64 / any CPU: 2-wide SIMD at best.
    Portable,
    /// x86-64 AVX2: 4 doubles per instruction.
    Avx2,
    /// x86-64 AVX-512 (F, DQ, VL): 8 doubles per instruction.
    Avx512,
}

impl Kernel {
    /// Every kernel this CPU can run, slowest first.
    pub fn available() -> Vec<Kernel> {
        let mut out = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                out.push(Kernel::Avx2);
            }
            if simd::has_avx512() {
                out.push(Kernel::Avx512);
            }
        }
        out
    }

    /// The fastest kernel this CPU can run (detected once, then cached by the standard library).
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if simd::has_avx512() {
                return Kernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Kernel::Avx2;
            }
        }
        Kernel::Portable
    }
}

/// Runtime dispatch to kernels compiled for wider SIMD. The only `unsafe` in the scenes crate:
/// calling a `#[target_feature]` function, after checking that the CPU has the feature.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod simd {
    use super::{Kernel, Mandelbrot, View};
    use tickframe_core::Rgba;

    pub(super) fn has_avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }

    #[target_feature(enable = "avx2")]
    fn avx2(m: &Mandelbrot, v: View, w: usize, total: usize, out: &mut [Rgba]) {
        m.kernel::<AVX2_LANES, AVX2_BLOCK>(v, w, total, out);
    }

    #[target_feature(enable = "avx512f,avx512dq,avx512vl")]
    fn avx512(m: &Mandelbrot, v: View, w: usize, total: usize, out: &mut [Rgba]) {
        m.kernel::<AVX512_LANES, AVX512_BLOCK>(v, w, total, out);
    }

    const AVX2_LANES: usize = 32;
    const AVX2_BLOCK: u32 = 32;
    const AVX512_LANES: usize = 48;
    const AVX512_BLOCK: u32 = 32;

    /// Runs `kernel` when it is not the portable one and the CPU has it; `false` otherwise.
    pub(super) fn run(
        kernel: Kernel,
        m: &Mandelbrot,
        v: View,
        w: usize,
        total: usize,
        out: &mut [Rgba],
    ) -> bool {
        match kernel {
            Kernel::Avx512 if has_avx512() => {
                // SAFETY: the CPU has AVX-512 F, DQ and VL (checked just above).
                unsafe { avx512(m, v, w, total, out) };
                true
            }
            Kernel::Avx2 if std::arch::is_x86_feature_detected!("avx2") => {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { avx2(m, v, w, total, out) };
                true
            }
            _ => false,
        }
    }
}

/// The palette names, in index order.
pub const PALETTE_NAMES: [&str; 6] = ["rose", "gold", "aqua", "ocean", "lime", "violet"];
/// The (red, green, blue) exponents of each palette: the permutations of (0.5, 2.0, 0.8).
const EXPONENTS: [(f64, f64, f64); 6] =
    [(0.5, 2.0, 0.8), (0.5, 0.8, 2.0), (2.0, 0.5, 0.8), (2.0, 0.8, 0.5), (0.8, 0.5, 2.0), (0.8, 2.0, 0.5)];

/// Palette `index` (0..=5) of the original renderer: 256 colours, entry 0 black.
///
/// # Panics
/// When `index > 5`.
pub fn palette(index: usize) -> [Rgba; 256] {
    let (re, ge, be) = EXPONENTS[index];
    let mut out = [Rgba::BLACK; 256];
    for (i, c) in out.iter_mut().enumerate().skip(1) {
        let t = (i % 64) as f64 / 64.0;
        let r = (255.0 * libm::pow(t, re)) as i64 as f64;
        let g = (255.0 * libm::pow(t, ge)) as i64 as f64;
        let b = (255.0 * libm::pow(t, be)) as i64 as f64;
        let pulse = 0.5 + 0.5 * libm::sin(2.0 * std::f64::consts::PI * i as f64 / 64.0);
        let r = ((r * (1.1 + 0.2 * pulse)) as i64).min(255) as u8;
        let g = ((g * (0.7 + 0.2 * pulse)) as i64).min(255) as u8;
        let b = ((b * (1.0 + 0.3 * pulse)) as i64).min(255) as u8;
        *c = Rgba::rgb(r, g, b);
    }
    out
}

/// The zoom cycle: zooms from `min`, multiplied by `factor` per tick, while below `max`.
/// At least one entry.
pub fn zoom_cycle(min: f64, max: f64, factor: f64) -> Vec<f64> {
    let mut zooms = vec![min];
    let mut z = min;
    loop {
        z *= factor;
        if z >= max || zooms.len() >= 100_000 {
            break;
        }
        zooms.push(z);
    }
    zooms
}

/// The escape iteration of `c` by the plain loop (0 when it never escapes within `max_iter`
/// checks): the reference every optimisation must match bit for bit.
pub fn escape_time(cr: f64, ci: f64, max_iter: u32) -> u32 {
    let (mut x, mut y) = (0.0f64, 0.0f64);
    for k in 0..max_iter {
        let x2 = x * x;
        let y2 = y * y;
        if x2 + y2 > 4.0 {
            return k;
        }
        y = (x + x) * y + ci;
        x = (x2 - y2) + cr;
    }
    0
}

/// The auto-zooming Mandelbrot scene.
#[derive(Clone, Debug)]
pub struct Mandelbrot {
    palette: [Rgba; 256],
    max_iter: u32,
    center: (f64, f64),
    zooms: Vec<f64>,
}

/// The complex-plane mapping of one frame: `c = (x0 + x·dx, y0 + y·dy)`.
#[derive(Clone, Copy, Debug)]
struct View {
    x0: f64,
    dx: f64,
    y0: f64,
    dy: f64,
}

impl Mandelbrot {
    /// A scene with palette `palette` (0..=5), `max_iter` iterations, zooming towards `center`
    /// through `zooms` (see [`zoom_cycle`]; must not be empty).
    ///
    /// # Panics
    /// When `palette > 5` or `zooms` is empty.
    pub fn new(palette_index: usize, max_iter: u32, center: (f64, f64), zooms: Vec<f64>) -> Mandelbrot {
        assert!(!zooms.is_empty(), "empty zoom cycle");
        Mandelbrot { palette: palette(palette_index), max_iter, center, zooms }
    }

    /// The defaults: palette 0, 250 iterations, the original target and zoom cycle.
    pub fn original(palette_index: usize) -> Mandelbrot {
        Mandelbrot::new(
            palette_index,
            250,
            (-0.744_641_952_656_005_6, 0.118_838_107_952_590_32),
            zoom_cycle(0.031_25, 2e10, 1.05),
        )
    }

    /// Ticks per zoom cycle (558 at the defaults).
    pub fn cycle_len(&self) -> u64 {
        self.zooms.len() as u64
    }

    /// The zoom shown at `tick`.
    pub fn zoom_at(&self, tick: u64) -> f64 {
        self.zooms[(tick % self.cycle_len()) as usize]
    }

    fn view(&self, ctx: &RenderContext) -> View {
        let (w, h) = (ctx.width(), ctx.height());
        let zoom = self.zoom_at(ctx.tick);
        let hr = 4.0 / zoom;
        let wr = hr * (f64::from(w) / f64::from(h));
        let (cx, cy) = self.center;
        let (x0, x1) = (-wr / 2.0 + cx, wr / 2.0 + cx);
        let (y0, y1) = (-hr / 2.0 + cy, hr / 2.0 + cy);
        let dx = if w > 1 { (x1 - x0) / f64::from(w - 1) } else { 0.0 };
        let dy = if h > 1 { (y1 - y0) / f64::from(h - 1) } else { 0.0 };
        View { x0, dx, y0, dy }
    }

    fn color(&self, k: u32) -> Rgba {
        self.palette[k.min(255) as usize]
    }

    /// Renders the frame at `ctx` into `out` (`ctx.size` pixels, row-major) with the plain
    /// escape-time loop: slow, for tests.
    ///
    /// # Panics
    /// When `out` is smaller than the frame.
    pub fn render_reference(&self, ctx: &RenderContext, out: &mut [Rgba]) {
        let v = self.view(ctx);
        let w = ctx.width() as usize;
        for (i, p) in out[..ctx.size.area()].iter_mut().enumerate() {
            let cr = v.x0 + (i % w) as f64 * v.dx;
            let ci = v.y0 + (i / w) as f64 * v.dy;
            *p = self.color(escape_time(cr, ci, self.max_iter));
        }
    }

    /// Renders the frame at `ctx` into `out` (`ctx.size` pixels, row-major), fast, with the best
    /// [`Kernel`] this CPU has; identical to [`Mandelbrot::render_reference`].
    pub fn render_fast(&self, ctx: &RenderContext, out: &mut [Rgba]) {
        self.render_with(Kernel::best(), ctx, out);
    }

    /// Renders with a chosen [`Kernel`] (falls back to [`Kernel::Portable`] when the CPU lacks
    /// it). Every kernel gives the same bytes; tests check each one the machine has.
    pub fn render_with(&self, kernel: Kernel, ctx: &RenderContext, out: &mut [Rgba]) {
        let v = self.view(ctx);
        let w = ctx.width() as usize;
        let total = ctx.size.area().min(out.len());
        #[cfg(target_arch = "x86_64")]
        if simd::run(kernel, self, v, w, total, out) {
            return;
        }
        let _ = kernel;
        self.kernel::<LANES, BLOCK>(v, w, total, out);
    }

    /// The escape-time loop over `LANES` pixels at a time, in blocks of `BLOCK` iterations.
    #[inline(always)]
    fn kernel<const L: usize, const B: u32>(&self, v: View, w: usize, total: usize, out: &mut [Rgba]) {
        let max = self.max_iter;
        let mut next = 0usize;
        let (mut col, mut row) = (0usize, 0usize);
        let mut ci_row = v.y0;
        let mut take = |out: &mut [Rgba]| -> Option<(usize, f64, f64)> {
            while next < total {
                let i = next;
                next += 1;
                let cr = v.x0 + col as f64 * v.dx;
                let ci = ci_row;
                col += 1;
                if col == w {
                    col = 0;
                    row += 1;
                    ci_row = v.y0 + row as f64 * v.dy;
                }
                let r2 = cr * cr + ci * ci;
                if r2 > 4.0 {
                    out[i] = self.color(if max > 1 { 1 } else { 0 });
                    continue;
                }
                let xq = cr - 0.25;
                let q = xq * xq + ci * ci;
                let in_cardioid = q * (q + xq) <= 0.25 * ci * ci;
                let in_bulb = (cr + 1.0) * (cr + 1.0) + ci * ci <= 0.0625;
                if in_cardioid || in_bulb {
                    out[i] = self.color(0);
                    continue;
                }
                return Some((i, cr, ci));
            }
            None
        };
        const IDLE: usize = usize::MAX;
        let mut zr = [0.0f64; L];
        let mut zi = [0.0f64; L];
        let mut cr = [0.0f64; L];
        let mut ci = [0.0f64; L];
        // Checks passed so far by each lane's pixel.
        let mut iter = [0u32; L];
        let mut pix = [IDLE; L];
        let mut active = 0usize;
        for l in 0..L {
            if let Some((i, a, b)) = take(out) {
                (pix[l], cr[l], ci[l]) = (i, a, b);
                active += 1;
            }
        }
        while active > 0 {
            // B iterations of every lane without a branch: `alive` clears at a lane's first
            // failed check and `cnt` counts the checks it passed before that. Iterating on
            // past the escape changes nothing that is used.
            let mut alive = [u64::MAX; L];
            let mut cnt = [0u64; L];
            for _ in 0..B {
                for l in 0..L {
                    let x = zr[l];
                    let y = zi[l];
                    let x2 = x * x;
                    let y2 = y * y;
                    let ok = if x2 + y2 <= 4.0 { u64::MAX } else { 0 };
                    alive[l] &= ok;
                    cnt[l] = cnt[l].wrapping_sub(alive[l]);
                    zi[l] = (x + x) * y + ci[l];
                    zr[l] = (x2 - y2) + cr[l];
                }
            }
            // Lanes that escaped in this block or used up their checks need service; the
            // others just advance (vectorised).
            let mut need = 0u64;
            for l in 0..L {
                let c = cnt[l] as u32;
                iter[l] += c;
                need |= u64::from((c < B) | (iter[l] >= max)) << l;
            }
            while need != 0 {
                let l = need.trailing_zeros() as usize;
                need &= need - 1;
                if pix[l] == IDLE {
                    iter[l] = 0;
                    continue;
                }
                // The first failed check was number iter[l] (0-based); it counts only below max.
                let k = if iter[l] < max { iter[l] } else { 0 };
                out[pix[l]] = self.color(k);
                zr[l] = 0.0;
                zi[l] = 0.0;
                iter[l] = 0;
                match take(out) {
                    Some((i, a, b)) => (pix[l], cr[l], ci[l]) = (i, a, b),
                    None => {
                        (pix[l], cr[l], ci[l]) = (IDLE, 0.0, 0.0);
                        active -= 1;
                    }
                }
            }
        }
    }
}

impl Scene for Mandelbrot {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        self.render_fast(ctx, canvas.pixels_mut());
    }

    /// Every pixel is an escape-time colour.
    fn paints_every_pixel(&self, _ctx: &RenderContext) -> bool {
        true
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let palette_index = match p.take("palette") {
        None => 0,
        Some(v) => match &v.value {
            Value::Int(i) if (0..=5).contains(i) => *i as usize,
            Value::Str(s) if PALETTE_NAMES.contains(&s.as_str()) => {
                PALETTE_NAMES.iter().position(|n| n == s).unwrap_or(0)
            }
            other => {
                let found = match other {
                    Value::Str(s) => format!("\"{s}\"{}", crate::params::did_you_mean(s, PALETTE_NAMES)),
                    Value::Int(i) => i.to_string(),
                    o => o.type_name().to_string(),
                };
                return Err(BuildError::new(
                    v.at.or(p.location()),
                    format!(
                        "`mandelbrot.palette`: expected 0..=5 or one of {}, found {found}",
                        PALETTE_NAMES.join(", ")
                    ),
                ));
            }
        },
    };
    let max_iter = p.u32_in("iterations", 250, 1..=100_000)?;
    let cx = p.float_in("center_x", -0.744_641_952_656_005_6, -2.0..=2.0)?;
    let cy = p.float_in("center_y", 0.118_838_107_952_590_32, -2.0..=2.0)?;
    let zmin = p.float_in("zoom_min", 0.031_25, 1e-6..=1e12)?;
    let zmax = p.float_in("zoom_max", 2e10, 1e-6..=1e13)?;
    let factor = p.float_in("zoom_factor", 1.05, 1.0001..=4.0)?;
    if zmax <= zmin {
        return Err(BuildError::new(
            p.location_of("zoom_max"),
            format!("`mandelbrot.zoom_max`: must be above zoom_min ({zmin}), found {zmax}"),
        ));
    }
    if libm::log(zmax / zmin) / libm::log(factor) > 100_000.0 {
        return Err(BuildError::new(
            p.location_of("zoom_factor"),
            "`mandelbrot.zoom_factor`: the zoom cycle would be longer than 100000 ticks; raise zoom_factor or narrow zoom_min..zoom_max",
        ));
    }
    Ok(Arc::new(Mandelbrot::new(palette_index, max_iter, (cx, cy), zoom_cycle(zmin, zmax, factor))))
}
