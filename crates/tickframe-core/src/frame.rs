//! Owned frames and borrowed views of RGBA8 pixels.

use crate::{Rgba, Size};

/// An owned RGBA8 frame: `width × height` pixels, row-major, no padding between rows.
///
/// Reuse one `Frame` for many renders: [`Frame::resize`] keeps the allocation when it is large
/// enough, so steady-state rendering allocates nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    size: Size,
    pixels: Vec<Rgba>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({})", self.size)
    }
}

impl Frame {
    /// A frame of `size` filled with opaque black.
    pub fn new(size: Size) -> Frame {
        Frame { size, pixels: vec![Rgba::BLACK; size.area()] }
    }

    /// A frame from pixels in row-major order.
    ///
    /// # Errors
    /// Gives the pixels back when their count is not `size.area()`.
    pub fn from_pixels(size: Size, pixels: Vec<Rgba>) -> Result<Frame, Vec<Rgba>> {
        if pixels.len() == size.area() { Ok(Frame { size, pixels }) } else { Err(pixels) }
    }

    /// A frame from RGBA bytes in row-major order (4 bytes a pixel).
    ///
    /// # Errors
    /// `None` when the byte count is not `4 × size.area()`.
    pub fn from_rgba_bytes(size: Size, bytes: &[u8]) -> Option<Frame> {
        (bytes.len() == size.area() * 4).then(|| Frame { size, pixels: bytemuck::cast_slice(bytes).to_vec() })
    }

    /// Changes the size, keeping the allocation when it is large enough. Pixel contents are
    /// unspecified afterwards (renderers overwrite or clear them).
    pub fn resize(&mut self, size: Size) {
        self.size = size;
        self.pixels.resize(size.area(), Rgba::BLACK);
    }

    /// The frame's size.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.size.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.size.height()
    }

    /// A borrowed, read-only view.
    pub fn view(&self) -> FrameRef<'_> {
        FrameRef { size: self.size, pixels: &self.pixels }
    }

    /// A borrowed, writable view.
    pub fn view_mut(&mut self) -> FrameMut<'_> {
        FrameMut { size: self.size, pixels: &mut self.pixels }
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &[Rgba] {
        &self.pixels
    }

    /// All pixels, row-major, writable.
    pub fn pixels_mut(&mut self) -> &mut [Rgba] {
        &mut self.pixels
    }

    /// The pixels as RGBA bytes.
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.pixels)
    }

    /// The pixel at `(x, y)`, or `None` outside the frame.
    pub fn get(&self, x: u32, y: u32) -> Option<Rgba> {
        self.view().get(x, y)
    }

    /// Sets every pixel to `color`.
    pub fn fill(&mut self, color: Rgba) {
        self.pixels.fill(color);
    }
}

/// A read-only view of `width × height` RGBA8 pixels, row-major.
#[derive(Clone, Copy, Debug)]
pub struct FrameRef<'a> {
    size: Size,
    pixels: &'a [Rgba],
}

impl<'a> FrameRef<'a> {
    /// A view over borrowed pixels; `None` when the count is not `size.area()`.
    pub fn new(size: Size, pixels: &'a [Rgba]) -> Option<FrameRef<'a>> {
        (pixels.len() == size.area()).then_some(FrameRef { size, pixels })
    }

    /// The view's size.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.size.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.size.height()
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &'a [Rgba] {
        self.pixels
    }

    /// Row `y`. Panics when `y >= height`.
    pub fn row(&self, y: u32) -> &'a [Rgba] {
        let w = self.size.width() as usize;
        &self.pixels[y as usize * w..(y as usize + 1) * w]
    }

    /// The pixel at `(x, y)`, or `None` outside.
    pub fn get(&self, x: u32, y: u32) -> Option<Rgba> {
        (x < self.width() && y < self.height())
            .then(|| self.pixels[y as usize * self.width() as usize + x as usize])
    }

    /// The pixels as RGBA bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        bytemuck::cast_slice(self.pixels)
    }

    /// An owned copy.
    pub fn to_frame(&self) -> Frame {
        Frame { size: self.size, pixels: self.pixels.to_vec() }
    }
}

/// A writable view of `width × height` RGBA8 pixels, row-major: for example an output's own
/// buffer that a scene renders into directly.
#[derive(Debug)]
pub struct FrameMut<'a> {
    size: Size,
    pixels: &'a mut [Rgba],
}

impl<'a> FrameMut<'a> {
    /// A view over borrowed pixels; `None` when the count is not `size.area()`.
    pub fn new(size: Size, pixels: &'a mut [Rgba]) -> Option<FrameMut<'a>> {
        (pixels.len() == size.area()).then_some(FrameMut { size, pixels })
    }

    /// The view's size.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.size.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.size.height()
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &[Rgba] {
        self.pixels
    }

    /// All pixels, row-major, writable.
    pub fn pixels_mut(&mut self) -> &mut [Rgba] {
        self.pixels
    }

    /// A read-only view of the same pixels.
    pub fn as_ref(&self) -> FrameRef<'_> {
        FrameRef { size: self.size, pixels: self.pixels }
    }

    /// A shorter-lived writable view of the same pixels.
    pub fn reborrow(&mut self) -> FrameMut<'_> {
        FrameMut { size: self.size, pixels: self.pixels }
    }

    /// Sets the pixel at `(x, y)`; does nothing outside the frame.
    #[inline]
    pub fn set(&mut self, x: i32, y: i32, color: Rgba) {
        if x >= 0 && y >= 0 && (x as u32) < self.width() && (y as u32) < self.height() {
            let w = self.width() as usize;
            self.pixels[y as usize * w + x as usize] = color;
        }
    }

    /// Sets every pixel to `color`.
    pub fn fill(&mut self, color: Rgba) {
        self.pixels.fill(color);
    }
}
