//! Device outputs (issue 5): network LED protocols, LED mapping and colour, small screens.
//!
//! Outputs only carry frames to devices: a frame is a pure function of (scene description,
//! seed, tick), and everything here is a function of the frame (plus sequence counters the
//! protocols require). Nothing depends on the render engine; an engine output wraps these
//! plain types:
//!
//! - **LED controllers**: [`parse_output_url`] → [`NetworkOutput::open`]; a [`Mapping`]
//!   (serpentine, panel chains, CSV/JSON files) and [`ColorSettings`] (gamma, brightness, power
//!   limit, channel order) in a [`LedPipeline`]; per frame [`LedOutput::send_frame`], which
//!   returns the XXH3-64 of the device bytes ([`DeviceFrame::hash`]); errors counted in
//!   [`SendStats`].
//! - **Encoders** on their own, writing into reused buffers: [`DdpEncoder`], [`E131Encoder`],
//!   [`ArtNetEncoder`], [`encode_opc`]; senders [`UdpSender`], [`OpcSender`].
//! - **Small screens**: [`DirtyScreen`] drives any embedded-graphics `DrawTarget`, sending only
//!   changed tiles.

mod artnet;
mod color;
mod ddp;
mod device;
mod e131;
mod led;
mod mapping;
mod network;
mod opc;
mod packet;
mod screen;
mod stats;
mod target;
mod udp;

pub use artnet::{
    ARTNET_ID, ARTNET_OP_DMX, ARTNET_OP_SYNC, ARTNET_PROTOCOL_VERSION, ArtNetEncoder, EncoderConfigError,
    artsync_packet,
};
pub use color::{
    ChannelOrder, ChannelOrderError, ColorSettings, apply_power_limit, gamma_table, power_limit_for_milliamps,
};
pub use ddp::{
    DDP_FLAG_PUSH, DDP_FLAG_TIMECODE, DDP_HEADER_LEN, DDP_MAX_DATA, DDP_TYPE_RGB8, DDP_VERSION_1, DdpEncoder,
};
pub use device::{
    DeviceMetrics, DeviceOutput, DeviceReport, FrameSink, OVERWRITTEN_TICKS_LISTED, SinkOpener,
};
pub use e131::{
    ACN_PACKET_IDENTIFIER, E131_DATA_HEADER_LEN, E131_MAX_UNIVERSE, E131_SYNC_LEN, E131Config, E131Encoder,
    VECTOR_E131_DATA_PACKET, VECTOR_E131_EXTENDED_SYNCHRONIZATION, VECTOR_ROOT_E131_DATA,
    VECTOR_ROOT_E131_EXTENDED, default_cid, e131_multicast_addr, sync_packet,
};
pub use led::{DeviceFrame, FrameSizeError, LedPipeline};
pub use mapping::{
    Led, MAX_DEVICE_BYTES, Mapping, MappingError, MappingOptions, Panel, PanelChain, Rotation,
};
pub use network::{LedOutput, NetworkOutput, OpenError, ddp_timecode};
pub use opc::{OPC_MAX_DATA, OPC_SET_PIXELS, OpcSender, OpcTiming, OpcTooLong, encode_opc};
pub use packet::{Packet, PacketKind, Packets};
pub use screen::{DirtyScreen, ScreenError, ScreenReport, mono, rgb565, rgb888};
pub use stats::SendStats;
pub use target::{
    ARTNET_PORT, ArtNetTarget, DDP_PORT, DdpTarget, E131_PORT, E131Target, OPC_PORT, OpcTarget, OutputTarget,
    UrlError, parse_output_url, take_seed_offset,
};
pub use udp::{UdpDestination, UdpSender};
