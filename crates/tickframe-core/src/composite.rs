//! Blending one frame onto another: layer blend modes with opacity.

use crate::Rgba;
use crate::pixel::mul255;

/// How a layer's colour combines with what is below it. Every mode then mixes the result in by
/// the layer pixel's alpha times the layer's opacity (source-over).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum BlendMode {
    /// The layer's colour.
    #[default]
    Normal,
    /// Below + layer, clamped at 255 (light adds up).
    Add,
    /// Below × layer / 255 (darkens).
    Multiply,
    /// 255 − (255 − below)(255 − layer)/255 (lightens).
    Screen,
}

impl BlendMode {
    /// All modes, in documentation order.
    pub const ALL: [BlendMode; 4] =
        [BlendMode::Normal, BlendMode::Add, BlendMode::Multiply, BlendMode::Screen];

    /// The name used in scene files: `normal`, `add`, `multiply`, `screen`.
    pub const fn name(self) -> &'static str {
        match self {
            BlendMode::Normal => "normal",
            BlendMode::Add => "add",
            BlendMode::Multiply => "multiply",
            BlendMode::Screen => "screen",
        }
    }

    /// The mode with this scene-file name.
    pub fn from_name(name: &str) -> Option<BlendMode> {
        BlendMode::ALL.into_iter().find(|m| m.name() == name)
    }

    #[inline]
    fn channel(self, below: u8, layer: u8) -> u8 {
        let (b, l) = (u32::from(below), u32::from(layer));
        (match self {
            BlendMode::Normal => l,
            BlendMode::Add => (b + l).min(255),
            BlendMode::Multiply => mul255(b, l),
            BlendMode::Screen => 255 - mul255(255 - b, 255 - l),
        }) as u8
    }
}

/// Composites `layer` onto `below`, pixel by pixel (both the same length), with `mode` and
/// `opacity` (0..=255). Integer-only: identical on every machine.
///
/// # Panics
/// When the slices differ in length.
pub fn composite(below: &mut [Rgba], layer: &[Rgba], mode: BlendMode, opacity: u8) {
    assert_eq!(below.len(), layer.len(), "composite: frame sizes differ");
    if opacity == 0 {
        return;
    }
    for (d, s) in below.iter_mut().zip(layer) {
        if s.a == 0 {
            continue;
        }
        let mixed = match mode {
            BlendMode::Normal => *s,
            _ => Rgba::new(mode.channel(d.r, s.r), mode.channel(d.g, s.g), mode.channel(d.b, s.b), s.a),
        };
        *d = mixed.over(*d, opacity);
    }
}

/// Mixes `a` and `b` into `out`: `t = 0` gives `a`, `t = 255` gives `b` exactly.
///
/// # Panics
/// When the slices differ in length.
pub fn crossfade(out: &mut [Rgba], a: &[Rgba], b: &[Rgba], t: u8) {
    assert!(out.len() == a.len() && a.len() == b.len(), "crossfade: frame sizes differ");
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x.lerp(*y, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_on_grey() {
        let below = Rgba::rgb(100, 100, 100);
        let layer = Rgba::rgb(200, 50, 255);
        let run = |mode| {
            let mut d = [below];
            composite(&mut d, &[layer], mode, 255);
            d[0]
        };
        assert_eq!(run(BlendMode::Normal), layer);
        assert_eq!(run(BlendMode::Add), Rgba::rgb(255, 150, 255));
        assert_eq!(run(BlendMode::Multiply), Rgba::rgb(78, 20, 100));
        assert_eq!(run(BlendMode::Screen), Rgba::rgb(222, 130, 255));
        let mut d = [below];
        composite(&mut d, &[layer], BlendMode::Normal, 0);
        assert_eq!(d[0], below);
        let mut d = [below];
        composite(&mut d, &[Rgba::TRANSPARENT], BlendMode::Add, 255);
        assert_eq!(d[0], below);
    }

    #[test]
    fn crossfade_ends_are_exact() {
        let a = [Rgba::rgb(1, 2, 3), Rgba::rgb(250, 0, 9)];
        let b = [Rgba::rgb(9, 8, 7), Rgba::rgb(0, 255, 100)];
        let mut o = [Rgba::BLACK; 2];
        crossfade(&mut o, &a, &b, 0);
        assert_eq!(o, a);
        crossfade(&mut o, &a, &b, 255);
        assert_eq!(o, b);
    }
}
