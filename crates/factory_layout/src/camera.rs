//! The `cameras:` section: inspection cameras at stations. The simulator's renderer
//! reads all of it (part look, injected defects, misalignment, lighting, thermal and
//! fastening models); the quality inspector takes the image geometry, the part outline
//! and whether the station has a thermal camera and fastens.

use serde::{Deserialize, Serialize};

/// A visible (and optionally thermal) camera looking at the part in work at a station.
/// Part coordinates: millimetres from the part centre, x to the image right, y to the
/// image bottom at the nominal pose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Station whose part in work is imaged (stations[].id).
    pub station: String,
    /// Image size, pixels.
    #[serde(default = "camera_width_px")]
    pub width_px: u32,
    #[serde(default = "camera_height_px")]
    pub height_px: u32,
    /// Scale of the visible image, pixels per millimetre.
    #[serde(default = "camera_px_per_mm")]
    pub px_per_mm: f64,
    /// Frames per simulated second while a part is at the station, hertz.
    #[serde(default = "camera_rate_hz")]
    pub rate_hz: f64,
    /// 0: the camera streams at `rate_hz` while a part is at the station. n: a
    /// triggered camera (a part-present sensor fires it), n frames at `rate_hz` per part.
    #[serde(default)]
    pub frames_per_part: u32,
    /// Variants imaged; empty = every variant the station processes
    /// ([`crate::FactoryConfig::camera_part_types`] resolves it).
    #[serde(default)]
    pub part_types: Vec<String>,
    #[serde(default)]
    pub part: PartLookConfig,
    #[serde(default)]
    pub defects: DefectInjectionConfig,
    #[serde(default)]
    pub misalignment: MisalignmentConfig,
    #[serde(default)]
    pub lighting: LightingConfig,
    /// Absent: no thermal camera at this station.
    #[serde(default)]
    pub thermal: Option<ThermalCameraConfig>,
    /// Absent: no fastening at this station. Present: the station's nutrunner drives
    /// the part's bolt just before it is imaged, and its torque-angle trace is published.
    #[serde(default)]
    pub fastening: Option<FasteningConfig>,
}

fn camera_width_px() -> u32 {
    1280
}

fn camera_height_px() -> u32 {
    1024
}

fn camera_px_per_mm() -> f64 {
    5.0
}

fn camera_rate_hz() -> f64 {
    2.0
}

/// The nutrunner's run-down (model and faults: the twin's `fastening.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FasteningConfig {
    /// The tool stops at this torque, newton-metres.
    pub target_torque_nm: f64,
    /// Thread friction during the free run-down, newton-metres.
    pub prevailing_torque_nm: f64,
    /// Angle at which the joint clamps, degrees `[min, max]` (uniform per part).
    pub snug_angle_deg: [f64; 2],
    /// Torque rise per degree once clamped, newton-metres per degree.
    pub stiffness_nm_per_deg: f64,
    /// Per-part stiffness scatter, fraction (1 sigma).
    pub stiffness_jitter: f64,
    /// Torque sensor noise, newton-metres (1 sigma).
    pub noise_std_nm: f64,
    /// Sampling interval of the trace, degrees.
    pub angle_step_deg: f64,
    /// The tool gives up at this angle, degrees.
    pub max_angle_deg: f64,
    /// Chance that a part's fastening is faulty (cross-thread, soft joint or stripped
    /// thread, equally likely).
    pub fault_probability: f64,
}

impl Default for FasteningConfig {
    fn default() -> Self {
        FasteningConfig {
            target_torque_nm: 12.0,
            prevailing_torque_nm: 0.4,
            snug_angle_deg: [28.0, 32.0],
            stiffness_nm_per_deg: 0.15,
            stiffness_jitter: 0.02,
            noise_std_nm: 0.05,
            angle_step_deg: 1.0,
            max_angle_deg: 360.0,
            fault_probability: 0.05,
        }
    }
}

/// The rendered part: a brushed metal plate with fiducial discs near its corners and
/// a fiducial cross at its centre.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartLookConfig {
    pub width_mm: f64,
    pub height_mm: f64,
    /// Distance of the corner fiducials from the part edges, millimetres.
    pub fiducial_inset_mm: f64,
    pub fiducial_diameter_mm: f64,
}

impl Default for PartLookConfig {
    fn default() -> Self {
        PartLookConfig {
            width_mm: 200.0,
            height_mm: 160.0,
            fiducial_inset_mm: 12.0,
            fiducial_diameter_mm: 6.0,
        }
    }
}

/// Each class is injected at most once per part, with the given probability.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefectInjectionConfig {
    pub scratch: ScratchConfig,
    pub pit: PitConfig,
    pub contamination: ContaminationConfig,
}

/// Thin elongated line. Ranges are `[min, max]`, drawn uniformly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScratchConfig {
    pub probability: f64,
    pub length_mm: [f64; 2],
    pub width_mm: [f64; 2],
}

impl Default for ScratchConfig {
    fn default() -> Self {
        ScratchConfig { probability: 0.1, length_mm: [2.0, 12.0], width_mm: [0.15, 0.4] }
    }
}

/// Small dark compact blob with a specular highlight.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PitConfig {
    pub probability: f64,
    pub diameter_mm: [f64; 2],
}

impl Default for PitConfig {
    fn default() -> Self {
        PitConfig { probability: 0.1, diameter_mm: [0.4, 1.5] }
    }
}

/// Coloured blotch (oil, residue); elliptic, minor/major axis in [0.5, 1].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContaminationConfig {
    pub probability: f64,
    pub diameter_mm: [f64; 2],
}

impl Default for ContaminationConfig {
    fn default() -> Self {
        ContaminationConfig { probability: 0.05, diameter_mm: [2.0, 8.0] }
    }
}

/// Part pose error in front of the camera: Gaussian, zero mean.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MisalignmentConfig {
    pub offset_std_mm: f64,
    pub rotation_std_deg: f64,
}

impl Default for MisalignmentConfig {
    fn default() -> Self {
        MisalignmentConfig { offset_std_mm: 0.3, rotation_std_deg: 0.3 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LightingConfig {
    /// Per-part brightness gain scatter (1 +- gain_std), fraction.
    pub gain_std: f64,
    /// Largest brightness change across the part from a random-direction gradient, fraction.
    pub gradient: f64,
    /// Sensor noise per frame, grey levels (0..255).
    pub noise_std: f64,
}

impl Default for LightingConfig {
    fn default() -> Self {
        LightingConfig { gain_std: 0.05, gradient: 0.1, noise_std: 2.0 }
    }
}

/// Thermal camera co-located with the visible one: same field of view, its own
/// resolution (mono16, centi-kelvin). The background is at `health.ambient_k`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThermalCameraConfig {
    pub width_px: u32,
    pub height_px: u32,
    /// Part temperature away from hotspots, kelvin.
    pub part_temperature_k: f64,
    /// Chance that a part carries one hotspot.
    pub hotspot_probability: f64,
    /// Hotspot peak above the part temperature, kelvin `[min, max]`.
    pub hotspot_delta_k: [f64; 2],
    /// Gaussian radius (1 sigma) of a hotspot, millimetres `[min, max]`.
    pub hotspot_radius_mm: [f64; 2],
    /// Sensor noise per frame, kelvin.
    pub noise_std_k: f64,
}

impl Default for ThermalCameraConfig {
    fn default() -> Self {
        ThermalCameraConfig {
            width_px: 320,
            height_px: 256,
            part_temperature_k: 303.15,
            hotspot_probability: 0.05,
            hotspot_delta_k: [8.0, 30.0],
            hotspot_radius_mm: [3.0, 10.0],
            noise_std_k: 0.05,
        }
    }
}
