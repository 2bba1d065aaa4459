//! Fusion throughput: 100 robots x 360-ray scans at 10 Hz into a 1000 x 1000 (5 cm)
//! warehouse map, on one core. Also times the outputs the node publishes.
//!
//! Run: cargo bench -p shared_mapper --bench fusion

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shared_mapper::scenario::{cast_scan, truth_from_layout, warehouse_layout};
use shared_mapper::{CostMap, FusionParams, GridSpec, InflationParams, OccupancyMap, Pose2D};
use std::time::Instant;

const ROBOTS: usize = 100;
const RAYS: usize = 360;
const HZ: f64 = 10.0;
const SECONDS: usize = 3;

fn main() {
    let spec = GridSpec::new(0.0, 0.0, 0.05, 1000, 1000).expect("valid spec");
    let layout = warehouse_layout(50.0, 50.0);
    let truth = truth_from_layout(&layout, &spec);
    let mut rng = ChaCha8Rng::seed_from_u64(42);

    // Robots at random free poses; scans are simulated up front so only fusion is timed.
    let mut robots: Vec<Pose2D> = Vec::new();
    while robots.len() < ROBOTS {
        let p = Pose2D::new(
            rng.gen_range(1.0..49.0),
            rng.gen_range(1.0..49.0),
            rng.gen_range(-std::f64::consts::PI..std::f64::consts::PI),
        );
        let ok = spec
            .world_to_cell(shared_mapper::Point2::new(p.x, p.y))
            .ok()
            .and_then(|c| spec.index(c))
            .is_some_and(|i| !truth[i]);
        if ok {
            robots.push(p);
        }
    }
    let frames = SECONDS * HZ as usize;
    let mut scans = Vec::with_capacity(frames * ROBOTS);
    for f in 0..frames {
        let t = f as f64 / HZ;
        for r in &robots {
            scans.push((cast_scan(&truth, &spec, r, RAYS, 10.0, t), *r, t));
        }
    }

    let mut map = OccupancyMap::new(spec, &layout, FusionParams::default()).expect("map");
    let mut cells = 0usize;
    let t0 = Instant::now();
    for (scan, pose, t) in &scans {
        match map.fuse_scan(scan, pose, *t) {
            Ok(r) => cells += r.cells_updated,
            Err(e) => eprintln!("rejected: {e}"),
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    let scans_per_s = scans.len() as f64 / dt;
    let needed = ROBOTS as f64 * HZ;
    println!("fusion: {} scans x {RAYS} rays on a 1000x1000 5 cm grid", scans.len());
    println!(
        "  {:.0} scans/s, {:.1} M cell updates/s, {:.1} us/scan",
        scans_per_s,
        cells as f64 / dt / 1e6,
        dt / scans.len() as f64 * 1e6
    );
    println!(
        "  real time for {ROBOTS} robots @ {HZ} Hz needs {needed:.0} scans/s -> {:.1} % of one core",
        100.0 * needed / scans_per_s
    );

    let now = frames as f64 / HZ;
    let t0 = Instant::now();
    let upd = map.take_update(now);
    let dt_upd = t0.elapsed().as_secs_f64();
    if let Some(u) = &upd {
        println!(
            "  take_update: {}x{} region in {:.2} ms",
            u.region.width(),
            u.region.height(),
            dt_upd * 1e3
        );
    }
    let t0 = Instant::now();
    let full = map.to_occupancy_grid(now);
    println!(
        "  full OccupancyGrid export ({} cells): {:.2} ms",
        full.len(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    let t0 = Instant::now();
    let mut cm = CostMap::build(&map, InflationParams::default(), now).expect("costmap");
    println!("  full inflation (EDT) 1000x1000: {:.2} ms", t0.elapsed().as_secs_f64() * 1e3);
    // One robot's scan changes a ~20 m box; incremental inflation of such a box:
    let r = shared_mapper::Region {
        min: shared_mapper::Cell::new(400, 400),
        max: shared_mapper::Cell::new(600, 600),
    };
    let t0 = Instant::now();
    cm.update_region(&map, r, now);
    println!("  incremental inflation of a 200x200 changed box: {:.2} ms", t0.elapsed().as_secs_f64() * 1e3);
}
