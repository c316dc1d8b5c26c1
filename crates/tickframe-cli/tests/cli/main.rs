//! End-to-end tests of the `tickframe` binary (one test binary, one module per area).

mod clock;
mod common;
mod outputs;
mod play;
mod trace;
