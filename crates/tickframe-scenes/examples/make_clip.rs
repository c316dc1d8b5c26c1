//! Writes the bundled demo clip, `examples/assets/audio/demo-clip.wav` (12 s, 22.05 kHz mono
//! 16-bit, synthesised by [`tickframe_scenes::audio::wav::demo_clip`]).
//!
//! Run from the repository root: `cargo run -p tickframe-scenes --example make_clip`.
//! A test (`audio::bundled_clip_matches_its_generator`) checks the committed file is exactly
//! what this writes.

use std::path::PathBuf;
use std::process::ExitCode;

use tickframe_scenes::audio::wav::{DEMO_RATE, demo_clip, encode_wav_pcm16};

fn main() -> ExitCode {
    let out =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/assets/audio/demo-clip.wav"));
    let bytes = encode_wav_pcm16(DEMO_RATE, 1, &demo_clip());
    let written =
        out.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&out, &bytes));
    match written {
        Ok(()) => {
            println!("wrote {} ({} bytes)", out.display(), bytes.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}
