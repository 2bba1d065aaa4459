//! Shared fixtures: a small plant configuration and telemetry builders.
#![allow(dead_code)]

use maintenance_dispatcher::condition::{ConveyorModel, FatigueParams, ThermalParams};
use maintenance_dispatcher::*;

pub const MACHINE: &str = "press_1";
pub const BEARING: &str = "spindle_bearing";
/// Healthy RMS of the default synthetic signal: unit noise plus shaft tones
/// 0.5·(sin + 0.5 sin 2x) → sqrt(1 + 0.125 + 0.03125).
pub const HEALTHY_RMS: f64 = 1.0752;
pub const FAILURE_RMS: f64 = 5.0;

pub fn config() -> DispatcherConfig {
    DispatcherConfig {
        machines: vec![MachineConfig {
            id: MACHINE.into(),
            components: vec![
                ComponentConfig {
                    id: BEARING.into(),
                    kind: ComponentKind::Bearing(BearingConfig {
                        geometry: BearingGeometry::default(),
                        healthy_rms_mps2: Some(HEALTHY_RMS),
                        failure_rms_mps2: FAILURE_RMS,
                        band_hz: None,
                    }),
                    thermal: ThermalParams::default(),
                    lubrication_interval_s: None,
                    spare_part: Some("bearing_6205".into()),
                    degradation_model: None,
                },
                ComponentConfig {
                    id: "drive_motor".into(),
                    kind: ComponentKind::Motor,
                    thermal: ThermalParams::default(),
                    lubrication_interval_s: Some(500.0 * 3600.0),
                    spare_part: None,
                    degradation_model: None,
                },
                ComponentConfig {
                    id: "conveyor_belt".into(),
                    kind: ComponentKind::ConveyorBelt(ConveyorModel::default()),
                    thermal: ThermalParams::default(),
                    lubrication_interval_s: None,
                    spare_part: None,
                    degradation_model: None,
                },
                ComponentConfig {
                    id: "arm_joint".into(),
                    kind: ComponentKind::ArmJoint(FatigueParams::default()),
                    thermal: ThermalParams::default(),
                    lubrication_interval_s: None,
                    spare_part: Some("harmonic_drive".into()),
                    degradation_model: None,
                },
            ],
        }],
        ..DispatcherConfig::default()
    }
}

/// A bearing telemetry chunk with the given samples.
pub fn bearing_chunk(samples: Vec<f32>, fs: f64, shaft_hz: f64, stamp_s: f64) -> Telemetry {
    Telemetry {
        machine_id: MACHINE.into(),
        component_id: BEARING.into(),
        sample_rate_hz: fs,
        vibration_mps2: samples,
        shaft_speed_hz: shaft_hz,
        temperature_k: 320.0,
        motor_current_a: 0.0,
        load_fraction: 0.5,
        cycle_count: 0,
        lubricated: false,
        joint_torques_nm: Vec::new(),
        stamp_s,
    }
}

/// The dispatcher's window length for a 6205 bearing at `shaft_hz`.
pub fn window_s(shaft_hz: f64) -> f64 {
    AnalysisParams::default().window_for(BearingGeometry::default().defect_frequencies(shaft_hz).ftf_hz)
}
