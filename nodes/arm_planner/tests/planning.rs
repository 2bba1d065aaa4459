//! Planning: paths within limits and collision-free when re-checked finely against the
//! unpadded geometry, time parameterisation within limits, the scene (add/remove/attach),
//! the allowed-collision matrix, and every failure code.

use arm_planner::collision::{AllowedCollisionMatrix, CollisionContext, MeshMode, RobotGeometry};
use arm_planner::scenario::{humanoid_workcell, station_workcell};
use arm_planner::timing::time_parameterize;
use arm_planner::{
    ErrorCode, Goal, MotionRequest, ObjectShape, Planner, PlannerConfig, PlanningScene, RobotModel,
    SceneObject,
};
use nalgebra::{Isometry3, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use std::sync::Arc;

fn model(file: &str) -> Arc<RobotModel> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../urdf").join(file);
    Arc::new(RobotModel::from_urdf_file(&path, None).expect("urdf loads"))
}

fn config() -> PlannerConfig {
    // Fewer ACM samples keep the dev-profile test quick; IK gets a short budget so the
    // unreachable-goal case returns fast.
    PlannerConfig { acm_samples: 300, ik_timeout_s: 0.02, ..PlannerConfig::default() }
}

fn station() -> Planner {
    Planner::from_model(model("station_arm.urdf"), "station_arm", "base_link", "tool0", config())
        .expect("planner")
}

fn humanoid_left() -> Planner {
    Planner::from_model(model("optimus.urdf"), "left_arm", "torso", "left_tool0", config()).expect("planner")
}

fn state_with(planner: &Planner, q: &[f64]) -> Vec<f64> {
    let mut state = planner.model.default_positions();
    for (k, &j) in planner.group.joints.iter().enumerate() {
        state[j] = q[k];
    }
    state
}

fn joint_goal(planner: &Planner, q: &[f64]) -> MotionRequest {
    MotionRequest::new(Goal::Joints { names: planner.group.joint_names.clone(), positions: q.to_vec() })
}

/// A random collision-free configuration of the group.
fn random_free(planner: &Planner, ctx: &mut CollisionContext, rng: &mut ChaCha8Rng) -> Vec<f64> {
    loop {
        let g = &planner.group;
        let q: Vec<f64> = (0..g.dof()).map(|i| rng.gen_range(g.lower[i]..=g.upper[i])).collect();
        if ctx.is_valid(g, &q) {
            return q;
        }
    }
}

/// Re-checks a plan's waypoints and every segment at 0.005 rad against unpadded geometry.
fn assert_path_valid(planner: &Planner, scene: &PlanningScene, state: &[f64], path: &[Vec<f64>]) {
    let exact = RobotGeometry::new(&planner.model, 0.0, MeshMode::ConvexHull);
    let mut ctx = CollisionContext::new(&planner.model, &planner.group, &exact, &planner.acm, scene, state);
    for q in path {
        assert!(planner.group.within_limits(q, 1e-9), "waypoint outside limits: {q:?}");
    }
    let mut scratch = Vec::new();
    for w in path.windows(2) {
        assert!(
            ctx.is_valid(&planner.group, &w[0]),
            "waypoint in collision: {:?}",
            ctx.first_contact(&planner.group, &w[0])
        );
        assert!(ctx.segment_valid(&planner.group, &w[0], &w[1], 0.005, &mut scratch), "segment in collision");
    }
}

fn run_random_queries(mut planner: Planner, scene: PlanningScene, queries: usize, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let state0 = planner.model.default_positions();
    let mut ctx = planner.collision_context(&scene, &state0);
    let mut solved = 0;
    let mut failures = Vec::new();
    for _ in 0..queries {
        let start = random_free(&planner, &mut ctx, &mut rng);
        let goal = random_free(&planner, &mut ctx, &mut rng);
        let state = state_with(&planner, &start);
        let request = MotionRequest { timeout_s: 2.0, ..joint_goal(&planner, &goal) };
        let plan = match planner.plan(&request, &state, &scene) {
            Ok(plan) => plan,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        solved += 1;
        assert_eq!(plan.path.first(), Some(&start));
        assert_eq!(plan.path.last(), Some(&goal));
        assert_path_valid(&planner, &scene, &state, &plan.path);
        let last = plan.trajectory.points.last().expect("points");
        assert_eq!(last.positions, goal);
        assert!(last.velocities.iter().all(|&v| v == 0.0), "ends at rest");
    }
    // Random pairs in these cells are connected; allow a rare miss, never most of them.
    assert!(solved * 10 >= queries * 9, "solved {solved}/{queries}: {failures:?}");
}

#[test]
fn station_arm_paths_are_within_limits_and_collision_free() {
    run_random_queries(station(), station_workcell(), 12, 11);
}

#[test]
fn humanoid_arm_paths_are_within_limits_and_collision_free() {
    run_random_queries(humanoid_left(), humanoid_workcell(), 12, 12);
}

#[test]
fn time_parameterisation_never_exceeds_limits() {
    let names: Vec<String> = (0..3).map(|i| format!("j{i}")).collect();
    let path = vec![
        vec![0.0, 0.0, 0.0],
        vec![1.0, -0.5, 0.01],
        vec![1.0, 2.0, 0.0],
        vec![1.001, 2.0, 0.0],
        vec![-1.0, 0.0, 0.5],
    ];
    let vmax = [1.0, 0.5, 2.0];
    let amax = [2.0, 1.0, 0.5];
    let traj = time_parameterize(&names, &path, &vmax, &amax, 0.01);
    let first = &traj.points[0];
    let last = traj.points.last().expect("points");
    assert_eq!(first.positions, path[0]);
    assert_eq!(last.positions, path[4]);
    assert!(first.velocities.iter().chain(&last.velocities).all(|&v| v == 0.0), "start and end at rest");
    let eps = 1e-9;
    for p in &traj.points {
        for i in 0..3 {
            assert!(p.velocities[i].abs() <= vmax[i] + eps, "velocity {} > {}", p.velocities[i], vmax[i]);
            assert!(
                p.accelerations[i].abs() <= amax[i] + eps,
                "acceleration {} > {}",
                p.accelerations[i],
                amax[i]
            );
        }
    }
    for w in traj.points.windows(2) {
        let dt = w[1].time - w[0].time;
        assert!(dt > 0.0, "time strictly increases");
        for i in 0..3 {
            // Average velocity between samples and velocity change per time stay within limits.
            assert!((w[1].positions[i] - w[0].positions[i]).abs() / dt <= vmax[i] + 1e-6);
            assert!((w[1].velocities[i] - w[0].velocities[i]).abs() / dt <= amax[i] + 1e-6);
        }
    }
    // Every waypoint is passed at rest (straight segments are followed exactly).
    for q in &path {
        assert!(traj.points.iter().any(|p| &p.positions == q && p.velocities.iter().all(|&v| v == 0.0)));
    }
}

#[test]
fn planned_trajectory_respects_scaled_limits() {
    let mut planner = station();
    let scene = station_workcell();
    let start = [0.0, -1.2, 1.0, 0.0, 0.5, 0.0];
    let goal = [1.0, -1.0, 0.8, 0.3, 0.2, 0.5];
    let state = state_with(&planner, &start);
    let request =
        MotionRequest { velocity_scaling: 0.5, acceleration_scaling: 0.25, ..joint_goal(&planner, &goal) };
    let plan = planner.plan(&request, &state, &scene).expect("plans");
    for p in &plan.trajectory.points {
        for (i, (&v, &a)) in p.velocities.iter().zip(&p.accelerations).enumerate() {
            assert!(v.abs() <= 0.5 * planner.group.velocity[i] + 1e-9);
            assert!(a.abs() <= 0.25 * planner.config.acceleration_limit + 1e-9);
        }
    }
}

#[test]
fn acm_allows_adjacent_links_and_keeps_arm_versus_torso() {
    let planner = humanoid_left();
    let m = &planner.model;
    let l = |n: &str| m.link_index(n).expect(n);
    assert!(planner.acm.is_allowed(l("torso"), l("left_shoulder_link")), "adjacent");
    assert!(
        planner.acm.is_allowed(l("left_upper_arm"), l("left_shoulder_link")),
        "adjacent through a geometry-less link"
    );
    assert!(!planner.acm.is_allowed(l("left_hand"), l("torso")), "the hand can hit the torso");
    assert!(!planner.acm.is_allowed(l("left_hand"), l("base_link")), "the hand can hit the mobile base");
    // Deterministic for a seed.
    let again = AllowedCollisionMatrix::compute(m, &planner.geometry, 300, planner.config.rng_seed);
    assert_eq!(again, planner.acm);
}

#[test]
fn self_collision_is_detected() {
    let planner = humanoid_left();
    let scene = PlanningScene::default();
    let state = planner.model.default_positions();
    let mut ctx = planner.collision_context(&scene, &state);
    assert!(
        ctx.is_valid(&planner.group, &[0.0; 7]),
        "arm hanging is free: {:?}",
        ctx.first_contact(&planner.group, &[0.0; 7])
    );
    // Shoulder roll inwards with the elbow bent across the chest drives the hand into the torso.
    let q = [-0.5, -0.3, 0.0, -2.4, 0.0, 0.0, 0.0];
    let contact = ctx.first_contact(&planner.group, &q).expect("hand in torso");
    assert!(contact.to_string().contains("torso"), "{contact}");
}

#[test]
fn scene_objects_can_be_added_removed_attached_and_detached() {
    let mut planner = station();
    let mut scene = PlanningScene::default();
    let q = [0.0, -1.2, 1.0, 0.0, 0.5, 0.0];
    let state = state_with(&planner, &q);
    let tip_world = planner.frame_pose(&state, "tool0").expect("tool0");
    let sphere = |id: &str, pose: Isometry3<f64>| SceneObject {
        id: id.to_string(),
        shape: ObjectShape::Sphere { radius: 0.05 },
        pose,
        attached_to: None,
        touch_links: Vec::new(),
    };
    scene.add(sphere("ball", tip_world));
    assert!(
        !planner.collision_context(&scene, &state).is_valid(&planner.group, &q),
        "ball at the tip collides"
    );
    assert!(scene.remove("ball"));
    assert!(planner.collision_context(&scene, &state).is_valid(&planner.group, &q));

    // A part held between the fingers: attached to the gripper, it moves with it.
    scene.add(sphere("part", tip_world));
    let gripper = planner.model.link_index("gripper_base").expect("gripper");
    let fingers = ["finger_left", "finger_right"].map(|n| planner.model.link_index(n).expect(n));
    let link_pose = planner.model.link_poses(&state)[gripper];
    assert!(scene.attach("part", gripper, &link_pose, fingers.to_vec()));
    let mut ctx = planner.collision_context(&scene, &state);
    assert!(ctx.is_valid(&planner.group, &q), "{:?}", ctx.first_contact(&planner.group, &q));
    // An obstacle 30 cm beyond the tool along its z axis is clear of the arm, but not of a
    // 70 cm rod held in the gripper: attached objects move and collide with the arm.
    let tool_z = tip_world.rotation * Vector3::z();
    let ahead = tip_world.translation.vector + tool_z * 0.3;
    scene.add(sphere("obstacle", Isometry3::translation(ahead.x, ahead.y, ahead.z)));
    assert!(
        planner.collision_context(&scene, &state).is_valid(&planner.group, &q),
        "obstacle clear of the arm"
    );
    scene.add(SceneObject {
        id: "rod".into(),
        shape: ObjectShape::Box { size: Vector3::new(0.02, 0.02, 0.7) },
        pose: tip_world,
        attached_to: None,
        touch_links: vec![],
    });
    assert!(scene.attach("rod", gripper, &link_pose, fingers.to_vec()));
    let contact = planner
        .collision_context(&scene, &state)
        .first_contact(&planner.group, &q)
        .expect("rod hits the obstacle");
    assert!(contact.to_string().contains("obstacle") && contact.to_string().contains("rod"), "{contact}");
    assert!(scene.remove("rod") && scene.remove("obstacle"));
    scene.add(SceneObject {
        id: "table".into(),
        shape: ObjectShape::Box { size: Vector3::new(2.0, 2.0, 0.05) },
        pose: Isometry3::translation(0.0, 0.0, -0.03),
        attached_to: None,
        touch_links: vec![],
    });
    // A plan with the attached part stays collision-free including the part.
    let goal = [0.8, -1.0, 0.9, 0.0, 0.5, 0.0];
    let plan = planner.plan(&joint_goal(&planner, &goal), &state, &scene).expect("plans with the part");
    assert_path_valid(&planner, &scene, &state, &plan.path);
    // Detached, it stays where the gripper left it.
    let model = planner.model.clone();
    assert!(scene.detach("part", |l| model.link_poses(&state)[l]));
    let part = scene.get("part").expect("part");
    assert!(part.attached_to.is_none());
    assert!((part.pose.translation.vector - tip_world.translation.vector).norm() < 1e-9);
}

#[test]
fn pose_goal_plans_to_the_requested_tip_pose() {
    let mut planner = station();
    let scene = station_workcell();
    let start = [0.0, -1.2, 1.0, 0.0, 0.5, 0.0];
    let state = state_with(&planner, &start);
    let target_q = [0.6, -1.4, 1.3, -0.5, -0.9, 0.2];
    let target = planner.group.fk(&target_q);
    let (t, r) = (target.translation.vector, target.rotation.coords);
    let goal =
        Goal::Pose { frame: "world".into(), position: [t.x, t.y, t.z], orientation: [r.x, r.y, r.z, r.w] };
    let plan = planner.plan(&MotionRequest::new(goal), &state, &scene).expect("plans");
    let reached = planner.group.fk(plan.path.last().expect("path"));
    assert!((reached.translation.vector - t).norm() <= 1e-4);
    assert!(reached.rotation.angle_to(&target.rotation) <= 1e-3);
    assert_path_valid(&planner, &scene, &state, &plan.path);
}

#[test]
fn cartesian_move_keeps_the_tip_on_a_straight_line() {
    let mut planner = station();
    let scene = PlanningScene::default();
    let start = [0.3, -1.3, 1.4, -1.6, -1.57, 0.0];
    let state = state_with(&planner, &start);
    let from = planner.group.fk(&start);
    let mut to = from;
    to.translation.vector += Vector3::new(0.0, 0.0, -0.08); // an 8 cm approach straight down
    let (t, r) = (to.translation.vector, to.rotation.coords);
    let goal = Goal::Pose {
        frame: "base_link".into(),
        position: [t.x, t.y, t.z],
        orientation: [r.x, r.y, r.z, r.w],
    };
    let request = MotionRequest { cartesian: true, ..MotionRequest::new(goal) };
    let plan = planner.plan(&request, &state, &scene).expect("cartesian plan");
    let line = |q: &[f64]| {
        let p = planner.group.fk(q).translation.vector;
        let (a, b) = (from.translation.vector, to.translation.vector);
        let s = ((p - a).dot(&(b - a)) / (b - a).norm_squared()).clamp(0.0, 1.0);
        (p - (a + (b - a) * s)).norm()
    };
    for p in &plan.trajectory.points {
        assert!(line(&p.positions) <= 1.5e-3, "tip {} m off the line", line(&p.positions));
    }
    assert!((planner.group.fk(plan.path.last().expect("path")).translation.vector - t).norm() <= 1e-4);
}

#[test]
fn every_failure_code_is_reachable() {
    let mut planner = station();
    let scene = station_workcell();
    let free = [0.0, -1.2, 1.0, 0.0, 0.5, 0.0];
    let state = state_with(&planner, &free);
    let names = planner.group.joint_names.clone();
    let pose = |frame: &str, position: [f64; 3], orientation: [f64; 4]| {
        MotionRequest::new(Goal::Pose { frame: frame.into(), position, orientation })
    };
    let code = |planner: &mut Planner, r: &MotionRequest, s: &[f64]| {
        planner.plan(r, s, &scene).expect_err("must fail").code
    };

    // INVALID_GOAL: NaN, non-unit quaternion, unknown frame, unknown joint, out of limits.
    assert_eq!(
        code(&mut planner, &pose("world", [f64::NAN, 0.0, 0.5], [0.0, 0.0, 0.0, 1.0]), &state),
        ErrorCode::InvalidGoal
    );
    assert_eq!(
        code(&mut planner, &pose("world", [0.5, 0.0, 0.5], [0.0, 0.0, 0.0, 2.0]), &state),
        ErrorCode::InvalidGoal
    );
    assert_eq!(
        code(&mut planner, &pose("no_such_frame", [0.5, 0.0, 0.5], [0.0, 0.0, 0.0, 1.0]), &state),
        ErrorCode::InvalidGoal
    );
    let mut bad_names = names.clone();
    bad_names[0] = "elbow".into();
    let r = MotionRequest::new(Goal::Joints { names: bad_names, positions: free.to_vec() });
    assert_eq!(code(&mut planner, &r, &state), ErrorCode::InvalidGoal);
    let r = MotionRequest::new(Goal::Joints {
        names: names.clone(),
        positions: vec![0.0, 0.0, 9.0, 0.0, 0.0, 0.0],
    });
    assert_eq!(code(&mut planner, &r, &state), ErrorCode::InvalidGoal);
    let r = MotionRequest { velocity_scaling: 1.5, ..joint_goal(&planner, &free) };
    assert_eq!(code(&mut planner, &r, &state), ErrorCode::InvalidGoal);

    // NO_IK_SOLUTION: 3 m away.
    assert_eq!(
        code(&mut planner, &pose("world", [3.0, 0.0, 0.5], [0.0, 0.0, 0.0, 1.0]), &state),
        ErrorCode::NoIkSolution
    );

    // START_IN_COLLISION: the forearm bent down into the table.
    let into_table = [0.0, 0.15, 1.5, 0.0, 0.0, 0.0];
    let err = planner
        .plan(&joint_goal(&planner, &free), &state_with(&planner, &into_table), &scene)
        .expect_err("start");
    assert_eq!(err.code, ErrorCode::StartInCollision, "{err}");
    assert!(err.message.contains("table"), "{err}");

    // GOAL_IN_COLLISION: a joint goal in the table, and a pose goal inside the part box.
    let r = joint_goal(&planner, &into_table);
    assert_eq!(code(&mut planner, &r, &state), ErrorCode::GoalInCollision);
    let in_box = pose("world", [0.5, 0.35, 0.075], [1.0, 0.0, 0.0, 0.0]);
    let err = planner.plan(&in_box, &state, &scene).expect_err("goal in box");
    assert_eq!(err.code, ErrorCode::GoalInCollision, "{err}");

    // TIMEOUT: a free goal whose straight segment from the start is blocked needs a search;
    // with no time for one, the planner must say TIMEOUT (not hang, not crash).
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let mut ctx = planner.collision_context(&scene, &state);
    let mut scratch = Vec::new();
    let blocked_goal = loop {
        let q = random_free(&planner, &mut ctx, &mut rng);
        if !ctx.segment_valid(&planner.group, &free, &q, 0.02, &mut scratch) {
            break q;
        }
    };
    let r = MotionRequest { timeout_s: 1e-9, ..joint_goal(&planner, &blocked_goal) };
    let err = planner.plan(&r, &state, &scene).expect_err("no time to search");
    assert_eq!(err.code, ErrorCode::Timeout, "{err}");
    // With a real budget the same query succeeds.
    let r = MotionRequest { timeout_s: 2.0, ..joint_goal(&planner, &blocked_goal) };
    assert!(planner.plan(&r, &state, &scene).is_ok());
}
