//! One station's inspector: frame validation, registration, defect search, thermal and
//! torque checks, and the verdict with its correction; per-station counters.

use std::collections::BTreeMap;
use std::path::Path;

use opencv::core::Mat;
use opencv::prelude::*;

use crate::config::StationConfig;
use crate::defects::{
    block_means, cluster, fit_lighting, flag_pixels, measure, norm_coord, Flagged, FrameContext,
};
use crate::error::InspectError;
use crate::finding::{corrections, Correction, DefectClass, Finding};
use crate::frame::{validate_thermal, validate_visible, Frame, ImageView};
use crate::geometry::{Geometry, Pose, Roi};
use crate::image::grey_region;
use crate::reference::Reference;
use crate::register::{by_ecc, by_fiducials, ecc_template, warp_to_nominal, Registration};
use crate::thermal::{hotspots, median_temperature, part_pixels};
use crate::torque::TorqueTrace;

/// Part-type identification patch (nominal pixels, relative to the part rectangle):
/// away from the fiducials and the centre cross.
const ID_PATCH: (i32, i32, i32, i32) = (200, 150, 256, 96);
/// Lowest normalised correlation that identifies a part type.
const MIN_ID_CORRELATION: f64 = 0.5;

/// A reference ready for inspection: thresholds from the configuration, lighting blocks
/// and the ECC template precomputed.
struct Prepared {
    reference: Reference,
    threshold: Vec<f32>,
    blocks: Vec<f32>,
    bw: i32,
    bh: i32,
    ecc: Mat,
}

/// What one part's images show.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    pub station_id: String,
    pub part_type: String,
    pub passed: bool,
    pub registration: Registration,
    /// every finding; any finding fails the part
    pub findings: Vec<Finding>,
    /// hottest part temperature, kelvin (0 without a thermal image)
    pub max_temperature_k: f64,
    /// what to ask of the coordinator (empty when passed)
    pub corrections: Vec<Correction>,
    /// the anomalous-pixel list hit its cap (gross mismatch: wrong part, lighting failure)
    pub saturated: bool,
}

/// The inputs of one part.
#[derive(Debug, Clone, Copy)]
pub struct PartInput<'a> {
    pub visible: ImageView<'a>,
    pub thermal: Option<ImageView<'a>>,
    pub torque: Option<&'a TorqueTrace>,
    /// None: identified from the image among the taught types
    pub part_type: Option<&'a str>,
}

/// Per-station counters for diagnostics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationStats {
    pub inspected: u64,
    pub passed: u64,
    /// dropped inputs by reason code
    pub dropped: BTreeMap<String, u64>,
    /// failures by finding class
    pub failures: BTreeMap<&'static str, u64>,
}

impl StationStats {
    /// Fraction of inspected parts that passed (None before the first).
    pub fn pass_rate(&self) -> Option<f64> {
        (self.inspected > 0).then(|| self.passed as f64 / self.inspected as f64)
    }

    pub fn drop(&mut self, reason: &str) {
        *self.dropped.entry(reason.to_string()).or_insert(0) += 1;
    }
}

pub struct Inspector {
    cfg: StationConfig,
    geom: Geometry,
    thermal_geom: Option<Geometry>,
    roi: Roi,
    xs: Vec<f32>,
    refs: Vec<Prepared>,
    stats: StationStats,
    /// reused between frames
    warped: Mat,
    flagged: Vec<Flagged>,
}

/// Reason code of an inspection error, for the drop counters.
pub fn reason(e: &InspectError) -> &'static str {
    match e {
        InspectError::Frame(f) => f.reason(),
        InspectError::Registration(_) => "registration_failed",
        InspectError::NoReference { .. } => "unknown_part_type",
        InspectError::Torque(_) => "bad_torque_trace",
        _ => "internal_error",
    }
}

impl Inspector {
    /// An inspector without references; add them with [`Self::add_reference`] or
    /// [`Self::load_references`].
    pub fn new(cfg: &StationConfig) -> Result<Self, InspectError> {
        cfg.validate().map_err(|e| InspectError::Teach(e.to_string()))?;
        let geom = Geometry::visible(cfg);
        let roi = geom.part_roi(0.0);
        Ok(Inspector {
            cfg: cfg.clone(),
            geom,
            thermal_geom: Geometry::thermal(cfg),
            roi,
            xs: (0..roi.width).map(|x| norm_coord(f64::from(x), roi.width) as f32).collect(),
            refs: Vec::new(),
            stats: StationStats::default(),
            warped: Mat::default(),
            flagged: Vec::new(),
        })
    }

    pub fn config(&self) -> &StationConfig {
        &self.cfg
    }

    pub fn geometry(&self) -> &Geometry {
        &self.geom
    }

    pub fn stats(&self) -> &StationStats {
        &self.stats
    }

    /// Counts an input dropped outside [`Self::inspect`] (e.g. a thermal frame rejected
    /// on arrival).
    pub fn count_drop(&mut self, reason: &str) {
        self.stats.drop(reason);
    }

    /// Part types with a reference.
    pub fn taught_types(&self) -> Vec<&str> {
        self.refs.iter().map(|p| p.reference.header.part_type.as_str()).collect()
    }

    /// Loads every configured part type's reference from `data_dir`; returns the types
    /// that could not be loaded, with the reason.
    pub fn load_references(&mut self, data_dir: &Path) -> Vec<(String, InspectError)> {
        let mut missing = Vec::new();
        for t in self.cfg.part_types.clone() {
            match Reference::load(data_dir, &self.cfg, &t).and_then(|r| self.add_reference(r)) {
                Ok(()) => {}
                Err(e) => missing.push((t, e)),
            }
        }
        missing
    }

    /// Uses `r` (replacing an earlier reference of the same type).
    pub fn add_reference(&mut self, r: Reference) -> Result<(), InspectError> {
        if r.roi() != self.roi || r.mean.len() != self.roi.area() || r.sigma.len() != self.roi.area() {
            return Err(InspectError::Teach("reference does not match this station's geometry".into()));
        }
        let threshold = self.thresholds(&r.sigma);
        let mean_mat =
            Mat::new_rows_cols_with_data::<f32>(self.roi.height, self.roi.width, &r.mean)?.try_clone()?;
        let (blocks, bw, bh) = block_means(&mean_mat)?;
        let ecc = ecc_template(&mean_mat)?;
        self.refs.retain(|p| p.reference.header.part_type != r.header.part_type);
        self.refs.push(Prepared { reference: r, threshold, blocks, bw, bh, ecc });
        Ok(())
    }

    /// Per-pixel thresholds: k sigma, at least the minimum contrast; infinite where the
    /// part is not inspected (edges, fiducials).
    fn thresholds(&self, sigma: &[f32]) -> Vec<f32> {
        let d = &self.cfg.defects;
        let p = &self.cfg.part;
        let (hw, hh) = (p.width_mm / 2.0 - p.edge_margin_mm, p.height_mm / 2.0 - p.edge_margin_mm);
        let mut keepout: Vec<(f64, f64)> = self.geom.fiducials_mm().to_vec();
        keepout.push((0.0, 0.0));
        let w = self.roi.width as usize;
        sigma
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (u, v) = ((i % w) as f64 + f64::from(self.roi.x), (i / w) as f64 + f64::from(self.roi.y));
                let q = self.geom.nominal_px_to_part(u, v);
                let inside = q.0.abs() <= hw && q.1.abs() <= hh;
                let near_fid = keepout.iter().any(|f| (f.0 - q.0).hypot(f.1 - q.1) < p.fiducial_keepout_mm);
                if inside && !near_fid {
                    ((d.k_sigma * f64::from(*s)).max(d.min_contrast)) as f32
                } else {
                    f32::INFINITY
                }
            })
            .collect()
    }

    /// Inspects one part. Inputs that cannot be inspected are counted by reason and
    /// returned as errors; everything else gives a verdict.
    pub fn inspect(&mut self, input: &PartInput<'_>) -> Result<Inspection, InspectError> {
        match self.inspect_inner(input) {
            Ok(r) => {
                self.stats.inspected += 1;
                if r.passed {
                    self.stats.passed += 1;
                }
                for f in &r.findings {
                    *self.stats.failures.entry(f.class.as_str()).or_insert(0) += 1;
                }
                Ok(r)
            }
            Err(e) => {
                self.stats.drop(reason(&e));
                Err(e)
            }
        }
    }

    fn inspect_inner(&mut self, input: &PartInput<'_>) -> Result<Inspection, InspectError> {
        let cam = &self.cfg.camera;
        let frame = validate_visible(&input.visible, cam.width_px, cam.height_px)?;
        let thermal = match (&input.thermal, &self.thermal_geom) {
            (Some(t), Some(tg)) => Some(validate_thermal(t, tg.width, tg.height)?),
            _ => None,
        };
        if self.refs.is_empty() {
            return Err(InspectError::NoReference {
                station: self.cfg.id.clone(),
                part_type: input.part_type.unwrap_or("any").to_string(),
            });
        }
        let given = match input.part_type {
            Some(t) => {
                Some(self.refs.iter().position(|p| p.reference.header.part_type == t).ok_or_else(|| {
                    InspectError::NoReference { station: self.cfg.id.clone(), part_type: t.to_string() }
                })?)
            }
            None => None,
        };
        let part = &self.cfg.part;
        let grey = grey_region(&frame, self.geom.part_roi(part.search_radius_mm + 1.0))?;
        let mut reg = by_fiducials(&self.geom, &grey, part.fiducial_diameter_mm, part.search_radius_mm)?
            .filter(|r| r.residual_px <= self.cfg.tolerances.max_registration_residual_px);
        if reg.is_none() {
            // Fallback: ECC against the given type's reference, else the first one's
            // (all types share the outline and the fiducials).
            let p = self
                .refs
                .get(given.unwrap_or(0))
                .ok_or_else(|| InspectError::Registration("no reference".into()))?;
            reg = by_ecc(&self.geom, &grey, &p.ecc, (self.roi.x, self.roi.y))?;
        }
        let reg =
            reg.ok_or_else(|| InspectError::Registration("fiducials not found and ECC failed".into()))?;
        let mut warped = std::mem::take(&mut self.warped);
        warp_to_nominal(&self.geom, &grey, &reg.pose, self.roi, &mut warped)?;
        let idx = match given {
            Some(i) => i,
            None => self.identify(&warped)?,
        };
        let result = self.analyse(&frame, thermal.as_ref(), input.torque, &warped, idx, reg);
        self.warped = warped;
        result
    }

    /// The taught type whose texture correlates best with the frame's.
    fn identify(&self, warped: &Mat) -> Result<usize, InspectError> {
        if self.refs.len() == 1 {
            return Ok(0);
        }
        let data = warped.data_bytes()?;
        let w = self.roi.width as usize;
        let (px, py, pw, ph) = ID_PATCH;
        let mut best = (f64::MIN, 0usize);
        for (k, p) in self.refs.iter().enumerate() {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for y in py..(py + ph).min(self.roi.height) {
                for x in px..(px + pw).min(self.roi.width) {
                    let i = y as usize * w + x as usize;
                    let (Some(a), Some(b)) = (data.get(i), p.reference.mean.get(i)) else { continue };
                    let (a, b) = (f64::from(*a), f64::from(*b));
                    sa += a;
                    sb += b;
                    saa += a * a;
                    sbb += b * b;
                    sab += a * b;
                    n += 1.0;
                }
            }
            let cov = sab - sa * sb / n;
            let den = ((saa - sa * sa / n) * (sbb - sb * sb / n)).sqrt();
            let ncc = if den > 0.0 { cov / den } else { 0.0 };
            if ncc > best.0 {
                best = (ncc, k);
            }
        }
        if best.0 < MIN_ID_CORRELATION {
            return Err(InspectError::NoReference {
                station: self.cfg.id.clone(),
                part_type: "unidentified".into(),
            });
        }
        Ok(best.1)
    }

    fn analyse(
        &mut self,
        frame: &Frame<'_>,
        thermal: Option<&Frame<'_>>,
        torque: Option<&TorqueTrace>,
        warped: &Mat,
        idx: usize,
        reg: Registration,
    ) -> Result<Inspection, InspectError> {
        let p = self.refs.get(idx).ok_or_else(|| InspectError::Registration("reference index".into()))?;
        let (w, h) = (self.roi.width, self.roi.height);
        let (blocks, _, _) = block_means(warped)?;
        let light = fit_lighting(&blocks, &p.blocks, p.bw, p.bh);
        self.flagged.clear();
        let complete = flag_pixels(
            warped.data_bytes()?,
            &p.reference.mean,
            &p.threshold,
            w,
            h,
            &light,
            &self.xs,
            &mut self.flagged,
        );
        let mut findings = Vec::new();
        let d = &self.cfg.defects;
        let groups = cluster(&self.flagged, w, h, d.merge_distance_mm * self.geom.px_per_mm)?;
        let ctx = FrameContext { frame, geom: &self.geom, pose: &reg.pose, roi: self.roi };
        for g in &groups {
            if let Some(f) = measure(&self.flagged, g, &ctx, d) {
                findings.push(f);
            }
        }
        if let Some(f) = self.misalignment(&reg.pose) {
            findings.push(f);
        }
        let mut max_temperature_k = 0.0;
        if let (Some(th), Some(tg), Some(tp)) = (thermal, &self.thermal_geom, &self.cfg.thermal) {
            let px = part_pixels(th, tg, &reg.pose);
            // Taught baseline; without one, this part's median (a hotspot is small).
            let base = p.reference.header.thermal_baseline_k.or_else(|| median_temperature(&px));
            if let Some(base) = base {
                let (hot, max_k) = hotspots(&px, tg, &reg.pose, base, tp);
                findings.extend(hot);
                max_temperature_k = max_k;
            }
        }
        if let (Some(trace), Some(env)) = (torque, &p.reference.header.torque) {
            if let Some(v) = env.check(trace)? {
                findings.push(env.finding(&v));
            }
        }
        let corrections = corrections(&findings);
        Ok(Inspection {
            station_id: self.cfg.id.clone(),
            part_type: p.reference.header.part_type.clone(),
            passed: findings.is_empty(),
            registration: reg,
            findings,
            max_temperature_k,
            corrections,
            saturated: !complete,
        })
    }

    /// The misalignment finding when the pose is outside tolerance; severity 0.5 at the
    /// tolerance, 1 at twice it.
    fn misalignment(&self, pose: &Pose) -> Option<Finding> {
        let t = &self.cfg.tolerances;
        let ratio = (pose.dx_mm.abs() / t.offset_mm)
            .max(pose.dy_mm.abs() / t.offset_mm)
            .max(pose.rotation_deg.abs() / t.rotation_deg);
        (ratio > 1.0).then(|| {
            let mut f = Finding::non_visual(DefectClass::Misalignment, ratio / 2.0, 1.0);
            f.center_mm = (pose.dx_mm, pose.dy_mm);
            f
        })
    }
}
