//! Visible-pipeline throughput on 1280x1024 rgb8 frames from the digital twin, OpenCV
//! on one thread. Prints frames per second and the time per frame.
//!
//!   cargo bench -p factory_integration_tests --bench quality_inspector_throughput

#[path = "../tests/inspector_twin/mod.rs"]
mod inspector_twin;

use std::time::Instant;

use inspector_twin::*;
use quality_inspector::{Inspector, PartInput};

const FRAMES: u64 = 16;
const ROUNDS: usize = 25;

fn main() {
    if let Err(e) = opencv::core::set_num_threads(1) {
        eprintln!("cannot set OpenCV threads: {e}");
        return;
    }
    let mut r = renderer();
    let reference = teach(&mut r, "A", 8);
    let mut inspector = match Inspector::new(&station_config()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    if let Err(e) = inspector.add_reference(reference) {
        eprintln!("{e}");
        return;
    }
    // Half clean, half with one defect of each class.
    let frames: Vec<_> = (0..FRAMES)
        .map(|id| {
            let mut s = clean_scene(id, "A");
            if id % 2 == 1 {
                s.defects = vec![
                    scratch((-50.0, -30.0), 6.0, 0.3, 30.0),
                    pit((40.0, 35.0), 0.6),
                    contamination((30.0, -40.0), 4.0, 3.0, 10.0),
                ];
            }
            render(&mut r, &s)
        })
        .collect();
    println!("visible pipeline, 1280x1024 rgb8, OpenCV threads = 1, {FRAMES} frames x {ROUNDS} rounds");
    for (label, part_type) in [("part type given", Some("A")), ("part type identified", None)] {
        let mut times = Vec::with_capacity(FRAMES as usize * ROUNDS);
        let mut failed = 0;
        for _ in 0..ROUNDS {
            for f in &frames {
                let input = PartInput { visible: view(&f.image), thermal: None, torque: None, part_type };
                let t0 = Instant::now();
                match inspector.inspect(&input) {
                    Ok(res) => failed += usize::from(!res.passed),
                    Err(e) => eprintln!("inspection error: {e}"),
                }
                times.push(t0.elapsed().as_secs_f64());
            }
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p50 = times[times.len() / 2];
        let p99 = times[(times.len() * 99) / 100];
        println!(
            "{label:<22} mean {:.3} ms  p50 {:.3} ms  p99 {:.3} ms  -> {:.0} fps   (failed parts {failed})",
            1e3 * mean,
            1e3 * p50,
            1e3 * p99,
            1.0 / mean
        );
    }
    // With the thermal image (320x256 mono16) as well.
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        for f in &frames {
            let th = f.thermal.as_ref().map(view);
            let input =
                PartInput { visible: view(&f.image), thermal: th, torque: None, part_type: Some("A") };
            let t0 = Instant::now();
            if let Err(e) = inspector.inspect(&input) {
                eprintln!("inspection error: {e}");
            }
            times.push(t0.elapsed().as_secs_f64());
        }
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!("{:<22} mean {:.3} ms  -> {:.0} fps", "visible + thermal", 1e3 * mean, 1.0 / mean);
}
