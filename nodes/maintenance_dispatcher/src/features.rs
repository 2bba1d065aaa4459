//! Time-domain condition indicators and band energies of one vibration window.

use serde::{Deserialize, Serialize};

/// Scalar indicators of one window. Units: m/s² except where stated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VibrationFeatures {
    /// Root mean square of the mean-removed signal.
    pub rms_mps2: f64,
    /// Largest absolute deviation from the mean.
    pub peak_mps2: f64,
    /// peak / rms (dimensionless; ≈ 3–4 for Gaussian noise, higher for impulsive faults).
    pub crest_factor: f64,
    /// Normalised fourth moment (3 for Gaussian noise; impulses raise it).
    pub kurtosis: f64,
    /// Mean of the raw signal (a large DC offset hints at a loose or drifting sensor).
    pub mean_mps2: f64,
    /// Fraction of samples sitting at the window's extreme value (clipping hint).
    pub clipped_fraction: f64,
    /// Energy per configured band, (m/s²)² — mean square of the band-limited signal.
    pub band_energies: Vec<f64>,
}

/// Computes mean, RMS, peak, crest factor, kurtosis and clipping in one pass over
/// `x` (two passes: the mean first, so moments are about the mean and stay accurate
/// in f64 even for large offsets). `band_energies` is left empty; see [`band_energies`].
pub fn time_features(x: &[f32]) -> VibrationFeatures {
    if x.is_empty() {
        return VibrationFeatures::default();
    }
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut m2, mut m4, mut peak) = (0.0f64, 0.0f64, 0.0f64);
    let (mut hi, mut lo) = (f32::MIN, f32::MAX);
    for &v in x {
        let d = v as f64 - mean;
        let d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
        peak = peak.max(d.abs());
        hi = hi.max(v);
        lo = lo.min(v);
    }
    m2 /= n;
    m4 /= n;
    let rms = m2.sqrt();
    // Clipping shows as several samples stuck exactly at the rail; a healthy
    // continuous signal hits its own maximum once.
    let at_rail = x.iter().filter(|&&v| v == hi || v == lo).count();
    VibrationFeatures {
        rms_mps2: rms,
        peak_mps2: peak,
        crest_factor: if rms > 0.0 { peak / rms } else { 0.0 },
        kurtosis: if m2 > 0.0 { m4 / (m2 * m2) } else { 0.0 },
        mean_mps2: mean,
        clipped_fraction: if x.len() > 2 { (at_rail.saturating_sub(2)) as f64 / n } else { 0.0 },
        band_energies: Vec::new(),
    }
}

/// Mean-square energy in each band `[lo_hz, hi_hz)` from a one-sided spectrum
/// (`spectrum[k]` at `k * df_hz`) of an `n`-sample real signal, by Parseval.
pub fn band_energies(
    spectrum: &[rustfft::num_complex::Complex<f32>],
    n: usize,
    df_hz: f64,
    bands_hz: &[(f64, f64)],
) -> Vec<f64> {
    let n2 = (n as f64) * (n as f64);
    let nyquist_bin = n / 2;
    bands_hz
        .iter()
        .map(|&(lo, hi)| {
            let b0 = ((lo / df_hz).ceil().max(1.0)) as usize; // skip DC: energies are AC
            let b1 = ((hi / df_hz).ceil() as usize).min(spectrum.len());
            (b0..b1)
                .map(|k| {
                    // Bins other than DC and Nyquist stand for two (±f) bins.
                    let w = if n % 2 == 0 && k == nyquist_bin { 1.0 } else { 2.0 };
                    w * spectrum[k].norm_sqr() as f64 / n2
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_has_known_rms_crest_and_kurtosis() {
        let fs = 1000.0;
        let x: Vec<f32> = (0..1000)
            .map(|i| (2.0 * std::f64::consts::PI * 50.0 * i as f64 / fs).sin() as f32 * 2.0)
            .collect();
        let f = time_features(&x);
        assert!((f.rms_mps2 - 2.0 / 2f64.sqrt()).abs() < 1e-3);
        assert!((f.crest_factor - 2f64.sqrt()).abs() < 1e-2);
        assert!((f.kurtosis - 1.5).abs() < 1e-2);
    }

    #[test]
    fn band_energy_of_a_sine_is_its_mean_square() {
        use realfft::RealFftPlanner;
        let n = 1000;
        let fs = 1000.0;
        let mut x: Vec<f32> =
            (0..n).map(|i| (2.0 * std::f64::consts::PI * 100.0 * i as f64 / fs).sin() as f32).collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let mut spec = fft.make_output_vec();
        fft.process(&mut x, &mut spec).unwrap();
        let e = band_energies(&spec, n, fs / n as f64, &[(50.0, 150.0), (150.0, 500.0)]);
        assert!((e[0] - 0.5).abs() < 1e-3, "{e:?}");
        assert!(e[1] < 1e-6);
    }
}
