//! Procedural scenes: pixels computed from (seed, tick).
//!
//! Every scene here is built once (palettes, tables and cycle lengths are precomputed while
//! building) and then renders without allocating. Randomness comes only from
//! [`tickframe_core::RenderContext::rng`], time only from the tick, and transcendental maths only
//! from `libm`, so a frame is the same bytes in any tick order, on any thread, in any build.
//!
//! | scene | shows |
//! | --- | --- |
//! | `solid` | one colour |
//! | `gradient` | a linear gradient between colour stops, optionally scrolling |
//! | `random-pixels` | random pixels every tick; `preset = "confetti"` is the LED totem's confetti |
//! | `mandelbrot` | the auto-zooming Mandelbrot set of the original LED renderer |
//! | `plasma` | a classic sine plasma |
//! | `life` | Conway's Game of Life (stateful, checkpointed) |
//! | `fire` | classic LED fire, stateless (noise scrolled upward) |
//! | `starfield` | a 3D starfield flying towards the viewer |

pub mod fire;
pub mod gradient;
pub mod life;
pub mod mandelbrot;
pub mod plasma;
pub mod random_pixels;
pub mod solid;
pub mod starfield;

use tickframe_core::Rgba;

use crate::registry::SceneInfo;

/// The procedural built-in scenes.
pub const SCENES: &[SceneInfo] = &[
    solid::INFO,
    gradient::INFO,
    random_pixels::INFO,
    mandelbrot::INFO,
    plasma::INFO,
    life::INFO,
    fire::INFO,
    starfield::INFO,
];

/// A lookup table of `n` colours interpolated linearly (per channel, rounded) between `stops`,
/// evenly spaced from entry 0 (first stop) to entry `n - 1` (last stop). With `cyclic`, the
/// first stop is repeated after the last, so the table wraps around without a seam.
///
/// Allocates: call it while building, never while rendering.
pub fn color_table(stops: &[Rgba], n: usize, cyclic: bool) -> Vec<Rgba> {
    let mut s: Vec<Rgba> = stops.to_vec();
    if s.is_empty() {
        s.push(Rgba::BLACK);
    }
    if cyclic {
        s.push(s[0]);
    }
    if s.len() == 1 || n <= 1 {
        return vec![s[0]; n.max(1)];
    }
    let segments = (s.len() - 1) as u64;
    // With `cyclic`, entry n would be the first stop again, so spread over n, not n - 1.
    let span = if cyclic { n as u64 } else { (n - 1) as u64 };
    (0..n as u64)
        .map(|i| {
            // Position in 1/(span) units along `segments` segments, in 1/255 steps.
            let pos = i * segments * 255 / span.max(1);
            let seg = ((pos / 255) as usize).min(s.len() - 2);
            let t = (pos - seg as u64 * 255).min(255) as u8;
            s[seg].lerp(s[seg + 1], t)
        })
        .collect()
}

/// Scales a colour's RGB by `level` (0..=255), keeping alpha.
pub(crate) fn dim(c: Rgba, level: u8) -> Rgba {
    let l = u32::from(level);
    Rgba::new(
        tickframe_core::mul255(u32::from(c.r), l) as u8,
        tickframe_core::mul255(u32::from(c.g), l) as u8,
        tickframe_core::mul255(u32::from(c.b), l) as u8,
        c.a,
    )
}

/// Whether the parameter `key` was written (so a preset can reject it).
pub(crate) fn has_key(p: &crate::params::Params, key: &str) -> bool {
    p.keys().contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_table_endpoints() {
        let t = color_table(&[Rgba::BLACK, Rgba::WHITE], 256, false);
        assert_eq!(t[0], Rgba::BLACK);
        assert_eq!(t[255], Rgba::WHITE);
        let c = color_table(&[Rgba::BLACK, Rgba::WHITE], 256, true);
        assert_eq!(c[0], Rgba::BLACK);
        assert_eq!(c[128], Rgba::WHITE);
        assert!(c[255].r < 10);
        assert_eq!(color_table(&[Rgba::WHITE], 4, false), vec![Rgba::WHITE; 4]);
    }
}
