//! OpenCV views of validated frames: the grey image of the part region and colour
//! look-ups for the few pixels that need them.

use opencv::core::{Mat, Rect, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::error::InspectError;
use crate::frame::{Encoding, Frame};
use crate::geometry::Roi;

/// Grey (mono8) copy of a rectangle of the visible image; `roi` gives its place in the image.
pub struct GreyRegion {
    pub mat: Mat,
    pub roi: Roi,
}

impl GreyRegion {
    /// Row-major pixels of the region (`roi.width` per row).
    pub fn data(&self) -> Result<&[u8], InspectError> {
        Ok(self.mat.data_bytes()?)
    }

    /// Grey value at image pixel (x, y); None outside the region.
    pub fn at(&self, data: &[u8], x: i32, y: i32) -> Option<u8> {
        let (lx, ly) = (x - self.roi.x, y - self.roi.y);
        if lx < 0 || ly < 0 || lx >= self.roi.width || ly >= self.roi.height {
            return None;
        }
        data.get((ly * self.roi.width + lx) as usize).copied()
    }
}

/// Contiguous pixel bytes of the frame (a copy only when rows are padded).
fn contiguous<'a>(f: &Frame<'a>) -> std::borrow::Cow<'a, [u8]> {
    let row = f.width as usize * f.encoding.bytes_per_pixel();
    if f.step as usize == row {
        std::borrow::Cow::Borrowed(f.data)
    } else {
        let mut out = Vec::with_capacity(row * f.height as usize);
        for y in 0..f.height {
            if let Some(r) = f.row(y) {
                out.extend_from_slice(r);
            }
        }
        std::borrow::Cow::Owned(out)
    }
}

/// The grey image of `roi` (clipped to the frame) of a visible frame.
pub fn grey_region(f: &Frame<'_>, roi: Roi) -> Result<GreyRegion, InspectError> {
    let (w, h) = (f.width as i32, f.height as i32);
    let x0 = roi.x.clamp(0, w);
    let y0 = roi.y.clamp(0, h);
    let x1 = (roi.x + roi.width).clamp(x0, w);
    let y1 = (roi.y + roi.height).clamp(y0, h);
    let roi = Roi { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
    let rect = Rect::new(roi.x, roi.y, roi.width, roi.height);
    let bytes = contiguous(f);
    let mut grey = Mat::default();
    match f.encoding {
        Encoding::Rgb8 | Encoding::Bgr8 => {
            let full = Mat::new_rows_cols_with_bytes::<Vec3b>(h, w, &bytes)?;
            let part = Mat::roi(&full, rect)?;
            let code =
                if f.encoding == Encoding::Rgb8 { imgproc::COLOR_RGB2GRAY } else { imgproc::COLOR_BGR2GRAY };
            imgproc::cvt_color_def(&part, &mut grey, code)?;
        }
        Encoding::Mono8 => {
            let full = Mat::new_rows_cols_with_bytes::<u8>(h, w, &bytes)?;
            grey = Mat::roi(&full, rect)?.try_clone()?;
        }
        Encoding::Mono16 => {
            return Err(InspectError::Registration("mono16 is not a visible-camera encoding".into()));
        }
    }
    Ok(GreyRegion { mat: grey, roi })
}

/// Colour saturation (largest minus smallest channel) at image pixel (x, y); 0 for mono
/// frames and outside the image.
pub fn saturation(f: &Frame<'_>, x: i32, y: i32) -> u8 {
    if !matches!(f.encoding, Encoding::Rgb8 | Encoding::Bgr8)
        || x < 0
        || y < 0
        || x >= f.width as i32
        || y >= f.height as i32
    {
        return 0;
    }
    let i = y as usize * f.step as usize + 3 * x as usize;
    match f.data.get(i..i + 3) {
        Some(p) => p.iter().max().copied().unwrap_or(0) - p.iter().min().copied().unwrap_or(0),
        None => 0,
    }
}
