//! `starfield`: stars flying towards the viewer.
//!
//! Stateless: star `i` travels from the far plane to the viewer once per pass; its pass number
//! and depth are `floor` / `frac` of `phase_i + seconds · speed`, and its direction is hashed
//! from `(seed, i, pass)`, so each pass is a new star and any tick is computed directly.

use std::sync::Arc;

use tickframe_core::{Canvas, Rect, RenderContext, Rgba, Scene, combine};

use super::dim;
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "starfield",
    summary: "a 3D starfield flying towards the viewer",
    params: &[
        ParamDoc { name: "count", kind: "integer 1..=100000", default: "300", doc: "number of stars" },
        ParamDoc {
            name: "speed",
            kind: "float 0..=100",
            default: "0.3",
            doc: "passes per second: how many times a second a star goes from the far plane to the viewer",
        },
        ParamDoc {
            name: "colors",
            kind: "array of colours",
            default: "[\"#ffffff\", \"#c0d8ff\", \"#fff0c0\"]",
            doc: "star colours (each star picks one), dimmed with distance",
        },
    ],
    build,
};

/// Nearest depth drawn (fraction of the far plane's distance).
const NEAR: f64 = 0.02;

/// The starfield.
#[derive(Clone, Debug)]
pub struct Starfield {
    count: u32,
    speed: f64,
    colors: Vec<Rgba>,
}

fn unit(v: u64) -> f64 {
    (v >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Starfield {
    /// `count` stars passing `speed` times a second, in `colors` (not empty).
    pub fn new(count: u32, speed: f64, colors: &[Rgba]) -> Starfield {
        let colors = if colors.is_empty() { vec![Rgba::WHITE] } else { colors.to_vec() };
        Starfield { count, speed, colors }
    }
}

impl Scene for Starfield {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (f64::from(ctx.width()), f64::from(ctx.height()));
        let (cx, cy) = (w / 2.0, h / 2.0);
        let focal = w.max(h) / 2.0;
        let travel = ctx.seconds() * self.speed;
        for i in 0..u64::from(self.count) {
            let key = combine(ctx.seed, i);
            let p = unit(key) + travel;
            let pass = p.floor();
            let z = 1.0 - (p - pass);
            if z < NEAR {
                continue;
            }
            let k = combine(key, pass as u64);
            let x = unit(k) * 2.0 - 1.0;
            let y = unit(combine(k, 1)) * 2.0 - 1.0;
            let sx = cx + x * focal / z;
            let sy = cy + y * focal / z;
            if sx < -2.0 || sy < -2.0 || sx >= w + 2.0 || sy >= h + 2.0 {
                continue;
            }
            let color = self.colors[((k >> 40) % self.colors.len() as u64) as usize];
            let level = ((1.0 - z) * 255.0) as u8;
            let c = dim(color, level.max(24));
            let (ix, iy) = (sx.floor() as i32, sy.floor() as i32);
            if z < 0.3 {
                canvas.fill_rect(Rect::new(ix, iy, 2, 2), c);
            } else {
                canvas.plot(ix, iy, c);
            }
        }
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let count = p.u32_in("count", 300, 1..=100_000)?;
    let speed = p.float_in("speed", 0.3, 0.0..=100.0)?;
    let colors =
        p.colors("colors", &[Rgba::WHITE, Rgba::rgb(0xc0, 0xd8, 0xff), Rgba::rgb(0xff, 0xf0, 0xc0)])?;
    Ok(Arc::new(Starfield::new(count, speed, &colors)))
}
