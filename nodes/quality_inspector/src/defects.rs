//! Visible micro-defects: the registered frame (nominal frame, grey) against the taught
//! mean after a smooth lighting correction; pixels beyond the taught per-pixel spread
//! are grouped into defects, measured by their contrast-weighted moments and classified
//! by colour (contamination), elongation (scratch) or neither (pit).

use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;

use crate::config::DefectParams;
use crate::error::InspectError;
use crate::finding::{DefectClass, Finding};
use crate::frame::{Encoding, Frame};
use crate::geometry::{BBox, Geometry, Pose, Roi};
use crate::image::saturation;

/// Lighting blocks are this many pixels square.
pub const BLOCK: i32 = 32;
/// Variance added to a defect's moments by the two bilinear resamplings (the camera's
/// and ours), squared pixels; removed before sizes are computed.
const BLUR_VAR_PX2: f64 = 0.25;
/// Compact blobs (pits, blotches) also spread by their anti-aliased rim and the pit's
/// highlight: further variance removed from their moments, squared pixels (measured on
/// the twin's renderer, pits of 0.3 to 1.5 mm).
const RIM_VAR_PX2: f64 = 0.5;
/// More anomalous pixels than this fraction of the part means a gross mismatch (wrong
/// part, lighting failure); they are still reported, but the pixel list is capped.
const MAX_FLAGGED_FRACTION: f64 = 0.05;

/// Multiplicative lighting over the nominal rectangle: a quadratic surface in
/// normalised coordinates x, y in [-1, 1]:
/// `L = c0 + c1 x + c2 y + c3 x^2 + c4 x y + c5 y^2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lighting {
    pub c: [f64; 6],
}

impl Lighting {
    pub const UNITY: Lighting = Lighting { c: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0] };

    pub fn at(&self, x: f64, y: f64) -> f64 {
        let c = &self.c;
        c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * x * y + c[5] * y * y
    }
}

/// Normalised coordinate of pixel `i` of `n`.
pub fn norm_coord(i: f64, n: i32) -> f64 {
    let h = f64::from(n) / 2.0;
    (i + 0.5 - h) / h
}

/// Block means (BLOCK x BLOCK) of a single-channel image over whole blocks, row-major,
/// with the block count along x and y.
pub fn block_means(img: &Mat) -> Result<(Vec<f32>, i32, i32), InspectError> {
    let (bw, bh) = (img.cols() / BLOCK, img.rows() / BLOCK);
    if bw < 3 || bh < 3 {
        return Err(InspectError::Teach("part region too small for the lighting model".into()));
    }
    let crop = Mat::roi(img, opencv::core::Rect::new(0, 0, bw * BLOCK, bh * BLOCK))?;
    let mut f = Mat::default();
    crop.convert_to(&mut f, opencv::core::CV_32F, 1.0, 0.0)?;
    let mut small = Mat::default();
    imgproc::resize(&f, &mut small, Size::new(bw, bh), 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok((small.data_typed::<f32>()?.to_vec(), bw, bh))
}

/// Solves the 6x6 normal equations by Gaussian elimination with partial pivoting.
fn solve6(mut a: [[f64; 6]; 6], mut b: [f64; 6]) -> Option<[f64; 6]> {
    for col in 0..6 {
        let piv = (col..6).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..6 {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 6];
    for row in (0..6).rev() {
        let s: f64 = (row + 1..6).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

fn fit_weighted(pts: &[(f64, f64, f64)], use_pt: &[bool]) -> Option<Lighting> {
    let mut a = [[0.0; 6]; 6];
    let mut b = [0.0; 6];
    for (p, &u) in pts.iter().zip(use_pt) {
        if !u {
            continue;
        }
        let f = [1.0, p.0, p.1, p.0 * p.0, p.0 * p.1, p.1 * p.1];
        for i in 0..6 {
            for j in 0..6 {
                a[i][j] += f[i] * f[j];
            }
            b[i] += f[i] * p.2;
        }
    }
    solve6(a, b).map(|c| Lighting { c })
}

/// Fits the lighting of a frame against the reference from their block means; blocks
/// that disagree with a first fit (defects, debris) are left out of the second.
pub fn fit_lighting(frame_blocks: &[f32], ref_blocks: &[f32], bw: i32, bh: i32) -> Lighting {
    let (w, h) = (bw * BLOCK, bh * BLOCK);
    let mut pts = Vec::with_capacity(frame_blocks.len());
    for by in 0..bh {
        for bx in 0..bw {
            let i = (by * bw + bx) as usize;
            let (f, r) = (
                f64::from(frame_blocks.get(i).copied().unwrap_or(0.0)),
                f64::from(ref_blocks.get(i).copied().unwrap_or(0.0)),
            );
            if r > 1.0 {
                let x = norm_coord(f64::from(bx * BLOCK) + f64::from(BLOCK) / 2.0 - 0.5, w);
                let y = norm_coord(f64::from(by * BLOCK) + f64::from(BLOCK) / 2.0 - 0.5, h);
                pts.push((x, y, f / r));
            }
        }
    }
    let all = vec![true; pts.len()];
    let Some(first) = fit_weighted(&pts, &all) else { return Lighting::UNITY };
    let res: Vec<f64> = pts.iter().map(|p| (p.2 - first.at(p.0, p.1)).abs()).collect();
    let mut sorted = res.clone();
    sorted.sort_by(f64::total_cmp);
    let med = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let keep: Vec<bool> = res.iter().map(|r| *r <= 3.0 * med + 0.005).collect();
    fit_weighted(&pts, &keep).unwrap_or(first)
}

/// One anomalous pixel in the nominal rectangle.
#[derive(Debug, Clone, Copy)]
pub struct Flagged {
    pub x: u16,
    pub y: u16,
    /// frame minus lit reference, grey levels
    pub d: f32,
    /// |d| over the local threshold
    pub z: f32,
}

/// Pixels of `warped` (u8, nominal rectangle) farther than `threshold` from
/// `lighting * mean`. Appends to `out`; returns false when the cap was reached.
#[allow(clippy::too_many_arguments)] // one hot loop; a struct would only rename the arguments
pub fn flag_pixels(
    warped: &[u8],
    mean: &[f32],
    threshold: &[f32],
    w: i32,
    h: i32,
    lighting: &Lighting,
    xs: &[f32],
    out: &mut Vec<Flagged>,
) -> bool {
    let cap = (MAX_FLAGGED_FRACTION * f64::from(w) * f64::from(h)) as usize;
    let wu = w as usize;
    let c = &lighting.c;
    for y in 0..h as usize {
        let yy = norm_coord(y as f64, h);
        // L along the row: a + b x + c3 x^2.
        let a = (c[0] + c[2] * yy + c[5] * yy * yy) as f32;
        let b = (c[1] + c[4] * yy) as f32;
        let c3 = c[3] as f32;
        let start = y * wu;
        let (Some(fr), Some(mr), Some(tr)) =
            (warped.get(start..start + wu), mean.get(start..start + wu), threshold.get(start..start + wu))
        else {
            return true;
        };
        // Chunks keep the common case (nothing anomalous) branch-free and vectorised.
        const CH: usize = 32;
        let mut x0 = 0;
        while x0 < wu {
            let x1 = (x0 + CH).min(wu);
            let mut any = false;
            for x in x0..x1 {
                let xx = xs[x];
                let l = a + (b + c3 * xx) * xx;
                let d = f32::from(fr[x]) - l * mr[x];
                any |= d.abs() > tr[x];
            }
            if any {
                for x in x0..x1 {
                    let xx = xs[x];
                    let l = a + (b + c3 * xx) * xx;
                    let d = f32::from(fr[x]) - l * mr[x];
                    if d.abs() > tr[x] {
                        if out.len() >= cap {
                            return false;
                        }
                        out.push(Flagged { x: x as u16, y: y as u16, d, z: d.abs() / tr[x] });
                    }
                }
            }
            x0 = x1;
        }
    }
    true
}

/// Groups flagged pixels closer than about `merge_px` into clusters (indices into `px`).
pub fn cluster(px: &[Flagged], w: i32, h: i32, merge_px: f64) -> Result<Vec<Vec<usize>>, InspectError> {
    if px.is_empty() {
        return Ok(Vec::new());
    }
    let cell = (merge_px / 2.0).ceil().max(1.0) as i32;
    let (gw, gh) = (w / cell + 1, h / cell + 1);
    let mut grid = vec![0u8; (gw * gh) as usize];
    for p in px {
        let i = (i32::from(p.y) / cell * gw + i32::from(p.x) / cell) as usize;
        if let Some(g) = grid.get_mut(i) {
            *g = 255;
        }
    }
    let grid_mat = Mat::new_rows_cols_with_data::<u8>(gh, gw, &grid)?;
    let mut labels = Mat::default();
    let n = imgproc::connected_components(&grid_mat, &mut labels, 8, opencv::core::CV_32S)?;
    let lab = labels.data_typed::<i32>()?;
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n.max(1) as usize];
    for (k, p) in px.iter().enumerate() {
        let i = (i32::from(p.y) / cell * gw + i32::from(p.x) / cell) as usize;
        let l = lab.get(i).copied().unwrap_or(0);
        if l > 0 {
            if let Some(g) = groups.get_mut(l as usize) {
                g.push(k);
            }
        }
    }
    Ok(groups.into_iter().filter(|g| !g.is_empty()).collect())
}

/// What the defect analysis needs to know about the frame.
pub struct FrameContext<'a> {
    pub frame: &'a Frame<'a>,
    pub geom: &'a Geometry,
    pub pose: &'a Pose,
    /// nominal rectangle the flagged pixels are relative to
    pub roi: Roi,
}

/// Measures and classifies one cluster; None when it is smaller than `min_size_mm`.
pub fn measure(px: &[Flagged], idx: &[usize], ctx: &FrameContext<'_>, p: &DefectParams) -> Option<Finding> {
    let s = ctx.geom.px_per_mm;
    let (mut sw, mut sx, mut sy) = (0.0, 0.0, 0.0);
    let (mut zmax, mut dsum) = (0.0f64, 0.0);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &k in idx {
        let q = px.get(k)?;
        let w = f64::from(q.d.abs());
        let (x, y) = (f64::from(q.x), f64::from(q.y));
        sw += w;
        sx += w * x;
        sy += w * y;
        zmax = zmax.max(f64::from(q.z));
        dsum += w;
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if sw <= 0.0 {
        return None;
    }
    let (mx, my) = (sx / sw, sy / sw);
    let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
    for &k in idx {
        let q = px.get(k)?;
        let w = f64::from(q.d.abs());
        let (dx, dy) = (f64::from(q.x) - mx, f64::from(q.y) - my);
        cxx += w * dx * dx;
        cyy += w * dy * dy;
        cxy += w * dx * dy;
    }
    let (cxx, cyy, cxy) = (cxx / sw, cyy / sw, cxy / sw);
    let tr = cxx + cyy;
    let det = cxx * cyy - cxy * cxy;
    let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
    let (raw1, raw2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(0.0));
    let l1 = (raw1 - BLUR_VAR_PX2).max(0.0);
    let l2 = (raw2 - BLUR_VAR_PX2).max(0.0);
    // Faint clusters barely over the threshold are texture, not defects.
    if zmax < p.min_peak_ratio {
        return None;
    }
    let elongation = ((l1 + 1e-3) / (l2 + 1e-3)).sqrt();
    let mean_contrast = dsum / idx.len() as f64;

    // Colour: mean saturation at the cluster's image pixels.
    let colour = matches!(ctx.frame.encoding, Encoding::Rgb8 | Encoding::Bgr8);
    let a = ctx.geom.nominal_to_image(ctx.pose);
    let to_img = |x: f64, y: f64| {
        let (u, v) = (x + f64::from(ctx.roi.x), y + f64::from(ctx.roi.y));
        (a[0][0] * u + a[0][1] * v + a[0][2], a[1][0] * u + a[1][1] * v + a[1][2])
    };
    let mean_sat = if colour {
        let total: f64 = idx
            .iter()
            .filter_map(|&k| px.get(k))
            .map(|q| {
                let (u, v) = to_img(f64::from(q.x), f64::from(q.y));
                f64::from(saturation(ctx.frame, u.round() as i32, v.round() as i32))
            })
            .sum();
        total / idx.len() as f64
    } else {
        0.0
    };

    let blob_len = 4.0 * l1.sqrt() / s;
    let class = if colour && mean_sat >= p.contamination_saturation {
        DefectClass::Contamination
    } else if elongation >= p.scratch_elongation {
        DefectClass::Scratch
    } else if !colour
        && blob_len >= p.mono_contamination_min_mm
        && mean_contrast < p.contamination_max_contrast
    {
        DefectClass::Contamination
    } else {
        DefectClass::Pit
    };
    // Sizes from second moments: a line of length L has variance L^2 / 12 along it, a
    // filled ellipse with axis A has A^2 / 16.
    let (length_mm, width_mm, area_mm2, scrap) = match class {
        DefectClass::Scratch => {
            let len = (12.0 * l1).sqrt() / s;
            // Scratches are about as thin as the blur: width from the raw moment, at least 1 px.
            let wid = ((12.0 * raw2).sqrt().max(1.0) / s).min(len);
            (len, wid, len * wid, p.scrap_scratch_mm)
        }
        DefectClass::Contamination => {
            let len = 4.0 * (l1 - RIM_VAR_PX2).max(0.0).sqrt() / s;
            let wid = (4.0 * (l2 - RIM_VAR_PX2).max(0.0).sqrt() / s).min(len);
            (len, wid, std::f64::consts::FRAC_PI_4 * len * wid, p.scrap_contamination_mm)
        }
        _ => {
            let len = 4.0 * (l1 - RIM_VAR_PX2).max(BLUR_VAR_PX2).sqrt() / s;
            let wid = (4.0 * (l2 - RIM_VAR_PX2).max(BLUR_VAR_PX2).sqrt() / s).min(len);
            (len, wid, std::f64::consts::FRAC_PI_4 * len * wid, p.scrap_pit_mm)
        }
    };
    // The size filter uses the blur-corrected extent before the rim correction, so
    // the rim model cannot hide a small pit.
    if 4.0 * l1.sqrt() / s < p.min_size_mm {
        return None;
    }
    let center_mm = ctx.geom.nominal_px_to_part(mx + f64::from(ctx.roi.x), my + f64::from(ctx.roi.y));
    let corners = [
        to_img(x0 - 0.5, y0 - 0.5),
        to_img(x1 + 0.5, y0 - 0.5),
        to_img(x0 - 0.5, y1 + 0.5),
        to_img(x1 + 0.5, y1 + 0.5),
    ];
    let bx0 = corners.iter().map(|c| c.0).fold(f64::MAX, f64::min);
    let by0 = corners.iter().map(|c| c.1).fold(f64::MAX, f64::min);
    let bx1 = corners.iter().map(|c| c.0).fold(f64::MIN, f64::max);
    let by1 = corners.iter().map(|c| c.1).fold(f64::MIN, f64::max);
    Some(Finding {
        class,
        bbox: BBox::covering(bx0, by0, bx1, by1, ctx.geom.width, ctx.geom.height),
        center_mm,
        length_mm,
        width_mm,
        area_mm2,
        peak_temperature_k: 0.0,
        severity: (length_mm / scrap).clamp(0.0, 1.0),
        // 1 - 1/z^2: 0 at the threshold, 0.75 at twice it, 0.94 at four times.
        confidence: (1.0 - 1.0 / (zmax * zmax)).clamp(0.0, 1.0),
    })
}
