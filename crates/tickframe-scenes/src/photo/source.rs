//! Photo sources: a folder listed once at build, sorted, every file probed from its headers
//! and its last bytes (never read whole at build unless its headers lie past the first 256 KiB).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::prepare::{PhotoError, open_decoder};

/// File name extensions (lower case) the slideshow looks at.
pub(crate) const EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff"];

/// Bytes read from the start of a file to probe it (format, size, EXIF): 256 KiB.
const HEAD: u64 = 256 << 10;
/// Bytes read from the end of a JPEG or PNG to check it is complete: 4 KiB.
const TAIL: u64 = 4 << 10;

/// One photo, as found at build.
#[derive(Clone, Debug)]
pub(crate) struct PhotoEntry {
    /// The file.
    pub(crate) path: PathBuf,
    /// Its file name (for captions).
    pub(crate) name: String,
    /// When it was taken, from EXIF (`YYYY-MM-DD HH:MM`), if known.
    pub(crate) date: Option<String>,
    /// Its length in bytes when the folder was listed.
    pub(crate) len: u64,
    /// The caption drawn over it (empty: none), set by the slideshow.
    pub(crate) caption: String,
}

/// Every file under `folder` (and its sub-folders when `recursive`) with a photo extension,
/// sorted by path; hidden files (names starting with `.`) are left out.
pub(crate) fn list(folder: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![folder.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let ty = entry.file_type()?;
            if ty.is_dir() || (ty.is_symlink() && path.is_dir()) {
                if recursive {
                    dirs.push(path);
                }
            } else if has_photo_extension(&path) {
                out.push(path);
            }
        }
    }
    // Sorted, never directory-iteration order.
    out.sort();
    Ok(out)
}

/// Whether `path` ends in one of [`EXTENSIONS`] (any case).
pub(crate) fn has_photo_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether the file's end looks complete (JPEG end-of-image marker, PNG `IEND` chunk), from its
/// last bytes. `None` for formats with no cheap check.
fn complete_tail(format: image::ImageFormat, tail: &[u8]) -> Option<bool> {
    match format {
        image::ImageFormat::Jpeg => {
            let end = tail.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            Some(tail[..end].ends_with(&[0xFF, 0xD9]))
        }
        image::ImageFormat::Png => Some(tail.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])),
        _ => None,
    }
}

/// Probes one file from its first 256 KiB (the whole file only when its headers lie further
/// in) and, for JPEG and PNG, its last 4 KiB: readable, a known format, within the size
/// limit, and ending as a complete file does. Whether the image data decodes is decided when
/// the photo is first prepared (see `cache.rs`). Both are pure functions of the file's bytes,
/// so a bad file is skipped at the same place in every run.
pub(crate) fn probe(path: &Path, max_pixels: u64) -> Result<PhotoEntry, PhotoError> {
    let unreadable = |e: std::io::Error| PhotoError(format!("cannot read: {e}"));
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let mut head = Vec::with_capacity(len.min(HEAD) as usize);
    (&mut file).take(HEAD).read_to_end(&mut head).map_err(unreadable)?;
    let whole = len <= head.len() as u64;
    let headers_ok = open_decoder(&head, max_pixels).map(|_| ());
    let (bytes, whole) = match headers_ok {
        Ok(()) => (head, whole),
        Err(_) if !whole => (std::fs::read(path).map_err(unreadable)?, true),
        Err(e) => return Err(e),
    };
    let (format, mut decoder) = open_decoder(&bytes, max_pixels)?;
    let date = decoder.exif_metadata().ok().flatten().and_then(|exif| exif_date(&exif));
    drop(decoder);
    let tail_of_file;
    let tail: &[u8] = if whole {
        &bytes[bytes.len().saturating_sub(TAIL as usize)..]
    } else {
        file.seek(SeekFrom::End(-(TAIL.min(len) as i64))).map_err(unreadable)?;
        let mut t = Vec::with_capacity(TAIL as usize);
        file.take(TAIL).read_to_end(&mut t).map_err(unreadable)?;
        tail_of_file = t;
        &tail_of_file
    };
    if complete_tail(format, tail) == Some(false) {
        return Err(PhotoError(format!(
            "truncated: no {} at the end of the file",
            if format == image::ImageFormat::Png { "IEND chunk" } else { "end-of-image marker" }
        )));
    }
    let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    Ok(PhotoEntry { path: path.to_path_buf(), name, date, len, caption: String::new() })
}

/// `DateTimeOriginal` (or, failing that, `DateTime`) from raw EXIF (a TIFF structure), as
/// `YYYY-MM-DD HH:MM`.
pub(crate) fn exif_date(exif: &[u8]) -> Option<String> {
    let big = match exif.get(..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = exif.get(o..o + 2)?;
        Some(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b = exif.get(o..o + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    // The entry of `tag` in the IFD at `ifd`: (type, count, value-or-offset position).
    let find = |ifd: usize, tag: u16| -> Option<(u16, u32, usize)> {
        let n = usize::from(u16_at(ifd)?);
        (0..n.min(512)).find_map(|i| {
            let e = ifd + 2 + i * 12;
            (u16_at(e)? == tag).then(|| Some((u16_at(e + 2)?, u32_at(e + 4)?, e + 8))).flatten()
        })
    };
    let ascii = |(ty, count, at): (u16, u32, usize)| -> Option<String> {
        if ty != 2 || count < 19 {
            return None;
        }
        let off = u32_at(at)? as usize;
        let s = std::str::from_utf8(exif.get(off..off + 19)?).ok()?;
        // "YYYY:MM:DD HH:MM:SS"
        let b = s.as_bytes();
        let ok = b[4] == b':' && b[7] == b':' && b[10] == b' ' && s[..4].bytes().all(|c| c.is_ascii_digit());
        ok.then(|| format!("{}-{}-{} {}", &s[..4], &s[5..7], &s[8..10], &s[11..16]))
    };
    let ifd0 = u32_at(4)? as usize;
    let from_exif_ifd = find(ifd0, 0x8769)
        .and_then(|(_, _, at)| u32_at(at))
        .and_then(|sub| find(sub as usize, 0x9003))
        .and_then(ascii);
    from_exif_ifd.or_else(|| find(ifd0, 0x0132).and_then(ascii))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_dates_little_and_big_endian() {
        // II, IFD0 at 8 with one entry: DateTime (0x0132), ASCII, 20 bytes at offset 26.
        let mut le = b"II*\0\x08\0\0\0".to_vec();
        le.extend_from_slice(&[1, 0, 0x32, 0x01, 2, 0, 20, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
        le.extend_from_slice(b"2024:07:14 18:30:05\0");
        assert_eq!(exif_date(&le).as_deref(), Some("2024-07-14 18:30"));
        let mut be = b"MM\0*\0\0\0\x08".to_vec();
        be.extend_from_slice(&[0, 1, 0x01, 0x32, 0, 2, 0, 0, 0, 20, 0, 0, 0, 26, 0, 0, 0, 0]);
        be.extend_from_slice(b"1999:12:31 23:59:59\0");
        assert_eq!(exif_date(&be).as_deref(), Some("1999-12-31 23:59"));
        assert_eq!(exif_date(b"nope"), None);
    }
}
