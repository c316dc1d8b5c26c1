//! Frame → device bytes: mapping, colour, power limit and the per-frame device hash.

use tickframe_core::{FrameRef, Size};

use crate::color::{ColorSettings, apply_power_limit, gamma_table};
use crate::mapping::Mapping;

/// A frame of the wrong size for a mapping.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("frame is {got}, the LED mapping expects {expected}")]
pub struct FrameSizeError {
    /// The mapping's frame size.
    pub expected: Size,
    /// The frame's size.
    pub got: Size,
}

/// What one frame became on the device side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceFrame {
    /// XXH3-64 of the device bytes (after mapping, colour and power limit): compare with a
    /// trace to check what a device was sent.
    pub hash: u64,
    /// Device bytes in the frame.
    pub len: usize,
    /// Sum of channel values before the power limit.
    pub channel_sum: u64,
    /// Whether the power limit scaled this frame down.
    pub power_limited: bool,
}

/// Turns frames into device bytes in a reused buffer: mapping, then per-channel gamma and
/// brightness tables, channel order, and the power limit; hashes the result.
///
/// # Determinism
/// Integer table lookups only (tables built once with `libm`): the same frame gives the same
/// device bytes and hash on every machine.
///
/// # Examples
/// ```
/// use tickframe_core::{Frame, Rgba, Size};
/// use tickframe_outputs::{ChannelOrder, ColorSettings, LedPipeline, Mapping};
/// let size = Size::new(2, 1).unwrap();
/// let mut frame = Frame::new(size);
/// frame.pixels_mut()[1] = Rgba::rgb(10, 20, 30);
/// let settings = ColorSettings { order: ChannelOrder::Grb, ..Default::default() };
/// let mut leds = LedPipeline::new(Mapping::serpentine(size, false), settings);
/// leds.process(frame.view()).unwrap();
/// assert_eq!(leds.device_bytes(), &[0, 0, 0, 20, 10, 30]);
/// ```
#[derive(Clone, Debug)]
pub struct LedPipeline {
    mapping: Mapping,
    settings: ColorSettings,
    tables: [[u8; 256]; 3],
    positions: [usize; 3],
    device: Vec<u8>,
    last: Option<DeviceFrame>,
}

impl LedPipeline {
    /// A pipeline with one gamma/brightness table for all three channels.
    ///
    /// # Panics
    /// When `settings.gamma` is not finite and positive.
    pub fn new(mapping: Mapping, settings: ColorSettings) -> LedPipeline {
        let t = gamma_table(settings.gamma, settings.brightness);
        LedPipeline::with_tables(mapping, settings, [t, t, t])
    }

    /// A pipeline with explicit red, green and blue tables (e.g. per-channel white balance);
    /// `settings.gamma` and `settings.brightness` are then ignored.
    pub fn with_tables(mapping: Mapping, settings: ColorSettings, tables: [[u8; 256]; 3]) -> LedPipeline {
        let device = vec![0; mapping.device_len()];
        LedPipeline { positions: settings.order.positions(), mapping, settings, tables, device, last: None }
    }

    /// The mapping.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The colour settings.
    pub fn settings(&self) -> &ColorSettings {
        &self.settings
    }

    /// Maps and colours one frame into the device buffer. Allocates nothing.
    ///
    /// # Errors
    /// When the frame's size is not the mapping's.
    pub fn process(&mut self, frame: FrameRef<'_>) -> Result<DeviceFrame, FrameSizeError> {
        if frame.size() != self.mapping.frame_size() {
            return Err(FrameSizeError { expected: self.mapping.frame_size(), got: frame.size() });
        }
        let pixels = frame.pixels();
        let [tr, tg, tb] = &self.tables;
        let [pr, pg, pb] = self.positions;
        let device = &mut self.device[..];
        let mut sum = 0u64;
        for (&src, &off) in self.mapping.sources.iter().zip(&self.mapping.offsets) {
            let px = pixels[src as usize];
            let (r, g, b) = (tr[px.r as usize], tg[px.g as usize], tb[px.b as usize]);
            sum += u64::from(r) + u64::from(g) + u64::from(b);
            let d = &mut device[off as usize..off as usize + 3];
            d[pr] = r;
            d[pg] = g;
            d[pb] = b;
        }
        let mut power_limited = false;
        if let Some(limit) = self.settings.power_limit {
            power_limited = apply_power_limit(device, sum, limit) != 65536;
        }
        let result = DeviceFrame {
            hash: xxhash_rust::xxh3::xxh3_64(device),
            len: device.len(),
            channel_sum: sum,
            power_limited,
        };
        self.last = Some(result);
        Ok(result)
    }

    /// The device bytes of the last processed frame (zeros before the first).
    pub fn device_bytes(&self) -> &[u8] {
        &self.device
    }

    /// The last frame's result, if any.
    pub fn last(&self) -> Option<DeviceFrame> {
        self.last
    }
}
