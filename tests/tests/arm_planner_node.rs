//! The arm planner as a real node: the humanoid's left arm from urdf/optimus.urdf and
//! config/arm_planner.yaml. The test publishes the arm's joint states as the robot
//! would, sends PlanArmMotion goals and checks what comes back: a joint goal gives a
//! trajectory that starts at the current state, ends at the goal, is timed forward and
//! keeps within the URDF's velocity limits, and with `execute` it also reaches the
//! controller topic; a NaN pose is INVALID_GOAL naming the field; a table added on
//! `planning_scene` right where the goal puts the hand makes that goal GOAL_IN_COLLISION.

use factory_integration_tests::{collect, isolate_domain, observer_node, repo_root, NodeProcess, Spinner};
use factory_node::r2r::{self, QosProfile};
use r2r::factory_interfaces::action::PlanArmMotion;
use r2r::factory_interfaces::msg::CollisionObject;
use r2r::geometry_msgs::msg::{Point, Pose, Quaternion};
use r2r::sensor_msgs::msg::JointState;
use r2r::trajectory_msgs::msg::JointTrajectory;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The left arm's joints with their URDF velocity limits (rad/s).
const JOINTS: [(&str, f64); 7] = [
    ("left_shoulder_pitch", 2.5),
    ("left_shoulder_roll", 2.5),
    ("left_shoulder_yaw", 3.0),
    ("left_elbow", 3.0),
    ("left_wrist_yaw", 3.5),
    ("left_wrist_pitch", 3.5),
    ("left_wrist_roll", 3.5),
];
/// Arm hanging, elbow slightly bent: inside every limit and collision-free.
const START: [f64; 7] = [0.0, 0.3, 0.0, -0.5, 0.0, 0.0, 0.0];
/// Reaching forward.
const TARGET: [f64; 7] = [-1.2, 0.4, 0.3, -1.2, 0.2, 0.3, -0.2];
const LIMIT: Duration = Duration::from_secs(30);
/// The launch runner waits this long after SIGINT before SIGTERM.
const STOP_LIMIT: Duration = Duration::from_secs(5);

fn seconds(d: &r2r::builtin_interfaces::msg::Duration) -> f64 {
    f64::from(d.sec) + f64::from(d.nanosec) * 1e-9
}

fn joint_goal(target: &[f64], execute: bool) -> PlanArmMotion::Goal {
    PlanArmMotion::Goal {
        group: "left_arm".into(),
        goal_type: PlanArmMotion::Goal::GOAL_JOINTS as u8,
        target_joint_names: JOINTS.iter().map(|(n, _)| n.to_string()).collect(),
        target_joint_positions: target.to_vec(),
        execute,
        timeout_s: 5.0,
        ..PlanArmMotion::Goal::default()
    }
}

async fn run_goal(
    client: &r2r::ActionClient<PlanArmMotion::Action>,
    goal: PlanArmMotion::Goal,
    logs: &dyn Fn() -> String,
) -> PlanArmMotion::Result {
    let sent = client.send_goal_request(goal).expect("send goal");
    let (_handle, result, _feedback) = tokio::time::timeout(LIMIT, sent)
        .await
        .unwrap_or_else(|_| panic!("no goal response\n{}", logs()))
        .expect("goal accepted");
    let (_status, result) = tokio::time::timeout(LIMIT, result)
        .await
        .unwrap_or_else(|_| panic!("no result\n{}", logs()))
        .expect("result");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_executes_the_left_arm() {
    isolate_domain();
    let root = repo_root();
    let planner = NodeProcess::start(
        "arm_planner",
        "arm_planner",
        &[
            "--ros-args",
            "-r",
            "__node:=arm_planner",
            "--params-file",
            &root.join("config/arm_planner.yaml").display().to_string(),
            "-p",
            &format!("urdf_file:={}", root.join("urdf/optimus.urdf").display()),
            // A long IK search for the out-of-reach goal of part (4).
            "-p",
            "ik_timeout_s:=60.0",
        ],
    );
    let logs = || planner.log();

    let mut node = observer_node("arm_planner_observer");
    let joint_pub = node.create_publisher::<JointState>("/joint_states", QosProfile::default()).expect("pub");
    let scene_pub =
        node.create_publisher::<CollisionObject>("/planning_scene", QosProfile::default()).expect("pub");
    let executed = collect(
        node.subscribe::<JointTrajectory>("/joint_trajectory", QosProfile::default()).expect("sub"),
        |_| true,
    );
    let client = node.create_action_client::<PlanArmMotion::Action>("/plan_arm_motion").expect("client");
    let server_up = r2r::Node::is_available(&client).expect("availability");
    let _spinner = Spinner::start(node);

    // The robot's joint states at 20 Hz, as the arm's driver would publish them.
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut rate = tokio::time::interval(Duration::from_millis(50));
            while !stop.load(Ordering::Relaxed) {
                rate.tick().await;
                let msg = JointState {
                    name: JOINTS.iter().map(|(n, _)| n.to_string()).collect(),
                    position: START.to_vec(),
                    ..JointState::default()
                };
                if joint_pub.publish(&msg).is_err() {
                    break; // the test's node is gone
                }
            }
        })
    };
    tokio::time::timeout(LIMIT, server_up)
        .await
        .unwrap_or_else(|_| panic!("plan_arm_motion never came up\n{}", logs()))
        .expect("available");
    tokio::time::sleep(Duration::from_millis(500)).await; // joint states reach the planner

    // (1) A joint goal, planned and executed.
    let result = run_goal(&client, joint_goal(&TARGET, true), &logs).await;
    assert_eq!(result.error_code, PlanArmMotion::Result::SUCCESS as u8, "{result:?}\n{}", logs());
    let traj = &result.trajectory;
    let names: Vec<&str> = JOINTS.iter().map(|(n, _)| *n).collect();
    assert_eq!(traj.joint_names, names);
    assert!(traj.points.len() >= 2, "{} points", traj.points.len());
    let first = &traj.points[0];
    let last = &traj.points[traj.points.len() - 1];
    for j in 0..7 {
        assert!((first.positions[j] - START[j]).abs() < 1e-6, "starts at the current state: {first:?}");
        assert!((last.positions[j] - TARGET[j]).abs() < 1e-6, "ends at the goal: {last:?}");
        assert!(
            first.velocities[j].abs() < 1e-9 && last.velocities[j].abs() < 1e-9,
            "starts and ends at rest"
        );
    }
    for w in traj.points.windows(2) {
        let dt = seconds(&w[1].time_from_start) - seconds(&w[0].time_from_start);
        assert!(dt > 0.0, "time_from_start must increase");
        for (j, (name, vmax)) in JOINTS.iter().enumerate() {
            // Finite-difference speed between samples, and the sampled velocity.
            let v = (w[1].positions[j] - w[0].positions[j]) / dt;
            assert!(v.abs() <= vmax * 1.001, "{name}: {v:.3} rad/s over {vmax}");
            assert!(w[1].velocities[j].abs() <= vmax * 1.001, "{name}: {:?}", w[1].velocities);
        }
    }
    assert!(result.planning_time_s > 0.0);
    let deadline = tokio::time::Instant::now() + LIMIT;
    while executed.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = executed.lock().unwrap().first().cloned();
    assert_eq!(sent.as_ref().map(|t| t.points.len()), Some(traj.points.len()), "executed trajectory");

    // (2) A NaN in the pose: INVALID_GOAL, naming the field.
    let nan_goal = PlanArmMotion::Goal {
        group: "left_arm".into(),
        goal_type: PlanArmMotion::Goal::GOAL_POSE as u8,
        target_pose: r2r::geometry_msgs::msg::PoseStamped {
            header: r2r::std_msgs::msg::Header { frame_id: "torso".into(), ..Default::default() },
            pose: Pose {
                position: Point { x: f64::NAN, y: 0.3, z: 0.3 },
                orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
            },
        },
        ..PlanArmMotion::Goal::default()
    };
    let result = run_goal(&client, nan_goal, &logs).await;
    assert_eq!(result.error_code, PlanArmMotion::Result::INVALID_GOAL as u8, "{result:?}");
    assert!(result.message.contains("position.x"), "{result:?}");

    // (3) A box in front of the left shoulder, where the target reaches (and the hanging
    // start does not): the same goal now collides.
    let hand = Pose {
        position: Point { x: 0.75, y: 0.27, z: 0.5 },
        orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
    };
    let table = CollisionObject {
        header: r2r::std_msgs::msg::Header { frame_id: "torso".into(), ..Default::default() },
        id: "table".into(),
        operation: CollisionObject::OP_ADD as u8,
        shape: CollisionObject::SHAPE_BOX as u8,
        dimensions: vec![0.9, 0.9, 0.9],
        pose: hand,
        ..CollisionObject::default()
    };
    let mut blocked = None;
    for _ in 0..50 {
        scene_pub.publish(&table).expect("publish scene");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let result = run_goal(&client, joint_goal(&TARGET, false), &logs).await;
        if result.error_code != PlanArmMotion::Result::SUCCESS as u8 {
            blocked = Some(result);
            break;
        }
    }
    let blocked = blocked.unwrap_or_else(|| panic!("the box never blocked the goal\n{}", logs()));
    assert_eq!(blocked.error_code, PlanArmMotion::Result::GOAL_IN_COLLISION as u8, "{blocked:?}\n{}", logs());
    assert!(planner.log().contains("table"), "scene change not logged\n{}", logs());

    // An absurd object attached to the tool is refused naming the size, and does not
    // block the arm: with the table removed, the same goal plans again.
    let remove = CollisionObject { operation: CollisionObject::OP_REMOVE as u8, ..table.clone() };
    let huge = CollisionObject {
        header: r2r::std_msgs::msg::Header { frame_id: "torso".into(), ..Default::default() },
        id: "huge".into(),
        operation: CollisionObject::OP_ATTACH as u8,
        attach_link: "left_tool0".into(),
        shape: CollisionObject::SHAPE_BOX as u8,
        dimensions: vec![1e300, 0.1, 0.1],
        pose: table.pose.clone(),
        ..CollisionObject::default()
    };
    let mut cleared = None;
    for _ in 0..50 {
        scene_pub.publish(&remove).expect("publish scene");
        scene_pub.publish(&huge).expect("publish scene");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = planner.log().contains("`huge` refused: dimensions: the object is 1e300 m across");
        let result = run_goal(&client, joint_goal(&TARGET, false), &logs).await;
        if refused && result.error_code == PlanArmMotion::Result::SUCCESS as u8 {
            cleared = Some(result);
            break;
        }
    }
    assert!(cleared.is_some(), "the huge object was not refused, or it blocked the arm\n{}", logs());

    stop.store(true, Ordering::Relaxed);
    let _ = publisher.await;

    // (4) SIGINT while a plan is in progress (a goal out of reach, with a long budget:
    // the IK search runs until its deadline): the planner still stops cleanly within
    // the launch runner's grace.
    let far = PlanArmMotion::Goal {
        group: "left_arm".into(),
        goal_type: PlanArmMotion::Goal::GOAL_POSE as u8,
        target_pose: r2r::geometry_msgs::msg::PoseStamped {
            header: r2r::std_msgs::msg::Header { frame_id: "torso".into(), ..Default::default() },
            pose: Pose {
                position: Point { x: 5.0, y: 0.3, z: 0.3 },
                orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
            },
        },
        timeout_s: 120.0,
        ..PlanArmMotion::Goal::default()
    };
    let sent = client.send_goal_request(far).expect("send goal");
    let (_handle, mut far_result, _feedback) = tokio::time::timeout(LIMIT, sent)
        .await
        .unwrap_or_else(|_| panic!("no goal response\n{}", logs()))
        .expect("goal accepted");
    let early = tokio::time::timeout(Duration::from_secs(2), &mut far_result).await;
    assert!(early.is_err(), "the out-of-reach goal ended at once: {early:?}");

    // SIGINT after serving goals: the planner stops cleanly, as the launch runner asks.
    let mut planner = planner;
    let status = planner.stop_with("INT", STOP_LIMIT);
    assert!(
        status.is_some_and(|s| s.success()),
        "the planner did not exit 0 within {STOP_LIMIT:?} of SIGINT: {status:?}\n{}",
        planner.log()
    );
}
