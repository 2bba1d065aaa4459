//! Registration: the part pose from its four dark fiducial discs, each located to a
//! fraction of a pixel by a coverage-weighted centroid, then a least-squares rigid fit.
//! When a disc cannot be found (covered, smeared, out of the search window) the pose
//! comes from ECC (OpenCV `findTransformECC`, Euclidean) of the frame against the taught
//! reference at a 1/4 pyramid level.

use opencv::core::{self, Mat, Size, TermCriteria};
use opencv::imgproc;
use opencv::prelude::*;
use opencv::video;

use crate::error::InspectError;
use crate::geometry::{fit_pose, Geometry, Pose};
use crate::image::GreyRegion;

/// How the pose was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Fiducials,
    Ecc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub pose: Pose,
    pub method: Method,
    /// RMS distance of the fiducials from the fitted pose, pixels (0 for ECC)
    pub residual_px: f64,
    /// measured fiducial centres, image pixels (empty for ECC)
    pub fiducials_px: Vec<(f64, f64)>,
}

/// Dark disc darker than the plate by at least this many grey levels.
const MIN_DISC_CONTRAST: f64 = 40.0;
/// Coverage below this (and above 1 - this) is clipped: plate texture and noise
/// stay out of the centroid weights.
const COVERAGE_CLIP: f64 = 0.1;
/// Centroid refinement passes.
const REFINE_PASSES: usize = 3;

/// Finds one fiducial disc of radius `r` px near image pixel `nominal`, searching `search`
/// px around it. Returns the sub-pixel centre in image pixels.
fn find_disc(grey: &GreyRegion, data: &[u8], nominal: (f64, f64), r: f64, search: f64) -> Option<(f64, f64)> {
    let half = (search + r + 3.0).ceil() as i32;
    let (nx, ny) = (nominal.0.round() as i32, nominal.1.round() as i32);
    // Coarse: the centroid of clearly dark pixels in the window.
    let (mut lo, mut sum, mut n) = (255u8, 0.0, 0.0);
    for y in ny - half..=ny + half {
        for x in nx - half..=nx + half {
            let v = grey.at(data, x, y)?;
            lo = lo.min(v);
            sum += f64::from(v);
            n += 1.0;
        }
    }
    let mean = sum / n;
    if mean - f64::from(lo) < MIN_DISC_CONTRAST {
        return None;
    }
    let thr = (mean + f64::from(lo)) / 2.0;
    let (mut sx, mut sy, mut cnt) = (0.0, 0.0, 0.0);
    for y in ny - half..=ny + half {
        for x in nx - half..=nx + half {
            if f64::from(grey.at(data, x, y)?) < thr {
                sx += f64::from(x);
                sy += f64::from(y);
                cnt += 1.0;
            }
        }
    }
    let disc_area = std::f64::consts::PI * r * r;
    // A disc cut by the window, covered or missing shows the wrong dark area.
    if cnt < 0.6 * disc_area || cnt > 1.6 * disc_area {
        return None;
    }
    let mut c = (sx / cnt, sy / cnt);
    // Fine: coverage-weighted centroid in a circle just larger than the disc, with the
    // plate level from a ring around it and the disc level from its core.
    for _ in 0..REFINE_PASSES {
        let (mut plate, mut np, mut dark, mut nd) = (0.0, 0.0, 0.0, 0.0);
        let outer = r + 6.0;
        let (x0, x1) = ((c.0 - outer).floor() as i32, (c.0 + outer).ceil() as i32);
        let (y0, y1) = ((c.1 - outer).floor() as i32, (c.1 + outer).ceil() as i32);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = (f64::from(x) - c.0).hypot(f64::from(y) - c.1);
                let v = f64::from(grey.at(data, x, y)?);
                if d >= r + 3.0 && d <= outer {
                    plate += v;
                    np += 1.0;
                } else if d <= r - 3.0 {
                    dark += v;
                    nd += 1.0;
                }
            }
        }
        if np < 1.0 || nd < 1.0 {
            return None;
        }
        let (plate, dark) = (plate / np, dark / nd);
        if plate - dark < MIN_DISC_CONTRAST {
            return None;
        }
        let (mut sw, mut swx, mut swy) = (0.0, 0.0, 0.0);
        let reach = r + 2.5;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (fx, fy) = (f64::from(x), f64::from(y));
                if (fx - c.0).hypot(fy - c.1) > reach {
                    continue;
                }
                let v = f64::from(grey.at(data, x, y)?);
                let cov = ((plate - v) / (plate - dark)).clamp(0.0, 1.0);
                let w = ((cov - COVERAGE_CLIP) / (1.0 - 2.0 * COVERAGE_CLIP)).clamp(0.0, 1.0);
                sw += w;
                swx += w * fx;
                swy += w * fy;
            }
        }
        if sw < 0.5 * std::f64::consts::PI * r * r {
            return None;
        }
        c = (swx / sw, swy / sw);
    }
    Some(c)
}

/// Registers by the four corner fiducials. None when any disc is not found.
pub fn by_fiducials(
    g: &Geometry,
    grey: &GreyRegion,
    fiducial_diameter_mm: f64,
    search_radius_mm: f64,
) -> Result<Option<Registration>, InspectError> {
    let data = grey.data()?;
    let r = 0.5 * fiducial_diameter_mm * g.px_per_mm;
    let search = search_radius_mm * g.px_per_mm;
    let nominal = Pose::default();
    let fids = g.fiducials_mm();
    let mut found = Vec::with_capacity(fids.len());
    for f in &fids {
        match find_disc(grey, data, g.part_to_px(&nominal, *f), r, search) {
            Some(c) => found.push(c),
            None => return Ok(None),
        }
    }
    Ok(fit_pose(g, &fids, &found).map(|(pose, residual_px)| Registration {
        pose,
        method: Method::Fiducials,
        residual_px,
        fiducials_px: found,
    }))
}

/// Pyramid level of the ECC fallback: 2 halvings (1/4 resolution).
pub const ECC_LEVELS: u32 = 2;

fn pyramid(src: &Mat, levels: u32) -> Result<Mat, InspectError> {
    let mut cur = src.try_clone()?;
    for _ in 0..levels {
        let mut next = Mat::default();
        imgproc::pyr_down_def(&cur, &mut next)?;
        cur = next;
    }
    Ok(cur)
}

/// Registers with ECC against `template` (the taught reference, mono8, nominal frame,
/// already reduced by [`ECC_LEVELS`]) whose top-left corner is nominal pixel
/// `template_origin`. Returns None when ECC does not converge.
pub fn by_ecc(
    g: &Geometry,
    grey: &GreyRegion,
    template: &Mat,
    template_origin: (i32, i32),
) -> Result<Option<Registration>, InspectError> {
    let scale = f64::from(1u32 << ECC_LEVELS);
    let input = pyramid(&grey.mat, ECC_LEVELS)?;
    let input_f = {
        let mut m = Mat::default();
        input.convert_to(&mut m, core::CV_32F, 1.0, 0.0)?;
        m
    };
    // Template pixel t (reduced) <-> nominal pixel scale * t + origin; input pixel i
    // (reduced) <-> image pixel scale * i + grey.roi origin. Identity pose = shift.
    let shift_x = (f64::from(template_origin.0) - f64::from(grey.roi.x)) / scale;
    let shift_y = (f64::from(template_origin.1) - f64::from(grey.roi.y)) / scale;
    let mut warp = Mat::from_slice_2d(&[[1.0f32, 0.0, shift_x as f32], [0.0, 1.0, shift_y as f32]])?;
    let criteria = TermCriteria::new(core::TermCriteria_COUNT + core::TermCriteria_EPS, 100, 1e-5)?;
    let ok = video::find_transform_ecc(
        template,
        &input_f,
        &mut warp,
        video::MOTION_EUCLIDEAN,
        criteria,
        &core::no_array(),
        5,
    );
    if ok.is_err() {
        return Ok(None);
    }
    let m = |r: i32, c: i32| -> Result<f64, InspectError> { Ok(f64::from(*warp.at_2d::<f32>(r, c)?)) };
    // Full-resolution map nominal -> image: q = A n + b, with reduced-level map
    // i = W t + w, n = scale t + o, q = scale i + r0.
    let (a00, a01, a10, a11) = (m(0, 0)?, m(0, 1)?, m(1, 0)?, m(1, 1)?);
    let bx = scale * m(0, 2)? + f64::from(grey.roi.x)
        - (a00 * f64::from(template_origin.0) + a01 * f64::from(template_origin.1));
    let by = scale * m(1, 2)? + f64::from(grey.roi.y)
        - (a10 * f64::from(template_origin.0) + a11 * f64::from(template_origin.1));
    // R = [[c, s], [-s, c]]: a01 = sin, a00 = cos.
    let theta = a01.atan2(a00);
    let (sn, cs) = theta.sin_cos();
    let (cx, cy) = g.center();
    // q = ctr + R (n - ctr) + s d  =>  s d = b - ctr + R ctr
    let dx = (bx - cx + cs * cx + sn * cy) / g.px_per_mm;
    let dy = (by - cy - sn * cx + cs * cy) / g.px_per_mm;
    Ok(Some(Registration {
        pose: Pose { dx_mm: dx, dy_mm: dy, rotation_deg: theta.to_degrees() },
        method: Method::Ecc,
        residual_px: 0.0,
        fiducials_px: Vec::new(),
    }))
}

/// The ECC template of a taught mean image (f32, nominal part rectangle).
pub fn ecc_template(mean: &Mat) -> Result<Mat, InspectError> {
    let reduced = pyramid(mean, ECC_LEVELS)?;
    let mut out = Mat::default();
    reduced.convert_to(&mut out, core::CV_32F, 1.0, 0.0)?;
    Ok(out)
}

/// Warps the grey region to the nominal frame over `dst` (nominal pixels): output pixel
/// (x, y) is the image at the pose-mapped nominal pixel (dst.x + x, dst.y + y).
pub fn warp_to_nominal(
    g: &Geometry,
    grey: &GreyRegion,
    pose: &Pose,
    dst: crate::geometry::Roi,
    out: &mut Mat,
) -> Result<(), InspectError> {
    let a = g.nominal_to_image(pose);
    let (ox, oy) = (f64::from(dst.x), f64::from(dst.y));
    let (rx, ry) = (f64::from(grey.roi.x), f64::from(grey.roi.y));
    let m = Mat::from_slice_2d(&[
        [a[0][0], a[0][1], a[0][0] * ox + a[0][1] * oy + a[0][2] - rx],
        [a[1][0], a[1][1], a[1][0] * ox + a[1][1] * oy + a[1][2] - ry],
    ])?;
    imgproc::warp_affine(
        &grey.mat,
        out,
        &m,
        Size::new(dst.width, dst.height),
        imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP,
        core::BORDER_REPLICATE,
        core::Scalar::default(),
    )?;
    Ok(())
}
