//! Follower cost: `cargo bench -p optimus_executor --bench follower`
//!
//! 1. ns per control step on a 200-point path (a robot simulated along it, repeated).
//! 2. A full simulated 1 km route (serpentine, 5 cm spacing) at a 20 Hz control rate:
//!    wall time, steps, ns per step, simulated time, real-time factor.
//!
//! Figures are printed, not asserted.

use std::hint::black_box;
use std::time::Instant;

use optimus_executor::{FollowStatus, Follower, FollowerConfig, Point2, Pose2};

const DT_S: f64 = 0.05;

/// Integrates a base-frame twist for `dt` (exact enough at 20 Hz for a bench).
fn integrate(p: Pose2, vx: f64, vy: f64, wz: f64, dt: f64) -> Pose2 {
    let (s, c) = p.yaw.sin_cos();
    Pose2::new(p.x + (c * vx - s * vy) * dt, p.y + (s * vx + c * vy) * dt, p.yaw + wz * dt)
}

/// Runs the follower to arrival; returns (steps, wall ns spent inside `step`, sim s).
fn run(cfg: &FollowerConfig, path: &[Point2], max_steps: usize) -> (usize, u128, f64, bool) {
    let Ok(mut f) = Follower::new(cfg, path, 0.0) else { return (0, 0, 0.0, false) };
    let mut pose = Pose2::new(path[0].x, path[0].y, 0.0);
    let mut t = 0.0;
    let mut ns = 0u128;
    for i in 0..max_steps {
        let t0 = Instant::now();
        let status = f.step(black_box(pose), t);
        ns += t0.elapsed().as_nanos();
        match status {
            Ok(FollowStatus::Drive(tw)) => pose = integrate(pose, tw.vx, tw.vy, tw.wz, DT_S),
            Ok(FollowStatus::Arrived) => return (i + 1, ns, t, true),
            _ => return (i + 1, ns, t, false),
        }
        t += DT_S;
    }
    (max_steps, ns, t, false)
}

fn main() {
    let cfg = FollowerConfig::default();

    // A 200-point sinuous path, ~40 m.
    let path200: Vec<Point2> =
        (0..200).map(|i| i as f64 * 0.2).map(|x| Point2::new(x, 1.5 * (x / 4.0).sin())).collect();
    let mut steps = 0usize;
    let mut ns = 0u128;
    let mut arrived = true;
    let t0 = Instant::now();
    while t0.elapsed().as_secs_f64() < 2.0 {
        let (n, dns, _, ok) = run(&cfg, &path200, 100_000);
        steps += n;
        ns += dns;
        arrived &= ok;
    }
    println!("follower step, 200-point path: {:.1} ns/command over {steps} commands (arrived every run: {arrived})",
        ns as f64 / steps.max(1) as f64);

    // A 1 km serpentine: 10 lanes of 95 m, 5 m apart, sampled every 5 cm (~20 000 points,
    // what a grid planner at 5 cm returns).
    let mut route = Vec::new();
    let spacing = 0.05;
    for lane in 0..10 {
        let y = lane as f64 * 5.0;
        let n = (95.0 / spacing) as usize;
        for i in 0..=n {
            let x = i as f64 * spacing;
            route.push(Point2::new(if lane % 2 == 0 { x } else { 95.0 - x }, y));
        }
        if lane < 9 {
            for j in 1..100 {
                let x = if lane % 2 == 0 { 95.0 } else { 0.0 };
                route.push(Point2::new(x, y + j as f64 * spacing));
            }
        }
    }
    let len: f64 = route.windows(2).map(|w| w[0].distance(w[1])).sum();
    let t0 = Instant::now();
    let (n, step_ns, sim_s, ok) = run(&cfg, &route, 1_000_000);
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "1 km route: {len:.0} m, {} points, arrived {ok}, {n} commands at {:.0} Hz, {:.1} ns/command, \
         simulated {sim_s:.0} s in {:.2} ms wall (incl. sim), real-time factor {:.0}x",
        route.len(),
        1.0 / DT_S,
        step_ns as f64 / n.max(1) as f64,
        wall * 1e3,
        sim_s / wall
    );
}
