//! Annotated debug image: the visible frame with the measured part outline, the found
//! fiducials, each defect's box and class, and the verdict.

use opencv::core::{Mat, Point, Rect, Scalar, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::error::InspectError;
use crate::finding::DefectClass;
use crate::frame::{Encoding, Frame};
use crate::geometry::Geometry;
use crate::inspector::Inspection;

/// An rgb8 image, rows of `3 * width` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct DebugImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

fn colour(c: DefectClass) -> Scalar {
    match c {
        DefectClass::Scratch => Scalar::new(255.0, 0.0, 255.0, 0.0),
        DefectClass::Pit => Scalar::new(255.0, 128.0, 0.0, 0.0),
        DefectClass::Contamination => Scalar::new(0.0, 200.0, 255.0, 0.0),
        DefectClass::Hotspot => Scalar::new(255.0, 0.0, 0.0, 0.0),
        DefectClass::Misalignment | DefectClass::Torque => Scalar::new(255.0, 255.0, 0.0, 0.0),
    }
}

/// Draws `inspection` over `frame` (a validated visible frame). Hotspot boxes are
/// scaled from thermal to visible pixels with `thermal_scale` (visible px per thermal px).
pub fn render(
    frame: &Frame<'_>,
    g: &Geometry,
    inspection: &Inspection,
    thermal_scale: f64,
) -> Result<DebugImage, InspectError> {
    let (w, h) = (frame.width as i32, frame.height as i32);
    let row = frame.width as usize * frame.encoding.bytes_per_pixel();
    let mut bytes = Vec::with_capacity(row * frame.height as usize);
    for y in 0..frame.height {
        bytes.extend_from_slice(frame.row(y).unwrap_or(&[]));
    }
    if bytes.len() != row * frame.height as usize {
        return Err(InspectError::Teach("debug image: frame rows missing".into()));
    }
    let mut img = Mat::default();
    match frame.encoding {
        Encoding::Rgb8 => img = Mat::new_rows_cols_with_bytes::<Vec3b>(h, w, &bytes)?.try_clone()?,
        Encoding::Bgr8 => {
            let src = Mat::new_rows_cols_with_bytes::<Vec3b>(h, w, &bytes)?;
            imgproc::cvt_color_def(&src, &mut img, imgproc::COLOR_BGR2RGB)?;
        }
        Encoding::Mono8 => {
            let src = Mat::new_rows_cols_with_bytes::<u8>(h, w, &bytes)?;
            imgproc::cvt_color_def(&src, &mut img, imgproc::COLOR_GRAY2RGB)?;
        }
        Encoding::Mono16 => return Err(InspectError::Teach("debug image needs a visible frame".into())),
    }
    let ok = if inspection.passed {
        Scalar::new(0.0, 220.0, 0.0, 0.0)
    } else {
        Scalar::new(255.0, 40.0, 40.0, 0.0)
    };
    let pose = &inspection.registration.pose;
    let (hw, hh) = (g.part_w_mm / 2.0, g.part_h_mm / 2.0);
    let corners = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)];
    for k in 0..4 {
        let a = g.part_to_px(pose, corners[k]);
        let b = g.part_to_px(pose, corners[(k + 1) % 4]);
        let p = |q: (f64, f64)| Point::new(q.0.round() as i32, q.1.round() as i32);
        imgproc::line(&mut img, p(a), p(b), ok, 2, imgproc::LINE_8, 0)?;
    }
    for f in &inspection.registration.fiducials_px {
        let c = Point::new(f.0.round() as i32, f.1.round() as i32);
        imgproc::draw_marker(
            &mut img,
            c,
            Scalar::new(0.0, 255.0, 0.0, 0.0),
            imgproc::MARKER_CROSS,
            20,
            1,
            imgproc::LINE_8,
        )?;
    }
    for f in &inspection.findings {
        if f.bbox.width == 0 || f.bbox.height == 0 {
            continue;
        }
        let s = if f.class == DefectClass::Hotspot { thermal_scale } else { 1.0 };
        let r = Rect::new(
            (f64::from(f.bbox.x) * s) as i32 - 3,
            (f64::from(f.bbox.y) * s) as i32 - 3,
            (f64::from(f.bbox.width) * s) as i32 + 6,
            (f64::from(f.bbox.height) * s) as i32 + 6,
        );
        imgproc::rectangle(&mut img, r, colour(f.class), 2, imgproc::LINE_8, 0)?;
        let label = format!("{} {:.1}mm", f.class.as_str(), f.length_mm);
        imgproc::put_text(
            &mut img,
            &label,
            Point::new(r.x, (r.y - 4).max(12)),
            imgproc::FONT_HERSHEY_SIMPLEX,
            0.5,
            colour(f.class),
            1,
            imgproc::LINE_8,
            false,
        )?;
    }
    let verdict = format!(
        "{} {} dx {:+.3} dy {:+.3} mm rot {:+.3} deg",
        if inspection.passed { "PASS" } else { "FAIL" },
        inspection.part_type,
        pose.dx_mm,
        pose.dy_mm,
        pose.rotation_deg
    );
    imgproc::put_text(
        &mut img,
        &verdict,
        Point::new(10, 30),
        imgproc::FONT_HERSHEY_SIMPLEX,
        0.8,
        ok,
        2,
        imgproc::LINE_8,
        false,
    )?;
    Ok(DebugImage { width: frame.width, height: frame.height, data: img.data_bytes()?.to_vec() })
}
