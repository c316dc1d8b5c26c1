//! HUB75 LED panels on a Raspberry Pi, as a tickframe output.
//!
//! `--out hub75:rows=64,cols=64,chain=4` drives a chain of panels through the pure-Rust
//! [`rpi-led-panel`](https://crates.io/crates/rpi-led-panel) driver (a port of hzeller's
//! rpi-rgb-led-matrix). The driver is behind this crate's `driver` feature (tickframe-cli's
//! `hub75` feature), **off by default**, because it is GPL-3.0: a binary built with it is
//! GPL-3.0. Without the feature, options still parse (so scene files and `--out` are checked
//! everywhere) and opening the output says how to get a build with the driver.
//!
//! Frames go through the same [`LedPipeline`] as network controllers (mapping, gamma,
//! brightness, power limit, device-byte hash for the frame log) and then to the panel driver on
//! the [`DeviceOutput`]'s sender thread, which waits for the driver's vsync: the presenter never
//! does. The device bytes are read as RGB triples of canvas pixels in row-major order (pixel
//! *i* at bytes `3i..3i+3`, canvas `cols·chain × rows·parallel`), so the default row-major
//! mapping shows a frame of the canvas size as it is.
//!
//! **Not run on real hardware**: see docs/hardware.md for what was and was not checked.

use tickframe_core::Size;
use tickframe_outputs::{DeviceOutput, FrameSink, LedPipeline, SendStats, SinkOpener};

/// Example shown by every option error.
pub const HUB75_EXAMPLE: &str = "`hub75:rows=64,cols=64,chain=4,mapping=adafruit-hat,gpio-slowdown=4`";

/// A bad `hub75:` option, or an output that cannot open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Hub75Error {
    /// A malformed option; the message shows the right form.
    #[error("invalid HUB75 output `{spec}`: {reason} (expected e.g. {HUB75_EXAMPLE})")]
    Invalid {
        /// The spec as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
}

/// GPIO wiring of the panel adapter (hzeller's `--led-gpio-mapping`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HardwareMapping {
    /// The plain adapter boards (up to 3 parallel chains). Default.
    #[default]
    Regular,
    /// Adafruit RGB Matrix HAT / Bonnet.
    AdafruitHat,
    /// Adafruit HAT with the GPIO 4–18 PWM hack.
    AdafruitHatPwm,
    /// Regular, for a Raspberry Pi 1 (26-pin header).
    RegularPi1,
    /// The early "classic" wiring.
    Classic,
    /// Classic, for a Raspberry Pi 1.
    ClassicPi1,
}

impl HardwareMapping {
    const NAMES: [(&'static str, HardwareMapping); 6] = [
        ("regular", HardwareMapping::Regular),
        ("adafruit-hat", HardwareMapping::AdafruitHat),
        ("adafruit-hat-pwm", HardwareMapping::AdafruitHatPwm),
        ("regular-pi1", HardwareMapping::RegularPi1),
        ("classic", HardwareMapping::Classic),
        ("classic-pi1", HardwareMapping::ClassicPi1),
    ];

    /// The option's name (`regular`, `adafruit-hat`, …).
    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, m)| *m == self).map_or("regular", |(n, _)| n)
    }

    /// The driver's name for it (`Regular`, `AdafruitHat`, …).
    pub fn driver_name(self) -> &'static str {
        match self {
            HardwareMapping::Regular => "Regular",
            HardwareMapping::AdafruitHat => "AdafruitHat",
            HardwareMapping::AdafruitHatPwm => "AdafruitHatPwm",
            HardwareMapping::RegularPi1 => "RegularPi1",
            HardwareMapping::Classic => "Classic",
            HardwareMapping::ClassicPi1 => "ClassicPi1",
        }
    }
}

/// Panel initialisation sequence some driver chips need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelType {
    /// FM6126A.
    Fm6126,
    /// FM6127.
    Fm6127,
}

/// Options of a HUB75 output: `hub75[:key=value,…]`. Names follow hzeller's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hub75Options {
    /// Rows of one panel (`rows=`), 8..=64, even; default 32.
    pub rows: u32,
    /// Columns of one panel (`cols=`), 8..=256; default 32.
    pub cols: u32,
    /// Panels daisy-chained on one output (`chain=`), 1..=32; default 1.
    pub chain: u32,
    /// Chains driven in parallel (`parallel=`), 1..=6 (the adapter's wiring may allow fewer:
    /// regular 3, Adafruit HAT 1); default 1.
    pub parallel: u32,
    /// GPIO wiring (`mapping=`); default `regular`.
    pub mapping: HardwareMapping,
    /// GPIO write slowdown (`gpio-slowdown=`), 0..=10; default: chosen by the driver for the
    /// Pi model (Pi 4: 2). Faster Pis often need 3–4.
    pub gpio_slowdown: Option<u32>,
    /// Bits of PWM per colour (`pwm-bits=`), 1..=11; fewer bits, higher refresh; default 11.
    pub pwm_bits: u32,
    /// Duration of the least significant PWM bit in nanoseconds (`pwm-lsb-ns=`), 50..=3000;
    /// default 130.
    pub pwm_lsb_ns: u32,
    /// Driver brightness in percent (`brightness=`), 1..=100; default 100. (tickframe's own
    /// `--brightness` scales the device bytes before the driver.)
    pub brightness: u32,
    /// The driver's refresh rate in Hz (`refresh-rate=`), 1..=1000; default 120. Frames are
    /// swapped in on the driver's vsync.
    pub refresh_rate: u32,
    /// Panel chip initialisation (`panel-type=fm6126|fm6127`); default none.
    pub panel_type: Option<PanelType>,
}

impl Default for Hub75Options {
    fn default() -> Hub75Options {
        Hub75Options {
            rows: 32,
            cols: 32,
            chain: 1,
            parallel: 1,
            mapping: HardwareMapping::Regular,
            gpio_slowdown: None,
            pwm_bits: 11,
            pwm_lsb_ns: 130,
            brightness: 100,
            refresh_rate: 120,
            panel_type: None,
        }
    }
}

const KEYS: [&str; 11] = [
    "rows",
    "cols",
    "chain",
    "parallel",
    "mapping",
    "gpio-slowdown",
    "pwm-bits",
    "pwm-lsb-ns",
    "brightness",
    "refresh-rate",
    "panel-type",
];

impl Hub75Options {
    /// Parses `hub75` or `hub75:key=value,key=value` (keys: rows, cols, chain, parallel,
    /// mapping, gpio-slowdown, pwm-bits, pwm-lsb-ns, brightness, refresh-rate, panel-type;
    /// `_` may stand for `-`).
    ///
    /// # Examples
    /// ```
    /// use tickframe_hub75::Hub75Options;
    /// let o = Hub75Options::parse("hub75:rows=64,cols=64,chain=4").unwrap();
    /// assert_eq!(o.canvas_size().to_string(), "256x64");
    /// ```
    ///
    /// # Errors
    /// [`Hub75Error::Invalid`] naming the option and showing a correct spec.
    pub fn parse(spec: &str) -> Result<Hub75Options, Hub75Error> {
        let fail = |reason: String| Hub75Error::Invalid { spec: spec.to_string(), reason };
        let rest = match spec.strip_prefix("hub75") {
            Some("") => return Ok(Hub75Options::default()),
            Some(r) => {
                r.strip_prefix(':').ok_or_else(|| fail("expected `hub75:` before the options".into()))?
            }
            None => return Err(fail("a HUB75 output starts with `hub75`".into())),
        };
        let mut o = Hub75Options::default();
        let mut seen: Vec<String> = Vec::new();
        for part in rest.split(',').filter(|p| !p.is_empty()) {
            let (key, value) =
                part.split_once('=').ok_or_else(|| fail(format!("`{part}` is not `key=value`")))?;
            let key = key.trim().replace('_', "-").to_ascii_lowercase();
            let value = value.trim();
            if seen.contains(&key) {
                return Err(fail(format!("`{key}` is given twice")));
            }
            let num =
                |min: u32, max: u32| -> Result<u32, Hub75Error> {
                    value.parse::<u32>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                        fail(format!("`{key}={value}` is not a whole number in {min}..={max}"))
                    })
                };
            match key.as_str() {
                "rows" => {
                    o.rows = num(8, 64)?;
                    if o.rows % 2 != 0 {
                        return Err(fail(format!("`rows={}` must be even (a panel has two halves)", o.rows)));
                    }
                }
                "cols" => o.cols = num(8, 256)?,
                "chain" => o.chain = num(1, 32)?,
                "parallel" => o.parallel = num(1, 6)?,
                "gpio-slowdown" => o.gpio_slowdown = Some(num(0, 10)?),
                "pwm-bits" => o.pwm_bits = num(1, 11)?,
                "pwm-lsb-ns" => o.pwm_lsb_ns = num(50, 3000)?,
                "brightness" => o.brightness = num(1, 100)?,
                "refresh-rate" => o.refresh_rate = num(1, 1000)?,
                "mapping" => {
                    let v = value.to_ascii_lowercase().replace('_', "-");
                    o.mapping = HardwareMapping::NAMES
                        .iter()
                        .find(|(n, _)| *n == v)
                        .map(|(_, m)| *m)
                        .ok_or_else(|| {
                            let names: Vec<&str> = HardwareMapping::NAMES.iter().map(|(n, _)| *n).collect();
                            fail(format!("unknown mapping `{value}` (known: {})", names.join(", ")))
                        })?;
                }
                "panel-type" => {
                    o.panel_type = Some(match value.to_ascii_lowercase().as_str() {
                        "fm6126" | "fm6126a" => PanelType::Fm6126,
                        "fm6127" => PanelType::Fm6127,
                        _ => {
                            return Err(fail(format!(
                                "unknown panel type `{value}` (known: fm6126, fm6127)"
                            )));
                        }
                    });
                }
                _ => return Err(fail(format!("unknown option `{key}` (allowed: {})", KEYS.join(", ")))),
            }
            seen.push(key);
        }
        if matches!(o.mapping, HardwareMapping::AdafruitHat | HardwareMapping::AdafruitHatPwm)
            && o.parallel > 1
        {
            return Err(fail(format!("the Adafruit HAT drives one chain, not `parallel={}`", o.parallel)));
        }
        Ok(o)
    }

    /// The canvas the panels show: `cols·chain × rows·parallel` pixels.
    pub fn canvas_size(&self) -> Size {
        // Bounded by the parser: at most 8192 × 384.
        Size::new(self.cols * self.chain, self.rows * self.parallel)
            .unwrap_or_else(|_| Size::new(1, 1).unwrap())
    }
}

/// Calls `set(x, y, r, g, b)` for every canvas pixel the device bytes cover (RGB triples,
/// row-major over a canvas `width` pixels wide); a trailing partial triple is ignored.
pub fn for_each_pixel(device_bytes: &[u8], width: u32, mut set: impl FnMut(usize, usize, u8, u8, u8)) {
    let w = width.max(1) as usize;
    for (i, px) in device_bytes.chunks_exact(3).enumerate() {
        set(i % w, i / w, px[0], px[1], px[2]);
    }
}

/// Whether this build can drive panels (the `driver` feature is on).
pub const DRIVER_BUILT: bool = cfg!(feature = "driver");

/// A HUB75 output named `name` (e.g. the `--out` text) with `options`, frames going through
/// `pipeline`. The driver starts in `begin` (on a Pi, as root, with the `driver` feature);
/// elsewhere `begin` fails with a message saying what is missing.
pub fn hub75_output(name: impl Into<String>, options: Hub75Options, pipeline: LedPipeline) -> DeviceOutput {
    let canvas = options.canvas_size();
    let opener: SinkOpener = Box::new(move |device_len| {
        let room = canvas.area() * 3;
        anyhow::ensure!(
            device_len <= room,
            "the LED mapping fills {device_len} device bytes but the HUB75 canvas ({canvas}: cols·chain × rows·parallel) holds {room}"
        );
        open_driver(&options)
    });
    DeviceOutput::with_sink(name, pipeline, opener)
}

#[cfg(not(feature = "driver"))]
fn open_driver(_options: &Hub75Options) -> anyhow::Result<Box<dyn FrameSink>> {
    anyhow::bail!(
        "this tickframe was built without HUB75 support: rebuild with `--features hub75` on (or for) a Raspberry Pi (see docs/hardware.md; such a binary is GPL-3.0)"
    )
}

#[cfg(feature = "driver")]
fn open_driver(options: &Hub75Options) -> anyhow::Result<Box<dyn FrameSink>> {
    driver::open(options)
}

/// Counts what a panel sink did, for tests and the driver.
#[derive(Debug, Default)]
pub struct PanelStats(SendStats);

impl PanelStats {
    /// One frame of `bytes` device bytes swapped in.
    pub fn frame_shown(&mut self, bytes: usize) {
        self.0.frames += 1;
        self.0.packets_sent += 1;
        self.0.bytes_sent += bytes as u64;
    }

    /// The counters.
    pub fn get(&self) -> SendStats {
        self.0
    }
}

#[cfg(feature = "driver")]
mod driver {
    use super::{Hub75Options, PanelStats, PanelType, for_each_pixel};
    use tickframe_outputs::{FrameSink, SendStats};

    /// The driver's canvas and matrix; `send` draws the device bytes and swaps on vsync.
    pub(super) struct PanelSink {
        matrix: rpi_led_panel::RGBMatrix,
        canvas: Option<Box<rpi_led_panel::Canvas>>,
        width: u32,
        stats: PanelStats,
    }

    pub(super) fn open(o: &Hub75Options) -> anyhow::Result<Box<dyn FrameSink>> {
        // The driver maps the BCM2835..2711 peripheral registers through /dev/mem at the Pi's
        // physical addresses: never do that on another machine.
        if !cfg!(any(target_arch = "arm", target_arch = "aarch64")) {
            anyhow::bail!(
                "HUB75 panels are driven through a Raspberry Pi's GPIO; this binary is for {}: cross-compile for aarch64 or armv7 (docs/hardware.md)",
                std::env::consts::ARCH
            );
        }
        let mapping = o
            .mapping
            .driver_name()
            .parse::<rpi_led_panel::HardwareMapping>()
            .map_err(|e| anyhow::anyhow!("hardware mapping `{}`: {e}", o.mapping.name()))?;
        let config = rpi_led_panel::RGBMatrixConfig {
            hardware_mapping: mapping,
            rows: o.rows as usize,
            cols: o.cols as usize,
            refresh_rate: o.refresh_rate as usize,
            pwm_bits: o.pwm_bits as usize,
            pwm_lsb_nanoseconds: o.pwm_lsb_ns,
            slowdown: o.gpio_slowdown,
            chain_length: o.chain as usize,
            parallel: o.parallel as usize,
            panel_type: o.panel_type.map(|p| match p {
                PanelType::Fm6126 => rpi_led_panel::PanelType::FM6126,
                PanelType::Fm6127 => rpi_led_panel::PanelType::FM6127,
            }),
            led_brightness: o.brightness as u8,
            // Keep root: the run writes its report and frame log afterwards.
            drop_privs: false,
            ..rpi_led_panel::RGBMatrixConfig::default()
        };
        let (matrix, canvas) = rpi_led_panel::RGBMatrix::new(config, 0)
            .map_err(|e| anyhow::anyhow!("starting the HUB75 driver: {e} (run as root on a Raspberry Pi)"))?;
        Ok(Box::new(PanelSink {
            matrix,
            canvas: Some(canvas),
            width: o.cols * o.chain,
            stats: PanelStats::default(),
        }))
    }

    impl FrameSink for PanelSink {
        fn send(&mut self, device_bytes: &[u8], _time_nanos: u64) {
            let Some(mut canvas) = self.canvas.take() else { return };
            for_each_pixel(device_bytes, self.width, |x, y, r, g, b| canvas.set_pixel(x, y, r, g, b));
            // Blocks until the driver's refresh thread takes the canvas (its vsync), on the
            // sender thread only.
            self.canvas = Some(self.matrix.update_on_vsync(canvas));
            self.stats.frame_shown(device_bytes.len());
        }

        fn stats(&self) -> SendStats {
            self.stats.get()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_every_option() {
        assert_eq!(Hub75Options::parse("hub75").unwrap(), Hub75Options::default());
        let o = Hub75Options::parse(
            "hub75:rows=64,cols=64,chain=4,parallel=2,mapping=regular,gpio_slowdown=4,pwm-bits=7,pwm-lsb-ns=200,brightness=80,refresh-rate=90,panel-type=FM6126A",
        )
        .unwrap();
        assert_eq!((o.rows, o.cols, o.chain, o.parallel), (64, 64, 4, 2));
        assert_eq!(
            (o.gpio_slowdown, o.pwm_bits, o.pwm_lsb_ns, o.brightness, o.refresh_rate),
            (Some(4), 7, 200, 80, 90)
        );
        assert_eq!(o.panel_type, Some(PanelType::Fm6126));
        assert_eq!(o.canvas_size(), Size::new(256, 128).unwrap());
        assert_eq!(
            Hub75Options::parse("hub75:mapping=adafruit-hat").unwrap().mapping,
            HardwareMapping::AdafruitHat
        );
    }

    #[test]
    fn bad_options_name_the_problem_and_show_an_example() {
        for (bad, needle) in [
            ("hub75:rows=65", "`rows=65` is not a whole number in 8..=64"),
            ("hub75:rows=33", "must be even"),
            ("hub75:pwm-bits=12", "pwm-bits=12"),
            ("hub75:mapping=foo", "unknown mapping `foo`"),
            ("hub75:colour=1", "unknown option `colour`"),
            ("hub75:rows", "not `key=value`"),
            ("hub75:rows=32,rows=64", "given twice"),
            ("hub75x", "expected `hub75:`"),
            ("hub75:mapping=adafruit-hat,parallel=2", "one chain"),
        ] {
            let e = Hub75Options::parse(bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
            assert!(e.contains("expected e.g."), "{bad}: {e}");
        }
        let example = HUB75_EXAMPLE.trim_matches('`');
        Hub75Options::parse(example).unwrap();
    }

    #[test]
    fn device_bytes_land_on_canvas_pixels_row_major() {
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        let mut got = Vec::new();
        for_each_pixel(&bytes, 2, |x, y, r, g, b| got.push((x, y, r, g, b)));
        assert_eq!(got, [(0, 0, 1, 2, 3), (1, 0, 4, 5, 6), (0, 1, 7, 8, 9)]);
    }

    /// Off a Pi (this is never run on one: it would start the driver), `begin` says what is
    /// missing: the feature, or the Pi.
    #[cfg(not(any(target_arch = "arm", target_arch = "aarch64")))]
    #[test]
    fn opening_off_a_pi_is_a_clear_error() {
        use tickframe_engine::{Output, RunInfo};
        use tickframe_outputs::{ColorSettings, Mapping};
        let o = Hub75Options::parse("hub75:rows=16,cols=32,chain=2").unwrap();
        let size = o.canvas_size();
        let pipeline = LedPipeline::new(Mapping::row_major(size), ColorSettings::default());
        let mut out = hub75_output("hub75", o, pipeline);
        let info = RunInfo {
            size,
            rate: tickframe_core::FrameRate::whole(60).unwrap(),
            seed: 0,
            scene: "t".into(),
            frames: Some(1),
        };
        let e = format!("{:#}", out.begin(&info).unwrap_err());
        if DRIVER_BUILT {
            assert!(e.contains("driven through a Raspberry Pi's GPIO"), "{e}");
        } else {
            assert!(e.contains("--features hub75"), "{e}");
        }
    }

    #[test]
    fn driver_names_parse_in_the_driver() {
        for (_, m) in HardwareMapping::NAMES {
            assert!(!m.driver_name().is_empty());
            #[cfg(feature = "driver")]
            m.driver_name().parse::<rpi_led_panel::HardwareMapping>().unwrap();
        }
    }
}
