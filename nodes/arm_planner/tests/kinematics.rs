//! Forward kinematics against hand-computed poses and k, the Jacobian against finite
//! differences, and IK round trips (random joints -> FK -> IK -> FK).

use arm_planner::ik::{pose_error, IkOptions, IkSolver};
use arm_planner::model::{from_k_isometry, to_k_isometry};
use arm_planner::{ArmGroup, RobotModel};
use nalgebra::{Matrix6xX, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::FRAC_PI_2;
use std::path::PathBuf;
use std::time::Duration;

fn load(file: &str, base: &str, tip: &str) -> (RobotModel, ArmGroup) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = if file == "ur5e.urdf" {
        dir.join("benches/data").join(file)
    } else {
        dir.join("../../urdf").join(file)
    };
    let model = RobotModel::from_urdf_file(&path, None).expect("urdf loads");
    let group = ArmGroup::new(&model, "g", base, tip).expect("group");
    (model, group)
}

fn arms() -> Vec<(RobotModel, ArmGroup)> {
    vec![
        load("optimus.urdf", "torso", "left_tool0"),
        load("optimus.urdf", "torso", "right_tool0"),
        load("station_arm.urdf", "base_link", "tool0"),
        load("ur5e.urdf", "base_link", "tool0"),
    ]
}

fn assert_close(a: Vector3<f64>, b: [f64; 3], what: &str) {
    // 1e-7: the URDFs write pi/2 as 1.5707963.
    assert!((a - Vector3::from(b)).norm() < 1e-7, "{what}: got {a:?}, expected {b:?}");
}

#[test]
fn ur5e_fk_matches_dh_hand_computation() {
    let (_, g) = load("ur5e.urdf", "base_link", "tool0");
    // All zero: x = a2 + a3, y = -(d4 + d6), z = d1 - d5.
    let p = g.fk(&[0.0; 6]);
    assert_close(p.translation.vector, [-0.8172, -0.2329, 0.0628], "zero pose");
    // Shoulder lift -pi/2 points upper arm and forearm straight up: z = d1 + |a2| + |a3|;
    // d4 and d6 still point along -y, d5 now along -x.
    let p = g.fk(&[0.0, -FRAC_PI_2, 0.0, 0.0, 0.0, 0.0]);
    assert_close(p.translation.vector, [-0.0997, -0.2329, 0.1625 + 0.425 + 0.3922], "upright");
    // Pan pi/2 rotates the zero pose about z: (x, y) -> (-y, x).
    let p = g.fk(&[FRAC_PI_2, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_close(p.translation.vector, [0.2329, -0.8172, 0.0628], "panned");
}

#[test]
fn humanoid_and_station_fk_match_hand_computation() {
    let (_, left) = load("optimus.urdf", "torso", "left_tool0");
    // Arm hanging: shoulder (0, 0.27, 0.50), then 0.30 + 0.24 + 0.15 down.
    assert_close(left.fk(&[0.0; 7]).translation.vector, [0.0, 0.27, 0.50 - 0.69], "left arm hanging");
    // Shoulder pitch -pi/2 lifts the straight arm forward (+x).
    let mut q = [0.0; 7];
    q[0] = -FRAC_PI_2;
    assert_close(left.fk(&q).translation.vector, [0.69, 0.27, 0.50], "left arm forward");
    // Elbow -pi/2 with the upper arm hanging: forearm forward.
    let mut q = [0.0; 7];
    q[3] = -FRAC_PI_2;
    assert_close(left.fk(&q).translation.vector, [0.39, 0.27, 0.20], "left elbow bent");

    let (_, station) = load("station_arm.urdf", "base_link", "tool0");
    // Stretched along +x: 0.44 + 0.40; y offsets 0.14 - 0.12 + 0.11 + flange 0.09 + gripper
    // 0.10; the wrist (two quarter turns about y) points down: z = 0.17 - 0.10, as a UR's.
    assert_close(station.fk(&[0.0; 6]).translation.vector, [0.84, 0.32, 0.07], "station zero");
}

#[test]
fn fk_agrees_with_k() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (model, group) in arms() {
        let chain = model.k_chain();
        let tip_joint = model.links[group.tip_link].parent_joint.expect("tip joint");
        let arm = k::SerialChain::from_end(chain.find(&model.joints[tip_joint].name).expect("k node"));
        let base = model.link_poses(&model.default_positions())[group.base_link];
        for _ in 0..50 {
            let q: Vec<f64> =
                (0..group.dof()).map(|i| rng.gen_range(group.lower[i]..=group.upper[i])).collect();
            // k's serial chain includes the fixed joints from the root: same movable joints.
            arm.set_joint_positions(&q).expect("k accepts positions within limits");
            let k_pose = base.inverse() * from_k_isometry(&arm.end_transform());
            let e = pose_error(&k_pose, &group.fk(&q));
            assert!(e.norm() < 1e-9, "{}: FK differs from k by {e:?}", model.name);
        }
        // The conversion helpers round-trip.
        let p = group.fk(&group.mid_positions());
        assert!(pose_error(&p, &from_k_isometry(&to_k_isometry(&p))).norm() < 1e-12);
    }
}

#[test]
fn jacobian_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for (_, group) in arms() {
        let n = group.dof();
        let q: Vec<f64> =
            (0..n).map(|i| rng.gen_range(group.lower[i] * 0.5..=group.upper[i] * 0.5)).collect();
        let mut jac = Matrix6xX::zeros(n);
        let p0 = group.fk_jacobian(&q, &mut jac);
        let h = 1e-7;
        for k in 0..n {
            let mut qk = q.clone();
            qk[k] += h;
            let d = pose_error(&group.fk(&qk), &p0) / h;
            let col = jac.column(k);
            assert!((d - col).norm() < 1e-5, "column {k}: numeric {d:?} vs {col:?}");
        }
    }
}

#[test]
fn ik_round_trip_on_random_reachable_poses() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let opts = IkOptions { timeout: Duration::from_millis(200), ..IkOptions::default() };
    for (model, group) in arms() {
        let mut solver = IkSolver::new(&group, 9);
        let seed = group.mid_positions();
        let trials = 100;
        let mut solved = 0;
        for _ in 0..trials {
            let q: Vec<f64> =
                (0..group.dof()).map(|i| rng.gen_range(group.lower[i]..=group.upper[i])).collect();
            let target = group.fk(&q);
            if let Ok(sol) = solver.solve(&group, &target, &seed, &opts, &mut |_| true) {
                let e = pose_error(&target, &group.fk(&sol.positions));
                assert!(e.fixed_rows::<3>(0).norm() <= 1e-5 && e.fixed_rows::<3>(3).norm() <= 1e-5, "{e:?}");
                assert!(group.within_limits(&sol.positions, 1e-12), "solution outside limits");
                solved += 1;
            }
        }
        // Timing-free: with a 200 ms budget every reachable pose must be found.
        assert_eq!(solved, trials, "{}: solved {solved}/{trials}", model.name);
    }
}

#[test]
fn ik_returns_the_solution_nearest_the_seed() {
    let (_, group) = load("ur5e.urdf", "base_link", "tool0");
    let q_true = [0.4, -1.2, 1.1, -0.9, 1.3, 0.7];
    let target = group.fk(&q_true);
    let mut solver = IkSolver::new(&group, 2);
    let opts = IkOptions { solutions: 8, timeout: Duration::from_millis(500), ..IkOptions::default() };
    // A seed near one of the (up to 8, plus +-2 pi copies) solutions gets that one back.
    let seed: Vec<f64> = q_true.iter().map(|v| v + 0.05).collect();
    let sol = solver.solve(&group, &target, &seed, &opts, &mut |_| true).expect("solves");
    let d: f64 = sol.positions.iter().zip(&q_true).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(d < 1e-3, "nearest solution {:?} should be {q_true:?}", sol.positions);
    // A seed a full turn away on the wrist gets the wrist angle a turn away too (same pose).
    let mut far_seed = seed.clone();
    far_seed[5] -= std::f64::consts::TAU;
    let sol = solver.solve(&group, &target, &far_seed, &opts, &mut |_| true).expect("solves");
    assert!((sol.positions[5] - (q_true[5] - std::f64::consts::TAU)).abs() < 1e-3, "{:?}", sol.positions);
}

#[test]
fn ik_respects_the_accept_callback_and_reports_rejections() {
    let (_, group) = load("station_arm.urdf", "base_link", "tool0");
    let target = group.fk(&[0.3, -0.8, 1.0, 0.2, 0.5, 0.1]);
    let mut solver = IkSolver::new(&group, 3);
    let opts = IkOptions { timeout: Duration::from_millis(30), ..IkOptions::default() };
    let failure = solver
        .solve(&group, &target, &group.mid_positions(), &opts, &mut |_| false)
        .expect_err("all refused");
    assert!(failure.rejected > 0);
    // Only solutions with a positive elbow are acceptable: the solver finds one.
    let sol = solver
        .solve(
            &group,
            &target,
            &group.mid_positions(),
            &IkOptions { timeout: Duration::from_millis(300), ..opts },
            &mut |q| q[2] > 0.0,
        )
        .expect("an elbow-up solution exists");
    assert!(sol.positions[2] > 0.0);
}

#[test]
fn unreachable_pose_fails_within_budget() {
    let (_, group) = load("station_arm.urdf", "base_link", "tool0");
    let target = nalgebra::Isometry3::translation(3.0, 0.0, 0.0);
    let mut solver = IkSolver::new(&group, 3);
    let opts = IkOptions { timeout: Duration::from_millis(20), ..IkOptions::default() };
    let failure =
        solver.solve(&group, &target, &group.mid_positions(), &opts, &mut |_| true).expect_err("unreachable");
    assert_eq!(failure.rejected, 0);
    assert!(failure.attempts >= 1);
}
