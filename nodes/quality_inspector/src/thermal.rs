//! Thermal hotspots: part pixels warmer than the baseline by more than the margin,
//! grouped into regions with their peak temperature, area and position.

use crate::config::ThermalParams;
use crate::finding::{DefectClass, Finding};
use crate::frame::Frame;
use crate::geometry::{BBox, Geometry, Pose};

/// Part pixels closer than this to the part outline are left out (the outline blends
/// part and background temperature), millimetres.
pub const EDGE_MARGIN_MM: f64 = 1.5;

/// Temperatures (kelvin) of the thermal pixels inside the part at `pose`, with their
/// pixel index; the rest is background.
pub fn part_pixels(frame: &Frame<'_>, g: &Geometry, pose: &Pose) -> Vec<(u32, u32, f64)> {
    let (hw, hh) = (g.part_w_mm / 2.0 - EDGE_MARGIN_MM, g.part_h_mm / 2.0 - EDGE_MARGIN_MM);
    let mut out = Vec::new();
    for y in 0..frame.height {
        for x in 0..frame.width {
            let p = g.px_to_part(pose, f64::from(x), f64::from(y));
            if p.0.abs() <= hw && p.1.abs() <= hh {
                if let Some(v) = frame.mono16(x, y) {
                    out.push((x, y, f64::from(v) / 100.0));
                }
            }
        }
    }
    out
}

/// Median part temperature, kelvin (None without part pixels).
pub fn median_temperature(pixels: &[(u32, u32, f64)]) -> Option<f64> {
    let mut t: Vec<f64> = pixels.iter().map(|p| p.2).collect();
    if t.is_empty() {
        return None;
    }
    let mid = t.len() / 2;
    t.select_nth_unstable_by(mid, f64::total_cmp);
    t.get(mid).copied()
}

/// Hotspots among the part pixels, and the hottest part temperature (kelvin).
pub fn hotspots(
    pixels: &[(u32, u32, f64)],
    g: &Geometry,
    pose: &Pose,
    baseline_k: f64,
    p: &ThermalParams,
) -> (Vec<Finding>, f64) {
    let max_k = pixels.iter().map(|q| q.2).fold(0.0, f64::max);
    let (w, h) = (g.width as usize, g.height as usize);
    let limit = baseline_k + p.margin_k;
    // Hot-pixel map (temperature, or NaN for cold / background).
    let mut hot = vec![f64::NAN; w * h];
    for &(x, y, t) in pixels {
        if t > limit {
            if let Some(c) = hot.get_mut(y as usize * w + x as usize) {
                *c = t;
            }
        }
    }
    let mut seen = vec![false; w * h];
    let px_area = 1.0 / (g.px_per_mm * g.px_per_mm);
    let mut found = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen.get(start).copied().unwrap_or(true) || hot.get(start).map_or(true, |t| t.is_nan()) {
            continue;
        }
        // Flood fill (4-connected) of one region.
        let (mut n, mut sw, mut sx, mut sy, mut peak) = (0usize, 0.0, 0.0, 0.0, 0.0f64);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let mut members = Vec::new();
        stack.push(start);
        if let Some(s) = seen.get_mut(start) {
            *s = true;
        }
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            let t = hot.get(i).copied().unwrap_or(f64::NAN);
            let wgt = t - baseline_k;
            n += 1;
            sw += wgt;
            sx += wgt * x as f64;
            sy += wgt * y as f64;
            peak = peak.max(t);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            members.push((x, y));
            let mut push = |j: usize| {
                if !seen.get(j).copied().unwrap_or(true) && hot.get(j).is_some_and(|t| !t.is_nan()) {
                    if let Some(s) = seen.get_mut(j) {
                        *s = true;
                    }
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < w {
                push(i + 1);
            }
            if y > 0 {
                push(i - w);
            }
            if y + 1 < h {
                push(i + w);
            }
        }
        let area_mm2 = n as f64 * px_area;
        if area_mm2 < p.min_area_mm2 || sw <= 0.0 {
            continue;
        }
        let (mx, my) = (sx / sw, sy / sw);
        // Unweighted second moments of the region: a disc of diameter D has D^2 / 16.
        let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
        for &(x, y) in &members {
            let (dx, dy) = (x as f64 - mx, y as f64 - my);
            cxx += dx * dx;
            cyy += dy * dy;
            cxy += dx * dy;
        }
        let nn = members.len() as f64;
        let (cxx, cyy, cxy) = (cxx / nn, cyy / nn, cxy / nn);
        let tr = cxx + cyy;
        let disc = (tr * tr / 4.0 - (cxx * cyy - cxy * cxy)).max(0.0).sqrt();
        let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(0.0));
        found.push(Finding {
            class: DefectClass::Hotspot,
            bbox: BBox::covering(x0 as f64, y0 as f64, x1 as f64, y1 as f64, g.width, g.height),
            center_mm: g.px_to_part(pose, mx, my),
            length_mm: 4.0 * l1.sqrt() / g.px_per_mm,
            width_mm: 4.0 * l2.sqrt() / g.px_per_mm,
            area_mm2,
            peak_temperature_k: peak,
            severity: ((peak - baseline_k) / p.scrap_delta_k).clamp(0.0, 1.0),
            // Peak well above the margin: certain; barely above: about half.
            confidence: (1.0 - 0.5 * p.margin_k / (peak - baseline_k).max(p.margin_k)).clamp(0.0, 1.0),
        });
    }
    (found, max_k)
}
