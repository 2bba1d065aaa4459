//! Throughput: 100 machines × 12 kHz vibration streams through the full dispatcher
//! (validation, buffering, features, kurtogram, envelope spectrum, classification,
//! monitors, prognosis) on one thread. Run:
//!   cargo bench -p maintenance_dispatcher --bench throughput
//! Prints the CPU time per second of signal as a percentage of one core.

use maintenance_dispatcher::synth::{BearingSignal, SignalSpec};
use maintenance_dispatcher::*;
use std::time::Instant;

fn main() {
    let machines: usize = std::env::var("MACHINES").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let seconds: usize = std::env::var("SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let fs = 12_000.0;
    let chunk_s = 0.1; // 1200-sample chunks, a typical telemetry message
    let faults =
        [FaultType::None, FaultType::OuterRace, FaultType::InnerRace, FaultType::Ball, FaultType::Cage];
    let speeds = [12.0, 20.0, 25.0, 30.0, 40.0];
    let mut config = DispatcherConfig::default();
    let mut streams = Vec::new();
    for m in 0..machines {
        let id = format!("m{m:03}");
        config.machines.push(MachineConfig {
            id: id.clone(),
            components: vec![ComponentConfig {
                id: "bearing".into(),
                kind: ComponentKind::Bearing(BearingConfig {
                    geometry: BearingGeometry::default(),
                    healthy_rms_mps2: Some(1.08),
                    failure_rms_mps2: 5.0,
                    band_hz: None,
                }),
                thermal: Default::default(),
                lubrication_interval_s: None,
                spare_part: None,
                degradation_model: None,
            }],
        });
        let shaft = speeds[m % speeds.len()];
        // 10 s of signal per machine, replayed; generation is not timed.
        let spec = SignalSpec {
            fault: faults[m % faults.len()],
            shaft_hz: shaft,
            snr_db: 0.0,
            duration_s: 10.0,
            ..SignalSpec::default()
        };
        streams.push((id, shaft, BearingSignal::generate(&spec, m as u64).samples));
    }
    let mut disp = match MaintenanceDispatcher::new(config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("bad bench config: {e}");
            return;
        }
    };
    let per_chunk = (chunk_s * fs) as usize;
    let chunks = (seconds as f64 / chunk_s) as usize;
    let mut windows = 0usize;
    let start = Instant::now();
    for c in 0..chunks {
        let stamp = c as f64 * chunk_s;
        for (id, shaft, samples) in &streams {
            let off = (c * per_chunk) % samples.len();
            let t = Telemetry {
                machine_id: id.clone(),
                component_id: "bearing".into(),
                sample_rate_hz: fs,
                vibration_mps2: samples[off..off + per_chunk].to_vec(),
                shaft_speed_hz: *shaft,
                temperature_k: 320.0,
                load_fraction: 0.5,
                stamp_s: stamp,
                ..Telemetry::default()
            };
            match disp.process(&t) {
                Ok(o) => windows += o.window.is_some() as usize,
                Err(e) => eprintln!("rejected: {e}"),
            }
        }
        // Health published at 1 Hz for every machine, planning at 1 Hz.
        if c % 10 == 9 {
            std::hint::black_box(disp.all_health(stamp));
            std::hint::black_box(disp.plan(stamp, &Default::default()));
        }
    }
    let cpu = start.elapsed().as_secs_f64();
    println!(
        "{machines} machines x 12 kHz, {seconds} s of signal in 0.1 s chunks: {cpu:.3} s on one thread, {windows} windows analysed"
    );
    println!(
        "=> {:.1} % of one core ({:.2} ms per machine-second; {:.2} M samples/s)",
        100.0 * cpu / seconds as f64,
        1e3 * cpu / (seconds * machines) as f64,
        (seconds * machines) as f64 * fs / cpu / 1e6
    );
}
