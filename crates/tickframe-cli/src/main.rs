//! The `tickframe` binary: parses arguments and hands over to the library.

use tickframe_cli::alloc_count::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() -> std::process::ExitCode {
    tickframe_cli::run()
}
