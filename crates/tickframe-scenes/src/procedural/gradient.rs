//! `gradient`: a linear gradient between two or more colour stops, optionally scrolling.

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene};

use super::color_table;
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "gradient",
    summary: "a linear gradient between colour stops at any angle, optionally scrolling",
    params: &[
        ParamDoc {
            name: "colors",
            kind: "array of 2+ colours",
            default: "[\"#000000\", \"#ffffff\"]",
            doc: "the stops, evenly spaced from one edge of the frame to the other",
        },
        ParamDoc {
            name: "angle",
            kind: "float -360..=360",
            default: "0",
            doc: "direction in degrees: 0 = left to right, 90 = top to bottom",
        },
        ParamDoc {
            name: "speed",
            kind: "float -100..=100",
            default: "0",
            doc: "scroll speed in gradient cycles per second (0 = static); when scrolling the stops repeat cyclically (last blends back into first)",
        },
    ],
    build,
};

/// Entries in the colour table.
const TABLE: usize = 1024;

/// A linear gradient (pixels replaced, not blended).
#[derive(Clone, Debug)]
pub struct Gradient {
    table: Vec<Rgba>,
    /// Unit direction (cos, sin) of the angle.
    dir: (f64, f64),
    speed: f64,
}

impl Gradient {
    /// A gradient through `stops` at `angle_deg`, scrolling `speed` cycles per second.
    pub fn new(stops: &[Rgba], angle_deg: f64, speed: f64) -> Gradient {
        let a = angle_deg * (std::f64::consts::PI / 180.0);
        Gradient { table: color_table(stops, TABLE, speed != 0.0), dir: (libm::cos(a), libm::sin(a)), speed }
    }
}

impl Scene for Gradient {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        let (w, h) = (ctx.width() as usize, ctx.height() as usize);
        let (c, s) = self.dir;
        // Position along the direction, 0 at one extreme pixel centre's edge, 1 at the other.
        let extent = (c.abs() * w as f64 + s.abs() * h as f64).max(1e-9);
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        let scrolling = self.speed != 0.0;
        let phase = if scrolling {
            let p = self.speed * ctx.seconds();
            p - p.floor()
        } else {
            0.0
        };
        let n = TABLE as f64;
        let px = canvas.pixels_mut();
        for (y, row) in px.chunks_exact_mut(w).enumerate().take(h) {
            let py = (y as f64 + 0.5 - cy) * s;
            for (x, p) in row.iter_mut().enumerate() {
                let t = 0.5 + ((x as f64 + 0.5 - cx) * c + py) / extent;
                let i = if scrolling {
                    let u = t - phase;
                    let f = (u - u.floor()) * n;
                    (f as usize) % TABLE
                } else {
                    ((t * n) as i64).clamp(0, TABLE as i64 - 1) as usize
                };
                *p = self.table[i];
            }
        }
    }
}

fn build(p: &mut Params, _cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let colors = p.colors("colors", &[Rgba::BLACK, Rgba::WHITE])?;
    if colors.len() < 2 {
        return Err(BuildError::new(
            p.location_of("colors"),
            format!("`gradient.colors`: expected at least 2 colour stops, found {}", colors.len()),
        ));
    }
    let angle = p.float_in("angle", 0.0, -360.0..=360.0)?;
    let speed = p.float_in("speed", 0.0, -100.0..=100.0)?;
    Ok(Arc::new(Gradient::new(&colors, angle, speed)))
}
