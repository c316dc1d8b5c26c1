//! Easing curves: how a transition's linear progress maps to visible progress.

/// An easing curve over `[0, 1]`. Every curve maps 0 to exactly 0 and 1 to exactly 1 and is
/// monotonically non-decreasing in between.
///
/// # Determinism
/// The sine curves use `libm`, so they give the same bits on every machine.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Easing {
    /// `t` (the default).
    #[default]
    Linear,
    /// `t²`: starts slowly.
    QuadIn,
    /// `1 − (1 − t)²`: ends slowly.
    QuadOut,
    /// `2t²` up to the middle, then `1 − (−2t + 2)² / 2`: slow at both ends.
    QuadInOut,
    /// `1 − cos(t·π/2)`: starts slowly.
    SineIn,
    /// `sin(t·π/2)`: ends slowly.
    SineOut,
    /// `(1 − cos(t·π)) / 2`: slow at both ends.
    SineInOut,
}

impl Easing {
    /// Every curve, in documentation order.
    pub const ALL: [Easing; 7] = [
        Easing::Linear,
        Easing::QuadIn,
        Easing::QuadOut,
        Easing::QuadInOut,
        Easing::SineIn,
        Easing::SineOut,
        Easing::SineInOut,
    ];

    /// The name used in scene files: `linear`, `quad-in`, `quad-out`, `quad-in-out`, `sine-in`,
    /// `sine-out`, `sine-in-out`.
    pub const fn name(self) -> &'static str {
        match self {
            Easing::Linear => "linear",
            Easing::QuadIn => "quad-in",
            Easing::QuadOut => "quad-out",
            Easing::QuadInOut => "quad-in-out",
            Easing::SineIn => "sine-in",
            Easing::SineOut => "sine-out",
            Easing::SineInOut => "sine-in-out",
        }
    }

    /// The curve with this scene-file name.
    pub fn from_name(name: &str) -> Option<Easing> {
        Easing::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The eased value of `t`, clamped to `[0, 1]` (NaN gives 0). `apply(0) == 0` and
    /// `apply(1) == 1` exactly.
    pub fn apply(self, t: f64) -> f64 {
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        if t >= 1.0 {
            return 1.0;
        }
        let half_pi = core::f64::consts::FRAC_PI_2;
        let v = match self {
            Easing::Linear => t,
            Easing::QuadIn => t * t,
            Easing::QuadOut => 1.0 - (1.0 - t) * (1.0 - t),
            Easing::QuadInOut => {
                if t < 0.5 {
                    2.0 * t * t
                } else {
                    let u = -2.0 * t + 2.0;
                    1.0 - u * u / 2.0
                }
            }
            Easing::SineIn => 1.0 - libm::cos(t * half_pi),
            Easing::SineOut => libm::sin(t * half_pi),
            Easing::SineInOut => (1.0 - libm::cos(t * core::f64::consts::PI)) / 2.0,
        };
        v.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Easing::ALL {
            assert_eq!(Easing::from_name(e.name()), Some(e));
        }
        assert_eq!(Easing::from_name("bounce"), None);
    }
}
