//! `plasma`: the classic sine plasma, four sine waves (horizontal, vertical, diagonal and
//! radial around a moving centre) summed and mapped through a cyclic palette.
//!
//! # Determinism
//! Sines come from a 4096-entry table computed with `libm::sin` while building; phases are
//! 32-bit fixed-point turns. Per pixel only integer adds, table look-ups and one `sqrt`.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene};

use super::color_table;
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "plasma",
    summary: "classic sine plasma in a cyclic palette",
    params: &[
        ParamDoc {
            name: "speed",
            kind: "float 0..=20",
            default: "1.0",
            doc: "animation speed multiplier (1 = the waves move about half a turn per second)",
        },
        ParamDoc {
            name: "scale",
            kind: "float 2..=4096",
            default: "32",
            doc: "wavelength of the waves in pixels (bigger = larger blobs)",
        },
        ParamDoc {
            name: "colors",
            kind: "array of colours",
            default: "[\"#ff0000\", \"#ffff00\", \"#00ff00\", \"#00ffff\", \"#0000ff\", \"#ff00ff\"]",
            doc: "palette stops, blended cyclically into 256 colours",
        },
    ],
    build,
};

const SIN_BITS: u32 = 12;
const SIN_LEN: usize = 1 << SIN_BITS;

/// The sine plasma.
#[derive(Clone, Debug)]
pub struct Plasma {
    sin: Vec<i32>,
    palette: Vec<Rgba>,
    /// Phase step per pixel (1/2^32 turns).
    k: u32,
    speed: f64,
}

/// `frac(x)` as a 32-bit fixed-point turn.
fn turns(x: f64) -> u32 {
    let f = x - x.floor();
    (f * 4_294_967_296.0) as u64 as u32
}

impl Plasma {
    /// A plasma of wavelength `scale` pixels, moving at `speed`, in a palette through `colors`.
    pub fn new(speed: f64, scale: f64, colors: &[Rgba]) -> Plasma {
        let sin = (0..SIN_LEN)
            .map(|i| {
                let a = 2.0 * std::f64::consts::PI * i as f64 / SIN_LEN as f64;
                libm::round(libm::sin(a) * 1024.0) as i32
            })
            .collect();
        let k = (4_294_967_296.0 / scale) as u64 as u32;
        Plasma { sin, palette: color_table(colors, 256, true), k, speed }
    }

    #[inline]
    fn s(&self, phase: u32) -> i32 {
        self.sin[(phase >> (32 - SIN_BITS)) as usize]
    }
}

impl Scene for Plasma {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (ctx.width() as usize, ctx.height() as usize);
        let t = ctx.seconds() * self.speed;
        let (t1, t2, t3, t4) = (turns(t * 0.5), turns(t * 0.37), turns(t * 0.23), turns(t * 0.61));
        let shift = turns(t * 0.05) >> 24;
        // The radial wave's centre drifts around the frame.
        let mx = w as f64 * (0.5 + 0.35 * f64::from(self.s(turns(t * 0.13))) / 1024.0);
        let my = h as f64 * (0.5 + 0.35 * f64::from(self.s(turns(t * 0.17).wrapping_add(1 << 30))) / 1024.0);
        let k = self.k;
        let kf = f64::from(k);
        let px = canvas.pixels_mut();
        for (y, row) in px.chunks_exact_mut(w).enumerate().take(h) {
            let yy = y as u32;
            let vy = self.s(yy.wrapping_mul(k).wrapping_add(t2));
            let dy = y as f64 - my;
            for (x, p) in row.iter_mut().enumerate() {
                let xx = x as u32;
                let vx = self.s(xx.wrapping_mul(k).wrapping_add(t1));
                let vd = self.s((xx.wrapping_add(yy)).wrapping_mul(k >> 1).wrapping_add(t3));
                let dx = x as f64 - mx;
                let r = (dx * dx + dy * dy).sqrt();
                let vr = self.s(((r * kf) as u64 as u32).wrapping_add(t4));
                let v = (vx + vy + vd + vr + 4096) as u32; // 0..=8192
                *p = self.palette[(((v >> 4) + shift) & 255) as usize];
            }
        }
    }

    /// Every pixel is a palette colour.
    fn paints_every_pixel(&self, _ctx: &RenderContext) -> bool {
        true
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let speed = p.float_in("speed", 1.0, 0.0..=20.0)?;
    let scale = p.float_in("scale", 32.0, 2.0..=4096.0)?;
    let colors = p.colors(
        "colors",
        &[
            Rgba::rgb(255, 0, 0),
            Rgba::rgb(255, 255, 0),
            Rgba::rgb(0, 255, 0),
            Rgba::rgb(0, 255, 255),
            Rgba::rgb(0, 0, 255),
            Rgba::rgb(255, 0, 255),
        ],
    )?;
    Ok(Arc::new(Plasma::new(speed, scale, &colors)))
}
