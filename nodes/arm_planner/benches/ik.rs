//! IK benchmark: 10,000 random reachable poses (FK of random joint vectors within limits),
//! seed at mid-range, 1e-5 m / 1e-5 rad tolerance, 5 ms budget per pose, on the humanoid's
//! left arm, the station arm and a UR5e written from its DH parameters. The same poses go
//! to k's `JacobianIkSolver` (its default step multiplier 0.5, 1000 iterations, no restarts).
//!
//! `CARGO_TARGET_DIR=target/core cargo bench -p arm_planner --no-default-features --bench ik`
//! (`-- 2000` runs 2,000 poses per arm).

use arm_planner::ik::{IkOptions, IkSolver};
use arm_planner::model::{from_k_isometry, to_k_isometry};
use arm_planner::{ArmGroup, RobotModel};
use k::InverseKinematicsSolver;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Stats {
    success: usize,
    total: usize,
    times_us: Vec<f64>,
}

impl Stats {
    fn row(&mut self, arm: &str, solver: &str) {
        self.times_us.sort_by(|a, b| a.total_cmp(b));
        let n = self.times_us.len().max(1);
        let mean = self.times_us.iter().sum::<f64>() / n as f64;
        let median = self.times_us.get(n / 2).copied().unwrap_or(0.0);
        let p99 = self.times_us.get((n * 99) / 100).copied().unwrap_or(0.0);
        println!(
            "| {arm:<20} | {solver:<22} | {:>7.2} % | {:>9.1} | {:>9.1} | {:>9.1} |",
            100.0 * self.success as f64 / self.total as f64,
            mean,
            median,
            p99
        );
    }
}

fn main() {
    let poses: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let urdf_dir = root.join("../../urdf");
    let arms: [(&str, PathBuf, &str, &str); 3] = [
        ("optimus left_arm 7", urdf_dir.join("optimus.urdf"), "torso", "left_tool0"),
        ("station_arm 6", urdf_dir.join("station_arm.urdf"), "base_link", "tool0"),
        ("UR5e (DH) 6", root.join("benches/data/ur5e.urdf"), "base_link", "tool0"),
    ];
    println!(
        "IK over {poses} random reachable poses per arm; seed mid-range; tol 1e-5 m / 1e-5 rad; budget 5 ms"
    );
    println!(
        "| arm (dof)            | solver                 | success   | mean us   | median us | p99 us    |"
    );
    println!(
        "|----------------------|------------------------|-----------|-----------|-----------|-----------|"
    );
    for (label, path, base, tip) in arms {
        if let Err(e) = run_arm(label, &path, base, tip, poses) {
            println!("| {label:<20} | error: {e}");
        }
    }
}

fn run_arm(label: &str, path: &Path, base: &str, tip: &str, poses: usize) -> Result<(), String> {
    let model = RobotModel::from_urdf_file(path, None).map_err(|e| e.to_string())?;
    let group = ArmGroup::new(&model, label, base, tip).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let targets: Vec<_> = (0..poses)
        .map(|_| {
            let q: Vec<f64> =
                (0..group.dof()).map(|i| rng.gen_range(group.lower[i]..=group.upper[i])).collect();
            group.fk(&q)
        })
        .collect();
    let seed = group.mid_positions();
    let opts = IkOptions {
        position_tolerance: 1e-5,
        orientation_tolerance: 1e-5,
        timeout: Duration::from_millis(5),
        ..IkOptions::default()
    };
    let mut solver = IkSolver::new(&group, 1);
    let mut ours = Stats { success: 0, total: poses, times_us: Vec::with_capacity(poses) };
    let (mut attempts, mut iterations) = (0usize, 0usize);
    for target in &targets {
        let t0 = Instant::now();
        let result = solver.solve(&group, target, &seed, &opts, &mut |_| true);
        ours.times_us.push(t0.elapsed().as_secs_f64() * 1e6);
        if let Ok(sol) = result {
            attempts += sol.attempts;
            iterations += sol.iterations;
            // Count only what a fresh FK confirms.
            let e = arm_planner::ik::pose_error(target, &group.fk(&sol.positions));
            if e.fixed_rows::<3>(0).norm() <= 1.0001e-5 && e.fixed_rows::<3>(3).norm() <= 1.0001e-5 {
                ours.success += 1;
            }
        }
    }
    ours.row(label, "arm_planner LM");
    if std::env::var_os("IK_BENCH_VERBOSE").is_some() {
        let solved = ours.success.max(1) as f64;
        println!(
            "  (solved poses: {:.2} attempts, {:.1} iterations on average)",
            attempts as f64 / solved,
            iterations as f64 / solved
        );
    }

    // k's solver works in the URDF root frame on a k::SerialChain ending at the tip link.
    let chain = model.k_chain();
    let tip_joint = model.links[group.tip_link].parent_joint.ok_or("tip link has no parent joint")?;
    let end = chain.find(&model.joints[tip_joint].name).ok_or("tip joint not in k chain")?;
    let arm = k::SerialChain::from_end(end);
    let base_pose = model.link_poses(&model.default_positions())[group.base_link];
    let k_solver = k::JacobianIkSolver::new(1e-5, 1e-5, 0.5, 1000);
    let mid: Vec<f64> = arm
        .iter_joints()
        .filter(|j| j.is_movable())
        .map(|j| j.limits.as_ref().map_or(0.0, |r| 0.5 * (r.min + r.max)))
        .collect();
    // k takes a square Jacobian through LU, which fails outright at a singular seed (a
    // straight elbow at mid-range); the second row shows it from a seed 0.1 rad off.
    let offset: Vec<f64> = mid.iter().map(|v| v + 0.1).collect();
    for (k_seed, name) in [(mid, "k JacobianIkSolver"), (offset, "k (seed mid+0.1 rad)")] {
        let mut theirs = Stats { success: 0, total: poses, times_us: Vec::with_capacity(poses) };
        let mut first_error: Option<String> = None;
        for target in &targets {
            arm.set_joint_positions_clamped(&k_seed);
            let world_target = to_k_isometry(&(base_pose * target));
            let t0 = Instant::now();
            let result = k_solver.solve(&arm, &world_target);
            theirs.times_us.push(t0.elapsed().as_secs_f64() * 1e6);
            match result {
                Ok(()) => {
                    let reached = base_pose.inverse() * from_k_isometry(&arm.end_transform());
                    let e = arm_planner::ik::pose_error(target, &reached);
                    if e.fixed_rows::<3>(0).norm() <= 1.0001e-5 && e.fixed_rows::<3>(3).norm() <= 1.0001e-5 {
                        theirs.success += 1;
                    }
                }
                Err(e) => {
                    first_error
                        .get_or_insert_with(|| e.to_string().lines().next().unwrap_or_default().to_string());
                }
            }
        }
        theirs.row(label, name);
        if let (Some(e), true) = (first_error, theirs.success * 2 < poses) {
            println!("  (k's first error: {e})");
        }
    }
    Ok(())
}
