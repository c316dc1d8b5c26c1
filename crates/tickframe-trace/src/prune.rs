//! Retention: `tickframe trace prune`.
//!
//! # Policy
//! The traces considered are the folders directly under ROOT (never ROOT itself, never
//! anything outside it, never through a symbolic link). A folder whose `index.json` parses,
//! is consistent ([`crate::TraceIndex::check`]: counts, ticks, hashes, digest) is a complete
//! trace; one with trace files but no such index is an incomplete export.
//! Complete traces are ranked newest first by the time their index was written, and a trace is
//! removed when **any** given rule says so:
//! - `keep`: it is not among the `keep` newest;
//! - `older_than`: its index is older than that;
//! - `max_total_bytes`: the newest traces are kept while their running total fits, the rest go.
//!
//! Incomplete exports are kept unless `incomplete` is set, and even then only when their newest
//! file is more than an hour old (an export may still be running). Other folders are never
//! touched.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::{TraceError, names};

/// What to remove (every rule is optional; with none, nothing is removed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrunePolicy {
    /// Keep at most this many complete traces (the newest).
    pub keep: Option<usize>,
    /// Keep the newest traces whose total size fits in this many bytes.
    pub max_total_bytes: Option<u64>,
    /// Remove traces older than this.
    pub older_than: Option<Duration>,
    /// Also remove incomplete exports older than one hour.
    pub incomplete: bool,
}

/// A trace folder found under the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    /// The folder.
    pub path: PathBuf,
    /// Total size of its files in bytes.
    pub bytes: u64,
    /// When its index (or, when incomplete, its newest file) was last written.
    pub modified: SystemTime,
    /// Whether it has a consistent `index.json` (see the module docs).
    pub complete: bool,
}

/// The decision for one trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PruneAction {
    /// The trace.
    pub entry: TraceEntry,
    /// Whether it is (or, in a dry run, would be) removed.
    pub remove: bool,
    /// Why.
    pub reason: String,
}

/// Parses an age: a number followed by `s`, `m`, `h`, `d` or `w` (e.g. `7d`).
///
/// # Errors
/// A message describing the accepted forms.
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid age `{s}`: expected a number and a unit, like 90s, 30m, 12h, 7d or 2w");
    let t = s.trim();
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: f64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        'd' => 86400.0,
        'w' => 604_800.0,
        _ => return Err(bad()),
    };
    if !(n.is_finite() && n >= 0.0) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(n * secs))
}

fn scan(dir: &Path) -> Option<TraceEntry> {
    let mut bytes = 0;
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut has_trace_file = false;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(meta) = e.path().symlink_metadata() else { continue };
        if meta.is_file() {
            bytes += meta.len();
            newest = newest.max(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH));
            let name = e.file_name();
            has_trace_file |=
                [names::GIF, names::APNG, names::STORE, names::FSEQ, names::SCENE].iter().any(|n| name == *n);
        } else if meta.is_dir() {
            // Trace folders have no sub-folders of their own: count them in the size anyway.
            bytes += dir_size(&e.path());
        }
    }
    let index = dir.join(names::INDEX);
    // Complete means an index that parses, is consistent and matches its own digest.
    let complete = crate::index::read_index(dir).and_then(|i| i.check()).is_ok();
    if complete {
        let modified = index.metadata().and_then(|m| m.modified()).unwrap_or(newest);
        return Some(TraceEntry { path: dir.to_path_buf(), bytes, modified, complete });
    }
    has_trace_file.then(|| TraceEntry { path: dir.to_path_buf(), bytes, modified: newest, complete: false })
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| match e.path().symlink_metadata() {
            Ok(m) if m.is_file() => m.len(),
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            _ => 0,
        })
        .sum()
}

/// Applies `policy` to the trace folders directly under `root` (see the module docs); with
/// `dry_run` nothing is removed. Returns a decision per trace, newest first.
///
/// # Errors
/// [`TraceError::BadInput`] when `root` is not a folder; I/O errors while removing.
pub fn prune(root: &Path, policy: &PrunePolicy, dry_run: bool) -> Result<Vec<PruneAction>, TraceError> {
    let root = std::fs::canonicalize(root)
        .map_err(|e| TraceError::BadInput(format!("`{}`: {e}", root.display())))?;
    if !root.is_dir() {
        return Err(TraceError::BadInput(format!("`{}` is not a folder", root.display())));
    }
    let mut entries: Vec<TraceEntry> = std::fs::read_dir(&root)
        .map_err(TraceError::io(&root))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| scan(&e.path()))
        .collect();
    entries.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.path.cmp(&b.path)));
    let now = SystemTime::now();
    let age = |e: &TraceEntry| now.duration_since(e.modified).unwrap_or_default();
    let mut actions = Vec::new();
    let (mut rank, mut total) = (0usize, 0u64);
    for e in entries {
        let mut reasons = Vec::new();
        if e.complete {
            if policy.keep.is_some_and(|k| rank >= k) {
                reasons.push(format!("beyond the {} newest", policy.keep.unwrap_or(0)));
            }
            if let Some(d) = policy.older_than
                && age(&e) > d
            {
                reasons.push(format!("older than {} s", d.as_secs()));
            }
            if let Some(max) = policy.max_total_bytes
                && total + e.bytes > max
            {
                reasons.push("over the total size limit".to_string());
            }
            rank += 1;
            if reasons.is_empty() {
                total += e.bytes;
            }
        } else if policy.incomplete && age(&e) > Duration::from_secs(3600) {
            reasons.push("incomplete export (no index.json), over an hour old".into());
        }
        let remove = !reasons.is_empty();
        let reason = if remove {
            reasons.join(", ")
        } else if e.complete {
            "kept".into()
        } else {
            "incomplete export: kept (pass --incomplete to remove)".into()
        };
        actions.push(PruneAction { entry: e, remove, reason });
    }
    if !dry_run {
        for a in actions.iter().filter(|a| a.remove) {
            // Never outside ROOT, never ROOT itself, never through a link.
            let p = std::fs::canonicalize(&a.entry.path).map_err(TraceError::io(&a.entry.path))?;
            if p.parent() != Some(root.as_path())
                || p.symlink_metadata().map(|m| m.file_type().is_symlink()).unwrap_or(true)
            {
                continue;
            }
            // The index goes first, so a half-removed trace never looks complete.
            let _ = std::fs::remove_file(p.join(names::INDEX));
            std::fs::remove_dir_all(&p).map_err(TraceError::io(&p))?;
        }
    }
    Ok(actions)
}
