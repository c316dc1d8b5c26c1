//! Integration tests of tickframe-outputs: loopback round trips, an independent decoder
//! (Wireshark's tshark), faults, small screens and zero allocation per frame.

mod alloc;
mod common;
mod device;
mod faults;
mod loopback;
mod screen;
mod tshark;
