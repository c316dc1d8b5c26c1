//! The `image` scene: a PNG or JPEG still, scaled once at build to the display.
//!
//! Decoding (with the JPEG's EXIF orientation applied), cropping and resampling all happen while
//! the scene is built; every frame is then one blit of the prepared image, at 1:1 scale.
//!
//! # Determinism
//! `catmull-rom`, `triangle` and `nearest` resample with `image::imageops` (polynomial kernels,
//! plain IEEE-754 arithmetic). `lanczos3` resamples with `fast_image_resize`'s fixed-point u8
//! convolution (alpha premultiplied in integers) with a Lanczos-3 kernel evaluated through
//! `libm`, as the slideshow does, so it too gives the same bytes on every machine.

use std::sync::Arc;

use ::image::imageops::{self, FilterType};
use ::image::{Rgba32FImage, RgbaImage};
use fast_image_resize as fr;
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
    ParamDoc { name: "path", kind: "path", default: ParamDoc::REQUIRED, doc: "the PNG or JPEG file" },
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
        doc: "the resampling filter, applied once when the scene is built (`nearest` keeps pixel art sharp); every filter gives the same bytes on every machine (lanczos3's kernel is evaluated through libm)",
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

/// A resampling filter.
#[derive(Clone, Copy, Debug)]
enum Filter {
    /// One of `image::imageops`' polynomial filters.
    Poly(FilterType),
    /// Lanczos-3 through `fast_image_resize`, kernel through `libm`.
    Lanczos3,
}

/// `sin(πx)/(πx)` through `libm`.
fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let a = x * core::f64::consts::PI;
        libm::sin(a) / a
    }
}

/// The Lanczos-3 kernel, through `libm` (the same bits everywhere; the one the slideshow uses).
fn lanczos3(x: f64) -> f64 {
    let x = x.abs();
    if x < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 }
}

/// Resamples with `fast_image_resize` and the `libm` Lanczos-3 kernel; premultiplied (integer)
/// when the image has transparency.
fn resize_lanczos3(img: &RgbaImage, w: u32, h: u32, opaque: bool) -> Result<RgbaImage, String> {
    let src = fr::images::ImageRef::new(img.width(), img.height(), img.as_raw(), fr::PixelType::U8x4)
        .map_err(|e| e.to_string())?;
    let mut dst = fr::images::Image::new(w, h, fr::PixelType::U8x4);
    let kernel = fr::Filter::new("lanczos3-libm", lanczos3, 3.0).map_err(|e| e.to_string())?;
    let opts = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Custom(kernel)))
        .use_alpha(!opaque);
    fr::Resizer::new().resize(&src, &mut dst, &opts).map_err(|e| e.to_string())?;
    RgbaImage::from_raw(w, h, dst.into_vec()).ok_or_else(|| "resampled buffer of the wrong size".to_string())
}

/// Resamples to `w × h`. Images with transparency are resampled premultiplied, so transparent
/// pixels do not bleed their (invisible) colour into the edges.
fn resize(img: &RgbaImage, w: u32, h: u32, filter: Filter) -> Result<RgbaImage, String> {
    if img.dimensions() == (w, h) {
        return Ok(img.clone());
    }
    let opaque = img.pixels().all(|p| p[3] == 255);
    let filter = match filter {
        Filter::Lanczos3 => return resize_lanczos3(img, w, h, opaque),
        Filter::Poly(f) => f,
    };
    if opaque {
        return Ok(imageops::resize(img, w, h, filter));
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
    Ok(out)
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
        "catmull-rom" => Filter::Poly(FilterType::CatmullRom),
        "triangle" => Filter::Poly(FilterType::Triangle),
        "nearest" => Filter::Poly(FilterType::Nearest),
        _ => Filter::Lanczos3,
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
    let prepared = prepared
        .map_err(|e| BuildError::new(at, format!("image `{}`: cannot scale: {e}", path.display())))?;
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

    #[test]
    fn lanczos_kernel_shape() {
        assert_eq!(lanczos3(0.0), 1.0);
        assert!(lanczos3(1.0).abs() < 1e-15 && lanczos3(-2.0).abs() < 1e-15);
        assert!(lanczos3(0.5) > 0.6 && lanczos3(1.5) < 0.0);
        assert_eq!(lanczos3(3.0), 0.0);
    }

    #[test]
    fn lanczos3_resamples_opaque_and_transparent_images() {
        // A hard black/white edge: lanczos rings (values beyond the neighbours' range are
        // clamped), and a transparent half does not bleed colour.
        let mut img = RgbaImage::new(16, 4);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = if x < 8 { ::image::Rgba([0, 0, 0, 255]) } else { ::image::Rgba([255, 255, 255, 255]) };
        }
        let out = resize(&img, 8, 2, Filter::Lanczos3).unwrap();
        assert_eq!(out.dimensions(), (8, 2));
        assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0, 255]);
        assert_eq!(out.get_pixel(7, 1).0, [255, 255, 255, 255]);
        assert!(out.get_pixel(3, 0)[0] < out.get_pixel(4, 0)[0]);
        for (x, _, p) in img.enumerate_pixels_mut() {
            if x < 8 {
                *p = ::image::Rgba([255, 0, 0, 0]);
            }
        }
        let out = resize(&img, 8, 2, Filter::Lanczos3).unwrap();
        for p in out.pixels() {
            assert!(p[3] == 0 || (p[1] > 200 && p[2] > 200), "no red bleeding: {p:?}");
        }
    }
}
