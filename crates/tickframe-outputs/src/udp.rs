//! A non-blocking UDP socket that sends packets and counts failures.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, ToSocketAddrs, UdpSocket};

use crate::e131::e131_multicast_addr;
use crate::packet::{Packet, Packets};
use crate::stats::SendStats;

/// Where a [`UdpSender`]'s packets go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpDestination {
    /// One host and port (the socket is connected, so an ICMP "port unreachable" from a missing
    /// receiver shows up as a counted `ConnectionRefused`).
    Unicast(SocketAddr),
    /// E1.31 multicast: each packet to the group of its universe
    /// ([`e131_multicast_addr`]) on this port.
    E131Multicast {
        /// UDP port (5568).
        port: u16,
    },
}

/// Owns a non-blocking UDP socket; [`UdpSender::send`] never blocks and never fails: errors
/// are counted in [`SendStats`].
#[derive(Debug)]
pub struct UdpSender {
    socket: UdpSocket,
    dest: UdpDestination,
    /// Whether the socket is connected to a unicast destination (else `send_to` each packet).
    connected: bool,
    stats: SendStats,
}

impl UdpSender {
    /// A sender to `host:port` (the name is resolved once, now; the first address is used).
    /// `bind` is the local address to send from (default: unspecified, of the destination's
    /// family).
    ///
    /// # Errors
    /// When the name does not resolve or the socket cannot be created.
    pub fn unicast(host: &str, port: u16, bind: Option<IpAddr>) -> io::Result<UdpSender> {
        let addr = (host, port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("`{host}` has no address")))?;
        let socket = bind_socket(bind, addr.is_ipv6())?;
        socket.set_broadcast(true)?;
        // No route to the host yet (the network is not up, a cable is out): not an error at
        // start; every send is then counted as failed until a route appears.
        let connected = match socket.connect(addr) {
            Ok(()) => true,
            Err(e)
                if matches!(e.kind(), io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable) =>
            {
                false
            }
            Err(e) => return Err(e),
        };
        Ok(UdpSender { socket, dest: UdpDestination::Unicast(addr), connected, stats: SendStats::default() })
    }

    /// An E1.31 multicast sender (IPv4, TTL 1, loopback delivery on). Pass `bind =
    /// 127.0.0.1` to send over the loopback interface (Linux routes multicast from a bound
    /// source address out of that address's interface).
    ///
    /// # Errors
    /// When the socket cannot be created.
    pub fn e131_multicast(port: u16, bind: Option<IpAddr>) -> io::Result<UdpSender> {
        let socket = bind_socket(bind, false)?;
        socket.set_multicast_loop_v4(true)?;
        socket.set_multicast_ttl_v4(1)?;
        Ok(UdpSender {
            socket,
            dest: UdpDestination::E131Multicast { port },
            connected: false,
            stats: SendStats::default(),
        })
    }

    /// Where packets go.
    pub fn destination(&self) -> UdpDestination {
        self.dest
    }

    /// The local address of the socket.
    ///
    /// # Errors
    /// From the operating system.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Sends one packet; returns whether it was handed to the OS. Failures are counted.
    pub fn send(&mut self, packet: Packet<'_>) -> bool {
        let result = match self.dest {
            UdpDestination::Unicast(_) if self.connected => self.socket.send(packet.bytes),
            UdpDestination::Unicast(addr) => self.socket.send_to(packet.bytes, addr),
            UdpDestination::E131Multicast { port } => self.socket.send_to(
                packet.bytes,
                SocketAddr::V4(SocketAddrV4::new(e131_multicast_addr(packet.universe), port)),
            ),
        };
        match result {
            Ok(_) => {
                self.stats.packets_sent += 1;
                self.stats.bytes_sent += packet.bytes.len() as u64;
                true
            }
            Err(e) => {
                self.stats.error(e.kind());
                false
            }
        }
    }

    /// Sends all of a frame's packets in order; counts the frame, and counts it dropped when any
    /// packet failed. Returns the number of packets handed to the OS.
    pub fn send_all(&mut self, packets: &Packets) -> usize {
        self.stats.frames += 1;
        let mut ok = 0;
        for p in packets.iter() {
            ok += usize::from(self.send(p));
        }
        if ok < packets.len() {
            self.stats.frames_dropped += 1;
        }
        ok
    }

    /// The counters so far.
    pub fn stats(&self) -> SendStats {
        self.stats
    }

    pub(crate) fn stats_mut(&mut self) -> &mut SendStats {
        &mut self.stats
    }
}

fn bind_socket(bind: Option<IpAddr>, v6: bool) -> io::Result<UdpSocket> {
    let local = bind.unwrap_or(if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    });
    let socket = UdpSocket::bind(SocketAddr::new(local, 0))?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}
