//! Building the outputs `--out` names: the desktop window and network LED controllers (with
//! their mapping and colour options).

use std::path::Path;

use tickframe_core::Size;
use tickframe_engine::Output;
use tickframe_outputs::{
    ChannelOrder, ColorSettings, DeviceOutput, LedPipeline, Mapping, MappingOptions, parse_output_url,
    power_limit_for_milliamps,
};

/// How frames become LED channel values for controller outputs (`ddp://`, `e131://`,
/// `artnet://`, `opc://`).
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// LED layout: `row-major` (default), `serpentine` (zig-zag rows), `serpentine-vertical`
    /// (zig-zag columns), or a mapping file (`.csv` or `.json`: frame pixel → output and channel;
    /// see docs/outputs.md).
    #[arg(long, default_value = "row-major")]
    pub led_map: String,
    /// Accept a mapping file that leaves frame pixels unmapped or puts two pixels on one channel.
    #[arg(long)]
    pub led_map_lenient: bool,
    /// Gamma exponent applied to every channel (1 = none; 2.2–2.8 suits most LEDs).
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f64,
    /// Brightness limit, 0..=255 (255 = full).
    #[arg(long, default_value_t = 255)]
    pub brightness: u8,
    /// Power limit in milliamps for the whole frame at 20 mA per full channel; frames above it
    /// are scaled down evenly. Default: no limit.
    #[arg(long)]
    pub power_limit_ma: Option<u64>,
    /// Channel order the LEDs expect: rgb, rbg, grb, gbr, brg, bgr.
    #[arg(long, default_value = "rgb")]
    pub order: String,
}

impl Default for DeviceArgs {
    fn default() -> DeviceArgs {
        DeviceArgs {
            led_map: "row-major".into(),
            led_map_lenient: false,
            gamma: 1.0,
            brightness: 255,
            power_limit_ma: None,
            order: "rgb".into(),
        }
    }
}

fn mapping(args: &DeviceArgs, size: Size) -> Result<Mapping, String> {
    match args.led_map.as_str() {
        "row-major" => Ok(Mapping::row_major(size)),
        "serpentine" => Ok(Mapping::serpentine(size, false)),
        "serpentine-vertical" => Ok(Mapping::serpentine(size, true)),
        file => {
            let options = MappingOptions {
                allow_unmapped: args.led_map_lenient,
                allow_shared_channels: args.led_map_lenient,
                ..MappingOptions::default()
            };
            Mapping::load(Path::new(file), size, options).map_err(|e| e.to_string())
        }
    }
}

/// A network LED controller output for `url`, frames of `size`.
///
/// # Errors
/// A malformed URL (with an example of the right form), bad colour options, or a mapping that
/// does not fit.
pub fn device_output(url: &str, size: Size, args: &DeviceArgs) -> Result<Box<dyn Output>, String> {
    let target = parse_output_url(url).map_err(|e| e.to_string())?;
    if !(args.gamma.is_finite() && (0.1..=10.0).contains(&args.gamma)) {
        return Err(format!("--gamma must be between 0.1 and 10, got {}", args.gamma));
    }
    let order: ChannelOrder = args.order.parse().map_err(|e| format!("--order: {e}"))?;
    let settings = ColorSettings {
        gamma: args.gamma,
        brightness: args.brightness,
        power_limit: args.power_limit_ma.map(|ma| power_limit_for_milliamps(ma, 20)),
        order,
    };
    let pipeline = LedPipeline::new(mapping(args, size)?, settings);
    Ok(Box::new(DeviceOutput::new(url, target, pipeline)))
}

/// A desktop window output (needs the `window` feature, on by default).
///
/// # Errors
/// When this build has no window support.
#[cfg(feature = "window")]
pub fn window_output(fullscreen: bool) -> Result<Box<dyn Output>, String> {
    Ok(Box::new(tickframe_window::WindowOutput::new(tickframe_window::WindowConfig {
        fullscreen,
        ..tickframe_window::WindowConfig::default()
    })))
}

/// A desktop window output (needs the `window` feature, on by default).
///
/// # Errors
/// Always: this build has no window support.
#[cfg(not(feature = "window"))]
pub fn window_output(_fullscreen: bool) -> Result<Box<dyn Output>, String> {
    Err("this tickframe was built without the `window` feature; rebuild with default features".into())
}
