//! Fault-type accuracy of the single-window classifier vs SNR, per fault type, over
//! several shaft speeds and seeds; then degradation runs through the dispatcher for
//! detection lead time and RUL error. Run:
//!   cargo bench -p maintenance_dispatcher --bench accuracy
//! Prints a table; asserts nothing (figures are reported, not gated).

use maintenance_dispatcher::diagnosis::diagnose_window;
use maintenance_dispatcher::envelope::EnvelopeAnalyzer;
use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;

/// The dispatcher's window rule (≥ 20 cage revolutions, 1 ..= 5 s).
fn window_s(shaft_hz: f64) -> f64 {
    let g = maintenance_dispatcher::BearingGeometry::default();
    maintenance_dispatcher::AnalysisParams::default().window_for(g.defect_frequencies(shaft_hz).ftf_hz)
}

fn main() {
    let trials: u64 = std::env::var("TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let speeds = [10.0, 20.0, 30.0, 40.0];
    let snrs = [-15.0, -10.0, -5.0, 0.0, 5.0, 10.0];
    let faults = [FaultType::OuterRace, FaultType::InnerRace, FaultType::Ball, FaultType::Cage];
    let params = ClassifierParams::default();
    let mut analyzer = EnvelopeAnalyzer::new();
    println!(
        "single window (1 s, or 20 cage turns up to 5 s) @ 12 kHz, shaft {speeds:?} Hz, {trials} seeds each, 6205 geometry"
    );
    print!("{:<12}", "SNR dB");
    for s in snrs {
        print!("{s:>9.0}");
    }
    println!();
    let mut confusion = std::collections::BTreeMap::new();
    for fault in faults {
        print!("{:<12}", fault.as_str());
        for snr in snrs {
            let (mut ok, mut total) = (0, 0);
            for &shaft in &speeds {
                for seed in 0..trials {
                    let spec = SignalSpec {
                        fault,
                        shaft_hz: shaft,
                        snr_db: snr,
                        duration_s: window_s(shaft),
                        ..SignalSpec::default()
                    };
                    let sig = BearingSignal::generate(&spec, seed * 7919 + shaft as u64);
                    let f = spec.geometry.defect_frequencies(shaft);
                    let got = diagnose_window(
                        &mut analyzer,
                        &sig.samples,
                        spec.sample_rate_hz,
                        &f,
                        &params,
                        5,
                        None,
                    )
                    .map_or(FaultType::None, |(_, d)| d.fault);
                    total += 1;
                    if got == fault {
                        ok += 1;
                    } else {
                        *confusion.entry((fault.as_str(), snr as i32, got.as_str())).or_insert(0) += 1;
                    }
                }
            }
            print!("{:>8.1}%", 100.0 * ok as f64 / total as f64);
        }
        println!();
    }
    // Healthy: false-alarm rate and the score distribution behind the threshold.
    let (mut alarms, mut total) = (0, 0);
    let mut max_scores = Vec::new();
    for &shaft in &speeds {
        for seed in 0..trials * 4 {
            let spec = SignalSpec {
                fault: FaultType::None,
                shaft_hz: shaft,
                duration_s: window_s(shaft),
                ..SignalSpec::default()
            };
            let sig = BearingSignal::generate(&spec, 1_000_000 + seed * 31 + shaft as u64);
            let f = spec.geometry.defect_frequencies(shaft);
            if let Some((_, d)) =
                diagnose_window(&mut analyzer, &sig.samples, spec.sample_rate_hz, &f, &params, 5, None)
            {
                total += 1;
                max_scores.push(d.evidence.iter().copied().fold(0.0, f64::max));
                if d.fault != FaultType::None {
                    alarms += 1;
                }
            }
        }
    }
    max_scores.sort_by(f64::total_cmp);
    let q = |p: f64| max_scores[((max_scores.len() - 1) as f64 * p) as usize];
    println!(
        "healthy: {alarms}/{total} false alarms; best-hypothesis evidence median {:.2}, p99 {:.2}, max {:.2} (threshold {:.2})",
        q(0.5), q(0.99), q(1.0), params.detection_threshold
    );
    if std::env::var("CONFUSION").is_ok() {
        for ((truth, snr, got), n) in confusion {
            println!("  {truth} @ {snr} dB -> {got}: {n}");
        }
    }
    degradation_runs();
}

/// Degradation runs through the full dispatcher (no repair): detection lead time and
/// RUL error against the known failure time.
fn degradation_runs() {
    let hour = 3600.0;
    println!("\ndegradation runs (outer race, 25 Hz, fault power x10 per decade time, window every 10 min):");
    println!(
        "{:>10} {:>9} {:>9} {:>9}  RUL error at 25/50/75/90 % of remaining life (truth in 90 % band?)",
        "decade h", "fail h", "detect h", "lead h"
    );
    for (decade_h, seed) in [(12.0, 1u64), (24.0, 2), (48.0, 3)] {
        let mut cfg = DispatcherConfig::default();
        cfg.machines.push(MachineConfig {
            id: "m".into(),
            components: vec![ComponentConfig {
                id: "b".into(),
                kind: ComponentKind::Bearing(BearingConfig {
                    geometry: BearingGeometry::default(),
                    healthy_rms_mps2: Some(1.0752),
                    failure_rms_mps2: 5.0,
                    band_hz: None,
                }),
                thermal: Default::default(),
                lubrication_interval_s: None,
                spare_part: None,
                degradation_model: None,
            }],
        });
        let Ok(mut disp) = MaintenanceDispatcher::new(cfg) else { return };
        let excess = 25.0 - 1.0752f64.powi(2);
        let d0: f64 = 0.0005;
        let t_fail = decade_h * hour * (1.0 / d0).log10();
        let shaft = 25.0;
        let w = window_s(shaft);
        let mut detect = None;
        let mut ready = None;
        let mut samples = Vec::new();
        let mut t = 0.0;
        while t < t_fail {
            let spec = SignalSpec {
                fault: FaultType::OuterRace,
                shaft_hz: shaft,
                duration_s: w,
                fault_rms_mps2: Some((d0 * 10f64.powf(t / (decade_h * hour)) * excess).sqrt()),
                start_s: t,
                ..SignalSpec::default()
            };
            let sig = BearingSignal::generate(&spec, seed * 1_000_003 + t as u64);
            let tel = Telemetry {
                machine_id: "m".into(),
                component_id: "b".into(),
                sample_rate_hz: 12_000.0,
                vibration_mps2: sig.samples,
                shaft_speed_hz: shaft,
                temperature_k: 320.0,
                stamp_s: t,
                ..Telemetry::default()
            };
            if disp.process(&tel).is_err() {
                return;
            }
            if let Some(h) = disp.machine_health("m", t) {
                let c = &h.components[0];
                if detect.is_none() && c.fault_type == FaultType::OuterRace {
                    detect = Some(t);
                }
                if c.forecast.model_ready {
                    ready.get_or_insert(t);
                    samples.push((t, c.forecast));
                }
            }
            t += 600.0;
        }
        let Some(t_ready) = ready else { continue };
        let mut cells = Vec::new();
        for frac in [0.25, 0.5, 0.75, 0.9] {
            let target = t_ready + frac * (t_fail - t_ready);
            if let Some((ts, f)) = samples.iter().find(|(ts, _)| *ts >= target) {
                let truth = t_fail - ts;
                let inside = f.rul_lower_s <= truth && truth <= f.rul_upper_s;
                cells.push(format!(
                    "{:+.1}%{}",
                    100.0 * (f.rul_mean_s - truth) / truth,
                    if inside { "(y)" } else { "(n)" }
                ));
            }
        }
        let det = detect.unwrap_or(f64::NAN);
        println!(
            "{:>10.0} {:>9.1} {:>9.1} {:>9.1}  {}   (RUL model ready at {:.1} h)",
            decade_h,
            t_fail / hour,
            det / hour,
            (t_fail - det) / hour,
            cells.join("  "),
            t_ready / hour
        );
    }
}
