//! Real-time factor of the twin and step cost versus fleet size.
//!
//! Run: `cargo bench -p factory_twin --bench realtime_factor`
//!
//! Scenario: 20 stations / machines (bearing + motor each, every other one with a
//! conveyor belt), telemetry chunks of 4096 samples at 12 kHz once per second per
//! component, robots doing a seeded random walk with 360-ray scans at 10 Hz, stepped
//! at 50 Hz (dt = 20 ms). Rows with `cam_hz` > 0 add an inspection camera at every
//! station (1280x1024 rgb8 + 320x256 mono16 thermal, frames while a part is there).
//! The render cost per part and per frame is timed on its own at the end. Rows run on
//! one thread unless `threads` says otherwise (`World::set_sensor_threads`: scans and
//! frames on a pool). Figures are printed, never asserted.

use std::fmt::Write as _;
use std::time::Instant;

use factory_twin::{Twist2, World};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const STATIONS: usize = 20;
const DT: f64 = 0.02;

fn factory_yaml(robots: usize, laser_hz: f64, cam_hz: f64) -> String {
    let mut y = String::new();
    let _ = write!(
        y,
        "seed: 1\nfloor: {{ width_m: 120.0, height_m: 80.0, resolution_m: 0.05 }}\n\
         warehouse: {{ pose: {{ x: 3.0, y: 75.0 }}, raw_material: {{ A: 1000000 }} }}\n\
         chargers: [ {{ id: c1, pose: {{ x: 115.0, y: 3.0 }} }} ]\nobstacles:\n"
    );
    for k in 0..8 {
        let x = 10.0 + 12.0 * k as f64;
        let _ = writeln!(
            y,
            "  - {{ name: pillar_{k}, x_min: {x}, y_min: 45.0, x_max: {}, y_max: 45.6 }}",
            x + 0.6
        );
    }
    y.push_str("machines:\n");
    for m in 0..STATIONS {
        let (x, yy) = (8.0 + 11.0 * (m % 10) as f64, if m < 10 { 58.0 } else { 70.0 });
        let _ = write!(
            y,
            "  - id: m{m}\n    pose: {{ x: {x}, y: {yy} }}\n    size_x_m: 3.0\n    size_y_m: 2.0\n    idle_kw: 1.0\n    working_kw: 8.0\n    components:\n\
             \x20     - {{ id: bearing, type: bearing, bearing: {{ n_balls: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04 }}, shaft_rpm: 1797, fault: {{ onset_mean_h: 2.0, growth_per_h: 0.5 }} }}\n\
             \x20     - {{ id: motor, type: motor, fault: {{ onset_mean_h: 20.0 }} }}\n"
        );
        if m % 2 == 0 {
            y.push_str("      - { id: belt, type: conveyor_belt, fault: { onset_mean_h: 10.0 } }\n");
        }
    }
    y.push_str("stations:\n");
    for m in 0..STATIONS {
        let (x, yy) = (8.0 + 11.0 * (m % 10) as f64, if m < 10 { 56.0 } else { 68.0 });
        let _ = writeln!(
            y,
            "  - {{ id: s{m}, machine: m{m}, pose: {{ x: {x}, y: {yy} }}, cycle_time_s: {}, buffer_capacity: 4, part_variants: [A] }}",
            30.0 + (m % 5) as f64
        );
    }
    let per_row = 25;
    let _ = write!(
        y,
        "production: {{ batches: [ {{ variant: A, quantity: 100 }} ] }}\n\
         robots:\n  defaults: {{ laser: {{ rate_hz: {laser_hz}, n_rays: 360, range_max_m: 20.0, noise_std_m: 0.01 }} }}\n\
         \x20 fleet: {{ count: {robots}, first: {{ x: 5.0, y: 3.0 }}, spacing_m: 1.5, per_row: {per_row} }}\n\
         telemetry: {{ period_s: 1.0, sample_rate_hz: 12000.0, chunk_samples: 4096 }}\n"
    );
    if cam_hz > 0.0 {
        y.push_str("cameras:\n");
        for m in 0..STATIONS {
            let _ = writeln!(
                y,
                "  - {{ station: s{m}, rate_hz: {cam_hz}, thermal: {{ hotspot_probability: 0.1 }}, defects: {{ scratch: {{ probability: 0.3 }}, pit: {{ probability: 0.3 }}, contamination: {{ probability: 0.3 }} }} }}"
            );
        }
    }
    y
}

struct Figures {
    step_us: f64,
    rtf: f64,
    scans_per_sim_s: f64,
    chunks_per_sim_s: f64,
    frames_per_sim_s: f64,
}

fn measure(robots: usize, laser_hz: f64, cam_hz: f64, sim_s: f64, threads: usize) -> Result<Figures, String> {
    let mut w = World::from_yaml_str(&factory_yaml(robots, laser_hz, cam_hz)).map_err(|e| e.to_string())?;
    w.set_sensor_threads(threads).map_err(|e| e.to_string())?;
    let ids: Vec<String> = w.robots().iter().map(|r| r.id().to_string()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let steps_per_cmd = (1.0 / DT) as usize;
    let drive = |w: &mut World, k: usize, rng: &mut ChaCha8Rng| -> Result<(), String> {
        if k % steps_per_cmd == 0 {
            for id in &ids {
                let t =
                    Twist2::new(rng.gen_range(-1.0..1.2), rng.gen_range(-0.5..0.5), rng.gen_range(-1.0..1.0));
                w.set_cmd_vel(id, t).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    };
    // Warm-up: robots get moving, the line fills (with cameras: every station holds a
    // part, so every camera is imaging at its rate).
    let warm_up_s = if cam_hz > 0.0 { 40.0 * STATIONS as f64 } else { 60.0 };
    for k in 0..(warm_up_s / DT) as usize {
        drive(&mut w, k, &mut rng)?;
        w.step(DT).map_err(|e| e.to_string())?;
    }
    let steps = (sim_s / DT) as usize;
    let (mut scans, mut chunks, mut frames) = (0usize, 0usize, 0usize);
    let t0 = Instant::now();
    for k in 0..steps {
        drive(&mut w, k, &mut rng)?;
        let out = w.step(DT).map_err(|e| e.to_string())?;
        scans += out.scans.len();
        chunks += out.telemetry.len();
        frames += out.frames.len();
        std::hint::black_box(&out);
    }
    let wall = t0.elapsed().as_secs_f64();
    Ok(Figures {
        step_us: wall / steps as f64 * 1e6,
        rtf: sim_s / wall,
        scans_per_sim_s: scans as f64 / sim_s,
        chunks_per_sim_s: chunks as f64 / sim_s,
        frames_per_sim_s: frames as f64 / sim_s,
    })
}

#[cfg(not(feature = "camera"))]
fn render_cost() -> Result<(f64, f64), String> {
    Err("built without the `camera` feature".into())
}

/// Mean render cost of one part (warp, lighting, defects, thermal) and of one frame
/// (sensor noise, copy out), milliseconds.
#[cfg(feature = "camera")]
fn render_cost() -> Result<(f64, f64), String> {
    use factory_twin::camera::{part_rng, sample_scene, CameraRenderer};
    let cfg =
        factory_twin::FactoryConfig::from_yaml_str(&factory_yaml(1, 0.0, 2.0)).map_err(|e| e.to_string())?;
    let cam = cfg.cameras.first().ok_or("no camera")?;
    let mut r = CameraRenderer::new(cam, 0, 295.15, 1);
    let scenes: Vec<_> = (1..=20).map(|p| sample_scene(cam, &mut part_rng(1, 0, p), p, "A")).collect();
    r.render_part(&scenes[0]).map_err(|e| e.to_string())?; // builds the plate
    let t0 = Instant::now();
    let mut parts = Vec::new();
    for s in &scenes {
        parts.push(r.render_part(s).map_err(|e| e.to_string())?);
    }
    let per_part = t0.elapsed().as_secs_f64() * 1e3 / scenes.len() as f64;
    let n = 200;
    let t0 = Instant::now();
    for k in 0..n {
        std::hint::black_box(r.frame(&parts[k % parts.len()], k as f64).map_err(|e| e.to_string())?);
    }
    Ok((per_part, t0.elapsed().as_secs_f64() * 1e3 / n as f64))
}

fn main() {
    // `cargo bench` passes `--bench`; a number selects the rows with that many robots.
    let only: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("factory_twin real-time factor (dt = {DT} s, {STATIONS} stations, 360-ray scans, 4096-sample chunks at 1 Hz; {cores} cores)");
    println!(
        "{:>7} {:>9} {:>8} {:>8} {:>12} {:>10} {:>11} {:>12} {:>10}",
        "robots", "scan_hz", "cam_hz", "threads", "step_us", "RTF(x)", "scans/s", "chunks/s", "frames/s"
    );
    // (robots, scan Hz, camera Hz, simulated s, sensor threads)
    let rows: &[(usize, f64, f64, f64, usize)] = &[
        (50, 10.0, 0.0, 60.0, 1),
        (50, 10.0, 0.0, 60.0, cores),
        (50, 0.0, 2.0, 60.0, 1),
        (50, 0.0, 2.0, 60.0, cores),
        (50, 10.0, 2.0, 60.0, 1),
        (50, 10.0, 2.0, 60.0, cores),
        (50, 0.0, 0.0, 60.0, 1),
        (10, 10.0, 0.0, 30.0, 1),
        (100, 10.0, 0.0, 30.0, 1),
        (200, 10.0, 0.0, 20.0, 1),
        (500, 10.0, 0.0, 10.0, 1),
    ];
    for &(robots, hz, cam_hz, sim_s, threads) in rows.iter().filter(|r| only.map_or(true, |n| n == r.0)) {
        match measure(robots, hz, cam_hz, sim_s, threads) {
            Ok(f) => println!(
                "{robots:>7} {hz:>9.0} {cam_hz:>8.0} {threads:>8} {:>12.1} {:>10.1} {:>11.0} {:>12.0} {:>10.1}",
                f.step_us, f.rtf, f.scans_per_sim_s, f.chunks_per_sim_s, f.frames_per_sim_s
            ),
            Err(e) => println!("{robots:>7} failed: {e}"),
        }
    }
    match render_cost() {
        Ok((part, frame)) => println!(
            "camera render (1280x1024 rgb8 + 320x256 mono16): {part:.2} ms per part (once), {frame:.2} ms per frame"
        ),
        Err(e) => println!("camera render failed: {e}"),
    }
}
