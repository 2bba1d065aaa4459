//! Latency of one window's envelope analysis (spectrum, kurtogram band search,
//! squared-envelope spectrum, classification) at several shaft speeds. Run:
//!   cargo bench -p maintenance_dispatcher --bench envelope

use maintenance_dispatcher::diagnosis::diagnose_window;
use maintenance_dispatcher::envelope::EnvelopeAnalyzer;
use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;
use std::time::Instant;

fn main() {
    let params = ClassifierParams::default();
    let analysis = AnalysisParams::default();
    let mut analyzer = EnvelopeAnalyzer::new();
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>12}",
        "shaft Hz", "window s", "samples", "us/window", "us/signal-s"
    );
    for shaft in [10.0, 25.0, 40.0] {
        let geometry = BearingGeometry::default();
        let f = geometry.defect_frequencies(shaft);
        let w = analysis.window_for(f.ftf_hz);
        let spec = SignalSpec {
            fault: FaultType::InnerRace,
            shaft_hz: shaft,
            duration_s: w,
            ..SignalSpec::default()
        };
        let sig = BearingSignal::generate(&spec, 1);
        // Warm the FFT plan caches first, as a running node would be.
        let _ = diagnose_window(
            &mut analyzer,
            &sig.samples,
            12_000.0,
            &f,
            &params,
            analysis.max_kurtogram_level,
            None,
        );
        let reps = 200;
        let start = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(diagnose_window(
                &mut analyzer,
                std::hint::black_box(&sig.samples),
                12_000.0,
                &f,
                &params,
                analysis.max_kurtogram_level,
                None,
            ));
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / reps as f64;
        println!("{:>8.0} {:>9.2} {:>10} {:>10.0} {:>12.0}", shaft, w, sig.samples.len(), us, us / w);
    }
}
