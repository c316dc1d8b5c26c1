//! Output URLs: `ddp://`, `e131://`, `artnet://`, `opc://`.

use std::net::{IpAddr, Ipv4Addr};

use crate::artnet::{EncoderConfigError, artnet_span};
use crate::e131::e131_span;
use crate::opc::{OPC_MAX_DATA, OpcTooLong};

/// Default DDP port (UDP).
pub const DDP_PORT: u16 = 4048;
/// Default E1.31 (sACN) port (UDP).
pub const E131_PORT: u16 = 5568;
/// Default Art-Net port (UDP).
pub const ARTNET_PORT: u16 = 6454;
/// Default Open Pixel Control port (TCP).
pub const OPC_PORT: u16 = 7890;

/// A parsed output URL: which protocol, where to, and its options.
///
/// Built by [`parse_output_url`]; turned into a sender by
/// [`NetworkOutput::open`](crate::NetworkOutput::open).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputTarget {
    /// `ddp://host[:4048][?id=1&timecode=1&bind=ADDR]`.
    Ddp(DdpTarget),
    /// `e131://host-or-multicast[:5568]?universe=1[&priority=100&sync=U&name=N&cid=HEX&channels=510&bind=ADDR]`.
    E131(E131Target),
    /// `artnet://host[:6454]?universe=0[&sync=1&channels=510&bind=ADDR]`.
    ArtNet(ArtNetTarget),
    /// `opc://host[:7890][?channel=0]`.
    Opc(OpcTarget),
}

impl OutputTarget {
    /// Checks that frames of `device_len` bytes fit the protocol as configured: E1.31
    /// universes up to 63999, Art-Net port-addresses up to 32767, OPC messages up to 65,535
    /// bytes. [`DeviceOutput`](crate::DeviceOutput) calls it when the output opens.
    ///
    /// # Errors
    /// What does not fit, and what to change.
    pub fn check_frame_len(&self, device_len: usize) -> Result<(), EncoderConfigError> {
        match self {
            OutputTarget::Ddp(_) => Ok(()),
            OutputTarget::E131(t) => e131_span(t.universe, t.channels, device_len),
            OutputTarget::ArtNet(t) => artnet_span(t.universe, t.channels, device_len),
            OutputTarget::Opc(_) if device_len > OPC_MAX_DATA => {
                Err(EncoderConfigError(OpcTooLong(device_len).to_string()))
            }
            OutputTarget::Opc(_) => Ok(()),
        }
    }

    /// DMX channels per universe for E1.31 and Art-Net (`channels=`, default 510); `None` for
    /// DDP and OPC, which address one flat byte range.
    pub fn channels_per_universe(&self) -> Option<u16> {
        match self {
            OutputTarget::E131(t) => Some(t.channels),
            OutputTarget::ArtNet(t) => Some(t.channels),
            OutputTarget::Ddp(_) | OutputTarget::Opc(_) => None,
        }
    }
}

/// Where and how to send DDP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DdpTarget {
    /// Host name or IP address of the controller.
    pub host: String,
    /// UDP port; default 4048.
    pub port: u16,
    /// DDP destination ID (`id=`); default 1 (the default output device).
    pub id: u8,
    /// Whether packets carry the optional 32-bit timecode (`timecode=1`); default off.
    pub timecode: bool,
    /// Local address to send from (`bind=`); default unspecified (`0.0.0.0` or `::`).
    pub bind: Option<IpAddr>,
}

/// Where and how to send E1.31 (sACN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct E131Target {
    /// Host name or IP address for unicast; `multicast` (or any `239.255.x.y` address) selects
    /// multicast, where universe *u* goes to group `239.255.(u >> 8).(u & 0xff)`.
    pub host: String,
    /// Whether to send each universe to its multicast group.
    pub multicast: bool,
    /// UDP port; default 5568.
    pub port: u16,
    /// The first universe (`universe=`), 1..=63999; default 1. Following universes are
    /// consecutive.
    pub universe: u16,
    /// Priority (`priority=`), 0..=200; default 100.
    pub priority: u8,
    /// Synchronisation universe (`sync=`), 1..=63999; default none (no sync packets).
    pub sync: Option<u16>,
    /// Source name (`name=`), at most 63 bytes; default `tickframe`.
    pub source_name: String,
    /// Component identifier (`cid=`, 32 hex digits); default derived from the source name.
    pub cid: Option<[u8; 16]>,
    /// DMX channels used per universe (`channels=`), 1..=512; default 510 (170 RGB pixels).
    pub channels: u16,
    /// Local address to send from (`bind=`); for multicast over loopback use `127.0.0.1`.
    pub bind: Option<IpAddr>,
}

/// Where and how to send Art-Net.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtNetTarget {
    /// Host name or IP address (a directed broadcast address works too).
    pub host: String,
    /// UDP port; default 6454.
    pub port: u16,
    /// The first 15-bit port-address (`universe=`, net·256 + sub-net·16 + universe), 0..=32767;
    /// default 0. Following universes are consecutive.
    pub universe: u16,
    /// Whether an ArtSync follows each frame (`sync=1`); default off.
    pub sync: bool,
    /// DMX channels used per universe (`channels=`), 2..=512, even; default 510.
    pub channels: u16,
    /// Local address to send from (`bind=`); default unspecified.
    pub bind: Option<IpAddr>,
}

/// Where to send Open Pixel Control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpcTarget {
    /// Host name or IP address of the OPC server.
    pub host: String,
    /// TCP port; default 7890.
    pub port: u16,
    /// OPC channel (`channel=`); default 0 (broadcast to all strips).
    pub channel: u8,
}

/// A malformed output URL. The message shows the right form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid output URL `{url}`: {reason} (expected e.g. {example})")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong.
    pub reason: String,
    /// An example of the right form for this scheme (or all schemes).
    pub example: &'static str,
}

const EXAMPLES: &str =
    "`ddp://10.0.0.5`, `e131://multicast?universe=1`, `artnet://10.0.0.6?universe=0`, `opc://localhost:7890`";
const DDP_EXAMPLE: &str = "`ddp://10.0.0.5` or `ddp://wled.local:4048?timecode=1`";
const E131_EXAMPLE: &str =
    "`e131://10.0.0.5?universe=1` or `e131://multicast?universe=1&priority=100&sync=63999`";
const ARTNET_EXAMPLE: &str = "`artnet://10.0.0.6?universe=0&sync=1`";
const OPC_EXAMPLE: &str = "`opc://localhost:7890?channel=0`";

/// Parses an output URL.
///
/// Schemes: `ddp`, `e131` (alias `sacn`), `artnet`, `opc`. IPv6 hosts go in brackets
/// (`ddp://[::1]:4048`). Unknown query keys are errors.
///
/// # Examples
/// ```
/// use tickframe_outputs::{parse_output_url, OutputTarget};
/// let OutputTarget::E131(t) = parse_output_url("e131://multicast?universe=3").unwrap() else { panic!() };
/// assert!(t.multicast);
/// assert_eq!((t.universe, t.port, t.channels), (3, 5568, 510));
/// ```
///
/// # Errors
/// [`UrlError`] naming the problem and showing a correct URL for the scheme.
pub fn parse_output_url(url: &str) -> Result<OutputTarget, UrlError> {
    let fail = |reason: String, example: &'static str| UrlError { url: url.to_string(), reason, example };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(fail("missing `scheme://`".into(), EXAMPLES));
    };
    let scheme = scheme.to_ascii_lowercase();
    let example = match scheme.as_str() {
        "ddp" => DDP_EXAMPLE,
        "e131" | "sacn" => E131_EXAMPLE,
        "artnet" => ARTNET_EXAMPLE,
        "opc" => OPC_EXAMPLE,
        _ => return Err(fail(format!("unknown scheme `{scheme}`"), EXAMPLES)),
    };
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.contains('/') {
        return Err(fail("a path is not allowed".into(), example));
    }
    let (host, port) = split_host_port(authority).map_err(|r| fail(r, example))?;
    let mut q = Query::parse(query.unwrap_or("")).map_err(|r| fail(r, example))?;
    let target = match scheme.as_str() {
        "ddp" => {
            let t = DdpTarget {
                host,
                port: port.unwrap_or(DDP_PORT),
                id: q.num("id", 1, 1, 255).map_err(|r| fail(r, example))? as u8,
                timecode: q.flag("timecode").map_err(|r| fail(r, example))?,
                bind: q.ip("bind").map_err(|r| fail(r, example))?,
            };
            q.finish(&["id", "timecode", "bind"]).map_err(|r| fail(r, example))?;
            OutputTarget::Ddp(t)
        }
        "e131" | "sacn" => {
            let multicast = host.eq_ignore_ascii_case("multicast")
                || host.parse::<Ipv4Addr>().is_ok_and(|a| a.octets()[0] == 239 && a.octets()[1] == 255);
            let sync = q.num("sync", 0, 0, 63999).map_err(|r| fail(r, example))?;
            let source_name = q.take("name").unwrap_or_else(|| "tickframe".into());
            if source_name.len() > 63 {
                return Err(fail("`name` is longer than 63 bytes".into(), example));
            }
            let cid = match q.take("cid") {
                Some(hex) => Some(
                    parse_cid(&hex)
                        .ok_or_else(|| fail(format!("`cid={hex}` is not 32 hex digits"), example))?,
                ),
                None => None,
            };
            let t = E131Target {
                multicast,
                host,
                port: port.unwrap_or(E131_PORT),
                universe: q.num("universe", 1, 1, 63999).map_err(|r| fail(r, example))? as u16,
                priority: q.num("priority", 100, 0, 200).map_err(|r| fail(r, example))? as u8,
                sync: (sync != 0).then_some(sync as u16),
                source_name,
                cid,
                channels: q.num("channels", 510, 1, 512).map_err(|r| fail(r, example))? as u16,
                bind: q.ip("bind").map_err(|r| fail(r, example))?,
            };
            q.finish(&["universe", "priority", "sync", "name", "cid", "channels", "bind"])
                .map_err(|r| fail(r, example))?;
            OutputTarget::E131(t)
        }
        "artnet" => {
            let t = ArtNetTarget {
                host,
                port: port.unwrap_or(ARTNET_PORT),
                universe: q.num("universe", 0, 0, 32767).map_err(|r| fail(r, example))? as u16,
                sync: q.flag("sync").map_err(|r| fail(r, example))?,
                channels: q.num("channels", 510, 2, 512).map_err(|r| fail(r, example))? as u16,
                bind: q.ip("bind").map_err(|r| fail(r, example))?,
            };
            if !t.channels.is_multiple_of(2) {
                return Err(fail(format!("`channels={}` must be even for Art-Net", t.channels), example));
            }
            q.finish(&["universe", "sync", "channels", "bind"]).map_err(|r| fail(r, example))?;
            OutputTarget::ArtNet(t)
        }
        _ => {
            let t = OpcTarget {
                host,
                port: port.unwrap_or(OPC_PORT),
                channel: q.num("channel", 0, 0, 255).map_err(|r| fail(r, example))? as u8,
            };
            q.finish(&["channel"]).map_err(|r| fail(r, example))?;
            OutputTarget::Opc(t)
        }
    };
    Ok(target)
}

/// Takes the `seed_offset=N` option off an output URL's query: returns the URL without it
/// (what [`parse_output_url`] then takes) and `N`, when given. The option is not the device's:
/// it tells `tickframe play` which seed this output's frames are rendered with (the run's seed
/// plus `N`, wrapping), so several outputs can show different frames.
///
/// ```
/// use tickframe_outputs::take_seed_offset;
/// assert_eq!(
///     take_seed_offset("ddp://10.0.0.5?id=2&seed_offset=1").unwrap(),
///     ("ddp://10.0.0.5?id=2".to_string(), Some(1))
/// );
/// assert_eq!(take_seed_offset("ddp://10.0.0.5").unwrap(), ("ddp://10.0.0.5".to_string(), None));
/// ```
///
/// # Errors
/// [`UrlError`] when the value is not a whole number in `0..=18446744073709551615` or the option
/// is given twice.
pub fn take_seed_offset(url: &str) -> Result<(String, Option<u64>), UrlError> {
    let example = match url.split_once("://").map(|(s, _)| s.to_ascii_lowercase()).as_deref() {
        Some("ddp") => DDP_EXAMPLE,
        Some("e131" | "sacn") => E131_EXAMPLE,
        Some("artnet") => ARTNET_EXAMPLE,
        Some("opc") => OPC_EXAMPLE,
        _ => EXAMPLES,
    };
    let fail = |reason: String| UrlError { url: url.to_string(), reason, example };
    let Some((head, query)) = url.split_once('?') else { return Ok((url.to_string(), None)) };
    let mut offset = None;
    let mut kept: Vec<&str> = Vec::new();
    for part in query.split('&') {
        match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("seed_offset") => {
                if offset.is_some() {
                    return Err(fail("`seed_offset` is given twice".into()));
                }
                offset = Some(v.parse::<u64>().map_err(|_| {
                    fail(format!(
                        "`seed_offset={v}` is not a whole number in 0..={} (this output's seed is the run's seed plus it)",
                        u64::MAX
                    ))
                })?);
            }
            _ => kept.push(part),
        }
    }
    let rest = if kept.is_empty() { head.to_string() } else { format!("{head}?{}", kept.join("&")) };
    Ok((rest, offset))
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    if authority.contains('@') {
        return Err("user information (`user@`) is not allowed".into());
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or("unclosed `[` in IPv6 host")?;
        h.parse::<std::net::Ipv6Addr>().map_err(|_| format!("`{h}` is not an IPv6 address"))?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or("expected `:port` after `]`")?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => return Err("IPv6 hosts go in brackets: `[::1]`".into()),
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("missing host".into());
    }
    if !host.contains(':')
        && !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        return Err(format!("`{host}` is not a valid host name"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| format!("port `{p}` is not a number in 1..=65535"))?,
        ),
    };
    Ok((host.to_string(), port))
}

fn parse_cid(hex: &str) -> Option<[u8; 16]> {
    let digits: Vec<u8> = hex.bytes().filter(|&b| b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Result<Query, String> {
        let mut pairs = Vec::new();
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) =
                part.split_once('=').ok_or_else(|| format!("query item `{part}` is not `key=value`"))?;
            let k = k.to_ascii_lowercase();
            if pairs.iter().any(|(pk, _)| *pk == k) {
                return Err(format!("`{k}` is given twice"));
            }
            pairs.push((k, percent_decode(v)?));
        }
        Ok(Query(pairs))
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    fn num(&mut self, key: &str, default: u32, min: u32, max: u32) -> Result<u32, String> {
        match self.take(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("`{key}={v}` is not a whole number in {min}..={max}")),
        }
    }

    fn flag(&mut self, key: &str) -> Result<bool, String> {
        match self.take(key).as_deref() {
            None | Some("0" | "false" | "no" | "off") => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some(v) => Err(format!("`{key}={v}` is not 0/1, true/false, yes/no or on/off")),
        }
    }

    fn ip(&mut self, key: &str) -> Result<Option<IpAddr>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| format!("`{key}={v}` is not an IP address")),
        }
    }

    fn finish(self, allowed: &[&str]) -> Result<(), String> {
        match self.0.first() {
            None => Ok(()),
            Some((k, _)) => Err(format!("unknown option `{k}` (allowed: {})", allowed.join(", "))),
        }
    }
}

fn percent_decode(v: &str) -> Result<String, String> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = v.get(i + 1..i + 3).ok_or_else(|| format!("bad percent escape in `{v}`"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad percent escape in `{v}`"))?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{v}` is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddp_defaults_and_port() {
        assert_eq!(
            parse_output_url("ddp://10.0.0.5").unwrap(),
            OutputTarget::Ddp(DdpTarget {
                host: "10.0.0.5".into(),
                port: 4048,
                id: 1,
                timecode: false,
                bind: None
            })
        );
        let OutputTarget::Ddp(t) = parse_output_url("DDP://[::1]:9000/?timecode=1").unwrap() else {
            panic!()
        };
        assert_eq!((t.host.as_str(), t.port, t.timecode), ("::1", 9000, true));
    }

    #[test]
    fn e131_options() {
        let OutputTarget::E131(t) =
            parse_output_url("e131://10.0.0.5?universe=7&priority=150&sync=64&name=my+tree&cid=000102030405060708090a0b0c0d0e0f")
                .unwrap()
        else {
            panic!()
        };
        assert!(!t.multicast);
        assert_eq!((t.universe, t.priority, t.sync, t.source_name.as_str()), (7, 150, Some(64), "my tree"));
        assert_eq!(t.cid.unwrap()[15], 15);
        let OutputTarget::E131(t) = parse_output_url("sacn://239.255.0.1").unwrap() else { panic!() };
        assert!(t.multicast);
    }

    #[test]
    fn artnet_and_opc() {
        let OutputTarget::ArtNet(t) = parse_output_url("artnet://10.0.0.255?universe=17&sync=1").unwrap()
        else {
            panic!()
        };
        assert_eq!((t.universe, t.sync, t.port), (17, true, 6454));
        let OutputTarget::Opc(t) = parse_output_url("opc://localhost").unwrap() else { panic!() };
        assert_eq!((t.host.as_str(), t.port, t.channel), ("localhost", 7890, 0));
    }

    /// Every URL an error message offers as an example parses.
    #[test]
    fn every_example_in_an_error_message_parses() {
        let mut n = 0;
        for list in [EXAMPLES, DDP_EXAMPLE, E131_EXAMPLE, ARTNET_EXAMPLE, OPC_EXAMPLE] {
            for (i, part) in list.split('`').enumerate() {
                if i % 2 == 1 {
                    parse_output_url(part).unwrap_or_else(|e| panic!("example `{part}` does not parse: {e}"));
                    n += 1;
                }
            }
        }
        assert_eq!(n, 10, "every example was found between backticks");
        // And the example really is the one shown by an error.
        let e = parse_output_url("e131://x?sync=70000").unwrap_err();
        assert_eq!(e.example, E131_EXAMPLE);
    }

    #[test]
    fn frames_past_the_last_universe_are_refused_when_the_output_opens() {
        let t = parse_output_url("e131://127.0.0.1:5999?universe=63990").unwrap();
        assert!(t.check_frame_len(510 * 10).is_ok(), "63990..=63999 fit");
        let e = t.check_frame_len(510 * 10 + 1).unwrap_err().to_string();
        assert!(e.contains("63990..=64000") && e.contains("universe=63989 or lower"), "{e}");
        let t = parse_output_url("artnet://127.0.0.1?universe=32767").unwrap();
        assert!(t.check_frame_len(510).is_ok());
        let e = t.check_frame_len(511).unwrap_err().to_string();
        assert!(e.contains("32767..=32768") && e.contains("universe=32766"), "{e}");
        let t = parse_output_url("opc://127.0.0.1").unwrap();
        assert!(t.check_frame_len(65_535).is_ok());
        assert!(t.check_frame_len(65_536).unwrap_err().to_string().contains("65535 bytes"));
        assert!(parse_output_url("ddp://x").unwrap().check_frame_len(1 << 30).is_ok());
    }

    #[test]
    fn the_seed_offset_comes_off_the_url() {
        assert_eq!(
            take_seed_offset("e131://multicast?universe=3&seed_offset=2&sync=63999").unwrap(),
            ("e131://multicast?universe=3&sync=63999".to_string(), Some(2))
        );
        assert_eq!(take_seed_offset("opc://x?SEED_OFFSET=0").unwrap(), ("opc://x".to_string(), Some(0)));
        let e = take_seed_offset("ddp://x?seed_offset=-1").unwrap_err().to_string();
        assert!(e.contains("`seed_offset=-1` is not a whole number in 0..=18446744073709551615"), "{e}");
        assert!(e.contains("expected e.g. `ddp://"), "{e}");
        let e = take_seed_offset("ddp://x?seed_offset=1&seed_offset=2").unwrap_err().to_string();
        assert!(e.contains("given twice"), "{e}");
        // Left on the URL, it is not a device option.
        assert!(
            parse_output_url("ddp://x?seed_offset=1").unwrap_err().to_string().contains("unknown option")
        );
    }

    #[test]
    fn errors_show_an_example() {
        for (bad, needle) in [
            ("10.0.0.5", "missing `scheme://`"),
            ("dmx://x", "unknown scheme"),
            ("e131://x?universe=0", "`universe=0` is not a whole number in 1..=63999"),
            ("e131://x?universe=1&bogus=2", "unknown option `bogus`"),
            ("ddp://x:99999", "port `99999`"),
            ("ddp://::1", "brackets"),
            ("ddp://", "missing host"),
            ("artnet://x?channels=511", "must be even"),
            ("opc://x/path", "path"),
            ("ddp://x?timecode=maybe", "timecode=maybe"),
        ] {
            let e = parse_output_url(bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
            assert!(e.contains("expected e.g."), "{bad}: {e}");
        }
    }
}
