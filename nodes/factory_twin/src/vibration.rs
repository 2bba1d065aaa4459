//! Bearing vibration waveforms whose physics follows the fault.
//!
//! Model (after McFadden & Smith; Randall & Antoni, "Rolling element bearing
//! diagnostics — a tutorial", 2011): every time a rolling element strikes the defect
//! it excites a structural resonance, seen by the accelerometer as a decaying
//! sinusoid. The strikes repeat at the defect's characteristic frequency with a small
//! random slip; their amplitude is modulated where the defect moves through the load
//! zone (inner race: at shaft speed; ball: at cage speed). Added to that: the shaft 1x
//! tone and white sensor noise. Envelope analysis (band-pass around the resonance,
//! demodulate, spectrum) recovers the strike rate: that is what the tests check.

use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::bearing::DefectFrequencies;
use crate::config::VibrationConfig;
use crate::machine::FaultMode;

/// Everything that shapes one bearing's signal at one moment.
#[derive(Debug, Clone)]
pub struct BearingSignal {
    /// samples per second, Hz
    pub sample_rate_hz: f64,
    /// characteristic frequencies at the current shaft speed (shaft_hz 0 = stopped)
    pub freqs: DefectFrequencies,
    pub mode: FaultMode,
    /// 0 (healthy) .. 1 (failed); impact amplitude scales linearly with it
    pub severity: f64,
    pub cfg: VibrationConfig,
    /// Makes the impact-time slip a fixed function of absolute time, so consecutive
    /// chunks join up and the same seed gives the same waveform.
    pub slip_seed: u64,
    /// phase of the shaft 1x tone, radians
    pub shaft_phase: f64,
}

/// How a defect strikes: impact rate, optional amplitude modulation, strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImpactPattern {
    /// impacts per second, Hz
    pub rate_hz: f64,
    /// (modulation frequency Hz, depth 0..1) where the defect moves through the load zone
    pub modulation: Option<(f64, f64)>,
    /// relative to an outer-race impact at the same severity
    pub strength: f64,
}

impl BearingSignal {
    /// Impact pattern of the fault mode; None when there is nothing to strike
    /// (healthy, not a bearing fault, or the shaft is not turning).
    pub fn impact_pattern(&self) -> Option<ImpactPattern> {
        let f = &self.freqs;
        if self.severity <= 0.0 || f.shaft_hz <= 0.0 {
            return None;
        }
        let p = |rate_hz, modulation, strength| Some(ImpactPattern { rate_hz, modulation, strength });
        match self.mode {
            // The outer race is fixed and sits in the load zone: constant impacts.
            FaultMode::OuterRace => p(f.bpfo_hz, None, 1.0),
            // An inner-race spall turns with the shaft in and out of the load zone.
            FaultMode::InnerRace => p(f.bpfi_hz, Some((f.shaft_hz, 0.5)), 1.0),
            // A ball spall hits both races once per spin turn and travels with the cage.
            FaultMode::Ball => p(2.0 * f.bsf_hz, Some((f.ftf_hz, 0.5)), 0.8),
            // A damaged cage lets the ball set knock once per cage turn; weak.
            FaultMode::Cage => p(f.ftf_hz, None, 0.5),
            FaultMode::None | FaultMode::Winding | FaultMode::Drag => None,
        }
    }
}

/// `n` samples starting at absolute sim time `t0_s`, m/s^2. `rng` supplies the sensor
/// noise only.
pub fn synthesize<R: Rng>(sig: &BearingSignal, t0_s: f64, n: usize, rng: &mut R) -> Vec<f32> {
    let fs = sig.sample_rate_hz;
    let dt = 1.0 / fs;
    let mut x = vec![0.0_f64; n];

    let fr = sig.freqs.shaft_hz;
    if fr > 0.0 && sig.cfg.shaft_1x_mps2 > 0.0 {
        let w = 2.0 * std::f64::consts::PI * fr;
        for (i, xi) in x.iter_mut().enumerate() {
            let t = t0_s + i as f64 * dt;
            *xi += sig.cfg.shaft_1x_mps2 * (w * t + sig.shaft_phase).sin();
        }
    }

    if let Some(p) = sig.impact_pattern() {
        add_impacts(&mut x, sig, t0_s, &p);
    }

    if sig.cfg.noise_std_mps2 > 0.0 {
        if let Ok(noise) = Normal::new(0.0, sig.cfg.noise_std_mps2) {
            for xi in x.iter_mut() {
                *xi += noise.sample(rng);
            }
        }
    }
    x.into_iter().map(|v| v as f32).collect()
}

fn add_impacts(x: &mut [f64], sig: &BearingSignal, t0: f64, pattern: &ImpactPattern) {
    let ImpactPattern { rate_hz, modulation, strength } = *pattern;
    use std::f64::consts::PI;
    let fs = sig.sample_rate_hz;
    let n = x.len();
    let fn_hz = sig.cfg.resonance_hz;
    let zeta = sig.cfg.damping_ratio;
    let alpha = 2.0 * PI * zeta * fn_hz; // decay rate, 1/s
    let wd = 2.0 * PI * fn_hz * (1.0 - zeta * zeta).sqrt();
    // After 9 time constants the ringing is below 0.02 % of its peak.
    let tail_s = 9.0 / alpha;
    let t_end = t0 + n as f64 / fs;
    let amp = sig.cfg.impulse_at_failure_mps2 * sig.severity.min(1.0) * strength;
    let period = 1.0 / rate_hz;
    let slip_std = sig.cfg.slip_fraction * period;

    let k0 = ((t0 - tail_s) * rate_hz).floor() as i64 - 1;
    let k1 = (t_end * rate_hz).ceil() as i64 + 1;
    for k in k0..=k1 {
        let tk = k as f64 * period + slip_std * gaussian_from_hash(sig.slip_seed, k);
        if tk + tail_s < t0 || tk >= t_end {
            continue;
        }
        let a = match modulation {
            Some((fm, depth)) => amp * (1.0 - depth + depth * (0.5 + 0.5 * (2.0 * PI * fm * tk).cos())),
            None => amp,
        };
        let i_start = (((tk - t0) * fs).ceil().max(0.0)) as usize;
        let i_stop = ((((tk + tail_s) - t0) * fs).floor().max(0.0) as usize + 1).min(n);
        for (i, xi) in x.iter_mut().enumerate().take(i_stop).skip(i_start) {
            let tau = t0 + i as f64 / fs - tk;
            *xi += a * (-alpha * tau).exp() * (wd * tau).sin();
        }
    }
}

/// A standard-normal number that depends only on (seed, k): splitmix64 then Box-Muller.
fn gaussian_from_hash(seed: u64, k: i64) -> f64 {
    let h1 = splitmix64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let h2 = splitmix64(h1);
    // 53-bit uniforms in (0, 1]
    let u1 = ((h1 >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (h2 >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_gaussian_has_unit_variance() {
        let v: Vec<f64> = (0..20000).map(|k| gaussian_from_hash(7, k)).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }
}
