//! Building the outputs `--out` names: the desktop window, network LED controllers and HUB75
//! panels (with their mapping and colour options).

use std::path::Path;

use tickframe_core::Size;
use tickframe_engine::Output;
use tickframe_outputs::{
    ChannelOrder, ColorSettings, DeviceMetrics, DeviceOutput, LedPipeline, Mapping, MappingOptions,
    PanelChain, parse_output_url, power_limit_for_milliamps,
};

/// How frames become LED channel values for controller outputs (`ddp://`, `e131://`,
/// `artnet://`, `opc://`) and HUB75 panels.
#[derive(Debug, Clone, clap::Args)]
pub struct DeviceArgs {
    /// LED layout: `row-major` (default), `serpentine` (zig-zag rows), `serpentine-vertical`
    /// (zig-zag columns), or a mapping file (`.csv` or `.json`: frame pixel → output and channel,
    /// or a JSON list of panels; see docs/outputs.md). Outputs are `channels=` of the URL long
    /// (E1.31, Art-Net; default 510), 510 bytes for DDP and OPC.
    #[arg(long, default_value = "row-major")]
    pub led_map: String,
    /// A chain of equal LED panels in one line, instead of `--led-map`: `WxH:COUNT[:option…]`
    /// with `cube` (four panels around a cube, left to right), `columns=C`, `rotate=R[,R…]`
    /// (clockwise degrees), `serpentine`; e.g. `64x64:4:cube` for a 256×64 frame.
    #[arg(long)]
    pub led_panels: Option<String>,
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
            led_panels: None,
            led_map_lenient: false,
            gamma: 1.0,
            brightness: 255,
            power_limit_ma: None,
            order: "rgb".into(),
        }
    }
}

/// The mapping `args` describe for frames of `size`, with outputs of `channels_per_output`.
fn mapping(args: &DeviceArgs, size: Size, channels_per_output: u32) -> Result<Mapping, String> {
    let options = MappingOptions {
        channels_per_output,
        allow_unmapped: args.led_map_lenient,
        allow_shared_channels: args.led_map_lenient,
    };
    if let Some(spec) = &args.led_panels {
        if args.led_map != "row-major" {
            return Err("--led-panels and --led-map both describe the LED layout: give one".into());
        }
        let chain = PanelChain::parse(spec).map_err(|e| format!("--led-panels: {e}"))?;
        if chain.frame_size() != size && !args.led_map_lenient {
            return Err(format!(
                "--led-panels {spec} shows {} frames but the scene is {size} (use --size {}, or --led-map-lenient to leave pixels dark)",
                chain.frame_size(),
                chain.frame_size()
            ));
        }
        return Mapping::panel_chain(size, &chain, options).map_err(|e| format!("--led-panels {spec}: {e}"));
    }
    match args.led_map.as_str() {
        "row-major" => Ok(Mapping::row_major(size)),
        "serpentine" => Ok(Mapping::serpentine(size, false)),
        "serpentine-vertical" => Ok(Mapping::serpentine(size, true)),
        file => {
            let m = Mapping::load(Path::new(file), size, options).map_err(|e| e.to_string())?;
            Ok(m)
        }
    }
}

fn colour(args: &DeviceArgs) -> Result<ColorSettings, String> {
    if !(args.gamma.is_finite() && (0.1..=10.0).contains(&args.gamma)) {
        return Err(format!("--gamma must be between 0.1 and 10, got {}", args.gamma));
    }
    let order: ChannelOrder = args.order.parse().map_err(|e| format!("--order: {e}"))?;
    Ok(ColorSettings {
        gamma: args.gamma,
        brightness: args.brightness,
        power_limit: args.power_limit_ma.map(|ma| power_limit_for_milliamps(ma, 20)),
        order,
    })
}

/// An output the CLI built, with the handle on its device counters (read after the run).
pub struct BuiltDevice {
    /// For the engine.
    pub output: Box<dyn Output>,
    /// Frames sent, overwritten, errors, send times, failure.
    pub metrics: DeviceMetrics,
}

impl std::fmt::Debug for BuiltDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltDevice").field("metrics", &self.metrics).finish_non_exhaustive()
    }
}

/// A network LED controller output for `url`, frames of `size`.
///
/// A CSV or JSON mapping's outputs are as long as the URL's `channels=` (E1.31 and Art-Net;
/// default 510); a JSON file's own `channels_per_output` must agree with it.
///
/// # Errors
/// A malformed URL (with an example of the right form), bad colour options, or a mapping that
/// does not fit.
pub fn device_output(url: &str, size: Size, args: &DeviceArgs) -> Result<BuiltDevice, String> {
    let target = parse_output_url(url).map_err(|e| e.to_string())?;
    let settings = colour(args)?;
    let channels = target.channels_per_universe().map_or(510, u32::from);
    let mapping = mapping(args, size, channels)?;
    if let Some(universe) = target.channels_per_universe()
        && mapping_file_channels(args).is_some_and(|c| c != u32::from(universe))
    {
        return Err(format!(
            "{}: the mapping file says `channels_per_output` {} but {url} puts {universe} channels in a universe (`channels=`); make them agree",
            args.led_map,
            mapping_file_channels(args).unwrap_or_default()
        ));
    }
    let pipeline = LedPipeline::new(mapping, settings);
    let out = DeviceOutput::new(url, target, pipeline);
    let metrics = out.metrics();
    Ok(BuiltDevice { output: Box::new(out), metrics })
}

/// The `channels_per_output` a JSON mapping file sets, if any.
fn mapping_file_channels(args: &DeviceArgs) -> Option<u32> {
    if args.led_panels.is_some() || !args.led_map.to_ascii_lowercase().ends_with(".json") {
        return None;
    }
    let text = std::fs::read_to_string(&args.led_map).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("channels_per_output")?.as_u64().and_then(|c| u32::try_from(c).ok())
}

/// A HUB75 panel output for `spec` (`hub75[:rows=…,cols=…,chain=…,…]`), frames of `size`.
/// Device bytes are the canvas pixels row-major, so the default mapping shows a frame of the
/// canvas size (`cols·chain × rows·parallel`) as it is.
///
/// # Errors
/// Bad options (with an example), a frame that is not the canvas size, bad colour options.
pub fn hub75_output(spec: &str, size: Size, args: &DeviceArgs) -> Result<BuiltDevice, String> {
    let options = tickframe_hub75::Hub75Options::parse(spec).map_err(|e| e.to_string())?;
    let canvas = options.canvas_size();
    if canvas != size && args.led_map == "row-major" && args.led_panels.is_none() {
        return Err(format!(
            "{spec}: the panels show {canvas} pixels (cols·chain × rows·parallel) but the scene is {size}; use --size {canvas} or a mapping (--led-map, --led-panels)"
        ));
    }
    let pipeline = LedPipeline::new(mapping(args, size, 510)?, colour(args)?);
    let out = tickframe_hub75::hub75_output(spec, options, pipeline);
    let metrics = out.metrics();
    Ok(BuiltDevice { output: Box::new(out), metrics })
}

/// A desktop window output (needs the `window` feature, on by default), fullscreen or not, on
/// `monitor` (0 = the first) when given. Every window of a run shares one event-loop thread.
///
/// # Errors
/// When this build has no window support.
#[cfg(feature = "window")]
pub fn window_output(fullscreen: bool, monitor: Option<usize>) -> Result<Box<dyn Output>, String> {
    Ok(Box::new(tickframe_window::WindowOutput::new(tickframe_window::WindowConfig {
        fullscreen,
        monitor,
        ..tickframe_window::WindowConfig::default()
    })))
}

/// A desktop window output (needs the `window` feature, on by default).
///
/// # Errors
/// Always: this build has no window support.
#[cfg(not(feature = "window"))]
pub fn window_output(_fullscreen: bool, _monitor: Option<usize>) -> Result<Box<dyn Output>, String> {
    Err("this tickframe was built without the `window` feature; rebuild with default features".into())
}

/// One `[[output]]` of a scene file, ready to build.
pub struct SceneOutputSpec {
    /// What to open.
    pub spec: crate::output::OutputSpec,
    /// The command line's LED options overridden by the table's.
    pub args: DeviceArgs,
    /// `file:line:column: output[i].url`, for messages.
    pub at: String,
    /// The seed offset (`seed_offset = N` in the table, or in the `url`); 0 when not given.
    pub seed_offset: u64,
}

/// The outputs a scene file's `[[output]]` tables name, each with the command line's LED options
/// overridden by the table's, its seed offset, and the `file:line:column` of its `url` for
/// messages.
///
/// # Errors
/// A `url` that is not an output form, or a seed offset given both in the `url` and as
/// `seed_offset`, located in the scene file (exit 2).
pub fn scene_output_specs(
    scene: &tickframe_scenes::SceneFile,
    base: &DeviceArgs,
) -> Result<Vec<SceneOutputSpec>, crate::Failure> {
    let file = scene.path.as_ref().map_or_else(|| "<scene>".to_string(), |p| p.display().to_string());
    scene
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let at = format!("{file}:{}:{}: output[{i}].url", o.url_at.line, o.url_at.column);
            let (spec, url_offset) = crate::output::OutputSpec::parse_with_seed_offset(&o.url)
                .map_err(|e| crate::Failure::BadInput(format!("{at}: {e}")))?;
            if let (Some(_), Some(table_at)) = (url_offset, o.seed_offset_at) {
                return Err(crate::Failure::BadInput(format!(
                    "{file}:{}:{}: output[{i}].seed_offset: the seed offset is also given in `url` (`{}`); give it once",
                    table_at.line, table_at.column, o.url
                )));
            }
            let seed_offset = url_offset.or(o.seed_offset).unwrap_or(0);
            let mut args = base.clone();
            if let Some(m) = &o.led_map {
                args.led_map = m.display().to_string();
            }
            if o.led_panels.is_some() {
                args.led_panels.clone_from(&o.led_panels);
            }
            args.led_map_lenient |= o.led_map_lenient;
            args.gamma = o.gamma.unwrap_or(args.gamma);
            args.brightness = o.brightness.unwrap_or(args.brightness);
            args.power_limit_ma = o.power_limit_ma.or(args.power_limit_ma);
            if let Some(order) = &o.order {
                args.order.clone_from(order);
            }
            Ok(SceneOutputSpec { spec, args, at, seed_offset })
        })
        .collect()
}
