//! The Aseprite JSON export format ("hash" and "array" forms), as far as playback needs it.
//!
//! In the hash form `frames` is an object keyed by frame name; its entries are kept in **file
//! order** (a plain map would sort `"loop 10"` before `"loop 2"`). Unknown fields are ignored.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// A whole export.
#[derive(Debug, Deserialize)]
pub(crate) struct Sheet {
    /// The frames, in file order.
    pub frames: Frames,
    /// The metadata (image, size, tags).
    #[serde(default)]
    pub meta: Meta,
}

/// A rectangle as Aseprite writes it (signed, so that bad values reach our own checks).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct JsonRect {
    #[serde(default)]
    pub x: i64,
    #[serde(default)]
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

/// A size as Aseprite writes it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub(crate) struct JsonSize {
    pub w: i64,
    pub h: i64,
}

/// One frame entry.
#[derive(Debug, Deserialize)]
pub(crate) struct FrameEntry {
    /// The name: the key in the hash form, `filename` in the array form.
    #[serde(default)]
    pub filename: Option<String>,
    /// Where the (possibly trimmed) frame lies in the image.
    pub frame: JsonRect,
    /// Rotated by 90° in the image (never written by Aseprite; refused).
    #[serde(default)]
    pub rotated: bool,
    /// Where the trimmed frame sits inside the untrimmed one.
    #[serde(default, rename = "spriteSourceSize")]
    pub sprite_source_size: Option<JsonRect>,
    /// The untrimmed frame size.
    #[serde(default, rename = "sourceSize")]
    pub source_size: Option<JsonSize>,
    /// How long the frame shows, in milliseconds.
    #[serde(default)]
    pub duration: Option<u64>,
}

/// The frames in file order, whichever form they were written in.
#[derive(Debug, Default)]
pub(crate) struct Frames {
    /// `(name, entry)`; in the array form the name is `filename` or the frame's index.
    pub list: Vec<(String, FrameEntry)>,
}

impl<'de> Deserialize<'de> for Frames {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Frames, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Frames;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of frames keyed by name, or an array of frames")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Frames, A::Error> {
                let mut list = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((name, entry)) = map.next_entry::<String, FrameEntry>()? {
                    list.push((name, entry));
                }
                Ok(Frames { list })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Frames, A::Error> {
                let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(entry) = seq.next_element::<FrameEntry>()? {
                    let name = entry.filename.clone().unwrap_or_else(|| list.len().to_string());
                    list.push((name, entry));
                }
                Ok(Frames { list })
            }
        }
        d.deserialize_any(V)
    }
}

/// The `meta` object.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Meta {
    /// The image file, relative to the JSON's folder.
    #[serde(default)]
    pub image: Option<String>,
    /// The image size as the exporter believed it.
    #[serde(default)]
    pub size: Option<JsonSize>,
    /// Animation tags.
    #[serde(default, rename = "frameTags")]
    pub frame_tags: Vec<Tag>,
}

/// An animation tag: a named, inclusive range of frames and a direction.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Tag {
    /// The tag's name.
    pub name: String,
    /// First frame index.
    pub from: i64,
    /// Last frame index (inclusive).
    pub to: i64,
    /// `forward` (default), `reverse`, `pingpong` or `pingpong_reverse`.
    #[serde(default)]
    pub direction: Option<String>,
}

/// Parses an export.
pub(crate) fn parse(json: &str) -> Result<Sheet, serde_json::Error> {
    serde_json::from_str(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_form_keeps_file_order() {
        let json = r#"{"frames": {
            "b 2": {"frame": {"x": 0, "y": 0, "w": 1, "h": 1}, "duration": 10},
            "b 10": {"frame": {"x": 1, "y": 0, "w": 1, "h": 1}, "duration": 20},
            "a 1": {"frame": {"x": 2, "y": 0, "w": 1, "h": 1}}
        }, "meta": {"frameTags": [{"name": "t", "from": 0, "to": 1, "direction": "pingpong"}]}}"#;
        let s = parse(json).unwrap();
        let names: Vec<_> = s.frames.list.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b 2", "b 10", "a 1"]);
        assert_eq!(s.frames.list[1].1.duration, Some(20));
        assert_eq!(s.meta.frame_tags[0].direction.as_deref(), Some("pingpong"));
    }

    #[test]
    fn array_form() {
        let json = r#"{"frames": [
            {"filename": "x", "frame": {"x": 0, "y": 0, "w": 1, "h": 1}, "duration": 10},
            {"frame": {"x": 1, "y": 0, "w": 1, "h": 1}, "duration": 20}
        ]}"#;
        let s = parse(json).unwrap();
        let names: Vec<_> = s.frames.list.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x", "1"]);
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(parse("{").is_err());
        assert!(parse(r#"{"frames": 3}"#).is_err());
        assert!(parse(r#"{"frames": {"a": {"duration": 3}}}"#).is_err());
    }
}
