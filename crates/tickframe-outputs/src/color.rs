//! Colour for LEDs: channel order, gamma, brightness and a power limit.

use std::str::FromStr;

/// The order an LED expects its three channels in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue (most network controllers, which reorder themselves).
    #[default]
    Rgb,
    /// Red, blue, green.
    Rbg,
    /// Green, red, blue (WS2812/SK6812 strips driven directly).
    Grb,
    /// Green, blue, red.
    Gbr,
    /// Blue, red, green.
    Brg,
    /// Blue, green, red.
    Bgr,
}

impl ChannelOrder {
    /// Device position (0..3) of the red, green and blue values.
    pub const fn positions(self) -> [usize; 3] {
        match self {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Rbg => [0, 2, 1],
            ChannelOrder::Grb => [1, 0, 2],
            ChannelOrder::Gbr => [2, 0, 1],
            ChannelOrder::Brg => [1, 2, 0],
            ChannelOrder::Bgr => [2, 1, 0],
        }
    }
}

/// An unknown channel order name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown channel order `{0}` (expected one of rgb, rbg, grb, gbr, brg, bgr)")]
pub struct ChannelOrderError(pub String);

impl FromStr for ChannelOrder {
    type Err = ChannelOrderError;
    fn from_str(s: &str) -> Result<ChannelOrder, ChannelOrderError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "rgb" => ChannelOrder::Rgb,
            "rbg" => ChannelOrder::Rbg,
            "grb" => ChannelOrder::Grb,
            "gbr" => ChannelOrder::Gbr,
            "brg" => ChannelOrder::Brg,
            "bgr" => ChannelOrder::Bgr,
            _ => return Err(ChannelOrderError(s.to_string())),
        })
    }
}

/// How frame colours become LED channel values.
///
/// Per channel, `out = round(255 · brightness/255 · (v/255)^gamma)` through a 256-entry table
/// built once (with the pure-Rust `libm`, so identical on every machine); then, when the sum
/// of all channel values of a frame exceeds `power_limit`, every channel is scaled by the same
/// factor (`⌊limit·65536/sum⌋ / 65536`, rounded down) so the sum is at most the limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorSettings {
    /// Gamma exponent; default 1.0 (values unchanged). 2.2–2.8 suits most LEDs.
    pub gamma: f64,
    /// Brightness limit, 0..=255 (255 = full); default 255.
    pub brightness: u8,
    /// Cap on the sum of all channel values of one frame (e.g. 20 mA per full channel:
    /// `limit = milliamps · 255 / 20`, see [`power_limit_for_milliamps`]); default none.
    pub power_limit: Option<u64>,
    /// Channel order; default RGB.
    pub order: ChannelOrder,
}

impl Default for ColorSettings {
    fn default() -> ColorSettings {
        ColorSettings { gamma: 1.0, brightness: 255, power_limit: None, order: ChannelOrder::Rgb }
    }
}

/// The channel-sum limit for a current budget: `milliamps · 255 / milliamps_per_channel`
/// (a full-on channel drawing `milliamps_per_channel`, typically 20 for WS2812).
pub fn power_limit_for_milliamps(milliamps: u64, milliamps_per_channel: u64) -> u64 {
    milliamps * 255 / milliamps_per_channel.max(1)
}

/// A 256-entry table: gamma then brightness, rounded to nearest.
///
/// # Panics
/// When `gamma` is not finite and positive.
pub fn gamma_table(gamma: f64, brightness: u8) -> [u8; 256] {
    assert!(gamma.is_finite() && gamma > 0.0, "gamma must be finite and positive");
    let mut t = [0u8; 256];
    for (v, out) in t.iter_mut().enumerate() {
        let g = libm::pow(v as f64 / 255.0, gamma);
        *out = libm::round(g * f64::from(brightness)).clamp(0.0, 255.0) as u8;
    }
    t
}

/// Scales `bytes` so their sum is at most `limit`; returns the 16.16 factor used (65536 when
/// nothing changed).
pub fn apply_power_limit(bytes: &mut [u8], sum: u64, limit: u64) -> u32 {
    if sum <= limit {
        return 65536;
    }
    let scale = (limit << 16) / sum;
    for b in bytes {
        *b = ((u64::from(*b) * scale) >> 16) as u8;
    }
    scale as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        let t = gamma_table(1.0, 255);
        assert!(t.iter().enumerate().all(|(i, &v)| v as usize == i));
        let t = gamma_table(2.2, 255);
        assert_eq!((t[0], t[128], t[255]), (0, 56, 255));
        let t = gamma_table(1.0, 128);
        assert_eq!((t[255], t[128]), (128, 64));
    }

    #[test]
    fn power_limit_caps_the_sum_evenly() {
        let mut b = [255u8, 255, 100, 0];
        let sum = 610;
        apply_power_limit(&mut b, sum, 305);
        assert!(b.iter().map(|&v| u64::from(v)).sum::<u64>() <= 305);
        assert_eq!(b, [127, 127, 50, 0]);
    }

    #[test]
    fn orders_parse() {
        assert_eq!("GRB".parse::<ChannelOrder>().unwrap().positions(), [1, 0, 2]);
        assert!("rgbw".parse::<ChannelOrder>().unwrap_err().to_string().contains("expected one of"));
    }
}
