//! `fire`: classic LED fire, stateless: two octaves of value noise scrolled upward through the
//! frame, faded with height and mapped through a fire palette.
//!
//! # Determinism
//! The noise lattice is hashed from `(seed, cell)` with [`tickframe_core::mix64`]; the scroll is
//! a fixed-point offset from the tick's time. No state, so any tick renders alone.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene, combine, mix64};

use super::color_table;
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "fire",
    summary: "classic LED fire: noise rising through a black-red-yellow-white palette",
    params: &[
        ParamDoc {
            name: "speed",
            kind: "float 0..=1000",
            default: "24",
            doc: "how fast the flames rise, in pixels per second",
        },
        ParamDoc {
            name: "scale",
            kind: "float 1..=1024",
            default: "8",
            doc: "size of the coarse flame features in pixels",
        },
        ParamDoc {
            name: "height",
            kind: "float 0.05..=2",
            default: "0.9",
            doc: "flame height as a fraction of the frame height",
        },
        ParamDoc {
            name: "colors",
            kind: "array of colours",
            default: "[\"#000000\", \"#600000\", \"#d01000\", \"#ff7000\", \"#ffd020\", \"#ffffc0\"]",
            doc: "palette stops from cold to hottest, blended into 256 colours",
        },
    ],
    build,
};

/// The stateless fire.
#[derive(Clone, Debug)]
pub struct Fire {
    palette: Vec<Rgba>,
    smooth: [u32; 257],
    speed: f64,
    /// Feature size in pixels.
    scale: f64,
    height: f64,
}

impl Fire {
    /// A fire rising `speed` px/s with features of `scale` px, `height` of the frame high.
    pub fn new(speed: f64, scale: f64, height: f64, colors: &[Rgba]) -> Fire {
        let mut smooth = [0u32; 257];
        for (i, s) in smooth.iter_mut().enumerate() {
            // Smoothstep 3t² − 2t³ in 1/256 units, exact in integers.
            let t = i as u64;
            *s = ((3 * t * t * 256 - 2 * t * t * t) / (256 * 256)) as u32;
        }
        Fire { palette: color_table(colors, 256, false), smooth, speed, scale, height }
    }

    /// Value noise 0..=255 at fixed-point (24.8) lattice coordinates.
    #[inline]
    fn lattice(key: u64, ix: i64, iy: i64) -> u32 {
        (mix64(
            key ^ (ix as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ (iy as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f),
        ) >> 56) as u32
    }

    #[inline]
    fn noise(&self, key: u64, fx: i64, fy: i64) -> u32 {
        let (ix, iy) = (fx >> 8, fy >> 8);
        let (sx, sy) = (self.smooth[(fx & 255) as usize], self.smooth[(fy & 255) as usize]);
        let a = Self::lattice(key, ix, iy);
        let b = Self::lattice(key, ix + 1, iy);
        let c = Self::lattice(key, ix, iy + 1);
        let d = Self::lattice(key, ix + 1, iy + 1);
        let top = a * (256 - sx) + b * sx;
        let bottom = c * (256 - sx) + d * sx;
        (top * (256 - sy) + bottom * sy) >> 16
    }
}

impl Scene for Fire {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (ctx.width() as usize, ctx.height() as usize);
        let (k1, k2) = (combine(ctx.seed, 0xf1_7e), combine(ctx.seed, 0xf1_7f));
        let t = ctx.seconds();
        // Scroll offsets in 1/256 lattice cells, exact integers per tick.
        let rise1 = (t * self.speed / self.scale * 256.0).floor() as i64;
        let rise2 = (t * self.speed * 1.7 / self.scale * 512.0).floor() as i64;
        let drift2 = (t * 0.9 * 512.0).floor() as i64;
        let step = (256.0 / self.scale) as i64;
        let flame_h = (self.height * h as f64).max(1.0);
        let px = canvas.pixels_mut();
        for (y, row) in px.chunks_exact_mut(w).enumerate().take(h) {
            let from_bottom = (h - 1 - y) as f64;
            // Falloff 0..=256: hottest at the bottom, nothing above the flame height.
            let fall = (((1.0 - from_bottom / flame_h) * 256.0).max(0.0)) as u32;
            if fall == 0 {
                row.fill(self.palette[0]);
                continue;
            }
            let fy1 = y as i64 * step + rise1;
            let fy2 = y as i64 * step * 2 + rise2;
            for (x, p) in row.iter_mut().enumerate() {
                let fx = x as i64 * step;
                let n = (self.noise(k1, fx, fy1) * 2 + self.noise(k2, fx * 2 + drift2, fy2)) / 3;
                // Heat: noise shaped by the falloff, with a boost near the base.
                let heat = (n * fall * fall) >> 15;
                *p = self.palette[heat.min(255) as usize];
            }
        }
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let speed = p.float_in("speed", 24.0, 0.0..=1000.0)?;
    let scale = p.float_in("scale", 8.0, 1.0..=1024.0)?;
    let height = p.float_in("height", 0.9, 0.05..=2.0)?;
    let colors = p.colors(
        "colors",
        &[
            Rgba::rgb(0, 0, 0),
            Rgba::rgb(0x60, 0, 0),
            Rgba::rgb(0xd0, 0x10, 0),
            Rgba::rgb(0xff, 0x70, 0),
            Rgba::rgb(0xff, 0xd0, 0x20),
            Rgba::rgb(0xff, 0xff, 0xc0),
        ],
    )?;
    Ok(Arc::new(Fire::new(speed, scale, height, &colors)))
}
