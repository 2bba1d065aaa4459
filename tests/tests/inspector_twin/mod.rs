//! Support for the quality inspector's tests and benchmarks on the twin's frames: the
//! digital twin's camera renderer configured like the `inspect` station of
//! config/factory.yaml, and the matching inspector configuration.
#![allow(dead_code)]

use factory_layout::CameraConfig;
use factory_twin::camera::{
    part_rng, sample_scene, CameraFrame, CameraRenderer, DefectClass as TwinClass, DefectSpec, HotspotSpec,
    ImageBuffer, PartScene,
};
use quality_inspector::{ImageView, InspectorConfig, Reference, StationConfig, Teacher};

/// The `inspect` camera of config/factory.yaml.
pub const TWIN_CAMERA: &str = r#"
station: inspect
width_px: 1280
height_px: 1024
px_per_mm: 5.0
rate_hz: 2.0
part_types: [A, B, C]
part: { width_mm: 200.0, height_mm: 160.0, fiducial_inset_mm: 12.0, fiducial_diameter_mm: 6.0 }
defects:
  scratch: { probability: 0.15, length_mm: [2.0, 12.0], width_mm: [0.15, 0.4] }
  pit: { probability: 0.1, diameter_mm: [0.4, 1.5] }
  contamination: { probability: 0.05, diameter_mm: [2.0, 8.0] }
misalignment: { offset_std_mm: 0.3, rotation_std_deg: 0.3 }
lighting: { gain_std: 0.05, gradient: 0.1, noise_std: 2.0 }
thermal: { width_px: 320, height_px: 256, part_temperature_k: 303.15, hotspot_probability: 0.05, hotspot_delta_k: [8.0, 30.0], hotspot_radius_mm: [3.0, 10.0], noise_std_k: 0.05 }
"#;

pub const INSPECTOR_YAML: &str = r#"
data_dir: /tmp/qi-test
stations:
  - id: inspect
    camera: { width_px: 1280, height_px: 1024, px_per_mm: 5.0 }
    part: { width_mm: 200.0, height_mm: 160.0, fiducial_inset_mm: 12.0, fiducial_diameter_mm: 6.0 }
    part_types: [A, B, C]
    thermal: { width_px: 320, height_px: 256 }
    torque: {}
"#;

pub const AMBIENT_K: f64 = 295.15;
pub const SEED: u64 = 7;

pub fn camera_config() -> CameraConfig {
    serde_yaml::from_str(TWIN_CAMERA).expect("twin camera yaml")
}

pub fn station_config() -> StationConfig {
    let cfg = InspectorConfig::from_yaml(INSPECTOR_YAML).expect("inspector yaml");
    cfg.stations.into_iter().next().expect("one station")
}

pub fn renderer() -> CameraRenderer {
    CameraRenderer::new(&camera_config(), 0, AMBIENT_K, SEED)
}

pub fn view(b: &ImageBuffer) -> ImageView<'_> {
    ImageView {
        encoding: b.encoding.as_str(),
        width: b.width,
        height: b.height,
        step: b.step,
        is_bigendian: false,
        data: &b.data,
    }
}

/// A clean scene with the twin's random pose and lighting for `part_id`.
pub fn clean_scene(part_id: u64, part_type: &str) -> PartScene {
    let cfg = camera_config();
    let mut rng = part_rng(SEED, 0, part_id);
    let mut s = sample_scene(&cfg, &mut rng, part_id, part_type);
    s.defects.clear();
    s.hotspots.clear();
    s
}

pub fn scratch(center_mm: (f64, f64), length_mm: f64, width_mm: f64, angle_deg: f64) -> DefectSpec {
    DefectSpec { class: TwinClass::Scratch, center_mm, length_mm, width_mm, angle_deg }
}

pub fn pit(center_mm: (f64, f64), diameter_mm: f64) -> DefectSpec {
    DefectSpec {
        class: TwinClass::Pit,
        center_mm,
        length_mm: diameter_mm,
        width_mm: diameter_mm,
        angle_deg: 0.0,
    }
}

pub fn contamination(center_mm: (f64, f64), length_mm: f64, width_mm: f64, angle_deg: f64) -> DefectSpec {
    DefectSpec { class: TwinClass::Contamination, center_mm, length_mm, width_mm, angle_deg }
}

pub fn hotspot(center_mm: (f64, f64), radius_mm: f64, delta_k: f64) -> HotspotSpec {
    HotspotSpec { center_mm, radius_mm, delta_k }
}

pub fn render(r: &mut CameraRenderer, scene: &PartScene) -> CameraFrame {
    r.render(scene, 0.0).expect("render")
}

/// Teaches `part_type` from `n` clean parts (ids from 1_000_000 up, so they never
/// coincide with test parts).
pub fn teach(r: &mut CameraRenderer, part_type: &str, n: u64) -> Reference {
    let mut t = Teacher::new(&station_config(), part_type).expect("teacher");
    for k in 0..n {
        let f = render(r, &clean_scene(1_000_000 + k, part_type));
        let th = f.thermal.as_ref().map(view);
        t.add_part(&view(&f.image), th.as_ref(), None).expect("teach part");
    }
    t.finish().expect("finish")
}
