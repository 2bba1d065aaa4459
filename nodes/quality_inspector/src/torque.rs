//! Fastening torque-angle traces against an envelope learned from good fastenings:
//! per angle bin the taught mean torque +- max(k sigma, min band), and the final angle
//! within a tolerance of the taught mean.

use serde::{Deserialize, Serialize};

use crate::config::TorqueParams;
use crate::error::InspectError;
use crate::finding::{DefectClass, Finding};

/// One fastening: torque sampled along the rotation angle (angles increasing).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TorqueTrace {
    pub angle_deg: Vec<f64>,
    pub torque_nm: Vec<f64>,
}

impl TorqueTrace {
    /// Checks lengths, finiteness and increasing angles.
    pub fn validate(&self) -> Result<(), InspectError> {
        if self.angle_deg.len() != self.torque_nm.len() {
            return Err(InspectError::Torque(format!(
                "angle_deg has {} samples, torque_nm {}",
                self.angle_deg.len(),
                self.torque_nm.len()
            )));
        }
        if self.angle_deg.len() < 2 {
            return Err(InspectError::Torque("fewer than 2 samples".into()));
        }
        if self.angle_deg.iter().chain(&self.torque_nm).any(|v| !v.is_finite()) {
            return Err(InspectError::Torque("non-finite sample".into()));
        }
        if self.angle_deg.windows(2).any(|w| w[1] <= w[0]) {
            return Err(InspectError::Torque("angle_deg not strictly increasing".into()));
        }
        Ok(())
    }

    pub fn final_angle(&self) -> f64 {
        self.angle_deg.last().copied().unwrap_or(0.0)
    }

    /// Torque at `angle` by linear interpolation; None outside the trace.
    pub fn torque_at(&self, angle: f64) -> Option<f64> {
        let i = self.angle_deg.partition_point(|a| *a < angle);
        if i == 0 {
            return (self.angle_deg.first() == Some(&angle))
                .then(|| self.torque_nm.first().copied())
                .flatten();
        }
        let (a0, a1) = (*self.angle_deg.get(i - 1)?, *self.angle_deg.get(i)?);
        let (t0, t1) = (*self.torque_nm.get(i - 1)?, *self.torque_nm.get(i)?);
        Some(t0 + (t1 - t0) * (angle - a0) / (a1 - a0))
    }
}

/// The learned envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TorqueEnvelope {
    pub bin_deg: f64,
    /// per bin, at angle k * bin_deg: mean torque and half band, newton-metres
    pub mean_nm: Vec<f64>,
    pub band_nm: Vec<f64>,
    pub final_angle_mean_deg: f64,
    pub final_angle_tolerance_deg: f64,
}

/// How a trace left the envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct TorqueViolation {
    /// largest excursion beyond the band, newton-metres (0 if none)
    pub excess_nm: f64,
    /// where it happened, degrees
    pub at_angle_deg: f64,
    /// final angle minus the taught mean, degrees
    pub final_angle_error_deg: f64,
}

impl TorqueEnvelope {
    /// Learns the envelope from good traces (at least 2).
    pub fn teach(traces: &[TorqueTrace], p: &TorqueParams) -> Result<Self, InspectError> {
        if traces.len() < 2 {
            return Err(InspectError::Teach("torque envelope needs at least 2 traces".into()));
        }
        for t in traces {
            t.validate()?;
        }
        let shortest = traces.iter().map(TorqueTrace::final_angle).fold(f64::MAX, f64::min);
        let bins = (shortest / p.bin_deg).floor() as usize + 1;
        let n = traces.len() as f64;
        let (mut mean_nm, mut band_nm) = (Vec::with_capacity(bins), Vec::with_capacity(bins));
        for k in 0..bins {
            let a = k as f64 * p.bin_deg;
            let v: Vec<f64> = traces.iter().filter_map(|t| t.torque_at(a)).collect();
            if v.len() != traces.len() {
                // The bin starts before the first sample of some trace: no envelope there.
                mean_nm.push(f64::NAN);
                band_nm.push(f64::NAN);
                continue;
            }
            let m = v.iter().sum::<f64>() / n;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            mean_nm.push(m);
            band_nm.push((p.k_sigma * sd).max(p.min_band_nm));
        }
        let final_angle_mean_deg = traces.iter().map(TorqueTrace::final_angle).sum::<f64>() / n;
        Ok(TorqueEnvelope {
            bin_deg: p.bin_deg,
            mean_nm,
            band_nm,
            final_angle_mean_deg,
            final_angle_tolerance_deg: p.final_angle_tolerance_deg,
        })
    }

    /// None when the trace stays inside the envelope.
    pub fn check(&self, trace: &TorqueTrace) -> Result<Option<TorqueViolation>, InspectError> {
        trace.validate()?;
        let (mut excess, mut at) = (0.0f64, 0.0);
        for (k, (m, b)) in self.mean_nm.iter().zip(&self.band_nm).enumerate() {
            if m.is_nan() {
                continue;
            }
            let a = k as f64 * self.bin_deg;
            let Some(t) = trace.torque_at(a) else { continue };
            let e = (t - m).abs() - b;
            if e > excess {
                excess = e;
                at = a;
            }
        }
        let final_err = trace.final_angle() - self.final_angle_mean_deg;
        if excess > 0.0 || final_err.abs() > self.final_angle_tolerance_deg {
            Ok(Some(TorqueViolation {
                excess_nm: excess,
                at_angle_deg: at,
                final_angle_error_deg: final_err,
            }))
        } else {
            Ok(None)
        }
    }

    /// The finding for a violation: severity grows with the excursion relative to the band.
    pub fn finding(&self, v: &TorqueViolation) -> Finding {
        let band = self.band_nm.iter().copied().filter(|b| b.is_finite()).fold(f64::MAX, f64::min);
        let torque_sev = if band < f64::MAX && band > 0.0 { v.excess_nm / band } else { 1.0 };
        let angle_sev = v.final_angle_error_deg.abs() / self.final_angle_tolerance_deg - 1.0;
        Finding::non_visual(DefectClass::Torque, torque_sev.max(angle_sev).max(0.1), 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snug then linear rise to the target: torque = gain * max(0, angle - snug).
    fn trace(gain: f64, snug: f64, final_deg: f64) -> TorqueTrace {
        let angle_deg: Vec<f64> = (0..=(final_deg as usize)).map(|a| a as f64).collect();
        let torque_nm = angle_deg.iter().map(|a| gain * (a - snug).max(0.0)).collect();
        TorqueTrace { angle_deg, torque_nm }
    }

    fn envelope() -> TorqueEnvelope {
        let good: Vec<_> =
            [(0.1, 30.0, 120.0), (0.102, 31.0, 121.0), (0.098, 29.0, 119.0), (0.1, 30.5, 120.0)]
                .iter()
                .map(|&(g, s, f)| trace(g, s, f))
                .collect();
        TorqueEnvelope::teach(&good, &TorqueParams::default()).expect("teach")
    }

    #[test]
    fn a_good_trace_passes() {
        assert_eq!(envelope().check(&trace(0.1, 30.2, 120.0)).expect("check"), None);
    }

    #[test]
    fn a_stripped_thread_is_caught_where_it_slips() {
        let mut t = trace(0.1, 30.0, 120.0);
        // Torque collapses from 90 degrees on.
        for (a, v) in t.angle_deg.iter().zip(t.torque_nm.iter_mut()) {
            if *a >= 90.0 {
                *v = 2.0;
            }
        }
        let v = envelope().check(&t).expect("check").expect("violation");
        assert!(v.excess_nm > 1.0, "{v:?}");
        assert!(v.at_angle_deg >= 90.0, "{v:?}");
    }

    #[test]
    fn an_early_stop_is_caught_by_the_final_angle() {
        let v = envelope().check(&trace(0.1, 30.0, 95.0)).expect("check").expect("violation");
        assert!(v.final_angle_error_deg < -20.0, "{v:?}");
    }

    #[test]
    fn malformed_traces_are_rejected() {
        let t = TorqueTrace { angle_deg: vec![0.0, 1.0], torque_nm: vec![0.0] };
        assert!(envelope().check(&t).is_err());
        let t = TorqueTrace { angle_deg: vec![0.0, 0.0], torque_nm: vec![0.0, 1.0] };
        assert!(envelope().check(&t).is_err());
    }
}
