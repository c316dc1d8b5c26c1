//! Deterministic traces (issue 4): exports with a hashed index, verification, replay.
