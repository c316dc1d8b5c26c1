//! The `image` scene: a PNG or JPEG still, scaled once at build to the display.
//!
//! Decoding (with the JPEG's EXIF orientation applied), cropping and resampling all happen while
//! the scene is built; every frame is then one blit of the prepared image, at 1:1 scale.

use std::sync::Arc;

use ::image::imageops::{self, FilterType};
use ::image::{Rgba32FImage, RgbaImage};
use tickframe_core::{Canvas, Frame, Rect, RenderContext, Rgba, Scene, Size};

use super::decode_image;
use crate::params::{BuildError, Params};
use crate::registry::{BuildContext, ParamDoc, SceneInfo};

/// The registry entry.
pub(super) const INFO: SceneInfo = SceneInfo {
    name: "image",
    summary: "a PNG or JPEG still, scaled once to the display (fit, fill or stretch)",
    params: PARAMS,
    build,
};

const PARAMS: &[ParamDoc] = &[
    ParamDoc { name: "path", kind: "path", default: "", doc: "the PNG or JPEG file" },
    ParamDoc {
        name: "fit",
        kind: "one of: fit, fill, stretch",
        default: "fit",
        doc: "`fit`: the whole image, centred, letterboxed with `background`; `fill`: covers the display, \
              the overflow cropped equally from both sides; `stretch`: exactly the display size",
    },
    ParamDoc {
        name: "background",
        kind: "colour",
        default: "#000000",
        doc: "fills the display first (letterbox bars, and behind transparent pixels); a fully \
              transparent colour draws nothing",
    },
    ParamDoc {
        name: "filter",
        kind: "one of: lanczos3, catmull-rom, triangle, nearest",
        default: "catmull-rom",
        doc: "the resampling filter, applied once when the scene is built (`nearest` keeps pixel art sharp); catmull-rom, triangle and nearest are polynomial, so identical on every machine; lanczos3 evaluates sin() through the platform's maths library and may differ in the last bit between machines",
    },
];

/// A prepared still.
#[derive(Debug)]
struct Still {
    image: Arc<Frame>,
    dst: Rect,
    background: Rgba,
}

impl Scene for Still {
    fn render(&self, _ctx: &RenderContext, canvas: &mut Canvas<'_>) {
        if self.background.a > 0 {
            canvas.clear(self.background);
        }
        let src = Rect::new(0, 0, self.image.width(), self.image.height());
        canvas.blit(&self.image, src, self.dst, 255);
    }
}

/// `v · num / den`, rounded to nearest, at least 1.
fn ratio(v: u32, num: u32, den: u32) -> u32 {
    ((u64::from(v) * u64::from(num) * 2 + u64::from(den)) / (u64::from(den) * 2)).max(1) as u32
}

/// Resamples to `w × h`. Images with transparency are resampled premultiplied, so transparent
/// pixels do not bleed their (invisible) colour into the edges.
fn resize(img: &RgbaImage, w: u32, h: u32, filter: FilterType) -> RgbaImage {
    if img.dimensions() == (w, h) {
        return img.clone();
    }
    if img.pixels().all(|p| p[3] == 255) {
        return imageops::resize(img, w, h, filter);
    }
    let mut f = Rgba32FImage::new(img.width(), img.height());
    for (d, s) in f.pixels_mut().zip(img.pixels()) {
        let a = f32::from(s[3]) / 255.0;
        let c = |v: u8| f32::from(v) / 255.0 * a;
        *d = ::image::Rgba([c(s[0]), c(s[1]), c(s[2]), a]);
    }
    let r = imageops::resize(&f, w, h, filter);
    let mut out = RgbaImage::new(w, h);
    for (d, s) in out.pixels_mut().zip(r.pixels()) {
        let a = s[3].clamp(0.0, 1.0);
        let c = |v: f32| if a > 0.0 { (v / a * 255.0).round().clamp(0.0, 255.0) as u8 } else { 0 };
        *d = ::image::Rgba([c(s[0]), c(s[1]), c(s[2]), (a * 255.0).round() as u8]);
    }
    out
}

fn build(params: &mut Params, cx: &mut BuildContext) -> Result<Arc<dyn Scene>, BuildError> {
    let path = params.path("path", &cx.base_dir)?;
    let at = params.location_of("path");
    let fit = params.choice("fit", "fit", &["fit", "fill", "stretch"])?;
    let background = params.color("background", Rgba::BLACK)?;
    let filter = match params
        .choice("filter", "catmull-rom", &["lanczos3", "catmull-rom", "triangle", "nearest"])?
        .as_str()
    {
        "catmull-rom" => FilterType::CatmullRom,
        "triangle" => FilterType::Triangle,
        "nearest" => FilterType::Nearest,
        _ => FilterType::Lanczos3,
    };

    let img = decode_image(&path, at, "image")?.into_rgba8();
    let (iw, ih) = img.dimensions();
    if iw == 0 || ih == 0 {
        return Err(BuildError::new(at, format!("image: `{}` is empty ({iw}x{ih})", path.display())));
    }
    let (w, h) = (cx.size.width(), cx.size.height());
    // Compare aspect ratios exactly: iw / ih against w / h.
    let wider = u64::from(iw) * u64::from(h) > u64::from(ih) * u64::from(w);
    let (prepared, dst) = match fit.as_str() {
        "stretch" => (resize(&img, w, h, filter), Rect::new(0, 0, w, h)),
        "fill" => {
            // Crop the source to the display's aspect ratio, centred, then scale.
            let (cw, ch) = if wider { (ratio(ih, w, h).min(iw), ih) } else { (iw, ratio(iw, h, w).min(ih)) };
            let crop = imageops::crop_imm(&img, (iw - cw) / 2, (ih - ch) / 2, cw, ch).to_image();
            (resize(&crop, w, h, filter), Rect::new(0, 0, w, h))
        }
        _ => {
            let (tw, th) = if wider { (w, ratio(ih, w, iw).min(h)) } else { (ratio(iw, h, ih).min(w), h) };
            let dst = Rect::new(((w - tw) / 2) as i32, ((h - th) / 2) as i32, tw, th);
            (resize(&img, tw, th, filter), dst)
        }
    };
    let size = Size::new(prepared.width(), prepared.height())
        .map_err(|e| BuildError::new(at, format!("image `{}`: {e}", path.display())))?;
    let frame = Frame::from_rgba_bytes(size, prepared.as_raw()).expect("an RgbaImage has 4 bytes a pixel");
    Ok(Arc::new(Still { image: Arc::new(frame), dst, background }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios() {
        assert_eq!(ratio(10, 1, 3), 3);
        assert_eq!(ratio(10, 1, 4), 3); // 2.5 rounds up
        assert_eq!(ratio(1, 1, 100), 1);
    }
}
