//! Taught references: the "teach" step learns, from N good parts of one type, the mean
//! grey image of the part in the nominal frame (lighting-normalised), the per-pixel
//! spread, the thermal baseline and the torque envelope; they are stored as one file
//! per station and part type under the configured data directory.
//!
//! File layout (`<data_dir>/<station>/<part_type>.qiref`): the magic line `QIREF1\n`, a
//! little-endian u64 header length, a YAML header ([`Header`]), then the mean and the
//! spread as little-endian f32, row-major over the nominal part rectangle.

use std::path::{Path, PathBuf};

use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::StationConfig;
use crate::defects::{block_means, fit_lighting, norm_coord};
use crate::error::InspectError;
use crate::frame::{validate_thermal, validate_visible, ImageView};
use crate::geometry::{Geometry, Roi};
use crate::image::grey_region;
use crate::register::{by_fiducials, warp_to_nominal};
use crate::thermal::{median_temperature, part_pixels};
use crate::torque::{TorqueEnvelope, TorqueTrace};

const MAGIC: &[u8] = b"QIREF1\n";
/// Fewest good parts a teach step accepts.
pub const MIN_TEACH_PARTS: usize = 3;
/// The spread map is smoothed over this many pixels square: a handful of samples per
/// pixel gives a noisy estimate; the neighbourhood steadies it.
const SIGMA_SMOOTH_PX: i32 = 5;

/// A taught reference of one part type at one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub header: Header,
    /// mean grey level per nominal pixel (unit lighting)
    pub mean: Vec<f32>,
    /// spread of the grey level per nominal pixel, grey levels
    pub sigma: Vec<f32>,
}

/// Everything but the images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub station: String,
    pub part_type: String,
    /// nominal part rectangle, image pixels
    pub roi_x: i32,
    pub roi_y: i32,
    pub roi_width: i32,
    pub roi_height: i32,
    pub px_per_mm: f64,
    /// good parts taught
    pub parts: u32,
    /// median part temperature of the good parts, kelvin
    pub thermal_baseline_k: Option<f64>,
    pub torque: Option<TorqueEnvelope>,
}

impl Reference {
    pub fn roi(&self) -> Roi {
        Roi {
            x: self.header.roi_x,
            y: self.header.roi_y,
            width: self.header.roi_width,
            height: self.header.roi_height,
        }
    }

    /// The file of a station's part type under `data_dir`.
    pub fn path(data_dir: &Path, station: &str, part_type: &str) -> Result<PathBuf, InspectError> {
        let ok =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok(station) || !ok(part_type) {
            return Err(InspectError::Storage {
                path: format!("{station}/{part_type}"),
                reason: "station and part type must be non-empty [A-Za-z0-9_-]".into(),
            });
        }
        Ok(data_dir.join(station).join(format!("{part_type}.qiref")))
    }

    pub fn save(&self, data_dir: &Path) -> Result<PathBuf, InspectError> {
        let path = Self::path(data_dir, &self.header.station, &self.header.part_type)?;
        let err = |reason: String| InspectError::Storage { path: path.display().to_string(), reason };
        let yaml = serde_yaml::to_string(&self.header).map_err(|e| err(e.to_string()))?;
        let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + yaml.len() + 8 * self.mean.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(yaml.len() as u64).to_le_bytes());
        bytes.extend_from_slice(yaml.as_bytes());
        for v in self.mean.iter().chain(&self.sigma) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        // Write then rename: a reader never sees half a file.
        let tmp = path.with_extension("qiref.tmp");
        std::fs::write(&tmp, &bytes).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, &path).map_err(|e| err(e.to_string()))?;
        Ok(path)
    }

    /// Loads a reference and checks it against the station's geometry.
    pub fn load(data_dir: &Path, cfg: &StationConfig, part_type: &str) -> Result<Self, InspectError> {
        let path = Self::path(data_dir, &cfg.id, part_type)?;
        let err = |reason: String| InspectError::Storage { path: path.display().to_string(), reason };
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| err("not a reference file (magic)".into()))?;
        let (len, rest) = rest.split_at_checked(8).ok_or_else(|| err("truncated header length".into()))?;
        let len = u64::from_le_bytes(len.try_into().map_err(|_| err("header length".into()))?) as usize;
        let (yaml, rest) = rest.split_at_checked(len).ok_or_else(|| err("truncated header".into()))?;
        let yaml = std::str::from_utf8(yaml).map_err(|e| err(e.to_string()))?;
        let header: Header = serde_yaml::from_str(yaml).map_err(|e| err(e.to_string()))?;
        let want = Geometry::visible(cfg).part_roi(0.0);
        let got =
            Roi { x: header.roi_x, y: header.roi_y, width: header.roi_width, height: header.roi_height };
        if header.station != cfg.id || header.part_type != part_type {
            return Err(err(format!("holds {}/{}", header.station, header.part_type)));
        }
        if got != want || (header.px_per_mm - cfg.camera.px_per_mm).abs() > 1e-9 {
            return Err(err("taught with another camera geometry: teach again".into()));
        }
        let n = got.area();
        if rest.len() != 8 * n {
            return Err(err(format!("image data holds {} B, expected {}", rest.len(), 8 * n)));
        }
        let floats: Vec<f32> =
            rest.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        let (mean, sigma) = floats.split_at(n);
        if mean.iter().chain(sigma).any(|v| !v.is_finite()) {
            return Err(err("non-finite pixel".into()));
        }
        Ok(Reference { header, mean: mean.to_vec(), sigma: sigma.to_vec() })
    }
}

/// Collects good parts of one type and learns their reference.
pub struct Teacher {
    cfg: StationConfig,
    geom: Geometry,
    part_type: String,
    roi: Roi,
    /// each good part in the nominal frame, mono8
    warped: Vec<Mat>,
    thermal_medians: Vec<f64>,
    traces: Vec<TorqueTrace>,
}

impl Teacher {
    pub fn new(cfg: &StationConfig, part_type: &str) -> Result<Self, InspectError> {
        if !cfg.part_types.iter().any(|t| t == part_type) {
            return Err(InspectError::Teach(format!(
                "part type '{part_type}' not configured at '{}'",
                cfg.id
            )));
        }
        let geom = Geometry::visible(cfg);
        Ok(Teacher {
            cfg: cfg.clone(),
            geom,
            part_type: part_type.to_string(),
            roi: geom.part_roi(0.0),
            warped: Vec::new(),
            thermal_medians: Vec::new(),
            traces: Vec::new(),
        })
    }

    /// Adds one good part: its visible frame (registered by the fiducials), optionally
    /// its thermal frame and its fastening trace.
    pub fn add_part(
        &mut self,
        visible: &ImageView<'_>,
        thermal: Option<&ImageView<'_>>,
        torque: Option<&TorqueTrace>,
    ) -> Result<(), InspectError> {
        let frame = validate_visible(visible, self.cfg.camera.width_px, self.cfg.camera.height_px)?;
        let grey = grey_region(&frame, self.geom.part_roi(self.cfg.part.search_radius_mm + 1.0))?;
        let reg = by_fiducials(
            &self.geom,
            &grey,
            self.cfg.part.fiducial_diameter_mm,
            self.cfg.part.search_radius_mm,
        )?
        .ok_or_else(|| InspectError::Registration("teach part: fiducials not found".into()))?;
        if reg.residual_px > self.cfg.tolerances.max_registration_residual_px {
            return Err(InspectError::Registration(format!(
                "teach part: fiducial residual {:.2} px",
                reg.residual_px
            )));
        }
        let mut out = Mat::default();
        warp_to_nominal(&self.geom, &grey, &reg.pose, self.roi, &mut out)?;
        if let (Some(t), Some(tg)) = (thermal, Geometry::thermal(&self.cfg)) {
            let th = validate_thermal(t, tg.width, tg.height)?;
            let px = part_pixels(&th, &tg, &reg.pose);
            let m = median_temperature(&px)
                .ok_or_else(|| InspectError::Teach("thermal frame shows no part pixels".into()))?;
            self.thermal_medians.push(m);
        }
        if let Some(tr) = torque {
            tr.validate()?;
            self.traces.push(tr.clone());
        }
        self.warped.push(out);
        Ok(())
    }

    /// Adds a good fastening's trace without images: the envelope wants more samples
    /// than the image statistics (the final angle scatters part to part).
    pub fn add_torque_trace(&mut self, trace: &TorqueTrace) -> Result<(), InspectError> {
        trace.validate()?;
        self.traces.push(trace.clone());
        Ok(())
    }

    pub fn parts(&self) -> usize {
        self.warped.len()
    }

    /// Learns the reference from the parts added so far.
    pub fn finish(&self) -> Result<Reference, InspectError> {
        let n = self.warped.len();
        if n < MIN_TEACH_PARTS {
            return Err(InspectError::Teach(format!("{n} good parts, need at least {MIN_TEACH_PARTS}")));
        }
        let (w, h) = (self.roi.width, self.roi.height);
        let px = self.roi.area();
        // Pass 1: plain mean, the lighting yardstick.
        let mut mean0 = vec![0f32; px];
        for m in &self.warped {
            for (a, b) in mean0.iter_mut().zip(m.data_bytes()?) {
                *a += f32::from(*b);
            }
        }
        mean0.iter_mut().for_each(|a| *a /= n as f32);
        let mean0_mat = Mat::new_rows_cols_with_data::<f32>(h, w, &mean0)?.try_clone()?;
        let (ref_blocks, bw, bh) = block_means(&mean0_mat)?;
        // Pass 2: each part divided by its lighting, then mean and spread.
        let xs: Vec<f64> = (0..w).map(|x| norm_coord(f64::from(x), w)).collect();
        let (mut sum, mut sq) = (vec![0f64; px], vec![0f64; px]);
        for m in &self.warped {
            let (blocks, _, _) = block_means(m)?;
            let light = fit_lighting(&blocks, &ref_blocks, bw, bh);
            let data = m.data_bytes()?;
            for y in 0..h as usize {
                let yy = norm_coord(y as f64, h);
                for (x, xx) in xs.iter().enumerate() {
                    let i = y * w as usize + x;
                    let v = f64::from(data.get(i).copied().unwrap_or(0)) / light.at(*xx, yy).max(0.05);
                    if let (Some(s), Some(q)) = (sum.get_mut(i), sq.get_mut(i)) {
                        *s += v;
                        *q += v * v;
                    }
                }
            }
        }
        let nf = n as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / nf) as f32).collect();
        let var: Vec<f32> =
            sum.iter().zip(&sq).map(|(s, q)| ((q - s * s / nf) / (nf - 1.0)).max(0.0) as f32).collect();
        // Smooth the variance, then take the root.
        let var_mat = Mat::new_rows_cols_with_data::<f32>(h, w, &var)?;
        let mut smooth = Mat::default();
        imgproc::blur_def(&var_mat, &mut smooth, Size::new(SIGMA_SMOOTH_PX, SIGMA_SMOOTH_PX))?;
        let sigma: Vec<f32> = smooth.data_typed::<f32>()?.iter().map(|v| v.max(0.0).sqrt()).collect();
        let thermal_baseline_k = if self.thermal_medians.is_empty() {
            None
        } else {
            Some(self.thermal_medians.iter().sum::<f64>() / self.thermal_medians.len() as f64)
        };
        let torque = match (&self.cfg.torque, self.traces.is_empty()) {
            (Some(p), false) => Some(TorqueEnvelope::teach(&self.traces, p)?),
            _ => None,
        };
        Ok(Reference {
            header: Header {
                station: self.cfg.id.clone(),
                part_type: self.part_type.clone(),
                roi_x: self.roi.x,
                roi_y: self.roi.y,
                roi_width: w,
                roi_height: h,
                px_per_mm: self.cfg.camera.px_per_mm,
                parts: n as u32,
                thermal_baseline_k,
                torque,
            },
            mean,
            sigma,
        })
    }
}
