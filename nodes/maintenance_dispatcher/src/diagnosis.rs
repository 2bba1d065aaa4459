//! Fault-type decision from the squared-envelope spectrum: for each bearing fault
//! hypothesis, how far its harmonic series (and, where the physics predicts them, its
//! modulation sidebands) stands out of the local SES floor.
//!
//! - outer race: lines at k·BPFO (stationary defect, no modulation);
//! - inner race: lines at k·BPFI with sidebands at ±shaft speed (the defect turns
//!   with the shaft through the load zone);
//! - ball: lines at k·2BSF (a ball defect strikes both races each spin) with sidebands
//!   at ±FTF (the ball is carried through the load zone at cage speed);
//! - cage: lines at k·FTF.

use crate::bearing::{DefectFrequencies, FaultType};
use crate::envelope::EnvelopeSpectrum;
use serde::{Deserialize, Serialize};

/// Tuning of the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifierParams {
    /// Harmonics examined per race/ball hypothesis.
    pub harmonics: usize,
    /// A cage fault predicts a whole comb at FTF; its lines are examined up to the
    /// highest line of the other hypotheses, at most this many (and at most
    /// 1 / (4·tolerance), beyond which slip smears neighbouring comb lines together).
    pub cage_harmonics: usize,
    /// Relative search tolerance around each expected line (slip is 1–2 %).
    pub tolerance: f64,
    /// Weight of the sideband evidence added to the harmonic evidence.
    pub sideband_weight: f64,
    /// Weight of "explaining away": evidence at other hypotheses' lines that this
    /// hypothesis does not predict is subtracted from its score (a cage comb also
    /// hits the ball and outer-race lines, but they cannot explain its other lines).
    pub explain_away_weight: f64,
    /// Minimum evidence (mean ln of line-to-floor ratio of the best hypothesis) to
    /// declare a fault. Gaussian noise gives ≈ 1.0–1.6 with the defaults.
    pub detection_threshold: f64,
    /// Evidence width of the soft detection step used in the confidence.
    pub confidence_width: f64,
}

impl Default for ClassifierParams {
    fn default() -> Self {
        Self {
            harmonics: 3,
            cage_harmonics: 12,
            tolerance: 0.02,
            sideband_weight: 0.5,
            explain_away_weight: 0.5,
            detection_threshold: 2.0,
            confidence_width: 0.3,
        }
    }
}

impl ClassifierParams {
    /// Highest envelope frequency the classifier looks at, Hz: the demodulation band
    /// must be at least this wide (see [`crate::envelope::BandSelection`]).
    pub fn max_line_hz(&self, f: &DefectFrequencies) -> f64 {
        let k = self.harmonics as f64;
        let top = (k * f.bpfi_hz + f.shaft_hz).max(k * 2.0 * f.bsf_hz + f.ftf_hz).max(k * f.bpfo_hz);
        top * (1.0 + self.tolerance)
    }
}

/// Outcome for one window (or for smoothed evidence).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// `FaultType::None` unless the best evidence passes the detection threshold.
    pub fault: FaultType,
    /// 0 ..= 1: soft detection strength × relative margin over the runner-up.
    pub confidence: f64,
    /// Evidence per hypothesis (mean ln line/floor, plus sidebands), in
    /// [`FaultType::BEARING`] order. Decides *whether* there is a fault.
    pub evidence: [f64; 4],
    /// Evidence minus explained-away evidence. Decides *which* fault.
    pub scores: [f64; 4],
}

impl Diagnosis {
    pub fn none() -> Self {
        Self { fault: FaultType::None, confidence: 0.0, evidence: [0.0; 4], scores: [0.0; 4] }
    }

    /// Decision from per-hypothesis evidence and scores (also used on smoothed ones).
    pub fn decide(evidence: [f64; 4], scores: [f64; 4], p: &ClassifierParams) -> Self {
        let mut order = [0usize, 1, 2, 3];
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let (s1, s2) = (scores[order[0]], scores[order[1]]);
        let e = evidence.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // NaN evidence counts as no detection.
        if e.is_nan() || e <= p.detection_threshold {
            return Self { evidence, scores, ..Self::none() };
        }
        let detect = 1.0 / (1.0 + (-(e - p.detection_threshold) / p.confidence_width.max(1e-6)).exp());
        let margin = if s1 > 0.0 { ((s1 - s2) / s1).clamp(0.0, 1.0) } else { 0.0 };
        Self { fault: FaultType::BEARING[order[0]], confidence: detect * margin.sqrt(), evidence, scores }
    }
}

/// Scores every hypothesis against `ses` and decides.
pub fn classify(ses: &EnvelopeSpectrum, f: &DefectFrequencies, p: &ClassifierParams) -> Diagnosis {
    if f.shaft_hz <= 0.0 || ses.magnitude.len() < 8 || ses.df_hz <= 0.0 {
        return Diagnosis::none();
    }
    // The SES of a band of width B carries modulation content up to B only.
    let usable_hz = (ses.band_high_hz - ses.band_low_hz).min(ses.magnitude.len() as f64 * ses.df_hz) * 0.95;
    let lines = LineMeter { ses, tolerance: p.tolerance, usable_hz };
    // (fundamental, sideband spacing, harmonic count)
    let top = p.max_line_hz(f);
    let cage_count = if f.ftf_hz > 0.0 {
        // Beyond k ≈ 1 / (4·tolerance) the search window of line k reaches the
        // neighbouring comb lines, so higher cage harmonics carry no information.
        let resolvable = (0.25 / p.tolerance).floor() as usize;
        ((top / f.ftf_hz).floor() as usize).clamp(1, p.cage_harmonics.min(resolvable).max(1))
    } else {
        1
    };
    let hyp: [(f64, f64, usize); 4] = [
        (f.bpfo_hz, 0.0, p.harmonics),
        (f.bpfi_hz, f.shaft_hz, p.harmonics),
        (2.0 * f.bsf_hz, f.ftf_hz, p.harmonics),
        (f.ftf_hz, 0.0, cage_count),
    ];
    // Measured lines per hypothesis: (frequency, evidence, is_harmonic).
    let measured: Vec<Vec<(f64, f64, bool)>> = hyp
        .iter()
        .map(|&(fund, sb, count)| {
            let mut v = Vec::with_capacity(3 * count);
            for k in 1..=count {
                let fc = k as f64 * fund;
                if let Some(e) = lines.strength(fc, fund) {
                    v.push((fc, e, true));
                }
                if sb > 0.0 {
                    for fs in [fc - sb, fc + sb] {
                        if let Some(e) = lines.strength(fs, fund) {
                            v.push((fs, e, false));
                        }
                    }
                }
            }
            v
        })
        .collect();
    let mean = |it: &mut dyn Iterator<Item = f64>| {
        let (s, n) = it.fold((0.0, 0usize), |(s, n), e| (s + e, n + 1));
        (n > 0).then(|| s / n as f64)
    };
    let mut evidence = [0.0; 4];
    for (h, m) in measured.iter().enumerate() {
        // Out-of-band lines are absent evidence, not zero evidence, so a narrow band
        // does not bias against high-frequency hypotheses.
        let Some(harm) = mean(&mut m.iter().filter(|l| l.2).map(|l| l.1)) else {
            continue;
        };
        let side = mean(&mut m.iter().filter(|l| !l.2).map(|l| l.1)).unwrap_or(0.0);
        evidence[h] = harm + p.sideband_weight * side;
    }
    let mut scores = evidence;
    for (h, own) in measured.iter().enumerate() {
        let explains =
            |fx: f64| own.iter().any(|&(fo, _, _)| (fx - fo).abs() <= p.tolerance * fo + ses.df_hz);
        let unexplained = mean(
            &mut measured
                .iter()
                .enumerate()
                .filter(|&(g, _)| g != h)
                .flat_map(|(_, m)| m.iter().filter(|l| l.2))
                .filter(|l| !explains(l.0))
                .map(|l| l.1),
        )
        .unwrap_or(0.0);
        scores[h] -= p.explain_away_weight * unexplained;
    }
    Diagnosis::decide(evidence, scores, p)
}

/// Measures how far a spectral line stands out of its neighbourhood.
struct LineMeter<'a> {
    ses: &'a EnvelopeSpectrum,
    tolerance: f64,
    usable_hz: f64,
}

impl LineMeter<'_> {
    /// ln(peak / local median floor), ≥ 0, for a line expected at `fc` Hz, or `None`
    /// when the line cannot be resolved (below 2 bins or beyond the usable band).
    /// `spacing` (the hypothesis fundamental) sets the floor neighbourhood so that it
    /// stays between neighbouring harmonics.
    fn strength(&self, fc: f64, spacing: f64) -> Option<f64> {
        let df = self.ses.df_hz;
        let m = &self.ses.magnitude;
        if fc < 2.0 * df || fc > self.usable_hz {
            return None;
        }
        let half = fc * self.tolerance + df;
        let lo = ((fc - half) / df).floor().max(1.0) as usize;
        let hi = (((fc + half) / df).ceil() as usize).min(m.len() - 1);
        let peak = m.get(lo..=hi)?.iter().copied().fold(0.0f32, f32::max);
        let w = (0.5 * spacing).max(8.0 * df);
        let flo = ((fc - w) / df).floor().max(1.0) as usize;
        let fhi = (((fc + w) / df).ceil() as usize).min(m.len() - 1);
        // The floor comes from the gaps between the hypothesis' own harmonics, so a
        // dense comb (a cage fault) does not lift its own floor; when the gaps are
        // too narrow to hold enough bins, every bin outside the search window is used.
        let near_harmonic = |k: usize| {
            let fk = k as f64 * df;
            let m = (fk / spacing).round();
            m >= 1.0 && (fk - m * spacing).abs() <= m * spacing * self.tolerance + df
        };
        let mut floor: Vec<f32> =
            (flo..=fhi).filter(|&k| (k < lo || k > hi) && !near_harmonic(k)).map(|k| m[k]).collect();
        if floor.len() < 6 {
            floor = (flo..=fhi).filter(|&k| k < lo || k > hi).map(|k| m[k]).collect();
        }
        if floor.len() < 4 {
            return None;
        }
        let mid = floor.len() / 2;
        let (_, med, _) = floor.select_nth_unstable_by(mid, f32::total_cmp);
        let med = *med;
        if med <= 0.0 {
            return Some(0.0);
        }
        Some(((peak / med) as f64).ln().max(0.0))
    }
}

/// One window end to end: spectrum, band choice (kurtogram unless `fixed_band_hz`),
/// squared-envelope spectrum and classification. `None` when the window cannot be
/// analysed (too short, shaft stopped, sample rate too low for the band).
pub fn diagnose_window(
    analyzer: &mut crate::envelope::EnvelopeAnalyzer,
    samples: &[f32],
    sample_rate_hz: f64,
    f: &DefectFrequencies,
    params: &ClassifierParams,
    max_kurtogram_level: u32,
    fixed_band_hz: Option<(f64, f64)>,
) -> Option<(EnvelopeSpectrum, Diagnosis)> {
    use crate::envelope::BandSelection;
    if f.shaft_hz <= 0.0 {
        return None;
    }
    let selection = match fixed_band_hz {
        Some((low_hz, high_hz)) => BandSelection::Fixed { low_hz, high_hz },
        None => BandSelection::Kurtogram {
            min_bandwidth_hz: params.max_line_hz(f),
            max_level: max_kurtogram_level,
        },
    };
    analyzer.spectrum(samples);
    let es = analyzer.envelope_spectrum(samples.len(), sample_rate_hz, selection)?;
    let d = classify(&es, f, params);
    Some((es, d))
}
