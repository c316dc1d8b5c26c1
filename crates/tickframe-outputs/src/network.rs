//! A network LED output: one of DDP, E1.31, Art-Net or OPC, opened from an [`OutputTarget`].

use std::io;

use tickframe_core::FrameRef;

use crate::artnet::{ArtNetEncoder, EncoderConfigError};
use crate::ddp::DdpEncoder;
use crate::e131::{E131Config, E131Encoder, default_cid};
use crate::led::{DeviceFrame, FrameSizeError, LedPipeline};
use crate::opc::{OpcSender, OpcTiming};
use crate::stats::SendStats;
use crate::target::OutputTarget;
use crate::udp::UdpSender;

/// An output that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The host did not resolve or the socket could not be created.
    #[error("cannot open {target}: {source}")]
    Io {
        /// `host:port`.
        target: String,
        /// The cause.
        source: io::Error,
    },
    /// An encoder setting is out of range.
    #[error(transparent)]
    Config(#[from] EncoderConfigError),
}

enum Protocol {
    Ddp { enc: DdpEncoder, udp: UdpSender, timecode: bool },
    E131 { enc: E131Encoder, udp: UdpSender },
    ArtNet { enc: ArtNetEncoder, udp: UdpSender },
    Opc(OpcSender),
}

/// Sends device bytes to a network LED controller. [`NetworkOutput::send`] never blocks for
/// long and never fails: errors are counted in [`NetworkOutput::stats`].
pub struct NetworkOutput {
    protocol: Protocol,
}

impl std::fmt::Debug for NetworkOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.protocol {
            Protocol::Ddp { .. } => "ddp",
            Protocol::E131 { .. } => "e131",
            Protocol::ArtNet { .. } => "artnet",
            Protocol::Opc(_) => "opc",
        };
        f.debug_struct("NetworkOutput").field("protocol", &name).finish_non_exhaustive()
    }
}

impl NetworkOutput {
    /// Opens a socket (UDP) or starts the connecting writer thread (OPC) for `target`. Host
    /// names are resolved once, here.
    ///
    /// # Errors
    /// When the host does not resolve, the socket cannot be made, or a setting is invalid. An
    /// unreachable host is *not* an error: sends are counted as failed until it answers.
    pub fn open(target: &OutputTarget) -> Result<NetworkOutput, OpenError> {
        fn io_err(host: &str, port: u16) -> impl FnOnce(io::Error) -> OpenError + '_ {
            move |source| OpenError::Io { target: format!("{host}:{port}"), source }
        }
        let protocol = match target {
            OutputTarget::Ddp(t) => Protocol::Ddp {
                enc: DdpEncoder::new(t.id),
                udp: UdpSender::unicast(&t.host, t.port, t.bind).map_err(io_err(&t.host, t.port))?,
                timecode: t.timecode,
            },
            OutputTarget::E131(t) => {
                let enc = E131Encoder::new(E131Config {
                    start_universe: t.universe,
                    channels: t.channels,
                    priority: t.priority,
                    source_name: t.source_name.clone(),
                    cid: t.cid.unwrap_or_else(|| default_cid(&t.source_name)),
                    sync_universe: t.sync,
                })?;
                let udp = if t.multicast {
                    UdpSender::e131_multicast(t.port, t.bind)
                } else {
                    UdpSender::unicast(&t.host, t.port, t.bind)
                }
                .map_err(io_err(&t.host, t.port))?;
                Protocol::E131 { enc, udp }
            }
            OutputTarget::ArtNet(t) => Protocol::ArtNet {
                enc: ArtNetEncoder::new(t.universe, t.channels, t.sync)?,
                udp: UdpSender::unicast(&t.host, t.port, t.bind).map_err(io_err(&t.host, t.port))?,
            },
            OutputTarget::Opc(t) => Protocol::Opc(
                OpcSender::connect(&t.host, t.port, t.channel, OpcTiming::default())
                    .map_err(io_err(&t.host, t.port))?,
            ),
        };
        Ok(NetworkOutput { protocol })
    }

    /// Encodes and sends one frame's device bytes. `time_nanos` is the frame's presentation
    /// time (e.g. `Timebase::tick_to_nanos(tick)`), sent as the DDP timecode (16.16 fixed-point
    /// seconds, wrapping) when the target asked for one; other protocols ignore it.
    ///
    /// Returns the number of packets handed to the OS (for OPC: 1, queued). Allocates
    /// nothing once buffers have grown to the frame size.
    pub fn send(&mut self, device_bytes: &[u8], time_nanos: u64) -> usize {
        if self.fits(device_bytes.len()).is_err() {
            // Never reached through `DeviceOutput`, which checks in `begin`.
            let stats = match &mut self.protocol {
                Protocol::Ddp { udp, .. } | Protocol::E131 { udp, .. } | Protocol::ArtNet { udp, .. } => {
                    udp.stats_mut()
                }
                Protocol::Opc(_) => return 0, // OPC counts its own oversized frames
            };
            stats.frames += 1;
            stats.frames_dropped += 1;
            stats.error(io::ErrorKind::InvalidInput);
            return 0;
        }
        match &mut self.protocol {
            Protocol::Ddp { enc, udp, timecode } => {
                let tc = timecode.then(|| ddp_timecode(time_nanos));
                udp.send_all(enc.encode(device_bytes, tc))
            }
            Protocol::E131 { enc, udp } => udp.send_all(enc.encode(device_bytes)),
            Protocol::ArtNet { enc, udp } => udp.send_all(enc.encode(device_bytes)),
            Protocol::Opc(opc) => {
                opc.send(device_bytes);
                1
            }
        }
    }

    /// Whether a frame of `device_len` bytes fits the protocol (E1.31 universes up to 63999,
    /// Art-Net port-addresses up to 32767); frames that do not are counted as errors by
    /// [`NetworkOutput::send`] and not sent.
    ///
    /// # Errors
    /// Naming the last universe the frame would need.
    pub fn fits(&self, device_len: usize) -> Result<(), EncoderConfigError> {
        match &self.protocol {
            Protocol::E131 { enc, .. } => enc.check_len(device_len),
            Protocol::ArtNet { enc, .. } => enc.check_len(device_len),
            Protocol::Ddp { .. } | Protocol::Opc(_) => Ok(()),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> SendStats {
        match &self.protocol {
            Protocol::Ddp { udp, .. } | Protocol::E131 { udp, .. } | Protocol::ArtNet { udp, .. } => {
                udp.stats()
            }
            Protocol::Opc(opc) => opc.stats(),
        }
    }
}

/// A DDP timecode from nanoseconds: 16.16 fixed-point seconds, wrapping every 65,536 s.
pub fn ddp_timecode(nanos: u64) -> u32 {
    ((u128::from(nanos) << 16) / 1_000_000_000) as u32
}

/// The whole path for LED controllers: frame → [`LedPipeline`] → [`NetworkOutput`].
///
/// # Examples
/// ```no_run
/// use tickframe_core::{Frame, Size};
/// use tickframe_outputs::{parse_output_url, ColorSettings, LedOutput, LedPipeline, Mapping, NetworkOutput};
/// let size = Size::new(256, 64).unwrap();
/// let net = NetworkOutput::open(&parse_output_url("ddp://10.0.0.5")?)?;
/// let mut out = LedOutput::new(LedPipeline::new(Mapping::serpentine(size, false), ColorSettings::default()), net);
/// let frame = Frame::new(size);
/// let report = out.send_frame(frame.view(), 0)?; // per frame
/// println!("device hash {:016x}, {} errors so far", report.hash, out.stats().send_errors);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LedOutput {
    pipeline: LedPipeline,
    net: NetworkOutput,
}

impl LedOutput {
    /// Joins a pipeline and a sender.
    pub fn new(pipeline: LedPipeline, net: NetworkOutput) -> LedOutput {
        LedOutput { pipeline, net }
    }

    /// Maps, colours, hashes and sends one frame; `time_nanos` as in [`NetworkOutput::send`].
    /// Network errors are counted, not returned.
    ///
    /// # Errors
    /// Only when the frame's size is not the mapping's.
    pub fn send_frame(
        &mut self,
        frame: FrameRef<'_>,
        time_nanos: u64,
    ) -> Result<DeviceFrame, FrameSizeError> {
        let device = self.pipeline.process(frame)?;
        self.net.send(self.pipeline.device_bytes(), time_nanos);
        Ok(device)
    }

    /// The pipeline (device bytes and last hash).
    pub fn pipeline(&self) -> &LedPipeline {
        &self.pipeline
    }

    /// The sender's counters.
    pub fn stats(&self) -> SendStats {
        self.net.stats()
    }
}
