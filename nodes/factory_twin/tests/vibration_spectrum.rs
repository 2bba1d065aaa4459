//! Bearing vibration carries the fault physics: the envelope spectrum peaks at the
//! fault frequency computed from the geometry, and impacts grow with severity.

mod common;

use factory_twin::config::VibrationConfig;
use factory_twin::vibration::{synthesize, BearingSignal};
use factory_twin::{BearingGeometry, FaultMode, World};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

const FS: f64 = 12_000.0;

fn geometry_6205() -> BearingGeometry {
    BearingGeometry { n_balls: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04, contact_angle_deg: 0.0 }
}

/// Classic envelope analysis: band-pass around the resonance in the frequency domain,
/// take the magnitude of the analytic signal, remove its mean, return the amplitude
/// spectrum of that envelope (bin k = k * fs / n Hz).
fn envelope_spectrum(x: &[f32], fs: f64, band: (f64, f64)) -> Vec<f64> {
    let n = x.len();
    let mut planner = FftPlanner::<f64>::new();
    let mut buf: Vec<Complex<f64>> = x.iter().map(|&v| Complex::new(f64::from(v), 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut buf);
    for (k, b) in buf.iter_mut().enumerate() {
        let f = k as f64 * fs / n as f64;
        // Keep positive frequencies in the band only: the inverse is the analytic signal.
        if k > n / 2 || f < band.0 || f > band.1 {
            *b = Complex::new(0.0, 0.0);
        }
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    let env: Vec<f64> = buf.iter().map(|c| c.norm() / n as f64).collect();
    let mean = env.iter().sum::<f64>() / n as f64;
    let mut spec: Vec<Complex<f64>> = env.iter().map(|&e| Complex::new(e - mean, 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut spec);
    spec.iter().take(n / 2).map(|c| c.norm()).collect()
}

/// Frequency of the largest bin between `lo` and `hi` Hz.
fn peak_hz(spec: &[f64], fs: f64, n: usize, lo: f64, hi: f64) -> f64 {
    let df = fs / n as f64;
    let (k, _) = spec
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as f64 * df) >= lo && (*k as f64 * df) <= hi)
        .fold((0, -1.0), |best, (k, &v)| if v > best.1 { (k, v) } else { best });
    k as f64 * df
}

fn signal(mode: FaultMode, severity: f64, shaft_hz: f64) -> BearingSignal {
    BearingSignal {
        sample_rate_hz: FS,
        freqs: geometry_6205().defect_frequencies(shaft_hz),
        mode,
        severity,
        cfg: VibrationConfig::default(),
        slip_seed: 11,
        shaft_phase: 0.3,
    }
}

#[test]
fn envelope_peaks_at_the_computed_fault_frequency() {
    let n = 2 * FS as usize; // 2 s: 0.5 Hz bins
    let fr = 1797.0 / 60.0;
    let f = geometry_6205().defect_frequencies(fr);
    let cases = [
        (FaultMode::OuterRace, f.bpfo_hz),
        (FaultMode::InnerRace, f.bpfi_hz),
        (FaultMode::Ball, 2.0 * f.bsf_hz),
    ];
    for (mode, expected) in cases {
        let sig = signal(mode, 0.4, fr);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let x = synthesize(&sig, 100.0, n, &mut rng);
        let spec = envelope_spectrum(&x, FS, (2000.0, 4000.0));
        // Search wide: 5 Hz .. 400 Hz covers shaft, cage and every defect frequency.
        let got = peak_hz(&spec, FS, n, 5.0, 400.0);
        assert!((got - expected).abs() <= 1.0, "{mode:?}: envelope peak at {got} Hz, expected {expected} Hz");
    }
}

#[test]
fn healthy_bearing_has_no_fault_line_and_impacts_grow_with_severity() {
    let n = FS as usize;
    let fr = 30.0;
    let f = geometry_6205().defect_frequencies(fr);
    let k = (f.bpfo_hz * n as f64 / FS).round() as usize;
    let mut line = Vec::new();
    let mut band_rms = Vec::new();
    for sev in [0.0, 0.2, 0.5, 0.9] {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let x = synthesize(&signal(FaultMode::OuterRace, sev, fr), 0.0, n, &mut rng);
        let spec = envelope_spectrum(&x, FS, (2000.0, 4000.0));
        // Strongest bin near BPFO relative to the median floor of the envelope spectrum.
        let peak = spec[k - 1..=k + 1].iter().cloned().fold(0.0, f64::max);
        let mut sorted: Vec<f64> = spec[5..600].to_vec();
        sorted.sort_by(f64::total_cmp);
        line.push(peak / sorted[sorted.len() / 2]);
        band_rms.push((x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / n as f64).sqrt());
    }
    assert!(line[0] < 5.0, "healthy bearing shows a BPFO line: {line:?}");
    assert!(line[1] > 10.0, "severity 0.2 does not show: {line:?}");
    for w in band_rms.windows(2) {
        assert!(w[1] > w[0], "RMS does not grow with severity: {band_rms:?}");
    }
}

/// The same physics through the whole world: a bearing configured with an outer-race
/// defect publishes telemetry whose envelope peaks at its BPFO, while the healthy
/// bearing in the same factory does not.
#[test]
fn world_telemetry_carries_the_configured_fault() {
    let mut cfg = common::small_config();
    cfg.telemetry.chunk_samples = 24_000;
    cfg.robots.defaults.laser.rate_hz = 0.0;
    for m in &mut cfg.machines {
        for c in &mut m.components {
            c.fault = None;
        }
    }
    let faulty = "{ mode: outer_race, start_severity: 0.5, growth_per_h: 0.000001 }";
    cfg.machines[0].components[0].fault = Some(serde_yaml::from_str(faulty).unwrap());
    let geom = cfg.machines[0].components[0].bearing.unwrap();
    let rpm = cfg.machines[0].components[0].shaft_rpm;
    let bpfo = geom.defect_frequencies(rpm / 60.0).bpfo_hz;
    let bpfi_m2 = {
        let c = &cfg.machines[1].components[0];
        c.bearing.unwrap().defect_frequencies(c.shaft_rpm / 60.0).bpfi_hz
    };
    let mut w = World::new(cfg).unwrap();
    let truth = w.ground_truth();
    assert_eq!(truth[0].fault, FaultMode::OuterRace);
    assert!((truth[0].severity - 0.5).abs() < 1e-3);
    let (mut faulty_chunk, mut healthy_chunk) = (None, None);
    for _ in 0..100 {
        for t in w.step(0.1).unwrap().telemetry {
            assert_eq!(t.sample_rate_hz > 0.0, t.component_id == "bearing");
            if t.component_id == "bearing" && t.machine_id == "m1" {
                faulty_chunk = Some(t);
            } else if t.component_id == "bearing" && t.machine_id == "m2" {
                healthy_chunk = Some(t);
            }
        }
    }
    let faulty_chunk = faulty_chunk.expect("no telemetry from m1");
    let healthy_chunk = healthy_chunk.expect("no telemetry from m2");
    assert!((faulty_chunk.shaft_speed_hz - rpm / 60.0).abs() < 1e-9);
    let n = faulty_chunk.vibration_mps2.len();
    let spec = envelope_spectrum(&faulty_chunk.vibration_mps2, faulty_chunk.sample_rate_hz, (2000.0, 4000.0));
    let got = peak_hz(&spec, FS, n, 5.0, 400.0);
    assert!((got - bpfo).abs() <= 1.0, "m1 envelope peak {got} Hz, BPFO {bpfo} Hz");
    // The healthy one: no line at its own fault frequency stands out of the noise.
    let spec = envelope_spectrum(&healthy_chunk.vibration_mps2, FS, (2000.0, 4000.0));
    let k = (bpfi_m2 * n as f64 / FS).round() as usize;
    let mut sorted: Vec<f64> = spec[10..1000].to_vec();
    sorted.sort_by(f64::total_cmp);
    assert!(spec[k] < 5.0 * sorted[sorted.len() / 2]);
}

/// With snapshots, a bearing's waveform comes in bursts of contiguous chunks, one burst
/// per snapshot period, and the chunks between carry the process values only; other
/// machines' bursts fall at other times.
#[test]
fn snapshots_send_contiguous_waveform_bursts_and_process_values_between() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    cfg.telemetry.snapshot_period_s = 10.0;
    cfg.telemetry.snapshot_s = 3.0;
    let period_s = cfg.telemetry.period_s;
    let mut w = World::new(cfg).unwrap();
    // Per machine, the bearing chunks in order: (stamp, carries a waveform).
    let mut chunks: std::collections::BTreeMap<String, Vec<(f64, bool)>> = Default::default();
    for _ in 0..400 {
        for t in w.step(0.1).unwrap().telemetry {
            if t.component_id == "bearing" {
                assert_eq!(t.sample_rate_hz > 0.0, !t.vibration_mps2.is_empty(), "{}", t.machine_id);
                assert!(t.temperature_k > 0.0, "process values are in every chunk");
                chunks.entry(t.machine_id.clone()).or_default().push((t.stamp_s, t.sample_rate_hz > 0.0));
            }
        }
    }
    assert!(chunks.len() >= 2, "bearings on at least two machines: {:?}", chunks.keys());
    let mut burst_starts = Vec::new();
    for (machine, list) in &chunks {
        assert!(list.len() >= 39, "{machine}: {} chunks in 40 s", list.len());
        // Runs of waveform chunks: every complete run is 3 chunks, 1 period apart.
        let flags: Vec<bool> = list.iter().map(|c| c.1).collect();
        let starts: Vec<usize> =
            (0..flags.len()).filter(|&k| flags[k] && (k == 0 || !flags[k - 1])).collect();
        assert!(starts.len() >= 3, "{machine}: {flags:?}");
        for pair in starts.windows(2) {
            assert_eq!(pair[1] - pair[0], 10, "{machine}: one burst every 10 chunks: {flags:?}");
            let run = flags[pair[0]..].iter().take_while(|f| **f).count();
            assert_eq!(run, 3, "{machine}: bursts of 3 chunks: {flags:?}");
            for k in pair[0]..pair[0] + run - 1 {
                let gap = list[k + 1].0 - list[k].0;
                assert!((gap - period_s).abs() < 0.11, "{machine}: chunks {gap} s apart in a burst");
            }
        }
        let waveforms = flags.iter().filter(|f| **f).count();
        assert!(
            waveforms * 10 <= flags.len() * 3 + 30,
            "{machine}: {waveforms} of {} carry waveforms",
            flags.len()
        );
        burst_starts.push(list[starts[1]].0 % 10.0);
    }
    burst_starts.dedup_by(|a, b| (*a - *b).abs() < 0.5);
    assert!(burst_starts.len() >= 2, "machines' bursts are staggered: {burst_starts:?}");
}
