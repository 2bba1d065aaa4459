//! Robots: never inside walls or each other, battery within [0, capacity], bad
//! commands rejected without effect, scans see walls and robots.

mod common;

use factory_twin::{CommandError, Event, JointTrajectory, Pose2, TrajectoryPoint, Twist2, World};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_twist(rng: &mut ChaCha8Rng) -> Twist2 {
    // Deliberately beyond the limits so the limiter is exercised too.
    Twist2::new(rng.gen_range(-2.0..2.0), rng.gen_range(-2.0..2.0), rng.gen_range(-3.0..3.0))
}

fn assert_no_overlap(w: &World) {
    let rs = w.robots();
    for (i, a) in rs.iter().enumerate() {
        let p = a.pose();
        assert!(
            w.floor().disc_is_free(p.x, p.y, a.radius_m()),
            "{} inside a wall at ({}, {}) t = {}",
            a.id(),
            p.x,
            p.y,
            w.time_s()
        );
        for b in &rs[i + 1..] {
            let d = p.distance_to(&b.pose());
            assert!(d >= a.radius_m() + b.radius_m() - 1e-9, "{} and {} overlap: {d}", a.id(), b.id());
        }
    }
}

#[test]
fn robots_never_overlap_walls_or_each_other_under_random_commands() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    cfg.robots.defaults.max_linear_mps = 2.0; // fast robots test tunnelling
    cfg.robots.defaults.max_linear_accel_mps2 = 4.0;
    if let Some(f) = &mut cfg.robots.fleet {
        f.count = 12;
        f.per_row = 6;
        f.first = Pose2::new(2.0, 1.0, 0.0);
    }
    let mut w = common::world(cfg);
    let ids: Vec<String> = w.robots().iter().map(|r| r.id().to_string()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for step in 0..6000 {
        if step % 10 == 0 {
            for id in &ids {
                w.set_cmd_vel(id, random_twist(&mut rng)).unwrap();
            }
        }
        // Uneven steps: the sub-stepping must keep the guarantee for any dt.
        w.step(if step % 7 == 0 { 0.3 } else { 0.05 }).unwrap();
        assert_no_overlap(&w);
    }
    let contacts: u64 = w.robots().iter().map(|r| r.contacts()).sum();
    let driven: f64 = w.robots().iter().map(|r| r.odometer_m()).sum();
    assert!(contacts > 50, "test never produced a contact ({contacts})");
    assert!(driven > 500.0, "robots barely moved ({driven} m)");
    for r in w.robots() {
        let v = r.velocity();
        assert!(v.linear_speed() <= r.params().max_linear_mps + 1e-9);
        assert!(v.wz.abs() <= r.params().max_angular_rps + 1e-9);
    }
}

#[test]
fn battery_stays_within_zero_and_capacity() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.rate_hz = 0.0;
    cfg.robots.defaults.battery_wh = 3.0; // flat within a minute or so
    cfg.robots.defaults.initial_soc = 1.0;
    // A robot waiting on the charger, half full.
    cfg.robots
        .list
        .push(serde_yaml::from_str("{ id: docked, start: { x: 21.0, y: 2.0 }, initial_soc: 0.5 }").unwrap());
    let mut w = common::world(cfg);
    let ids: Vec<String> = w.robots().iter().map(|r| r.id().to_string()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut empties = 0;
    let mut saw_charging = false;
    for step in 0..3000 {
        if step % 5 == 0 {
            for id in ids.iter().filter(|id| *id != "docked") {
                w.set_cmd_vel(id, random_twist(&mut rng)).unwrap();
            }
        }
        let out = w.step(0.1).unwrap();
        empties += common::count(&out.events, |e| matches!(e, Event::BatteryEmpty { .. }));
        for r in w.robots() {
            let b = r.battery();
            assert!(
                b.energy_wh() >= 0.0 && b.energy_wh() <= b.capacity_wh(),
                "{}: {}",
                r.id(),
                b.energy_wh()
            );
            assert!((0.0..=1.0).contains(&b.soc()));
        }
        saw_charging |= w.robot("docked").unwrap().is_charging();
    }
    assert!(empties >= 5, "only {empties} robots ran flat");
    assert!(saw_charging);
    let docked = w.robot("docked").unwrap().battery();
    assert_eq!(docked.energy_wh(), docked.capacity_wh());
    // A flat robot does not move whatever it is told.
    let flat = w.robots().iter().find(|r| r.battery().is_empty()).unwrap().id().to_string();
    let before = w.robot(&flat).unwrap().pose();
    for _ in 0..50 {
        w.set_cmd_vel(&flat, Twist2::new(1.0, 0.0, 1.0)).unwrap();
        w.step(0.1).unwrap();
    }
    let after = w.robot(&flat).unwrap().pose();
    assert!(before.distance_to(&after) < 0.1, "flat robot drove {} m", before.distance_to(&after));
}

#[test]
fn non_finite_and_unknown_commands_are_rejected_without_effect() {
    let cfg = common::small_config();
    let mut a = common::world(cfg.clone());
    let mut b = common::world(cfg);
    for bad in [
        Twist2::new(f64::NAN, 0.0, 0.0),
        Twist2::new(0.0, f64::INFINITY, 0.0),
        Twist2::new(0.0, 0.0, f64::NEG_INFINITY),
    ] {
        assert!(matches!(a.set_cmd_vel("runner_1", bad), Err(CommandError::NonFinite { .. })));
    }
    assert!(matches!(a.set_cmd_vel("nobody", Twist2::default()), Err(CommandError::UnknownRobot(_))));
    let nan_traj = JointTrajectory {
        joint_names: vec!["left_elbow".into()],
        points: vec![TrajectoryPoint { positions: vec![f64::NAN], time_from_start_s: 1.0 }],
    };
    assert!(matches!(a.set_joint_trajectory("runner_1", &nan_traj), Err(CommandError::NonFinite { .. })));
    let unknown_joint = JointTrajectory {
        joint_names: vec!["tail".into()],
        points: vec![TrajectoryPoint { positions: vec![0.1], time_from_start_s: 1.0 }],
    };
    assert!(matches!(
        a.set_joint_trajectory("runner_1", &unknown_joint),
        Err(CommandError::UnknownJoint { .. })
    ));
    for dt in [f64::NAN, 0.0, -1.0, f64::INFINITY] {
        assert!(matches!(a.step(dt), Err(CommandError::InvalidDt(_))));
    }
    assert_eq!(a.time_s(), 0.0);
    // After all those rejections `a` is exactly the untouched `b`.
    for _ in 0..40 {
        assert_eq!(a.step(0.05).unwrap(), b.step(0.05).unwrap());
    }
    for (ra, rb) in a.robots().iter().zip(b.robots()) {
        assert_eq!(ra.pose(), rb.pose());
        assert_eq!(ra.joint_state(), rb.joint_state());
    }
}

#[test]
fn arm_follows_a_trajectory_and_costs_energy() {
    let mut w = common::world(common::small_config());
    let traj = JointTrajectory {
        joint_names: vec!["right_elbow".into(), "right_shoulder_pitch".into()],
        points: vec![
            TrajectoryPoint { positions: vec![1.0, 0.5], time_from_start_s: 1.0 },
            TrajectoryPoint { positions: vec![0.5, -0.5], time_from_start_s: 2.0 },
        ],
    };
    w.set_joint_trajectory("runner_2", &traj).unwrap();
    let mut done = false;
    for _ in 0..60 {
        let out = w.step(0.05).unwrap();
        done |= out
            .events
            .iter()
            .any(|e| matches!(e, Event::TrajectoryDone { robot_id, .. } if robot_id == "runner_2"));
    }
    assert!(done);
    let js = w.robot("runner_2").unwrap().joint_state();
    let q = |name: &str| js.positions[js.names.iter().position(|n| n == name).unwrap()];
    assert!((q("right_elbow") - 0.5).abs() < 1e-9 && (q("right_shoulder_pitch") + 0.5).abs() < 1e-9);
    // Moving the arm drew more than standing still.
    let idle = w.robot("runner_3").unwrap().battery().energy_wh();
    assert!(w.robot("runner_2").unwrap().battery().energy_wh() < idle);
}

#[test]
fn scans_see_walls_and_other_robots() {
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.n_rays = 4;
    cfg.robots.defaults.laser.angle_min_rad = 0.0;
    cfg.robots.defaults.laser.angle_max_rad = 1.5 * std::f64::consts::PI;
    let mut w = common::world(cfg);
    // The first scan is taken in the first sub-step.
    let out = w.step(0.05).unwrap();
    assert_eq!(out.scans.len(), w.robots().len());
    // runner_1 at (3, 2) facing +x: runner_2 is 1.2 m ahead (radius 0.35); the wall
    // behind (-x) is at x = 0.2; the wall to the right (-y) at y = 0.2.
    let i = w.robot_index("runner_1").unwrap();
    let scan = &out.scans.iter().find(|s| s.robot == i).unwrap().scan;
    assert!((f64::from(scan.ranges[0]) - (1.2 - 0.35)).abs() < 1e-4, "{:?}", scan.ranges);
    assert!((f64::from(scan.ranges[2]) - (3.0 - 0.2)).abs() < 1e-4, "{:?}", scan.ranges);
    assert!((f64::from(scan.ranges[3]) - (2.0 - 0.2)).abs() < 1e-4, "{:?}", scan.ranges);
    // 10 Hz: ten scans per robot per second, stamped on the sim clock.
    let mut n = 0;
    for _ in 0..10 {
        n += w.step(0.1).unwrap().scans.iter().filter(|s| s.robot == i).count();
    }
    assert_eq!(n, 10);
    let stamp = w.robot("runner_1").unwrap().last_scan().unwrap().stamp_s;
    // Scans keep to the 10 Hz grid of sim time.
    assert!(w.time_s() - stamp < 0.1 + 1e-9, "{stamp} vs {}", w.time_s());
    assert!(((stamp * 10.0).round() - stamp * 10.0).abs() < 1e-6, "{stamp}");
}

#[test]
fn a_robot_that_stood_still_and_then_moved_scans_what_it_sees_from_where_it_is() {
    // Scans of a robot reuse the walls of its last scan while it stands still; each scan
    // must still equal a fresh ray cast from where the robot is, before and after a move.
    let mut cfg = common::small_config();
    cfg.robots.defaults.laser.noise_std_m = 0.0;
    let mut w = common::world(cfg);
    let i = w.robot_index("runner_1").unwrap();
    let fresh = |w: &World| {
        let r = &w.robots()[i];
        let l = r.laser();
        w.scan_from(&r.pose(), l.angle_min, l.angle_increment, l.n_rays, l.range_max, Some(i))
    };
    let scan_of = |out: &factory_twin::StepOutput| {
        out.scans.iter().find(|s| s.robot == i).map(|s| s.scan.ranges.clone())
    };
    let mut standing = Vec::new();
    for _ in 0..3 {
        if let Some(ranges) = scan_of(&w.step(0.1).unwrap()) {
            assert_eq!(ranges, fresh(&w), "still robot's scan at t = {}", w.time_s());
            standing = ranges;
        }
    }
    assert!(!standing.is_empty(), "no scan while standing");
    // Turn on the spot for a second, then stop and let it come to rest.
    w.set_cmd_vel("runner_1", Twist2::new(0.0, 0.0, 1.0)).unwrap();
    for _ in 0..10 {
        w.step(0.1).unwrap();
    }
    w.set_cmd_vel("runner_1", Twist2::default()).unwrap();
    for _ in 0..20 {
        w.step(0.1).unwrap();
    }
    let moved = scan_of(&w.step(0.1).unwrap()).expect("a scan every 0.1 s");
    assert_eq!(moved, fresh(&w), "scan after the turn");
    assert_ne!(moved, standing, "the turn changed nothing the scan sees");
}

/// At rest (the twin then thins the robot's sensor streams): base and arm still.
#[test]
fn a_robot_is_at_rest_only_while_its_base_and_arm_stand_still() {
    let mut w = common::world(common::small_config());
    let at_rest = |w: &World| w.robot("runner_2").unwrap().is_at_rest();
    w.step(0.05).unwrap();
    assert!(at_rest(&w), "a robot with no command is at rest");

    w.set_cmd_vel("runner_2", Twist2::new(0.0, 0.0, 0.5)).unwrap();
    w.step(0.05).unwrap();
    assert!(!at_rest(&w), "a robot turning in place is not at rest");
    w.set_cmd_vel("runner_2", Twist2::default()).unwrap();
    for _ in 0..20 {
        w.step(0.05).unwrap();
    }
    assert!(at_rest(&w), "a robot that has braked to a stop is at rest again");

    let traj = JointTrajectory {
        joint_names: vec!["right_elbow".into()],
        points: vec![TrajectoryPoint { positions: vec![1.0], time_from_start_s: 1.0 }],
    };
    w.set_joint_trajectory("runner_2", &traj).unwrap();
    w.step(0.05).unwrap();
    assert!(!at_rest(&w), "a robot moving an arm is not at rest");
    for _ in 0..30 {
        w.step(0.05).unwrap();
    }
    assert!(at_rest(&w), "a robot whose arm has arrived is at rest again");
}
