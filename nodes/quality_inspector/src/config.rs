//! Per-station configuration of the inspector, with defaults, units and validation.
//!
//! The geometry (image size, pixels per millimetre, part outline and fiducials) must
//! match the camera: for the digital twin it is the `cameras:` section of
//! config/factory.yaml.

use factory_layout::FactoryConfig;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The whole inspector: where taught references live and one entry per station.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectorConfig {
    /// Directory of the taught references (one set of files per station and part type).
    #[serde(default = "d_data_dir")]
    pub data_dir: String,
    pub stations: Vec<StationConfig>,
}

/// One inspection station: its cameras, the part it sees and the acceptance limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// Station id (the topic namespace, e.g. `inspect`).
    pub id: String,
    pub camera: CameraGeometryConfig,
    #[serde(default)]
    pub part: PartConfig,
    /// Part types this station sees; each needs a taught reference.
    pub part_types: Vec<String>,
    #[serde(default)]
    pub tolerances: Tolerances,
    #[serde(default)]
    pub defects: DefectParams,
    /// Absent: no thermal camera at this station.
    #[serde(default)]
    pub thermal: Option<ThermalParams>,
    /// Absent: no fastening at this station.
    #[serde(default)]
    pub torque: Option<TorqueParams>,
}

/// Visible camera: image size and scale (intrinsics of an undistorted, fronto-parallel view).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraGeometryConfig {
    /// Image size, pixels.
    pub width_px: u32,
    pub height_px: u32,
    /// Scale on the part plane, pixels per millimetre.
    pub px_per_mm: f64,
}

/// Part outline and fiducials, millimetres, part frame centred on the part.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartConfig {
    #[serde(default = "d_part_w")]
    pub width_mm: f64,
    #[serde(default = "d_part_h")]
    pub height_mm: f64,
    /// Distance of the four corner fiducial discs from the part edges, millimetres.
    #[serde(default = "d_fid_inset")]
    pub fiducial_inset_mm: f64,
    #[serde(default = "d_fid_diam")]
    pub fiducial_diameter_mm: f64,
    /// Largest expected misplacement: fiducials are searched this far from nominal, millimetres.
    #[serde(default = "d_search")]
    pub search_radius_mm: f64,
    /// Band along the part edges left out of the defect search, millimetres.
    #[serde(default = "d_edge_margin")]
    pub edge_margin_mm: f64,
    /// Radius around each fiducial centre left out of the defect search, millimetres
    /// (the centre cross is 8 mm long).
    #[serde(default = "d_fid_keepout")]
    pub fiducial_keepout_mm: f64,
}

/// Pass/fail limits of the part pose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    /// Largest accepted offset along x or y, millimetres.
    #[serde(default = "d_tol_mm")]
    pub offset_mm: f64,
    /// Largest accepted rotation, degrees.
    #[serde(default = "d_tol_deg")]
    pub rotation_deg: f64,
    /// Fiducial fit residual (RMS) above which the registration is rejected, pixels.
    #[serde(default = "d_max_residual")]
    pub max_registration_residual_px: f64,
}

/// Visible defect search and classification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefectParams {
    /// A pixel is anomalous when |frame - reference| exceeds `k_sigma` times the taught
    /// per-pixel spread ...
    #[serde(default = "d_k_sigma")]
    pub k_sigma: f64,
    /// ... and at least this many grey levels (0..255).
    #[serde(default = "d_min_contrast")]
    pub min_contrast: f64,
    /// Anomalous pixels closer than this are one defect, millimetres.
    #[serde(default = "d_merge_mm")]
    pub merge_distance_mm: f64,
    /// A defect's strongest pixel must exceed its threshold by this factor (faint
    /// clusters just over the threshold are texture).
    #[serde(default = "d_min_peak")]
    pub min_peak_ratio: f64,
    /// Defects shorter than this are ignored, millimetres.
    #[serde(default = "d_min_size")]
    pub min_size_mm: f64,
    /// Mean colour saturation (max - min channel, grey levels) that makes a defect a
    /// contamination (colour images).
    #[serde(default = "d_min_sat")]
    pub contamination_saturation: f64,
    /// Major/minor axis ratio from which a defect is a scratch.
    #[serde(default = "d_elong")]
    pub scratch_elongation: f64,
    /// Mono images only: a compact defect at least this wide whose contrast is below
    /// `contamination_max_contrast` is a contamination, millimetres.
    #[serde(default = "d_mono_contam_mm")]
    pub mono_contamination_min_mm: f64,
    #[serde(default = "d_mono_contam_c")]
    pub contamination_max_contrast: f64,
    /// Sizes at which a defect is severity 1 (scrap), millimetres of length.
    #[serde(default = "d_scrap_scratch")]
    pub scrap_scratch_mm: f64,
    #[serde(default = "d_scrap_pit")]
    pub scrap_pit_mm: f64,
    #[serde(default = "d_scrap_contam")]
    pub scrap_contamination_mm: f64,
}

/// Thermal camera (mono16, centi-kelvin) sharing the visible field of view.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalParams {
    pub width_px: u32,
    pub height_px: u32,
    /// A hotspot is a region warmer than the taught part baseline by this much, kelvin.
    #[serde(default = "d_margin_k")]
    pub margin_k: f64,
    /// Hotspots smaller than this are ignored, square millimetres.
    #[serde(default = "d_min_hot_area")]
    pub min_area_mm2: f64,
    /// Rise above baseline at which a hotspot is severity 1, kelvin.
    #[serde(default = "d_scrap_k")]
    pub scrap_delta_k: f64,
}

/// Fastening torque-angle envelope, learned from good traces.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TorqueParams {
    /// Envelope resolution along the angle, degrees.
    #[serde(default = "d_bin_deg")]
    pub bin_deg: f64,
    /// Envelope half-width in taught standard deviations ...
    #[serde(default = "d_torque_k")]
    pub k_sigma: f64,
    /// ... and at least this, newton-metres.
    #[serde(default = "d_min_band")]
    pub min_band_nm: f64,
    /// Accepted deviation of the final angle from the taught mean, degrees.
    #[serde(default = "d_final_angle")]
    pub final_angle_tolerance_deg: f64,
}

fn d_data_dir() -> String {
    "data/quality_inspector".into()
}
fn d_part_w() -> f64 {
    200.0
}
fn d_part_h() -> f64 {
    160.0
}
fn d_fid_inset() -> f64 {
    12.0
}
fn d_fid_diam() -> f64 {
    6.0
}
fn d_search() -> f64 {
    4.0
}
fn d_edge_margin() -> f64 {
    2.0
}
fn d_fid_keepout() -> f64 {
    5.0
}
fn d_tol_mm() -> f64 {
    1.0
}
fn d_tol_deg() -> f64 {
    1.0
}
fn d_max_residual() -> f64 {
    1.0
}
fn d_k_sigma() -> f64 {
    6.0
}
fn d_min_contrast() -> f64 {
    16.0
}
fn d_merge_mm() -> f64 {
    1.0
}
fn d_min_peak() -> f64 {
    1.5
}
fn d_min_size() -> f64 {
    0.2
}
fn d_min_sat() -> f64 {
    15.0
}
fn d_elong() -> f64 {
    2.5
}
fn d_mono_contam_mm() -> f64 {
    1.8
}
fn d_mono_contam_c() -> f64 {
    60.0
}
fn d_scrap_scratch() -> f64 {
    10.0
}
fn d_scrap_pit() -> f64 {
    2.0
}
fn d_scrap_contam() -> f64 {
    10.0
}
fn d_margin_k() -> f64 {
    3.0
}
fn d_min_hot_area() -> f64 {
    2.0
}
fn d_scrap_k() -> f64 {
    30.0
}
fn d_bin_deg() -> f64 {
    5.0
}
fn d_torque_k() -> f64 {
    4.0
}
fn d_min_band() -> f64 {
    0.3
}
fn d_final_angle() -> f64 {
    10.0
}

impl Default for PartConfig {
    fn default() -> Self {
        PartConfig {
            width_mm: d_part_w(),
            height_mm: d_part_h(),
            fiducial_inset_mm: d_fid_inset(),
            fiducial_diameter_mm: d_fid_diam(),
            search_radius_mm: d_search(),
            edge_margin_mm: d_edge_margin(),
            fiducial_keepout_mm: d_fid_keepout(),
        }
    }
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            offset_mm: d_tol_mm(),
            rotation_deg: d_tol_deg(),
            max_registration_residual_px: d_max_residual(),
        }
    }
}

impl Default for DefectParams {
    fn default() -> Self {
        DefectParams {
            k_sigma: d_k_sigma(),
            min_contrast: d_min_contrast(),
            merge_distance_mm: d_merge_mm(),
            min_peak_ratio: d_min_peak(),
            min_size_mm: d_min_size(),
            contamination_saturation: d_min_sat(),
            scratch_elongation: d_elong(),
            mono_contamination_min_mm: d_mono_contam_mm(),
            contamination_max_contrast: d_mono_contam_c(),
            scrap_scratch_mm: d_scrap_scratch(),
            scrap_pit_mm: d_scrap_pit(),
            scrap_contamination_mm: d_scrap_contam(),
        }
    }
}

impl ThermalParams {
    pub fn new(width_px: u32, height_px: u32) -> Self {
        ThermalParams {
            width_px,
            height_px,
            margin_k: d_margin_k(),
            min_area_mm2: d_min_hot_area(),
            scrap_delta_k: d_scrap_k(),
        }
    }
}

impl Default for TorqueParams {
    fn default() -> Self {
        TorqueParams {
            bin_deg: d_bin_deg(),
            k_sigma: d_torque_k(),
            min_band_nm: d_min_band(),
            final_angle_tolerance_deg: d_final_angle(),
        }
    }
}

fn positive(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::Invalid { field: field.to_string(), reason: format!("must be > 0, got {v}") })
    }
}

fn non_negative(field: &str, v: f64) -> Result<(), ConfigError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::Invalid { field: field.to_string(), reason: format!("must be >= 0, got {v}") })
    }
}

impl InspectorConfig {
    /// Parses and validates a YAML document.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let cfg: InspectorConfig =
            serde_yaml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.stations.is_empty() {
            return Err(ConfigError::Invalid { field: "stations".into(), reason: "empty".into() });
        }
        for (i, s) in self.stations.iter().enumerate() {
            if self.stations.iter().skip(i + 1).any(|o| o.id == s.id) {
                return Err(ConfigError::Invalid {
                    field: format!("stations[{i}].id"),
                    reason: format!("duplicate station '{}'", s.id),
                });
            }
            s.validate().map_err(|e| match e {
                ConfigError::Invalid { field, reason } => {
                    ConfigError::Invalid { field: format!("stations[{i}].{field}"), reason }
                }
                other => other,
            })?;
        }
        Ok(())
    }

    pub fn station(&self, id: &str) -> Option<&StationConfig> {
        self.stations.iter().find(|s| s.id == id)
    }
}

impl StationConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, reason: &str| {
            Err(ConfigError::Invalid { field: field.to_string(), reason: reason.to_string() })
        };
        if self.id.is_empty() {
            return bad("id", "empty");
        }
        if self.part_types.is_empty() {
            return bad("part_types", "empty");
        }
        let c = &self.camera;
        if c.width_px < 64 || c.height_px < 64 {
            return bad("camera.width_px", "image must be at least 64 x 64");
        }
        positive("camera.px_per_mm", c.px_per_mm)?;
        let p = &self.part;
        positive("part.width_mm", p.width_mm)?;
        positive("part.height_mm", p.height_mm)?;
        positive("part.fiducial_diameter_mm", p.fiducial_diameter_mm)?;
        positive("part.search_radius_mm", p.search_radius_mm)?;
        non_negative("part.edge_margin_mm", p.edge_margin_mm)?;
        non_negative("part.fiducial_keepout_mm", p.fiducial_keepout_mm)?;
        if p.fiducial_inset_mm <= p.fiducial_diameter_mm / 2.0
            || 2.0 * p.fiducial_inset_mm >= p.width_mm.min(p.height_mm)
        {
            return bad("part.fiducial_inset_mm", "fiducials must lie inside the part");
        }
        // The part with its search margin must fit in the image.
        let need_w = (p.width_mm + 2.0 * p.search_radius_mm) * c.px_per_mm;
        let need_h = (p.height_mm + 2.0 * p.search_radius_mm) * c.px_per_mm;
        if need_w > f64::from(c.width_px) || need_h > f64::from(c.height_px) {
            return bad("part.width_mm", "part plus search radius does not fit in the image");
        }
        positive("tolerances.offset_mm", self.tolerances.offset_mm)?;
        positive("tolerances.rotation_deg", self.tolerances.rotation_deg)?;
        positive("tolerances.max_registration_residual_px", self.tolerances.max_registration_residual_px)?;
        let d = &self.defects;
        positive("defects.k_sigma", d.k_sigma)?;
        positive("defects.min_contrast", d.min_contrast)?;
        non_negative("defects.merge_distance_mm", d.merge_distance_mm)?;
        non_negative("defects.min_size_mm", d.min_size_mm)?;
        if !(d.min_peak_ratio.is_finite() && d.min_peak_ratio >= 1.0) {
            return bad("defects.min_peak_ratio", "must be >= 1");
        }
        positive("defects.contamination_saturation", d.contamination_saturation)?;
        if !(d.scratch_elongation.is_finite() && d.scratch_elongation > 1.0) {
            return bad("defects.scratch_elongation", "must be > 1");
        }
        positive("defects.mono_contamination_min_mm", d.mono_contamination_min_mm)?;
        positive("defects.contamination_max_contrast", d.contamination_max_contrast)?;
        positive("defects.scrap_scratch_mm", d.scrap_scratch_mm)?;
        positive("defects.scrap_pit_mm", d.scrap_pit_mm)?;
        positive("defects.scrap_contamination_mm", d.scrap_contamination_mm)?;
        if let Some(t) = &self.thermal {
            if t.width_px < 8 || t.height_px < 8 {
                return bad("thermal.width_px", "thermal image must be at least 8 x 8");
            }
            positive("thermal.margin_k", t.margin_k)?;
            non_negative("thermal.min_area_mm2", t.min_area_mm2)?;
            positive("thermal.scrap_delta_k", t.scrap_delta_k)?;
        }
        if let Some(t) = &self.torque {
            positive("torque.bin_deg", t.bin_deg)?;
            positive("torque.k_sigma", t.k_sigma)?;
            non_negative("torque.min_band_nm", t.min_band_nm)?;
            positive("torque.final_angle_tolerance_deg", t.final_angle_tolerance_deg)?;
        }
        Ok(())
    }

    /// Thermal pixels per millimetre: the thermal camera spans the visible field of view
    /// horizontally.
    pub fn thermal_px_per_mm(&self) -> Option<f64> {
        self.thermal
            .as_ref()
            .map(|t| self.camera.px_per_mm * f64::from(t.width_px) / f64::from(self.camera.width_px))
    }
}

/// Settings shared by every station when the stations come from the twin's layout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StationTemplate {
    /// Fiducial search radius, millimetres.
    pub search_radius_mm: f64,
    /// Band along the part edges left out of the defect search, millimetres.
    pub edge_margin_mm: f64,
    /// Radius around each fiducial left out of the defect search, millimetres.
    pub fiducial_keepout_mm: f64,
    pub tolerances: Tolerances,
    pub defects: DefectParams,
    /// Hotspot margin over the taught baseline, kelvin.
    pub thermal_margin_k: f64,
    /// Smallest reported hotspot, square millimetres.
    pub thermal_min_area_mm2: f64,
    /// Rise over baseline at which a hotspot is severity 1, kelvin.
    pub thermal_scrap_delta_k: f64,
    pub torque: TorqueParams,
}

impl Default for StationTemplate {
    fn default() -> Self {
        StationTemplate {
            search_radius_mm: d_search(),
            edge_margin_mm: d_edge_margin(),
            fiducial_keepout_mm: d_fid_keepout(),
            tolerances: Tolerances::default(),
            defects: DefectParams::default(),
            thermal_margin_k: d_margin_k(),
            thermal_min_area_mm2: d_min_hot_area(),
            thermal_scrap_delta_k: d_scrap_k(),
            torque: TorqueParams::default(),
        }
    }
}

/// One station per entry of the `cameras:` section of a factory layout
/// (config/factory.yaml, read by factory_layout with the twin's defaults), with
/// `template` for everything the layout does not say: image size, scale, part
/// outline, thermal image size and part types are the camera's, and a station that
/// fastens gets the template's torque envelope.
pub fn stations_from_layout(
    layout: &FactoryConfig,
    template: &StationTemplate,
) -> Result<Vec<StationConfig>, ConfigError> {
    let mut out = Vec::new();
    for (i, c) in layout.cameras.iter().enumerate() {
        let thermal = c.thermal.as_ref().map(|t| ThermalParams {
            width_px: t.width_px,
            height_px: t.height_px,
            margin_k: template.thermal_margin_k,
            min_area_mm2: template.thermal_min_area_mm2,
            scrap_delta_k: template.thermal_scrap_delta_k,
        });
        let s = StationConfig {
            id: c.station.clone(),
            camera: CameraGeometryConfig {
                width_px: c.width_px,
                height_px: c.height_px,
                px_per_mm: c.px_per_mm,
            },
            part: PartConfig {
                width_mm: c.part.width_mm,
                height_mm: c.part.height_mm,
                fiducial_inset_mm: c.part.fiducial_inset_mm,
                fiducial_diameter_mm: c.part.fiducial_diameter_mm,
                search_radius_mm: template.search_radius_mm,
                edge_margin_mm: template.edge_margin_mm,
                fiducial_keepout_mm: template.fiducial_keepout_mm,
            },
            part_types: layout.camera_part_types(c),
            tolerances: template.tolerances.clone(),
            defects: template.defects.clone(),
            thermal,
            // The trace's model parameters are the twin's business; the envelope is taught.
            torque: c.fastening.is_some().then(|| template.torque.clone()),
        };
        s.validate().map_err(|e| match e {
            ConfigError::Invalid { field, reason } => {
                ConfigError::Invalid { field: format!("cameras[{i}].{field}"), reason }
            }
            other => other,
        })?;
        out.push(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_layout::fixtures::SMALL_FACTORY;

    /// factory_layout's small test factory with a `cameras:` section.
    fn layout_with_cameras(cameras: &str) -> FactoryConfig {
        FactoryConfig::from_yaml_str(&format!("{SMALL_FACTORY}cameras:\n{cameras}")).expect("a valid layout")
    }

    #[test]
    fn stations_come_from_the_twin_layout() {
        let layout = FactoryConfig::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/factory.yaml"))
            .expect("config/factory.yaml");
        let s = stations_from_layout(&layout, &StationTemplate::default()).expect("stations");
        let inspect = s.iter().find(|s| s.id == "inspect").expect("inspect station");
        assert_eq!((inspect.camera.width_px, inspect.camera.height_px), (1280, 1024));
        assert_eq!(inspect.camera.px_per_mm, 5.0);
        assert_eq!(inspect.thermal_px_per_mm(), Some(1.25));
        assert_eq!(inspect.part_types, vec!["A", "B", "C"]);
        assert!(inspect.torque.is_some(), "the inspect station fastens its parts");
        let no_fastening = layout_with_cameras("  - { station: s2, width_px: 1280, height_px: 1024, px_per_mm: 5.0, part_types: [A],\n      part: { width_mm: 200, height_mm: 160, fiducial_inset_mm: 12, fiducial_diameter_mm: 6 } }\n");
        let s = stations_from_layout(&no_fastening, &StationTemplate::default()).expect("stations");
        assert!(s[0].torque.is_none());
    }

    #[test]
    fn a_camera_takes_the_twins_defaults_and_its_stations_variants() {
        let layout = layout_with_cameras("  - { station: s3, thermal: {} }\n");
        let s = stations_from_layout(&layout, &StationTemplate::default()).expect("stations");
        assert_eq!((s[0].camera.width_px, s[0].camera.height_px, s[0].camera.px_per_mm), (1280, 1024, 5.0));
        assert_eq!((s[0].part.width_mm, s[0].part.height_mm), (200.0, 160.0));
        assert_eq!(s[0].thermal.as_ref().map(|t| (t.width_px, t.height_px)), Some((320, 256)));
        assert_eq!(s[0].part_types, ["A", "B"], "every variant station s3 processes");
    }

    #[test]
    fn invalid_values_name_their_field() {
        // The layout checks its own ranges on load; the inspector names the field of a
        // value it cannot use however the layout was made.
        let mut layout = layout_with_cameras("  - { station: s2, width_px: 1280, height_px: 1024, px_per_mm: 5.0, part_types: [A],\n      part: { width_mm: 200, height_mm: 160, fiducial_inset_mm: 12, fiducial_diameter_mm: 6 } }\n");
        layout.cameras[0].px_per_mm = -1.0;
        match stations_from_layout(&layout, &StationTemplate::default()) {
            Err(ConfigError::Invalid { field, .. }) => assert_eq!(field, "cameras[0].camera.px_per_mm"),
            other => panic!("{other:?}"),
        }
        // Valid for the twin, too small an image for the inspector.
        let layout = layout_with_cameras(
            "  - { station: s2, width_px: 32, height_px: 32, px_per_mm: 0.1, part_types: [A] }\n",
        );
        assert!(matches!(
            stations_from_layout(&layout, &StationTemplate::default()),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
