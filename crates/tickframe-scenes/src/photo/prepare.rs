//! Decoding one photo and fitting it to the display: the work the slideshow does off the display
//! thread (and, on a cache miss, on it).
//!
//! # Determinism
//! The prepared frame is a pure function of the file's bytes and the [`PrepareOptions`]:
//! decoding is integer (zune-jpeg, png, gif, bmp; plain colour JPEGs go to zune-jpeg directly,
//! with the options `image` would use), resampling is `fast_image_resize`'s
//! fixed-point u8 convolution, and its kernels are polynomial (catmull-rom, mitchell, bilinear)
//! or, for the default lanczos3, evaluated through `libm` (not the platform's `sin`), so the
//! weights are the same bits on every machine.

use std::io::Cursor;
use std::path::Path;

use fast_image_resize as fr;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use tickframe_core::{Frame, Rgba, Size, mul255};
use zune_core::colorspace::ColorSpace;

/// How a photo is fitted to the display.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum FitMode {
    /// The whole photo, as large as fits, centred; the rest is background (the default).
    #[default]
    Fit,
    /// Covers the display; the overflow is cropped equally from both sides.
    Fill,
    /// Like `Fit`, but never enlarged: small photos keep their size, centred.
    Shrink,
}

/// What fills the display around a fitted photo.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Background {
    /// A solid colour (made opaque).
    Color(Rgba),
    /// A blurred, darkened copy of the photo covering the display.
    Blur,
}

/// The resampling filter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum ResizeFilter {
    /// Lanczos, 3 lobes: the sharpest (the default). Its kernel is evaluated through `libm`, so
    /// it is identical on every machine.
    #[default]
    Lanczos3,
    /// Catmull-Rom bicubic: nearly as sharp, a polynomial kernel.
    CatmullRom,
    /// Mitchell-Netravali bicubic: softer, less ringing.
    Mitchell,
    /// Bilinear: fastest smooth filter, soft when shrinking a lot.
    Bilinear,
    /// Nearest neighbour: blocky; for pixel art.
    Nearest,
}

impl ResizeFilter {
    /// Scene-file names, in documentation order.
    pub const NAMES: [&'static str; 5] = ["lanczos3", "catmull-rom", "mitchell", "bilinear", "nearest"];

    /// The filter with this scene-file name.
    pub fn from_name(name: &str) -> Option<ResizeFilter> {
        Some(match name {
            "lanczos3" => ResizeFilter::Lanczos3,
            "catmull-rom" => ResizeFilter::CatmullRom,
            "mitchell" => ResizeFilter::Mitchell,
            "bilinear" => ResizeFilter::Bilinear,
            "nearest" => ResizeFilter::Nearest,
            _ => return None,
        })
    }

    fn alg(self) -> fr::ResizeAlg {
        use fr::{FilterType, ResizeAlg};
        match self {
            ResizeFilter::Lanczos3 => ResizeAlg::Convolution(FilterType::Custom(
                fr::Filter::new("lanczos3-libm", lanczos3, 3.0).expect("a finite positive support"),
            )),
            ResizeFilter::CatmullRom => ResizeAlg::Convolution(FilterType::CatmullRom),
            ResizeFilter::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            ResizeFilter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
            ResizeFilter::Nearest => ResizeAlg::Nearest,
        }
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let a = x * core::f64::consts::PI;
        libm::sin(a) / a
    }
}

/// The Lanczos-3 kernel through `libm` (bit-identical everywhere).
fn lanczos3(x: f64) -> f64 {
    let x = x.abs();
    if x < 3.0 { sinc(x) * sinc(x / 3.0) } else { 0.0 }
}

/// Everything that decides how a photo is prepared.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct PrepareOptions {
    /// The display size: every prepared frame has exactly this size.
    pub size: Size,
    /// How the photo is fitted (default [`FitMode::Fit`]).
    pub fit: FitMode,
    /// What fills the rest (default opaque black).
    pub background: Background,
    /// The resampling filter (default [`ResizeFilter::Lanczos3`]).
    pub filter: ResizeFilter,
    /// Photos with more pixels than this are refused before decoding (decompression bombs);
    /// default 100,000,000 (100 megapixels).
    pub max_pixels: u64,
    /// Decode a colour JPEG at 1/2, 1/4 or 1/8 of its size (DCT scaling) when the part shown
    /// is at least that many times larger than its target in both directions, then resample
    /// from there (default true). Much faster for large photos on small displays; the bytes
    /// differ from a full-size decode, but are the same on every machine.
    pub reduced_decode: bool,
}

impl PrepareOptions {
    /// The default limit on a photo's pixel count (100 megapixels).
    pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

    /// Defaults for a display of `size`.
    pub fn new(size: Size) -> PrepareOptions {
        PrepareOptions {
            size,
            fit: FitMode::Fit,
            background: Background::Color(Rgba::BLACK),
            filter: ResizeFilter::Lanczos3,
            max_pixels: PrepareOptions::DEFAULT_MAX_PIXELS,
            reduced_decode: true,
        }
    }
}

/// Why a photo could not be prepared.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{0}")]
pub struct PhotoError(pub String);

/// The decoder's limits for `max_pixels`: dimensions checked before decoding, and allocations
/// bounded to what such a photo needs.
fn limits(max_pixels: u64) -> Limits {
    let mut l = Limits::default();
    l.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    l
}

/// Opens a decoder for `bytes` and checks the size limit (reads only the headers).
pub(crate) fn open_decoder(
    bytes: &[u8],
    max_pixels: u64,
) -> Result<(image::ImageFormat, Box<dyn ImageDecoder + '_>), PhotoError> {
    let bad = |e: &dyn std::fmt::Display| PhotoError(format!("cannot decode: {e}"));
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(&e))?;
    let Some(format) = reader.format() else {
        return Err(PhotoError("not a JPEG, PNG, WebP, GIF, TIFF or BMP file".into()));
    };
    let mut decoder = reader.into_decoder().map_err(|e| bad(&e))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(PhotoError(format!(
            "{w}x{h} is more than the limit of {max_pixels} pixels (the slideshow's `max_megapixels`)"
        )));
    }
    if w == 0 || h == 0 {
        return Err(PhotoError(format!("empty image ({w}x{h})")));
    }
    decoder.set_limits(limits(max_pixels)).map_err(|e| bad(&e))?;
    Ok((format, Box::new(decoder)))
}

/// Decodes `bytes` (format from the content, EXIF orientation applied).
pub(crate) fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, PhotoError> {
    let (_, mut decoder) = open_decoder(bytes, max_pixels)?;
    let orientation = decoder.orientation().map_err(|e| PhotoError(format!("cannot decode: {e}")))?;
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| PhotoError(format!("cannot decode: {e}")))?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// `v · num / den`, rounded to nearest, at least 1.
fn ratio(v: u32, num: u32, den: u32) -> u32 {
    ((u64::from(v) * u64::from(num) * 2 + u64::from(den)) / (u64::from(den) * 2)).max(1) as u32
}

/// Resamples the `crop` rectangle (left, top, width, height; fractional) of a `w × h` image of
/// `pt` pixels to a new `tw × th` image, with this `resizer` (its CPU extension: the best the
/// CPU has, unless set; every one gives the same bytes, see the tests).
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
fn resize_with(
    resizer: &mut fr::Resizer,
    buf: &[u8],
    (w, h): (u32, u32),
    pt: fr::PixelType,
    crop: (f64, f64, f64, f64),
    (tw, th): (u32, u32),
    alg: fr::ResizeAlg,
) -> Result<Vec<u8>, PhotoError> {
    let mut out = vec![0; tw as usize * th as usize * pt.size()];
    let mut dst = fr::images::Image::from_slice_u8(tw, th, &mut out, pt)
        .map_err(|e| PhotoError(format!("cannot scale: {e}")))?;
    resize_into(resizer, buf, (w, h), pt, true, crop, &mut dst, alg)?;
    Ok(out)
}

/// Resamples the `crop` rectangle of a `w × h` image of `pt` pixels into all of `dst` (same
/// pixel type). With `use_alpha` false a 4-byte pixel's fourth byte is filtered like the other
/// three, which then get exactly the bytes a 3-byte (RGB) resize gives them (see the tests).
#[allow(clippy::too_many_arguments)]
fn resize_into(
    resizer: &mut fr::Resizer,
    buf: &[u8],
    (w, h): (u32, u32),
    pt: fr::PixelType,
    use_alpha: bool,
    crop: (f64, f64, f64, f64),
    dst: &mut impl fr::IntoImageViewMut,
    alg: fr::ResizeAlg,
) -> Result<(), PhotoError> {
    let bad = |e: &dyn std::fmt::Display| PhotoError(format!("cannot scale: {e}"));
    let src = fr::images::ImageRef::new(w, h, buf, pt).map_err(|e| bad(&e))?;
    let opts =
        fr::ResizeOptions::new().resize_alg(alg).crop(crop.0, crop.1, crop.2, crop.3).use_alpha(use_alpha);
    resizer.resize(&src, dst, &opts).map_err(|e| bad(&e))
}

/// The centred crop of an `iw × ih` image with the aspect ratio of `w × h`.
fn cover_crop(iw: u32, ih: u32, w: u32, h: u32) -> (f64, f64, f64, f64) {
    let (iw, ih, w, h) = (f64::from(iw), f64::from(ih), f64::from(w), f64::from(h));
    if iw * h > ih * w {
        let cw = ih * w / h;
        ((iw - cw) / 2.0, 0.0, cw, ih)
    } else {
        let ch = iw * h / w;
        (0.0, (ih - ch) / 2.0, iw, ch)
    }
}

/// What a photo-preparing thread keeps from one photo to the next, so that preparing photos
/// one after another reuses memory instead of faulting in fresh pages each time: the decoded
/// pixels of the last JPEG (as large as the largest photo seen, dropped after a photo that
/// needed more than [`PhotoScratch::MAX_KEPT_BYTES`]), one resampler with its work buffers,
/// and at most one frame given back with [`PhotoScratch::recycle`] for the next photo to be
/// built in.
///
/// The result never depends on what the scratch held before: every byte read is written
/// first.
pub struct PhotoScratch {
    /// Decoded RGBA bytes of the last plain JPEG; only the first `4 × width × height` bytes of
    /// the current photo are read.
    decoded: Vec<u8>,
    resizer: fr::Resizer,
    /// A frame no longer needed, overwritten by the next photo.
    spare: Option<Frame>,
}

impl Default for PhotoScratch {
    fn default() -> PhotoScratch {
        PhotoScratch::new()
    }
}

impl std::fmt::Debug for PhotoScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhotoScratch({} bytes kept)", self.decoded.capacity())
    }
}

impl PhotoScratch {
    /// The most decode memory kept between photos: 64 MiB, a 16-megapixel photo in RGBA.
    /// Larger photos (up to `max_pixels`) still decode; their buffer is freed afterwards.
    pub const MAX_KEPT_BYTES: usize = 64 << 20;

    /// An empty scratch (allocates nothing until the first photo).
    pub fn new() -> PhotoScratch {
        PhotoScratch { decoded: Vec::new(), resizer: fr::Resizer::new(), spare: None }
    }

    /// Gives back a prepared frame nobody holds any more: the next photo is built in its
    /// memory (its old pixels are all overwritten). One is kept; another replaces it.
    pub fn recycle(&mut self, frame: Frame) {
        self.spare = Some(frame);
    }

    /// Frees what is over the cap.
    fn trim(&mut self) {
        if self.decoded.capacity() > PhotoScratch::MAX_KEPT_BYTES {
            self.decoded = Vec::new();
        }
    }
}

/// Decodes and fits a photo held in memory.
///
/// # Errors
/// Unknown format, corrupt or truncated data (a JPEG's scans are walked to their last block:
/// decoders would fill a short one with grey), or more pixels than `opts.max_pixels`.
pub fn prepare_photo_bytes(bytes: &[u8], opts: &PrepareOptions) -> Result<Frame, PhotoError> {
    prepare_photo_bytes_with(&mut PhotoScratch::new(), bytes, opts)
}

/// [`prepare_photo_bytes`] reusing `scratch`'s memory (the same bytes out, faster for a
/// thread preparing many photos).
///
/// # Errors
/// As [`prepare_photo_bytes`].
pub fn prepare_photo_bytes_with(
    scratch: &mut PhotoScratch,
    bytes: &[u8],
    opts: &PrepareOptions,
) -> Result<Frame, PhotoError> {
    prepare_with(scratch, bytes, opts, false)
}

/// [`prepare_photo_bytes_with`] for bytes that were prepared successfully before: the JPEG
/// completeness walk (a second pass over the entropy-coded data, about a quarter of a photo's
/// time), which they passed, is skipped; the frame is the same. The slideshow uses it when it
/// prepares a photo again after an eviction and the file's bytes hash as when first read.
///
/// # Errors
/// As [`prepare_photo_bytes`], except that a JPEG whose scan ends early is not refused.
pub fn prepare_verified_photo_bytes_with(
    scratch: &mut PhotoScratch,
    bytes: &[u8],
    opts: &PrepareOptions,
) -> Result<Frame, PhotoError> {
    prepare_with(scratch, bytes, opts, true)
}

fn prepare_with(
    scratch: &mut PhotoScratch,
    bytes: &[u8],
    opts: &PrepareOptions,
    verified: bool,
) -> Result<Frame, PhotoError> {
    if !verified && bytes.starts_with(&[0xFF, 0xD8]) {
        // Decoders show a JPEG whose scan ends early as grey: refuse it instead.
        super::jpeg_check::check(bytes).map_err(PhotoError)?;
    }
    if let Some((iw, ih)) = plain_jpeg_size(bytes, opts.max_pixels) {
        let d = if opts.reduced_decode { reduction(iw, ih, opts) } else { 1 };
        if d > 1
            && let Some((buf, dims)) = decode_jpeg_reduced(bytes, (iw, ih), d)
        {
            let PhotoScratch { resizer, spare, .. } = scratch;
            return fit_pixels(resizer, spare, &buf, dims, (iw, ih), d, Layout::Rgb, opts);
        }
        let n = iw as usize * ih as usize * 4;
        if scratch.decoded.len() < n {
            scratch.decoded.resize(n, 0);
        }
        let decoded = decode_plain_jpeg_into(bytes, ColorSpace::RGBA, &mut scratch.decoded[..n]);
        if decoded.is_some() {
            let PhotoScratch { decoded, resizer, spare } = scratch;
            let dims = (iw, ih);
            let frame = fit_pixels(resizer, spare, &decoded[..n], dims, dims, 1, Layout::Rgbx, opts);
            scratch.trim();
            return frame;
        }
        scratch.trim();
    }
    let img = decode(bytes, opts.max_pixels)?;
    fit_image(&mut scratch.resizer, &mut scratch.spare, &img, opts)
}

/// The zune-jpeg options `image` uses, with RGB output.
fn zune_options() -> zune_core::options::DecoderOptions {
    zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB)
        .set_strict_mode(false)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
}

/// The size of the common photo: a colour (YCbCr or RGB) JPEG without an EXIF rotation, within
/// the pixel limit (headers only). `None` for anything else, or on any problem, so the general
/// path decides (and words the error).
fn plain_jpeg_size(bytes: &[u8], max_pixels: u64) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return None;
    }
    let mut decoder =
        zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(bytes), zune_options());
    decoder.decode_headers().ok()?;
    let (w, h) = decoder.dimensions()?;
    let (w, h) = (u32::try_from(w).ok()?, u32::try_from(h).ok()?);
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > max_pixels {
        return None;
    }
    if !matches!(decoder.input_colorspace()?, ColorSpace::YCbCr | ColorSpace::RGB) {
        return None;
    }
    let rotated = decoder.exif().and_then(|e| image::metadata::Orientation::from_exif_chunk(e));
    if rotated.is_some_and(|o| o != image::metadata::Orientation::NoTransforms) {
        return None;
    }
    Some((w, h))
}

/// A plain colour JPEG (see [`plain_jpeg_size`]) decoded straight into RGB by zune-jpeg with the
/// very options `image` uses for it (so the same bytes), without `image`'s extra copies and
/// header passes.
#[cfg(test)]
fn decode_plain_jpeg(bytes: &[u8], (w, h): (u32, u32)) -> Option<Vec<u8>> {
    let mut buf = vec![0; w as usize * h as usize * 3];
    decode_plain_jpeg_into(bytes, ColorSpace::RGB, &mut buf)?;
    Some(buf)
}

/// [`decode_plain_jpeg`] into `out` (exactly the decoded size: `width × height ×` the bytes of
/// `cs`, RGB or RGBA; with RGBA every fourth byte is 255 and the others are those of RGB).
/// Every byte of `out` is written. `None` on any problem.
fn decode_plain_jpeg_into(bytes: &[u8], cs: ColorSpace, out: &mut [u8]) -> Option<()> {
    let options = zune_options().jpeg_set_out_colorspace(cs);
    let mut decoder =
        zune_jpeg::JpegDecoder::new_with_options(zune_core::bytestream::ZCursor::new(bytes), options);
    decoder.decode_headers().ok()?;
    if decoder.output_buffer_size()? != out.len() {
        return None;
    }
    decoder.decode_into(out).ok()
}

/// How many times smaller (1, 2, 4 or 8) a photo of `iw × ih` can be decoded and still be at
/// least as large as its target in both directions, in the part shown.
pub(crate) fn reduction(iw: u32, ih: u32, opts: &PrepareOptions) -> u32 {
    let ((_, _, cw, ch), (tw, th)) = layout_of(iw, ih, opts);
    [8u32, 4, 2].into_iter().find(|&d| cw >= f64::from(d * tw) && ch >= f64::from(d * th)).unwrap_or(1)
}

/// A plain colour JPEG of `iw × ih` decoded at 1/`d` of its size by jpeg-decoder's DCT scaling
/// (integer IDCTs of 4×4, 2×2 or 1×1 samples per block, scalar code only), as RGB with its
/// size: `ceil(iw / d) × ceil(ih / d)`. `None` on any problem (the full-size path decides).
fn decode_jpeg_reduced(bytes: &[u8], (iw, ih): (u32, u32), d: u32) -> Option<(Vec<u8>, (u32, u32))> {
    let (rw, rh) = (iw.div_ceil(d), ih.div_ceil(d));
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let (w, h) = decoder.scale(u16::try_from(rw).ok()?, u16::try_from(rh).ok()?).ok()?;
    if (u32::from(w), u32::from(h)) != (rw, rh) {
        return None;
    }
    let info = decoder.info()?;
    if info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
        return None;
    }
    let buf = decoder.decode().ok()?;
    (buf.len() == rw as usize * rh as usize * 3).then_some((buf, (rw, rh)))
}

/// Reads, decodes and fits the photo at `path` (see [`prepare_photo_bytes`]).
///
/// # Errors
/// Unreadable file, or see [`prepare_photo_bytes`].
pub fn prepare_photo(path: &Path, opts: &PrepareOptions) -> Result<Frame, PhotoError> {
    let bytes = std::fs::read(path).map_err(|e| PhotoError(format!("cannot read: {e}")))?;
    prepare_photo_bytes(&bytes, opts)
}

/// Fits a decoded image to the display as `opts` say.
fn fit_image(
    resizer: &mut fr::Resizer,
    spare: &mut Option<Frame>,
    img: &DynamicImage,
    opts: &PrepareOptions,
) -> Result<Frame, PhotoError> {
    let (iw, ih) = (img.width(), img.height());
    let alpha = img.color().has_alpha();
    // Borrow the pixels when they already are 8-bit RGB(A).
    let owned;
    let buf: &[u8] = match (alpha, img) {
        (false, DynamicImage::ImageRgb8(i)) => i.as_raw(),
        (true, DynamicImage::ImageRgba8(i)) => i.as_raw(),
        (false, _) => {
            owned = img.to_rgb8().into_raw();
            &owned
        }
        (true, _) => {
            owned = img.to_rgba8().into_raw();
            &owned
        }
    };
    let layout = if alpha { Layout::Rgba } else { Layout::Rgb };
    fit_pixels(resizer, spare, buf, (iw, ih), (iw, ih), 1, layout, opts)
}

/// The part of an `iw × ih` photo shown (left, top, width, height; fractional) and the size it
/// is resampled to, as `opts` say.
#[allow(clippy::type_complexity)]
fn layout_of(iw: u32, ih: u32, opts: &PrepareOptions) -> ((f64, f64, f64, f64), (u32, u32)) {
    let (w, h) = (opts.size.width(), opts.size.height());
    let whole = (0.0, 0.0, f64::from(iw), f64::from(ih));
    let wider = u64::from(iw) * u64::from(h) > u64::from(ih) * u64::from(w);
    let fitted = if wider { (w, ratio(ih, w, iw).min(h)) } else { (ratio(iw, h, ih).min(w), h) };
    match opts.fit {
        FitMode::Fill => (cover_crop(iw, ih, w, h), (w, h)),
        FitMode::Shrink if iw <= w && ih <= h => (whole, (iw, ih)),
        _ => (whole, fitted),
    }
}

/// How decoded pixels are laid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// 3 bytes a pixel: R, G, B.
    Rgb,
    /// 4 bytes a pixel: R, G, B and a fourth byte that is ignored (the photo is opaque): scaled
    /// straight into the frame, its alpha set to 255 afterwards.
    Rgbx,
    /// 4 bytes a pixel, straight alpha: scaled with the alpha weighting, then drawn over the
    /// background.
    Rgba,
}

impl Layout {
    fn pixel_type(self) -> fr::PixelType {
        if self == Layout::Rgb { fr::PixelType::U8x3 } else { fr::PixelType::U8x4 }
    }
}

/// Fits a photo of `iw × ih` pixels to the display as `opts` say, from bytes of it decoded at
/// 1/`d` of its size (`bw × bh` pixels: `ceil(iw / d)` × `ceil(ih / d)`; `d` = 1 for the full
/// size), laid out as `layout` says; built in `spare`'s memory when there is one.
#[allow(clippy::too_many_arguments)]
fn fit_pixels(
    resizer: &mut fr::Resizer,
    spare: &mut Option<Frame>,
    buf: &[u8],
    (bw, bh): (u32, u32),
    (iw, ih): (u32, u32),
    d: u32,
    layout: Layout,
    opts: &PrepareOptions,
) -> Result<Frame, PhotoError> {
    let bad = |e: &dyn std::fmt::Display| PhotoError(format!("cannot scale: {e}"));
    let (w, h) = (opts.size.width(), opts.size.height());
    let pt = layout.pixel_type();
    let n = pt.size();
    let whole = (0.0, 0.0, f64::from(iw), f64::from(ih));
    let (crop, (tw, th)) = layout_of(iw, ih, opts);
    // The shown part in the decoded pixels: reduced pixel i covers photo pixels [i·d, (i+1)·d).
    let k = f64::from(d);
    let crop_in_buf = (crop.0 / k, crop.1 / k, crop.2 / k, crop.3 / k);
    let (iw, ih) = (bw, bh);
    let same = d == 1 && (tw, th) == (iw, ih) && crop == whole;
    let alg = opts.filter.alg();
    // Every pixel is written below (the background, then the photo over it; or the photo
    // alone when it covers the display), so a recycled frame's old pixels never show; only a
    // photo with alpha is drawn over what is there, opaque black as in a new frame.
    let mut frame = match spare.take() {
        Some(mut f) => {
            f.resize(opts.size);
            if layout == Layout::Rgba {
                f.fill(Rgba::BLACK);
            }
            f
        }
        None => Frame::new(opts.size),
    };
    if (tw, th) != (w, h) {
        match opts.background {
            Background::Color(c) => frame.fill(c.with_alpha(255)),
            Background::Blur => {
                // Cover the display at 1/32 of its size (bilinear averages), then enlarge smoothly.
                let (sw, sh) = ((w / 32).max(1), (h / 32).max(1));
                let use_alpha = layout == Layout::Rgba;
                let mut small = vec![0; sw as usize * sh as usize * n];
                let mut dst =
                    fr::images::Image::from_slice_u8(sw, sh, &mut small, pt).map_err(|e| bad(&e))?;
                let bilinear = ResizeFilter::Bilinear.alg();
                resize_into(
                    resizer,
                    buf,
                    (iw, ih),
                    pt,
                    use_alpha,
                    cover_crop(iw, ih, sw, sh),
                    &mut dst,
                    bilinear,
                )?;
                let mut big = vec![0; w as usize * h as usize * n];
                let mut dst = fr::images::Image::from_slice_u8(w, h, &mut big, pt).map_err(|e| bad(&e))?;
                let small_whole = (0.0, 0.0, f64::from(sw), f64::from(sh));
                let catmull = ResizeFilter::CatmullRom.alg();
                resize_into(resizer, &small, (sw, sh), pt, use_alpha, small_whole, &mut dst, catmull)?;
                for (d, s) in frame.pixels_mut().iter_mut().zip(big.chunks_exact(n)) {
                    // Darkened to 60 %, so the photo stands out.
                    let dim = |v: u8| mul255(u32::from(v), 153) as u8;
                    *d = Rgba::rgb(dim(s[0]), dim(s[1]), dim(s[2]));
                }
            }
        }
    }
    let (x0, y0) = ((w - tw) / 2, (h - th) / 2);
    let stride = w as usize;
    if layout == Layout::Rgbx {
        // Scale straight into the frame (no intermediate image, no conversion pass).
        if same {
            let px = frame.pixels_mut();
            for (y, row) in buf.chunks_exact(tw as usize * 4).enumerate() {
                let start = (y0 as usize + y) * stride + x0 as usize;
                let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut px[start..start + tw as usize]);
                dst.copy_from_slice(row);
            }
        } else {
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(frame.pixels_mut());
            let mut whole_frame = fr::images::Image::from_slice_u8(w, h, bytes, pt).map_err(|e| bad(&e))?;
            let mut dst =
                fr::images::CroppedImageMut::new(&mut whole_frame, x0, y0, tw, th).map_err(|e| bad(&e))?;
            resize_into(resizer, buf, (iw, ih), pt, false, crop_in_buf, &mut dst, alg)?;
        }
        let px = frame.pixels_mut();
        for y in 0..th as usize {
            let start = (y0 as usize + y) * stride + x0 as usize;
            for p in &mut px[start..start + tw as usize] {
                p.a = 255;
            }
        }
        return Ok(frame);
    }
    let mut resized;
    let scaled: &[u8] = if same {
        buf
    } else {
        resized = vec![0; tw as usize * th as usize * n];
        let mut dst = fr::images::Image::from_slice_u8(tw, th, &mut resized, pt).map_err(|e| bad(&e))?;
        resize_into(resizer, buf, (iw, ih), pt, true, crop_in_buf, &mut dst, alg)?;
        &resized
    };
    let px = frame.pixels_mut();
    for (y, row) in scaled.chunks_exact(tw as usize * n).enumerate() {
        let start = (y0 as usize + y) * stride + x0 as usize;
        let dst = &mut px[start..start + tw as usize];
        if layout == Layout::Rgba {
            for (d, s) in dst.iter_mut().zip(row.chunks_exact(4)) {
                *d = Rgba::new(s[0], s[1], s[2], s[3]).over(*d, 255);
            }
        } else {
            for (d, s) in dst.iter_mut().zip(row.chunks_exact(3)) {
                *d = Rgba::rgb(s[0], s[1], s[2]);
            }
        }
    }
    if layout == Layout::Rgba {
        // Transparent photo pixels over a transparent background: make the frame opaque.
        for p in frame.pixels_mut() {
            *p = p.over(Rgba::BLACK, 255);
        }
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanczos_kernel_shape() {
        assert_eq!(lanczos3(0.0), 1.0);
        assert!(lanczos3(1.0).abs() < 1e-15);
        assert_eq!(lanczos3(3.5), 0.0);
    }

    /// Bytes that look like noise: an integer hash of the index (no RNG state).
    fn noise(len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| {
                let x = (i ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                (x ^ (x >> 29)).wrapping_mul(0x94D0_49BB_1331_11EB).to_le_bytes()[7]
            })
            .collect()
    }

    /// The SIMD extensions this CPU has, scalar (`None`) first.
    fn cpu_extensions() -> Vec<fr::CpuExtensions> {
        use fr::CpuExtensions as E;
        let all = [
            E::None,
            #[cfg(target_arch = "x86_64")]
            E::Sse4_1,
            #[cfg(target_arch = "x86_64")]
            E::Avx2,
            #[cfg(target_arch = "aarch64")]
            E::Neon,
            #[cfg(target_arch = "wasm32")]
            E::Simd128,
        ];
        all.into_iter().filter(|e| e.is_supported()).collect()
    }

    /// Traces must verify on other machines: fast_image_resize's SIMD paths (SSE4.1, AVX2,
    /// NEON) must give the very bytes of its scalar path, for every filter, pixel layout
    /// (RGB; RGBA with its alpha multiply and divide) and kind of crop the slideshow uses.
    #[test]
    #[allow(unsafe_code)]
    fn every_cpu_extension_resizes_to_the_same_bytes() {
        let extensions = cpu_extensions();
        eprintln!("comparing {extensions:?}");
        // (source size, crop, target size): shrink with a fractional crop (fill), shrink
        // whole (fit), enlarge, odd sizes, the blur's 1/32 and its enlargement.
        let cases = [
            ((203, 117), cover_crop(203, 117, 64, 48), (64, 48)),
            ((203, 117), (0.0, 0.0, 203.0, 117.0), (150, 86)),
            ((37, 23), (0.0, 0.0, 37.0, 23.0), (120, 75)),
            ((640, 360), cover_crop(640, 360, 20, 11), (20, 11)),
            ((9, 7), (0.0, 0.0, 9.0, 7.0), (255, 131)),
        ];
        for pt in [fr::PixelType::U8x3, fr::PixelType::U8x4] {
            for name in ResizeFilter::NAMES {
                let alg = ResizeFilter::from_name(name).unwrap().alg();
                for &((w, h), crop, target) in &cases {
                    let src = noise(w as usize * h as usize * pt.size());
                    let mut reference = None;
                    for &ext in &extensions {
                        let mut resizer = fr::Resizer::new();
                        // SAFETY: `cpu_extensions` lists only extensions this CPU supports.
                        unsafe { resizer.set_cpu_extensions(ext) };
                        let out = resize_with(&mut resizer, &src, (w, h), pt, crop, target, alg).unwrap();
                        match &reference {
                            None => reference = Some(out),
                            Some(r) => assert!(
                                *r == out,
                                "{ext:?} differs from scalar: {pt:?} {name} {w}x{h} -> {target:?}"
                            ),
                        }
                    }
                }
            }
        }
    }

    /// JPEGs in each layout zune-jpeg has a SIMD path for (IDCT, YCbCr to RGB, chroma
    /// upsampling): 4:4:4, 4:2:0, 4:2:2, progressive, with restart markers; made with Pillow.
    const JPEGS: [(&str, &[u8]); 5] = [
        ("444", include_bytes!("../../../../examples/assets/photos/03-tower.jpg")),
        ("420", include_bytes!("testdata/420.jpg")),
        ("422", include_bytes!("testdata/422.jpg")),
        ("420-progressive", include_bytes!("testdata/420-progressive.jpg")),
        ("420-restart", include_bytes!("testdata/420-restart.jpg")),
    ];

    /// zune-jpeg picks its SIMD paths at run time (AVX2, NEON) and has no switch to turn them
    /// off (`set_use_unsafe(false)` leaves AVX2 on), so it cannot be compared with its scalar
    /// path in one run. Instead the decoded bytes are pinned (XXH3-64, recorded on x86_64 with
    /// AVX2): a machine whose decoder takes another path and gets other bytes fails here.
    #[test]
    fn jpeg_decoding_gives_the_recorded_bytes() {
        let expected: [u64; 5] = [
            0x7fd7_d721_d20b_6770,
            0x883b_afbf_a791_f7c6,
            0x72e3_1be1_3f43_86bc,
            // The same coefficients as the baseline 4:2:0 file, so the same pixels.
            0x883b_afbf_a791_f7c6,
            0x883b_afbf_a791_f7c6,
        ];
        for ((name, bytes), want) in JPEGS.iter().zip(expected) {
            assert_eq!(super::super::jpeg_check::check(bytes), Ok(()), "{name}");
            let (w, h) = plain_jpeg_size(bytes, u64::MAX).expect(name);
            let rgb = decode_plain_jpeg(bytes, (w, h)).expect(name);
            let got = xxhash_rust::xxh3::xxh3_64(&rgb);
            assert_eq!(got, want, "{name} ({w}x{h}) decodes to other bytes than recorded");
        }
    }

    /// Bytes prepared once before give the same frame without the completeness walk; only the
    /// unverified path refuses a cut file.
    #[test]
    fn verified_bytes_prepare_to_the_same_frame_without_the_walk() {
        let opts = |fit| PrepareOptions {
            size: Size::new(96, 54).unwrap(),
            fit,
            background: Background::Blur,
            filter: ResizeFilter::Lanczos3,
            max_pixels: u64::MAX,
            reduced_decode: true,
        };
        let mut scratch = PhotoScratch::new();
        for (name, bytes) in JPEGS {
            for fit in [FitMode::Fit, FitMode::Fill] {
                let o = opts(fit);
                let checked = prepare_photo_bytes_with(&mut scratch, bytes, &o).expect(name);
                let verified = prepare_verified_photo_bytes_with(&mut scratch, bytes, &o).expect(name);
                assert!(checked.pixels() == verified.pixels(), "{name} {fit:?}");
            }
            let first_scan = bytes.windows(2).position(|p| p == [0xFF, 0xDA]).unwrap();
            let mut cut = bytes[..first_scan + (bytes.len() - first_scan) / 2].to_vec();
            cut.extend_from_slice(&[0xFF, 0xD9]);
            assert!(prepare_photo_bytes_with(&mut scratch, &cut, &opts(FitMode::Fit)).is_err(), "{name}");
        }
    }

    #[test]
    fn cuts_of_progressive_and_restart_jpegs_are_found() {
        for (name, good) in JPEGS {
            let step = good.len() / 97;
            let first_scan = good.windows(2).position(|p| p == [0xFF, 0xDA]).unwrap();
            for cut in (first_scan + 8..good.len() - 4).step_by(step) {
                let mut t = good[..cut].to_vec();
                t.extend_from_slice(&[0xFF, 0xD9]);
                let e = super::super::jpeg_check::check(&t).expect_err(name);
                assert!(e.contains("truncated"), "{name} cut at {cut}: {e}");
            }
        }
    }

    /// zune-jpeg's RGBA output is its RGB output with a 255 after each pixel, and
    /// `decode_into` writes every byte (a reused buffer's old contents never show through).
    #[test]
    fn rgba_decode_into_a_dirty_buffer_is_rgb_plus_opaque_alpha() {
        for (name, bytes) in JPEGS {
            let (w, h) = plain_jpeg_size(bytes, u64::MAX).expect(name);
            let rgb = decode_plain_jpeg(bytes, (w, h)).expect(name);
            let n = w as usize * h as usize * 4;
            let mut zeros = vec![0u8; n];
            let mut ones = vec![0xFFu8; n];
            decode_plain_jpeg_into(bytes, ColorSpace::RGBA, &mut zeros).expect(name);
            decode_plain_jpeg_into(bytes, ColorSpace::RGBA, &mut ones).expect(name);
            assert!(zeros == ones, "{name}: decode_into left bytes unwritten");
            for (i, (a, b)) in zeros.chunks_exact(4).zip(rgb.chunks_exact(3)).enumerate() {
                assert_eq!((&a[..3], a[3]), (b, 255), "{name}: pixel {i}");
            }
            // A buffer of the wrong size is refused, not half filled.
            assert!(decode_plain_jpeg_into(bytes, ColorSpace::RGBA, &mut zeros[..n - 4]).is_none());
        }
    }

    /// The options a slideshow can have, on a display of `w × h`.
    fn option_cases(w: u32, h: u32) -> Vec<PrepareOptions> {
        let base = PrepareOptions { reduced_decode: false, ..PrepareOptions::new(Size::new(w, h).unwrap()) };
        let mut v = Vec::new();
        for fit in [FitMode::Fill, FitMode::Fit, FitMode::Shrink] {
            for background in [Background::Color(Rgba::new(10, 20, 30, 0)), Background::Blur] {
                for name in ResizeFilter::NAMES {
                    let filter = ResizeFilter::from_name(name).unwrap();
                    v.push(PrepareOptions { fit, background, filter, ..base });
                }
            }
        }
        v
    }

    /// Decoding to RGBA and scaling straight into the frame gives the bytes of the RGB path
    /// (decode to RGB, scale as 3-byte pixels, copy into the frame), with alpha 255, for
    /// every fit, background and filter, shrinking and enlarging, whole and cropped.
    #[test]
    fn scaling_straight_into_the_frame_gives_the_rgb_path_bytes() {
        for (name, bytes) in JPEGS {
            let (iw, ih) = plain_jpeg_size(bytes, u64::MAX).expect(name);
            let rgb = decode_plain_jpeg(bytes, (iw, ih)).expect(name);
            let sizes = [(iw / 3, ih / 3), (iw / 2 + 7, ih / 4 + 3), (iw, ih), (iw * 2 - 5, ih * 2 - 1)];
            for (w, h) in sizes {
                for opts in option_cases(w, h) {
                    let mut resizer = fr::Resizer::new();
                    let want =
                        fit_pixels(&mut resizer, &mut None, &rgb, (iw, ih), (iw, ih), 1, Layout::Rgb, &opts)
                            .unwrap();
                    let got = prepare_photo_bytes(bytes, &opts).unwrap();
                    assert!(got.pixels().iter().all(|p| p.a == 255), "{name} {w}x{h} {opts:?}");
                    assert!(got == want, "{name} {w}x{h} {opts:?}: the frame-direct path differs");
                }
            }
        }
    }

    /// One scratch used for photos of different sizes, large then small then large, gives the
    /// frames of a fresh scratch each time.
    #[test]
    fn a_reused_scratch_gives_the_frames_of_a_fresh_one() {
        let mut scratch = PhotoScratch::new();
        // A PNG with alpha too (the general decoder, drawn over the background).
        let mut png = Vec::new();
        let img =
            image::RgbaImage::from_fn(120, 80, |x, y| image::Rgba([x as u8, y as u8, 200, (x * 2) as u8]));
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let mut photos: Vec<(&str, &[u8])> = JPEGS.iter().chain(JPEGS.iter().rev()).copied().collect();
        photos.insert(3, ("alpha-png", &png));
        let opts = [
            PrepareOptions { fit: FitMode::Fill, ..PrepareOptions::new(Size::new(96, 54).unwrap()) },
            PrepareOptions {
                background: Background::Blur,
                ..PrepareOptions::new(Size::new(70, 90).unwrap())
            },
        ];
        for round in 0..2 {
            for &(name, bytes) in &photos {
                for o in &opts {
                    let reused = prepare_photo_bytes_with(&mut scratch, bytes, o).unwrap();
                    let fresh = prepare_photo_bytes(bytes, o).unwrap();
                    assert!(reused == fresh, "{name} round {round} {o:?}");
                    // Given back dirty (and in the other size): nothing of it may show.
                    let mut dirty = reused;
                    dirty.fill(Rgba::new(1, 2, 3, 4));
                    scratch.recycle(dirty);
                }
            }
        }
        assert!(scratch.decoded.capacity() <= PhotoScratch::MAX_KEPT_BYTES);
    }

    #[test]
    fn crops_keep_the_display_aspect() {
        assert_eq!(cover_crop(400, 100, 200, 100), (100.0, 0.0, 200.0, 100.0));
        assert_eq!(cover_crop(100, 400, 100, 100), (0.0, 150.0, 100.0, 100.0));
    }
}
