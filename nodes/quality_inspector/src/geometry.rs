//! Pixel geometry of a station and the part pose.
//!
//! Part coordinates are millimetres from the part centre, x to the image right and y to
//! the image bottom at the nominal pose. A part placed with offset `(dx, dy)` mm and
//! rotation `theta` degrees (counter-clockwise as seen in the image) puts part point `p`
//! at pixel `c + s * (R(theta) p + d)`, with `c = ((w - 1) / 2, (h - 1) / 2)` the image
//! centre, `s` pixels per millimetre and `R(theta) = [[cos, sin], [-sin, cos]]` (the image
//! y axis points down). This is the convention of the digital twin's camera.
//!
//! The "nominal frame" is the image of a perfectly placed part; the defect search works
//! on the part's rectangle in that frame (`nominal_roi`), so a nominal pixel maps to a
//! part point by scaling alone.

use crate::config::StationConfig;

/// Measured placement of the part.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pose {
    /// offset to the image right, millimetres
    pub dx_mm: f64,
    /// offset to the image bottom, millimetres
    pub dy_mm: f64,
    /// counter-clockwise as seen, degrees
    pub rotation_deg: f64,
}

/// Integer pixel rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roi {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

impl Roi {
    pub fn area(&self) -> usize {
        (self.width.max(0) as usize) * (self.height.max(0) as usize)
    }
}

/// Axis-aligned pixel box (sensor_msgs/RegionOfInterest layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl BBox {
    /// The box covering `[x0, x1] x [y0, y1]` (pixel-centre coordinates), clipped to a
    /// `w` x `h` image.
    pub fn covering(x0: f64, y0: f64, x1: f64, y1: f64, w: u32, h: u32) -> Self {
        let clip = |v: f64, n: u32| v.clamp(0.0, f64::from(n)) as u32;
        let (xa, ya) = (clip(x0.floor(), w), clip(y0.floor(), h));
        let (xb, yb) = (clip(x1.ceil() + 1.0, w), clip(y1.ceil() + 1.0, h));
        BBox { x: xa, y: ya, width: xb.saturating_sub(xa), height: yb.saturating_sub(ya) }
    }

    /// Intersection over union with another box.
    pub fn iou(&self, o: &BBox) -> f64 {
        let x0 = self.x.max(o.x);
        let y0 = self.y.max(o.y);
        let x1 = (self.x + self.width).min(o.x + o.width);
        let y1 = (self.y + self.height).min(o.y + o.height);
        let inter = f64::from(x1.saturating_sub(x0)) * f64::from(y1.saturating_sub(y0));
        let union = f64::from(self.width * self.height) + f64::from(o.width * o.height) - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// Pixel mapping of one camera of a station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    pub width: u32,
    pub height: u32,
    pub px_per_mm: f64,
    pub part_w_mm: f64,
    pub part_h_mm: f64,
    pub fiducial_inset_mm: f64,
}

impl Geometry {
    pub fn visible(cfg: &StationConfig) -> Self {
        Geometry {
            width: cfg.camera.width_px,
            height: cfg.camera.height_px,
            px_per_mm: cfg.camera.px_per_mm,
            part_w_mm: cfg.part.width_mm,
            part_h_mm: cfg.part.height_mm,
            fiducial_inset_mm: cfg.part.fiducial_inset_mm,
        }
    }

    /// The thermal camera: same field of view horizontally, its own resolution.
    pub fn thermal(cfg: &StationConfig) -> Option<Self> {
        let t = cfg.thermal.as_ref()?;
        Some(Geometry {
            width: t.width_px,
            height: t.height_px,
            px_per_mm: cfg.thermal_px_per_mm()?,
            ..Self::visible(cfg)
        })
    }

    pub fn center(&self) -> (f64, f64) {
        ((f64::from(self.width) - 1.0) / 2.0, (f64::from(self.height) - 1.0) / 2.0)
    }

    /// Pixel of part point `p` (mm) for a part at `pose`.
    pub fn part_to_px(&self, pose: &Pose, p: (f64, f64)) -> (f64, f64) {
        let (s, c) = pose.rotation_deg.to_radians().sin_cos();
        let x = c * p.0 + s * p.1 + pose.dx_mm;
        let y = -s * p.0 + c * p.1 + pose.dy_mm;
        let (cx, cy) = self.center();
        (cx + self.px_per_mm * x, cy + self.px_per_mm * y)
    }

    /// Part point (mm) under pixel (u, v) for a part at `pose`.
    pub fn px_to_part(&self, pose: &Pose, u: f64, v: f64) -> (f64, f64) {
        let (cx, cy) = self.center();
        let x = (u - cx) / self.px_per_mm - pose.dx_mm;
        let y = (v - cy) / self.px_per_mm - pose.dy_mm;
        let (s, c) = pose.rotation_deg.to_radians().sin_cos();
        (c * x - s * y, s * x + c * y)
    }

    /// The four corner fiducial discs (top-left, top-right, bottom-left, bottom-right), mm.
    pub fn fiducials_mm(&self) -> [(f64, f64); 4] {
        let fx = self.part_w_mm / 2.0 - self.fiducial_inset_mm;
        let fy = self.part_h_mm / 2.0 - self.fiducial_inset_mm;
        [(-fx, -fy), (fx, -fy), (-fx, fy), (fx, fy)]
    }

    /// The part rectangle at the nominal pose, grown by `margin_mm`, in whole pixels,
    /// clipped to the image.
    pub fn part_roi(&self, margin_mm: f64) -> Roi {
        let (cx, cy) = self.center();
        let hw = (self.part_w_mm / 2.0 + margin_mm) * self.px_per_mm;
        let hh = (self.part_h_mm / 2.0 + margin_mm) * self.px_per_mm;
        let x0 = ((cx - hw).floor() as i32).max(0);
        let y0 = ((cy - hh).floor() as i32).max(0);
        let x1 = ((cx + hw).ceil() as i32 + 1).min(self.width as i32);
        let y1 = ((cy + hh).ceil() as i32 + 1).min(self.height as i32);
        Roi { x: x0, y: y0, width: (x1 - x0).max(0), height: (y1 - y0).max(0) }
    }

    /// Part point (mm) of nominal-frame pixel (u, v).
    pub fn nominal_px_to_part(&self, u: f64, v: f64) -> (f64, f64) {
        let (cx, cy) = self.center();
        ((u - cx) / self.px_per_mm, (v - cy) / self.px_per_mm)
    }

    /// The 2x3 affine map (row-major) from nominal-frame pixels to image pixels at `pose`.
    pub fn nominal_to_image(&self, pose: &Pose) -> [[f64; 3]; 2] {
        let (s, c) = pose.rotation_deg.to_radians().sin_cos();
        let (cx, cy) = self.center();
        let tx = self.px_per_mm * pose.dx_mm;
        let ty = self.px_per_mm * pose.dy_mm;
        // q = ctr + R (q_n - ctr) + s d
        [[c, s, cx - c * cx - s * cy + tx], [-s, c, cy + s * cx - c * cy + ty]]
    }
}

/// Least-squares rigid fit (rotation + translation, known scale) of part points `p` (mm)
/// to measured pixels `q`. Returns the pose and the RMS residual in pixels.
pub fn fit_pose(g: &Geometry, p: &[(f64, f64)], q: &[(f64, f64)]) -> Option<(Pose, f64)> {
    if p.len() != q.len() || p.len() < 2 {
        return None;
    }
    let n = p.len() as f64;
    let (cx, cy) = g.center();
    let s = g.px_per_mm;
    // P = s p (pixels about the part centre), Q = q - c.
    let pp: Vec<(f64, f64)> = p.iter().map(|a| (s * a.0, s * a.1)).collect();
    let qq: Vec<(f64, f64)> = q.iter().map(|a| (a.0 - cx, a.1 - cy)).collect();
    let pm = (pp.iter().map(|a| a.0).sum::<f64>() / n, pp.iter().map(|a| a.1).sum::<f64>() / n);
    let qm = (qq.iter().map(|a| a.0).sum::<f64>() / n, qq.iter().map(|a| a.1).sum::<f64>() / n);
    // Maximise sum Q . R P with R = [[c, s], [-s, c]]:
    // c * sum(Qx Px + Qy Py) + s * sum(Qx Py - Qy Px).
    let (mut a, mut b) = (0.0, 0.0);
    for (pi, qi) in pp.iter().zip(&qq) {
        let (px, py) = (pi.0 - pm.0, pi.1 - pm.1);
        let (qx, qy) = (qi.0 - qm.0, qi.1 - qm.1);
        a += qx * px + qy * py;
        b += qx * py - qy * px;
    }
    let theta = b.atan2(a);
    let (sn, cs) = theta.sin_cos();
    let rp = (cs * pm.0 + sn * pm.1, -sn * pm.0 + cs * pm.1);
    let pose = Pose { dx_mm: (qm.0 - rp.0) / s, dy_mm: (qm.1 - rp.1) / s, rotation_deg: theta.to_degrees() };
    let mut sq = 0.0;
    for (pi, qi) in p.iter().zip(q) {
        let m = g.part_to_px(&pose, *pi);
        sq += (m.0 - qi.0).powi(2) + (m.1 - qi.1).powi(2);
    }
    Some((pose, (sq / n).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom() -> Geometry {
        Geometry {
            width: 1280,
            height: 1024,
            px_per_mm: 5.0,
            part_w_mm: 200.0,
            part_h_mm: 160.0,
            fiducial_inset_mm: 12.0,
        }
    }

    #[test]
    fn part_to_px_and_back_are_inverse() {
        let g = geom();
        let pose = Pose { dx_mm: 0.7, dy_mm: -0.4, rotation_deg: 0.9 };
        let p = (55.0, -31.0);
        let q = g.part_to_px(&pose, p);
        let back = g.px_to_part(&pose, q.0, q.1);
        assert!((back.0 - p.0).abs() < 1e-9 && (back.1 - p.1).abs() < 1e-9);
    }

    #[test]
    fn fit_recovers_a_known_pose() {
        let g = geom();
        let pose = Pose { dx_mm: -0.8, dy_mm: 0.35, rotation_deg: -0.6 };
        let p = g.fiducials_mm();
        let q: Vec<_> = p.iter().map(|a| g.part_to_px(&pose, *a)).collect();
        let (fit, res) = fit_pose(&g, &p, &q).expect("fit");
        assert!((fit.dx_mm - pose.dx_mm).abs() < 1e-9);
        assert!((fit.dy_mm - pose.dy_mm).abs() < 1e-9);
        assert!((fit.rotation_deg - pose.rotation_deg).abs() < 1e-9);
        assert!(res < 1e-9);
    }

    #[test]
    fn nominal_to_image_matches_part_to_px() {
        let g = geom();
        let pose = Pose { dx_mm: 0.3, dy_mm: 0.2, rotation_deg: 0.5 };
        let m = g.nominal_to_image(&pose);
        let p = (40.0, 25.0);
        let (cx, cy) = g.center();
        let n = (cx + 5.0 * p.0, cy + 5.0 * p.1);
        let q = (m[0][0] * n.0 + m[0][1] * n.1 + m[0][2], m[1][0] * n.0 + m[1][1] * n.1 + m[1][2]);
        let want = g.part_to_px(&pose, p);
        assert!((q.0 - want.0).abs() < 1e-9 && (q.1 - want.1).abs() < 1e-9);
    }
}
