//! `random-pixels`: random pixels at random positions every tick, and the LED totem's
//! "confetti" preset.
//!
//! # Determinism
//! Every write takes one 64-bit number from `ctx.rng(stream)`, so a frame depends only on
//! `(seed, tick)`: the high 32 bits pick the position (multiply-shift over the pixel count), the
//! low 32 bits the colour (24 bits of RGB, or a palette index by multiply-shift).

use std::sync::Arc;

use tickframe_core::{Canvas, RenderContext, Rgba, Scene, Size};

use super::{dim, has_key};
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub const INFO: SceneInfo = SceneInfo {
    name: "random-pixels",
    summary: "random pixels in random colours at random positions, new every tick (or the confetti preset)",
    params: &[
        ParamDoc {
            name: "count",
            kind: "integer 0..=10000000",
            default: "1000",
            doc: "pixels written per tick (later writes replace earlier ones at the same position)",
        },
        ParamDoc {
            name: "colors",
            kind: "array of colours",
            default: "(none: fully random RGB)",
            doc: "palette each pixel's colour is drawn from, uniformly; without it every pixel gets a random 24-bit RGB colour",
        },
        ParamDoc {
            name: "brightness",
            kind: "float 0..=1",
            default: "1.0",
            doc: "scales the colours' RGB (1 = unchanged)",
        },
        ParamDoc {
            name: "preset",
            kind: "one of: none, confetti",
            default: "\"none\"",
            doc: "`confetti`: the original LED totem's confetti, five layers of 16000 dim RGB, 12000 mid RGB, 9000 warm, 6000 cool and 3550 white-ish pixels = 46,550 writes per frame at 256x64 (counts scaled by area at other sizes); cannot be combined with count, colors or brightness",
        },
        ParamDoc {
            name: "write",
            kind: "one of: pixels, plot",
            default: "pixels",
            doc: "how pixels reach the frame: `pixels` straight into the buffer (fastest), `plot` one canvas plot command each (recorded in the display list on that path); identical bytes",
        },
    ],
    build,
};

/// Pixel writes per frame of the confetti preset at 256×64 (the original LED totem's figure).
pub const CONFETTI_WRITES_256X64: u32 = 46_550;

/// How the pixels reach the frame. Both give identical bytes on both draw modes; the benchmark
/// `confetti_256x64` compares them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum WritePath {
    /// Straight into [`Canvas::pixels_mut`] (the default: fastest).
    #[default]
    Pixels,
    /// One [`Canvas::plot`] per pixel (recorded in the display list on that path).
    Plot,
}

/// One layer: `count` writes from RNG stream `stream`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Layer {
    /// Writes per frame.
    pub count: u32,
    /// The RNG stream (distinct per layer).
    pub stream: u64,
    /// Palette (already scaled by the layer's brightness); empty means random RGB.
    pub palette: Vec<Rgba>,
    /// Brightness scale for random RGB, in 1/256 (256 = unchanged).
    pub scale: u32,
}

impl Layer {
    /// A layer of `count` writes from `stream`, colours from `palette` (empty: random RGB), RGB
    /// scaled by `brightness` (0..=255).
    pub fn new(count: u32, stream: u64, palette: &[Rgba], brightness: u8) -> Layer {
        // 0..=255 → 0..=256, so 255 keeps every channel value.
        let scale = u32::from(brightness) + u32::from(brightness > 127);
        Layer { count, stream, palette: palette.iter().map(|c| dim(*c, brightness)).collect(), scale }
    }
}

/// Random pixels, in one or more layers drawn in order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RandomPixels {
    layers: Vec<Layer>,
    path: WritePath,
}

impl RandomPixels {
    /// A scene of the given layers, written through `path`.
    pub fn new(layers: Vec<Layer>, path: WritePath) -> RandomPixels {
        RandomPixels { layers, path }
    }

    /// The confetti preset for `size`: five layers, 46,550 writes at 256×64, counts scaled by
    /// area (rounded down) at other sizes.
    pub fn confetti(size: Size, path: WritePath) -> RandomPixels {
        const WARM: [Rgba; 5] = [
            Rgba::rgb(255, 40, 40),
            Rgba::rgb(255, 128, 0),
            Rgba::rgb(255, 220, 0),
            Rgba::rgb(255, 64, 160),
            Rgba::rgb(255, 90, 40),
        ];
        const COOL: [Rgba; 5] = [
            Rgba::rgb(0, 200, 255),
            Rgba::rgb(40, 80, 255),
            Rgba::rgb(150, 60, 255),
            Rgba::rgb(0, 255, 140),
            Rgba::rgb(0, 255, 255),
        ];
        const SPARK: [Rgba; 3] = [Rgba::WHITE, Rgba::rgb(255, 250, 220), Rgba::rgb(220, 240, 255)];
        let area = size.area() as u64;
        let scale = |n: u32| (u64::from(n) * area / (256 * 64)) as u32;
        let layers = vec![
            Layer::new(scale(16_000), 1, &[], 64),
            Layer::new(scale(12_000), 2, &[], 160),
            Layer::new(scale(9_000), 3, &WARM, 255),
            Layer::new(scale(6_000), 4, &COOL, 230),
            Layer::new(scale(3_550), 5, &SPARK, 255),
        ];
        RandomPixels { layers, path }
    }

    /// The layers, in drawing order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Pixel writes per frame (the sum of the layers' counts).
    pub fn writes_per_frame(&self) -> u64 {
        self.layers.iter().map(|l| u64::from(l.count)).sum()
    }

    /// Calls `write(index, colour)` for every pixel write of the frame at `ctx`, in order
    /// (`index` = `y * width + x`). [`Scene::render`] is exactly this, writing into the frame.
    #[inline]
    pub fn for_each_write(&self, ctx: &RenderContext, mut write: impl FnMut(usize, Rgba)) {
        let n = ctx.size.area() as u64;
        // Random numbers are drawn in batches (the same numbers as one at a time, computed with
        // wide vector multiplies where the CPU has them).
        const BATCH: usize = 256;
        let mut batch = [0u64; BATCH];
        for layer in &self.layers {
            let mut rng = ctx.rng(layer.stream);
            let len = layer.palette.len() as u64;
            let scale = u64::from(layer.scale);
            let mut left = layer.count as usize;
            while left > 0 {
                let k = left.min(BATCH);
                left -= k;
                let values = &mut batch[..k];
                rng.fill_u64(values);
                if len == 0 {
                    // Packed RGB scaled by `scale`/256 two channels at a time (red and blue,
                    // then green): no table look-ups.
                    for &v in values.iter() {
                        let i = (((v >> 32) * n) >> 32) as usize;
                        let rb = (((v & 0x00ff_00ff) * scale) >> 8) & 0x00ff_00ff;
                        let g = (((v & 0xff00) * scale) >> 8) & 0xff00;
                        let [r, g, b, _] = ((rb | g) as u32).to_le_bytes();
                        write(i, Rgba::rgb(r, g, b));
                    }
                } else {
                    for &v in values.iter() {
                        let i = (((v >> 32) * n) >> 32) as usize;
                        let c = layer.palette[(((v & 0xffff_ffff) * len) >> 32) as usize];
                        write(i, c);
                    }
                }
            }
        }
    }
}

impl Scene for RandomPixels {
    fn render(&self, ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        match self.path {
            WritePath::Pixels => {
                let px = canvas.pixels_mut();
                self.for_each_write(ctx, |i, c| {
                    if let Some(p) = px.get_mut(i) {
                        *p = c;
                    }
                });
            }
            WritePath::Plot => {
                let w = ctx.width() as usize;
                self.for_each_write(ctx, |i, c| canvas.plot((i % w) as i32, (i / w) as i32, c));
            }
        }
    }
}

fn build(p: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let preset = p.choice("preset", "none", &["none", "confetti"])?;
    let path = match p.choice("write", "pixels", &["pixels", "plot"])?.as_str() {
        "plot" => WritePath::Plot,
        _ => WritePath::Pixels,
    };
    if preset == "confetti" {
        for key in ["count", "colors", "brightness"] {
            if has_key(p, key) {
                return Err(BuildError::new(
                    p.location_of(key),
                    format!("`random-pixels.{key}`: cannot be combined with `preset = \"confetti\"`"),
                ));
            }
        }
        // Mark them known so the caller's unknown-key check stays quiet.
        let _ = p.take("count");
        let _ = p.take("colors");
        let _ = p.take("brightness");
        return Ok(Arc::new(RandomPixels::confetti(cx.size, path)));
    }
    let count = p.u32_in("count", 1000, 0..=10_000_000)?;
    let colors = p.colors("colors", &[])?;
    let brightness = p.float_in("brightness", 1.0, 0.0..=1.0)?;
    let level = (brightness * 255.0 + 0.5) as u8;
    Ok(Arc::new(RandomPixels::new(vec![Layer::new(count, 1, &colors, level)], path)))
}
