//! End-to-end tests of the `tickframe` binary (one test binary, one module per area).

mod audio_out;
mod clock;
mod common;
mod foundation;
mod live;
mod outputs;
mod play;
mod rescan;
mod seeds;
mod trace;
