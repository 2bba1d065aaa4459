//! Seeded synthetic bearing vibration for tests and benchmarks (not used at run time).
//!
//! Model after Randall & Antoni (2011), section 2: each defect contact is an impact
//! that rings a structural resonance (a decaying sinusoid). Impacts repeat at the
//! defect frequency with a random slip of the mean rate (rolling elements slide, so
//! the real rate is 1–2 % off the kinematic value) and a small per-impact jitter.
//! Inner race faults pass through the load zone once per shaft turn, so their impact
//! amplitude is modulated at shaft speed; ball faults are modulated at cage speed and
//! strike the two races alternately (impacts at 2×BSF). Shaft-order tones and
//! Gaussian noise are added. SNR is fault-signal power over Gaussian-noise power.

use crate::bearing::{BearingGeometry, FaultType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Parameters of one synthetic window.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    pub fault: FaultType,
    pub geometry: BearingGeometry,
    pub shaft_hz: f64,
    pub sample_rate_hz: f64,
    pub duration_s: f64,
    /// Structural resonance excited by the impacts, Hz.
    pub resonance_hz: f64,
    /// Damping ratio of the resonance (sets ring-down and bandwidth ≈ 2ζf).
    pub damping_ratio: f64,
    /// Fault-signal power over Gaussian-noise power, dB. Ignored for `FaultType::None`.
    pub snr_db: f64,
    /// If set, the fault component's RMS in m/s² (overrides `snr_db`); used to grow a
    /// fault over a degradation run.
    pub fault_rms_mps2: Option<f64>,
    /// Gaussian noise RMS, m/s².
    pub noise_rms_mps2: f64,
    /// Amplitude of the 1× and 2× shaft tones (imbalance/misalignment), m/s².
    pub shaft_tone_mps2: f64,
    /// Maximum |slip| of the mean impact rate (uniformly drawn), fraction.
    pub max_slip: f64,
    /// Per-impact timing jitter, standard deviation as a fraction of the period.
    pub jitter: f64,
    /// Time of the first sample, s (keeps modulation phases continuous across windows).
    pub start_s: f64,
}

impl Default for SignalSpec {
    fn default() -> Self {
        Self {
            fault: FaultType::None,
            geometry: BearingGeometry::default(),
            shaft_hz: 25.0,
            sample_rate_hz: 12_000.0,
            duration_s: 1.0,
            resonance_hz: 3_000.0,
            damping_ratio: 0.05,
            snr_db: 0.0,
            fault_rms_mps2: None,
            noise_rms_mps2: 1.0,
            shaft_tone_mps2: 0.5,
            max_slip: 0.01,
            jitter: 0.005,
            start_s: 0.0,
        }
    }
}

/// A generated window and its ground truth.
#[derive(Debug, Clone)]
pub struct BearingSignal {
    pub samples: Vec<f32>,
    /// Actual mean impact repetition frequency including slip, Hz (0 when healthy).
    pub true_fault_hz: f64,
    /// Power of the fault component, (m/s²)².
    pub fault_power: f64,
}

impl BearingSignal {
    /// Generates one window; identical `spec` and `seed` give identical samples.
    pub fn generate(spec: &SignalSpec, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = (spec.duration_s * spec.sample_rate_hz).round().max(0.0) as usize;
        let fs = spec.sample_rate_hz;
        let f = spec.geometry.defect_frequencies(spec.shaft_hz);
        let slip = 1.0 + rng.gen_range(-spec.max_slip..=spec.max_slip);
        let two_pi = 2.0 * std::f64::consts::PI;

        // (impact rate, modulation frequency, modulation depth, alternate amplitude)
        let pattern = match spec.fault {
            FaultType::OuterRace => Some((f.bpfo_hz, 0.0, 0.0, 1.0)),
            FaultType::InnerRace => Some((f.bpfi_hz, f.shaft_hz, 0.8, 1.0)),
            FaultType::Ball => Some((2.0 * f.bsf_hz, f.ftf_hz, 0.8, 0.5)),
            FaultType::Cage => Some((f.ftf_hz, 0.0, 0.0, 1.0)),
            _ => None,
        };
        let mut fault = vec![0.0f64; n];
        let mut true_fault_hz = 0.0;
        if let Some((rate, fmod, depth, alt)) = pattern {
            let rate = rate * slip;
            true_fault_hz = rate;
            let period = 1.0 / rate;
            let wn = two_pi * spec.resonance_hz;
            let zeta = spec.damping_ratio;
            let wd = wn * (1.0 - zeta * zeta).sqrt();
            // Ring down to 1e-3 of the initial amplitude.
            let ring = ((6.9 / (zeta * wn)) * fs).ceil() as usize;
            let jitter = Normal::new(0.0, spec.jitter * period).ok();
            let phase0 = rng.gen_range(0.0..period);
            let mod_phase = rng.gen_range(0.0..two_pi);
            let t_end = n as f64 / fs;
            let mut k = 0u64;
            loop {
                let mut t = phase0 + k as f64 * period;
                if let Some(j) = &jitter {
                    t += j.sample(&mut rng);
                }
                k += 1;
                if t >= t_end {
                    break;
                }
                if t < 0.0 {
                    continue;
                }
                let abs_t = spec.start_s + t;
                let mut amp = 1.0 + depth * (two_pi * fmod * abs_t + mod_phase).cos();
                if k % 2 == 0 {
                    amp *= alt;
                }
                amp *= 1.0 + 0.1 * rng.gen_range(-1.0..1.0);
                let i0 = (t * fs).ceil() as usize;
                for (i, y) in fault.iter_mut().enumerate().skip(i0).take(ring) {
                    let tau = i as f64 / fs - t;
                    *y += amp * (-zeta * wn * tau).exp() * (wd * tau).sin();
                }
            }
        }
        let raw_power = fault.iter().map(|v| v * v).sum::<f64>() / n.max(1) as f64;
        let noise_power = spec.noise_rms_mps2 * spec.noise_rms_mps2;
        let target_power = match spec.fault_rms_mps2 {
            Some(rms) => rms * rms,
            None => noise_power * 10f64.powf(spec.snr_db / 10.0),
        };
        let gain = if raw_power > 0.0 { (target_power / raw_power).sqrt() } else { 0.0 };
        let noise = Normal::new(0.0, spec.noise_rms_mps2.max(0.0)).ok();
        let tone_phase = rng.gen_range(0.0..two_pi);
        let samples = (0..n)
            .map(|i| {
                let t = spec.start_s + i as f64 / fs;
                let tones = spec.shaft_tone_mps2
                    * ((two_pi * spec.shaft_hz * t + tone_phase).sin()
                        + 0.5 * (2.0 * two_pi * spec.shaft_hz * t).sin());
                let w = noise.as_ref().map_or(0.0, |d| d.sample(&mut rng));
                (gain * fault[i] + tones + w) as f32
            })
            .collect();
        BearingSignal { samples, true_fault_hz, fault_power: raw_power * gain * gain }
    }
}
