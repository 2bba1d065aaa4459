//! The follower drives a simulated holonomic base (twin-like limits) along paths.

mod common;

use common::{densify, distance_to_path, SimRobot, DT_S};
use optimus_executor::{wrap_angle, FollowStatus, Follower, FollowerConfig, Point2, Pose2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{FRAC_PI_2, PI};

struct Run {
    arrived_at_s: Option<f64>,
    stuck_at_s: Option<f64>,
    final_pose: Pose2,
    max_cross_track_m: f64,
}

/// Runs the follower at 20 Hz; asserts every command is within the configured limits.
fn drive(cfg: &FollowerConfig, path: &[Point2], goal_yaw: f64, robot: &mut SimRobot, max_s: f64) -> Run {
    let mut f = Follower::new(cfg, path, goal_yaw).unwrap();
    let mut t = 0.0;
    let mut max_cross_track_m: f64 = 0.0;
    while t < max_s {
        max_cross_track_m = max_cross_track_m.max(distance_to_path(robot.pose.position(), path));
        match f.step(robot.pose, t).unwrap() {
            FollowStatus::Drive(cmd) => {
                assert!(cmd.linear_speed() <= cfg.max_linear_mps + 1e-9, "speed {cmd:?} at t = {t}");
                assert!(cmd.wz.abs() <= cfg.max_angular_rps + 1e-9, "turn rate {cmd:?} at t = {t}");
                assert!(cmd.vx.is_finite() && cmd.vy.is_finite() && cmd.wz.is_finite());
                robot.step(cmd, DT_S);
            }
            FollowStatus::Arrived => {
                return Run {
                    arrived_at_s: Some(t),
                    stuck_at_s: None,
                    final_pose: robot.pose,
                    max_cross_track_m,
                }
            }
            FollowStatus::Stuck { .. } => {
                return Run {
                    arrived_at_s: None,
                    stuck_at_s: Some(t),
                    final_pose: robot.pose,
                    max_cross_track_m,
                }
            }
        }
        t += DT_S;
    }
    Run { arrived_at_s: None, stuck_at_s: None, final_pose: robot.pose, max_cross_track_m }
}

fn assert_at_goal(cfg: &FollowerConfig, run: &Run, goal: Point2, goal_yaw: f64) {
    assert!(run.arrived_at_s.is_some(), "did not arrive: {:?}", run.final_pose);
    assert!(run.final_pose.position().distance(goal) <= cfg.goal_tolerance_m, "{:?}", run.final_pose);
    assert!(wrap_angle(run.final_pose.yaw - goal_yaw).abs() <= cfg.yaw_tolerance_rad, "{:?}", run.final_pose);
}

#[test]
fn l_shaped_path_reaches_the_goal_within_limits() {
    let cfg = FollowerConfig::default();
    let corners = [Point2::new(0.0, 0.0), Point2::new(6.0, 0.0), Point2::new(6.0, 5.0)];
    // Both as a grid planner returns it (5 cm spacing) and as bare corners.
    for path in [densify(&corners, 0.05), corners.to_vec()] {
        let mut robot = SimRobot::new(Pose2::new(0.0, 0.0, 0.0));
        let run = drive(&cfg, &path, FRAC_PI_2, &mut robot, 60.0);
        assert_at_goal(&cfg, &run, corners[2], FRAC_PI_2);
        // Pure pursuit cuts the corner by less than the lookahead, and nowhere else.
        assert!(run.max_cross_track_m < cfg.lookahead_m, "cross-track {}", run.max_cross_track_m);
        // 11 m at up to 1 m/s: not dawdling (acceleration, the corner and braking add some).
        let t = run.arrived_at_s.unwrap_or(f64::INFINITY);
        assert!(t < 20.0, "took {t} s");
    }
}

#[test]
fn curved_path_reaches_the_goal_within_limits() {
    let cfg = FollowerConfig::default();
    // A semicircle of radius 3 m sampled every 5°, then an S-bend back.
    let mut path: Vec<Point2> = (0..=36)
        .map(|i| i as f64 * 5f64.to_radians())
        .map(|a| Point2::new(3.0 * a.sin(), 3.0 - 3.0 * a.cos()))
        .collect();
    path.extend((1..=40).map(|i| i as f64 * 0.1).map(|x| Point2::new(-x, 6.0 + (x * PI / 4.0).sin())));
    let goal = path[path.len() - 1];
    let mut robot = SimRobot::new(Pose2::new(0.0, 0.0, 0.0));
    let run = drive(&cfg, &path, PI, &mut robot, 60.0);
    assert_at_goal(&cfg, &run, goal, PI);
    assert!(run.max_cross_track_m < 0.3, "cross-track {}", run.max_cross_track_m);
}

#[test]
fn random_smooth_paths_all_reach_their_goals() {
    let cfg = FollowerConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..20 {
        // A random walk of 0.2 m steps with bounded heading changes, 5..15 m long.
        let n = rng.gen_range(25..75);
        let mut heading: f64 = rng.gen_range(-PI..PI);
        let mut path = vec![Point2::new(0.0, 0.0)];
        for _ in 0..n {
            heading += rng.gen_range(-0.25..0.25);
            let p = path[path.len() - 1];
            path.push(Point2::new(p.x + 0.2 * heading.cos(), p.y + 0.2 * heading.sin()));
        }
        let goal_yaw = rng.gen_range(-PI..PI);
        let mut robot = SimRobot::new(Pose2::new(0.0, 0.0, rng.gen_range(-PI..PI)));
        let run = drive(&cfg, &path, goal_yaw, &mut robot, 120.0);
        assert!(run.arrived_at_s.is_some(), "case {case}: {:?}", run.final_pose);
        assert_at_goal(&cfg, &run, path[path.len() - 1], goal_yaw);
        assert!(
            run.max_cross_track_m < cfg.lookahead_m,
            "case {case}: cross-track {}",
            run.max_cross_track_m
        );
    }
}

#[test]
fn blocked_robot_is_reported_stuck_after_the_timeout() {
    let cfg = FollowerConfig::default();
    let path = densify(&[Point2::new(0.0, 0.0), Point2::new(10.0, 0.0)], 0.05);
    let mut robot = SimRobot::new(Pose2::new(0.0, 0.0, 0.0));
    robot.block_x = Some(3.0);
    let run = drive(&cfg, &path, 0.0, &mut robot, 60.0);
    let Some(stuck_at) = run.stuck_at_s else { panic!("never reported stuck: {:?}", run.final_pose) };
    // The robot reaches the wall after ~4.5 s; stuck is reported one timeout later (the
    // last metre of progress counts in `min_progress_m` steps).
    assert!((3.0..5.5).contains(&(stuck_at - cfg.stuck_timeout_s)), "stuck at {stuck_at} s");
    assert!((run.final_pose.x - 3.0).abs() < 1e-9);
}

#[test]
fn in_place_rotation_to_the_goal_yaw_is_progress_not_stuck() {
    // Already at the goal position, facing the wrong way: only turning is needed, which
    // takes ~2.5 s at the rate limit; a 1 s stuck timeout must not fire meanwhile.
    let cfg = FollowerConfig { stuck_timeout_s: 1.0, ..FollowerConfig::default() };
    let mut robot = SimRobot::new(Pose2::new(2.0, 1.0, 0.0));
    let run = drive(&cfg, &[Point2::new(2.0, 1.0)], PI, &mut robot, 20.0);
    assert_at_goal(&cfg, &run, Point2::new(2.0, 1.0), PI);
}
