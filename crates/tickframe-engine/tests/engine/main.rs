//! Integration tests of the render-ahead engine (one test binary, one module per area).
//!
//! The binary installs a global counting allocator (`alloc`), so every test takes the
//! [`common::serial`] lock: allocation counts then belong to the test that reads them.

mod alloc;
mod cache;
mod common;
mod control;
mod determinism;
mod faults;
mod logs;
mod pacing;
mod soak;
mod streams;
