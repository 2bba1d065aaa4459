//! Generated bearing signals: every fault type at several shaft speeds and noise
//! levels is classified correctly, and healthy signals raise no alarm.

mod common;

use maintenance_dispatcher::diagnosis::diagnose_window;
use maintenance_dispatcher::envelope::EnvelopeAnalyzer;
use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;

fn diagnose(spec: &SignalSpec, seed: u64) -> Diagnosis {
    let sig = BearingSignal::generate(spec, seed);
    let f = spec.geometry.defect_frequencies(spec.shaft_hz);
    let mut a = EnvelopeAnalyzer::new();
    diagnose_window(&mut a, &sig.samples, spec.sample_rate_hz, &f, &ClassifierParams::default(), 5, None)
        .map_or(Diagnosis::none(), |(_, d)| d)
}

#[test]
fn each_fault_type_is_classified_at_several_speeds_and_noise_levels() {
    let mut failures = Vec::new();
    let mut n = 0;
    for fault in FaultType::BEARING {
        for shaft_hz in [12.0, 25.0, 37.0] {
            // (SNR dB, noise RMS m/s²): the classifier must not depend on absolute level.
            for (snr_db, noise) in [(0.0, 1.0), (6.0, 0.2), (3.0, 4.0)] {
                for seed in 0..2 {
                    let spec = SignalSpec {
                        fault,
                        shaft_hz,
                        snr_db,
                        noise_rms_mps2: noise,
                        duration_s: common::window_s(shaft_hz),
                        ..SignalSpec::default()
                    };
                    let d = diagnose(&spec, 100 + seed + shaft_hz as u64);
                    n += 1;
                    if d.fault != fault || d.confidence <= 0.0 {
                        failures.push(format!("{fault} @ {shaft_hz} Hz, {snr_db} dB, seed {seed}: {d:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {n} misclassified:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_different_geometry_and_resonance_still_classify() {
    // Another bearing (8 balls, 15° contact) ringing a lower resonance. Note: some
    // geometries put 2·BSF within the slip tolerance of BPFO; those two faults
    // cannot be told apart by their repetition rate alone (see README).
    let geometry = BearingGeometry {
        ball_count: 8,
        ball_diameter_mm: 10.0,
        pitch_diameter_mm: 45.0,
        contact_angle_deg: 15.0,
    };
    for fault in FaultType::BEARING {
        let spec = SignalSpec {
            fault,
            geometry,
            shaft_hz: 20.0,
            resonance_hz: 2_200.0,
            snr_db: 3.0,
            duration_s: AnalysisParams::default().window_for(geometry.defect_frequencies(20.0).ftf_hz),
            ..SignalSpec::default()
        };
        let sig = BearingSignal::generate(&spec, 5);
        let f = geometry.defect_frequencies(20.0);
        let mut a = EnvelopeAnalyzer::new();
        let (_, d) =
            diagnose_window(&mut a, &sig.samples, 12_000.0, &f, &ClassifierParams::default(), 5, None)
                .unwrap();
        assert_eq!(d.fault, fault, "{d:?}");
    }
}

#[test]
fn healthy_signals_raise_no_alarm() {
    for shaft_hz in [12.0, 25.0, 37.0] {
        for seed in 0..10 {
            let spec = SignalSpec {
                fault: FaultType::None,
                shaft_hz,
                shaft_tone_mps2: 2.0, // strong imbalance is not a bearing fault
                duration_s: common::window_s(shaft_hz),
                ..SignalSpec::default()
            };
            let d = diagnose(&spec, 9_000 + seed);
            assert_eq!(d.fault, FaultType::None, "shaft {shaft_hz} seed {seed}: {d:?}");
        }
    }
}

#[test]
fn healthy_machine_through_the_dispatcher_stays_ok_without_work_orders() {
    let mut disp = MaintenanceDispatcher::new(common::config()).unwrap();
    let shaft = 25.0;
    let w = common::window_s(shaft);
    for i in 0..30u64 {
        let spec =
            SignalSpec { shaft_hz: shaft, duration_s: w, start_s: i as f64 * w, ..SignalSpec::default() };
        let sig = BearingSignal::generate(&spec, 77 + i);
        disp.process(&common::bearing_chunk(sig.samples, 12_000.0, shaft, i as f64 * w)).unwrap();
    }
    let now = 30.0 * w;
    let h = disp.machine_health(common::MACHINE, now).unwrap();
    let bearing = h.components.iter().find(|c| c.component_id == common::BEARING).unwrap();
    assert_eq!(bearing.fault_type, FaultType::None, "{bearing:?}");
    assert!(bearing.health_index > 0.95, "{bearing:?}");
    assert_eq!(h.status, MachineStatus::Ok, "{h:?}");
    assert!(disp.plan(now, &Default::default()).is_empty());
}
