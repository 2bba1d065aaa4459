//! Frame validation: a sensor_msgs/Image-like view is checked against the station's
//! configured size before any pixel is read. Every rejection has a short reason code
//! so the node can count dropped frames by reason.

use thiserror::Error;

/// Pixel layouts the inspector accepts (sensor_msgs/image_encodings names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Rgb8,
    Bgr8,
    Mono8,
    /// little- or big-endian per `is_bigendian`; thermal images store centi-kelvin
    Mono16,
}

impl Encoding {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "rgb8" => Some(Encoding::Rgb8),
            "bgr8" => Some(Encoding::Bgr8),
            "mono8" | "8UC1" => Some(Encoding::Mono8),
            "mono16" | "16UC1" => Some(Encoding::Mono16),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Rgb8 => "rgb8",
            Encoding::Bgr8 => "bgr8",
            Encoding::Mono8 => "mono8",
            Encoding::Mono16 => "mono16",
        }
    }

    pub fn bytes_per_pixel(self) -> usize {
        match self {
            Encoding::Rgb8 | Encoding::Bgr8 => 3,
            Encoding::Mono8 => 1,
            Encoding::Mono16 => 2,
        }
    }
}

/// Why a frame was dropped.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FrameError {
    #[error("encoding '{got}' not accepted here (expected {expected})")]
    WrongEncoding { got: String, expected: &'static str },
    #[error("size {got_w}x{got_h} px, configured {want_w}x{want_h} px")]
    WrongSize { got_w: u32, got_h: u32, want_w: u32, want_h: u32 },
    #[error("step {step} B/row too small for {width} px of {bpp} B")]
    StepTooSmall { step: u32, width: u32, bpp: usize },
    #[error("data holds {got} B, step x height = {want} B")]
    DataSizeMismatch { got: usize, want: usize },
    #[error("empty image data")]
    Empty,
}

impl FrameError {
    /// Short reason code for drop counters and diagnostics keys.
    pub fn reason(&self) -> &'static str {
        match self {
            FrameError::WrongEncoding { .. } => "wrong_encoding",
            FrameError::WrongSize { .. } => "wrong_size",
            FrameError::StepTooSmall { .. } | FrameError::DataSizeMismatch { .. } => "step_mismatch",
            FrameError::Empty => "empty_data",
        }
    }

    /// Every reason code, in a fixed order (diagnostics list them all, zeros included).
    pub const REASONS: [&'static str; 4] = ["wrong_encoding", "wrong_size", "step_mismatch", "empty_data"];
}

/// A borrowed image in sensor_msgs/Image layout.
#[derive(Debug, Clone, Copy)]
pub struct ImageView<'a> {
    pub encoding: &'a str,
    pub width: u32,
    pub height: u32,
    /// bytes per row
    pub step: u32,
    pub is_bigendian: bool,
    pub data: &'a [u8],
}

/// A validated image: the encoding is known and `data` holds `height` rows of `step` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub encoding: Encoding,
    pub width: u32,
    pub height: u32,
    pub step: u32,
    pub is_bigendian: bool,
    pub data: &'a [u8],
}

fn check<'a>(
    img: &ImageView<'a>,
    accepted: &[Encoding],
    expected: &'static str,
    want_w: u32,
    want_h: u32,
) -> Result<Frame<'a>, FrameError> {
    if img.data.is_empty() {
        return Err(FrameError::Empty);
    }
    let encoding = Encoding::parse(img.encoding)
        .filter(|e| accepted.contains(e))
        .ok_or_else(|| FrameError::WrongEncoding { got: img.encoding.to_string(), expected })?;
    if img.width != want_w || img.height != want_h {
        return Err(FrameError::WrongSize { got_w: img.width, got_h: img.height, want_w, want_h });
    }
    let bpp = encoding.bytes_per_pixel();
    if (img.step as usize) < img.width as usize * bpp {
        return Err(FrameError::StepTooSmall { step: img.step, width: img.width, bpp });
    }
    let want = img.step as usize * img.height as usize;
    if img.data.len() != want {
        return Err(FrameError::DataSizeMismatch { got: img.data.len(), want });
    }
    Ok(Frame {
        encoding,
        width: img.width,
        height: img.height,
        step: img.step,
        is_bigendian: img.is_bigendian,
        data: img.data,
    })
}

/// Checks a visible-camera frame (rgb8, bgr8 or mono8) of the configured size.
pub fn validate_visible<'a>(img: &ImageView<'a>, width: u32, height: u32) -> Result<Frame<'a>, FrameError> {
    check(img, &[Encoding::Rgb8, Encoding::Bgr8, Encoding::Mono8], "rgb8, bgr8 or mono8", width, height)
}

/// Checks a thermal frame (mono16, centi-kelvin) of the configured size.
pub fn validate_thermal<'a>(img: &ImageView<'a>, width: u32, height: u32) -> Result<Frame<'a>, FrameError> {
    check(img, &[Encoding::Mono16], "mono16 (centi-kelvin)", width, height)
}

impl Frame<'_> {
    /// Raw mono16 value at (x, y); None outside the image or for other encodings.
    pub fn mono16(&self, x: u32, y: u32) -> Option<u16> {
        if self.encoding != Encoding::Mono16 || x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.step as usize + 2 * x as usize;
        let b = self.data.get(i..i + 2)?;
        Some(if self.is_bigendian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }

    /// The pixel row `y` (without the step padding).
    pub fn row(&self, y: u32) -> Option<&[u8]> {
        let start = y as usize * self.step as usize;
        self.data.get(start..start + self.width as usize * self.encoding.bytes_per_pixel())
    }
}
