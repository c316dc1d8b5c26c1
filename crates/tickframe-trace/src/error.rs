//! Errors of trace operations.

use std::path::PathBuf;

/// Why a trace operation failed.
///
/// [`TraceError::exit_code`] maps each kind onto the command line's exit codes: 1 when a check
/// failed (a trace file does not match), 2 for bad or unreadable input and I/O errors.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// Reading or writing a file failed.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Bad input: an option, a missing or unreadable index, scene file or asset.
    #[error("{0}")]
    BadInput(String),
    /// A trace file is damaged or does not match its index (a failed check).
    #[error("{file}{}: {message}", tick.map(|t| format!(": tick {t}")).unwrap_or_default())]
    Corrupt {
        /// The file inside the trace, e.g. `frames.tfs`.
        file: String,
        /// The first tick concerned, when known.
        tick: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The output folder is not empty and `force` was not given.
    #[error("`{}` is not empty: choose an empty folder or pass --force to replace the trace in it", .0.display())]
    NotEmpty(PathBuf),
    /// An export was interrupted (Ctrl-C); no index was written.
    #[error("interrupted: no index was written, so the folder is not a trace")]
    Interrupted,
    /// A verification was interrupted (Ctrl-C) before every frame was checked.
    #[error(
        "interrupted: verification stopped before every frame was checked; the trace is neither verified nor failed"
    )]
    VerifyInterrupted,
}

impl TraceError {
    /// The process exit code for this error: 1 for [`TraceError::Corrupt`], 130 (the shell's
    /// code for Ctrl-C) for [`TraceError::VerifyInterrupted`], 2 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            TraceError::Corrupt { .. } => 1,
            TraceError::VerifyInterrupted => 130,
            _ => 2,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TraceError {
        let path = path.into();
        move |source| TraceError::Io { path, source }
    }

    pub(crate) fn corrupt(file: &str, tick: Option<u64>, message: impl Into<String>) -> TraceError {
        TraceError::Corrupt { file: file.to_string(), tick, message: message.into() }
    }
}
