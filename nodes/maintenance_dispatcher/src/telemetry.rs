//! The input chunk (a ROS-free mirror of `factory_interfaces/MachineTelemetry`) and its
//! validation. Every rejection names the offending field so the adapter can log a
//! reasoned rejection instead of crashing or silently dropping data.

use thiserror::Error;

/// One chunk of condition-monitoring data from one machine component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Telemetry {
    pub machine_id: String,
    /// e.g. "spindle_bearing", "drive_motor", "conveyor_belt".
    pub component_id: String,
    /// Vibration sample rate, Hz. 0 when the chunk carries no waveform.
    pub sample_rate_hz: f64,
    /// Acceleration waveform, m/s², uniformly sampled; first sample at `stamp_s`.
    pub vibration_mps2: Vec<f32>,
    /// Measured shaft speed, revolutions per second (Hz).
    pub shaft_speed_hz: f64,
    /// Kelvin.
    pub temperature_k: f32,
    /// Amperes RMS.
    pub motor_current_a: f32,
    /// 0.0 ..= 1.0 of rated load.
    pub load_fraction: f32,
    /// Cycles since the component was installed.
    pub cycle_count: u64,
    /// True if a lubrication event happened since the previous chunk.
    pub lubricated: bool,
    /// Robot-arm components only, newton-metres per joint.
    pub joint_torques_nm: Vec<f32>,
    /// Time of the first vibration sample, seconds (ROS time, injected by the adapter).
    pub stamp_s: f64,
}

/// Why a telemetry chunk was rejected. [`TelemetryError::field`] names the field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TelemetryError {
    #[error("unknown machine '{0}'")]
    UnknownMachine(String),
    #[error("unknown component '{component}' on machine '{machine}'")]
    UnknownComponent { machine: String, component: String },
    #[error("vibration_mps2[{index}] is not finite ({value})")]
    NonFiniteSample { index: usize, value: f32 },
    #[error("joint_torques_nm[{index}] is not finite ({value})")]
    NonFiniteTorque { index: usize, value: f32 },
    #[error("{field} is not finite ({value})")]
    NonFinite { field: &'static str, value: f64 },
    #[error("{field} = {value} is out of range: {reason}")]
    OutOfRange { field: &'static str, value: f64, reason: &'static str },
    #[error("sample_rate_hz = {0} must be positive when vibration samples are present")]
    NonPositiveSampleRate(f64),
    #[error("empty chunk: sample_rate_hz = {0} but vibration_mps2 is empty")]
    EmptyChunk(f64),
    #[error(
        "sample_rate_hz = {declared} is inconsistent with the stream ({reason}, observed {observed:.3})"
    )]
    InconsistentSampleRate { declared: f64, observed: f64, reason: &'static str },
    #[error("stamp_s = {stamp} goes back in time (previous chunk ended at {previous_end})")]
    StampWentBack { stamp: f64, previous_end: f64 },
}

impl TelemetryError {
    /// Name of the message field the rejection is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownMachine(_) => "machine_id",
            Self::UnknownComponent { .. } => "component_id",
            Self::NonFiniteSample { .. } => "vibration_mps2",
            Self::NonFiniteTorque { .. } => "joint_torques_nm",
            Self::NonFinite { field, .. } | Self::OutOfRange { field, .. } => field,
            Self::NonPositiveSampleRate(_) | Self::InconsistentSampleRate { .. } => "sample_rate_hz",
            Self::EmptyChunk(_) => "vibration_mps2",
            Self::StampWentBack { .. } => "stamp",
        }
    }
}

fn finite(field: &'static str, value: f64) -> Result<(), TelemetryError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(TelemetryError::NonFinite { field, value })
    }
}

/// A load fraction slightly above 1 is a legitimate overload reading; beyond this it
/// is a broken sensor or unit mistake (percent instead of fraction).
const MAX_LOAD_FRACTION: f64 = 2.0;

/// Accelerometers for machine monitoring sample at ≤ 100 kHz; 1 MHz leaves margin.
const MAX_SAMPLE_RATE_HZ: f64 = 1.0e6;

impl Telemetry {
    /// Checks that do not need configuration or stream history. The dispatcher adds
    /// the machine/component lookup and the stream-consistency checks.
    pub fn validate(&self) -> Result<(), TelemetryError> {
        finite("stamp", self.stamp_s)?;
        finite("sample_rate_hz", self.sample_rate_hz)?;
        finite("shaft_speed_hz", self.shaft_speed_hz)?;
        finite("temperature_k", self.temperature_k as f64)?;
        finite("motor_current_a", self.motor_current_a as f64)?;
        finite("load_fraction", self.load_fraction as f64)?;
        if self.shaft_speed_hz < 0.0 {
            return Err(TelemetryError::OutOfRange {
                field: "shaft_speed_hz",
                value: self.shaft_speed_hz,
                reason: "must be >= 0",
            });
        }
        // 0 K means "not measured" in a zero-initialised message; negative is impossible.
        if self.temperature_k < 0.0 {
            return Err(TelemetryError::OutOfRange {
                field: "temperature_k",
                value: self.temperature_k as f64,
                reason: "must be >= 0 K",
            });
        }
        if self.motor_current_a < 0.0 {
            return Err(TelemetryError::OutOfRange {
                field: "motor_current_a",
                value: self.motor_current_a as f64,
                reason: "RMS current must be >= 0",
            });
        }
        let load = self.load_fraction as f64;
        if !(0.0..=MAX_LOAD_FRACTION).contains(&load) {
            return Err(TelemetryError::OutOfRange {
                field: "load_fraction",
                value: load,
                reason: "must be within 0 ..= 2 of rated load",
            });
        }
        if self.sample_rate_hz > MAX_SAMPLE_RATE_HZ {
            // Also bounds the per-component window buffer (window_s × rate samples).
            return Err(TelemetryError::OutOfRange {
                field: "sample_rate_hz",
                value: self.sample_rate_hz,
                reason: "above 1 MHz, not a vibration accelerometer rate",
            });
        }
        if self.sample_rate_hz < 0.0 {
            return Err(TelemetryError::NonPositiveSampleRate(self.sample_rate_hz));
        }
        if self.vibration_mps2.is_empty() {
            // A declared rate with no samples is a truncated chunk, not "no waveform".
            if self.sample_rate_hz > 0.0 {
                return Err(TelemetryError::EmptyChunk(self.sample_rate_hz));
            }
        } else if self.sample_rate_hz <= 0.0 {
            return Err(TelemetryError::NonPositiveSampleRate(self.sample_rate_hz));
        }
        if let Some((index, &value)) = self.vibration_mps2.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(TelemetryError::NonFiniteSample { index, value });
        }
        if let Some((index, &value)) = self.joint_torques_nm.iter().enumerate().find(|(_, v)| !v.is_finite())
        {
            return Err(TelemetryError::NonFiniteTorque { index, value });
        }
        Ok(())
    }

    /// Duration covered by the waveform, seconds (0 without one).
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate_hz > 0.0 {
            self.vibration_mps2.len() as f64 / self.sample_rate_hz
        } else {
            0.0
        }
    }
}
