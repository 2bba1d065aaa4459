//! The executor's manipulate stage with a real arm planner: a load_station step moves
//! the left arm to its reach posture through PlanArmMotion (planned and executed by
//! nodes/arm_planner on urdf/optimus.urdf), works, and stows the arm before the task
//! succeeds; a reach posture the arm cannot take fails the task as MANIPULATION_FAILED.
//!
//! The test stands in for the robot's drivers: odometry, battery and joint states (the
//! joints follow the last trajectory the planner executed).

use factory_integration_tests::{collect, isolate_domain, observer_node, repo_root, NodeProcess, Spinner};
use factory_node::r2r::{self, QosProfile};
use r2r::factory_interfaces::action::ExecuteTask;
use r2r::factory_interfaces::msg::TaskStep;
use r2r::geometry_msgs::msg::{Point, Pose, Quaternion};
use r2r::nav_msgs::msg::Odometry;
use r2r::sensor_msgs::msg::{BatteryState, JointState};
use r2r::trajectory_msgs::msg::JointTrajectory;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const JOINTS: &str =
    "[left_shoulder_pitch, left_shoulder_roll, left_shoulder_yaw, left_elbow, left_wrist_yaw, left_wrist_pitch, left_wrist_roll]";
const STOW: [f64; 7] = [0.0, 0.3, 0.0, -0.5, 0.0, 0.0, 0.0];
const REACH: [f64; 7] = [-1.2, 0.4, 0.3, -1.2, 0.2, 0.3, -0.2];
/// The elbow only bends one way ([-2.6, 0] rad): +1.0 is outside its limits.
const IMPOSSIBLE: [f64; 7] = [-1.2, 0.4, 0.3, 1.0, 0.2, 0.3, -0.2];
const LIMIT: Duration = Duration::from_secs(60);

fn list(v: &[f64]) -> String {
    format!("[{}]", v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", "))
}

/// An arm planner and an executor in `robot`'s namespace, the executor reaching to `reach`.
fn robot_graph(robot: &str, reach: &[f64]) -> (NodeProcess, NodeProcess) {
    let root = repo_root();
    let ns = format!("__ns:=/{robot}");
    let planner = NodeProcess::start(
        &format!("{robot}_arm"),
        "arm_planner",
        &[
            "--ros-args",
            "-r",
            &ns,
            "-r",
            "__node:=arm_planner",
            "--params-file",
            &root.join("config/arm_planner.yaml").display().to_string(),
            "-p",
            &format!("urdf_file:={}", root.join("urdf/optimus.urdf").display()),
        ],
    );
    let executor = NodeProcess::start(
        &format!("{robot}_executor"),
        "optimus_executor",
        &[
            "--ros-args",
            "-r",
            &ns,
            "-r",
            "__node:=optimus_executor",
            "--params-file",
            &root.join("config/optimus_executor.yaml").display().to_string(),
            "-p",
            &format!("robot_id:={robot}"),
            "-p",
            "arm.action:=plan_arm_motion",
            "-p",
            &format!("arm.joint_names:={JOINTS}"),
            "-p",
            &format!("arm.reach_positions:={}", list(reach)),
            "-p",
            &format!("arm.stow_positions:={}", list(&STOW)),
        ],
    );
    (planner, executor)
}

fn load_step(duration_s: f64) -> TaskStep {
    TaskStep {
        kind: "load_station".into(),
        // Where the robot already stands: no path needed.
        target_pose: Pose {
            position: Point { x: 5.0, y: 5.0, z: 0.0 },
            orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
        },
        expected_duration_s: duration_s,
        ..TaskStep::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn part_handling_moves_the_arm_through_the_arm_planner() {
    isolate_domain();
    let (good_arm, good_exec) = robot_graph("optimus_1", &REACH);
    let (bad_arm, bad_exec) = robot_graph("optimus_2", &IMPOSSIBLE);
    let logs = || {
        [&good_arm, &good_exec, &bad_arm, &bad_exec]
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name, p.log()))
            .collect::<Vec<_>>()
            .join("\n")
    };

    let mut node = observer_node("executor_arm_observer");
    let mut drivers = Vec::new();
    let mut trajectories = Vec::new();
    for robot in ["optimus_1", "optimus_2"] {
        let odom =
            node.create_publisher::<Odometry>(&format!("/{robot}/odom"), QosProfile::default()).expect("pub");
        let battery = node
            .create_publisher::<BatteryState>(&format!("/{robot}/battery"), QosProfile::default())
            .expect("pub");
        let joints = node
            .create_publisher::<JointState>(&format!("/{robot}/joint_states"), QosProfile::default())
            .expect("pub");
        let executed = collect(
            node.subscribe::<JointTrajectory>(&format!("/{robot}/joint_trajectory"), QosProfile::default())
                .expect("sub"),
            |_| true,
        );
        trajectories.push(executed.clone());
        drivers.push((odom, battery, joints, executed));
    }
    let client = node.create_action_client::<ExecuteTask::Action>("/optimus_1/execute_task").expect("client");
    let bad_client =
        node.create_action_client::<ExecuteTask::Action>("/optimus_2/execute_task").expect("client");
    let up = r2r::Node::is_available(&client).expect("availability");
    let bad_up = r2r::Node::is_available(&bad_client).expect("availability");
    let _spinner = Spinner::start(node);

    // The drivers at 20 Hz: still base at (5, 5), 80 % battery, joints where the last
    // executed trajectory ended (the stow posture before any).
    let stop = Arc::new(AtomicBool::new(false));
    let driver = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut rate = tokio::time::interval(Duration::from_millis(50));
            while !stop.load(Ordering::Relaxed) {
                rate.tick().await;
                for (odom, battery, joints, executed) in &drivers {
                    let mut o = Odometry::default();
                    o.header.frame_id = "map".into();
                    o.pose.pose.position = Point { x: 5.0, y: 5.0, z: 0.0 };
                    o.pose.pose.orientation.w = 1.0;
                    let b = BatteryState { percentage: 0.8, voltage: 48.0, ..BatteryState::default() };
                    let (names, positions) = match executed.lock().unwrap().last() {
                        Some(t) => (
                            t.joint_names.clone(),
                            t.points.last().map(|p| p.positions.clone()).unwrap_or_default(),
                        ),
                        None => (
                            JOINTS.trim_matches(['[', ']']).split(", ").map(String::from).collect(),
                            STOW.to_vec(),
                        ),
                    };
                    let j = JointState { name: names, position: positions, ..JointState::default() };
                    if odom.publish(&o).is_err()
                        || battery.publish(&b).is_err()
                        || joints.publish(&j).is_err()
                    {
                        return; // the test's node is gone
                    }
                }
            }
        })
    };
    for up in [up, bad_up] {
        tokio::time::timeout(LIMIT, up)
            .await
            .unwrap_or_else(|_| panic!("execute_task not up\n{}", logs()))
            .expect("up");
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // odometry, battery and joints arrive

    let run = |client: &r2r::ActionClient<ExecuteTask::Action>, id: &str| {
        let goal = ExecuteTask::Goal {
            task: r2r::factory_interfaces::msg::TaskRequest {
                task_id: id.into(),
                task_type: "load_station".into(),
                steps: vec![load_step(2.0)],
                ..Default::default()
            },
            robot_id: if id.starts_with("good") { "optimus_1".into() } else { "optimus_2".into() },
        };
        let sent = client.send_goal_request(goal).expect("send");
        let stages = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = stages.clone();
        async move {
            let (_h, result, feedback) =
                tokio::time::timeout(LIMIT, sent).await.expect("goal response").expect("accepted");
            let sink = collect(feedback, |_: &ExecuteTask::Feedback| true);
            let (_status, result) =
                tokio::time::timeout(LIMIT, result).await.expect("result in time").expect("result");
            seen.lock().unwrap().extend(sink.lock().unwrap().iter().map(|f| f.stage.clone()));
            (result, stages)
        }
    };

    let (result, stages) = run(&client, "good_load").await;
    assert_eq!(result.result_code, ExecuteTask::Result::RESULT_SUCCEEDED as u8, "{result:?}\n{}", logs());
    assert!(stages.lock().unwrap().iter().any(|s| s == "manipulating"), "{:?}", stages.lock().unwrap());
    let executed = trajectories[0].lock().unwrap().clone();
    assert_eq!(executed.len(), 2, "reach and stow trajectories, got {}", executed.len());
    let end = |t: &JointTrajectory| t.points.last().map(|p| p.positions.clone()).unwrap_or_default();
    for (got, want) in [(end(&executed[0]), REACH), (end(&executed[1]), STOW)] {
        assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-3), "{got:?} vs {want:?}");
    }

    let (result, _) = run(&bad_client, "bad_load").await;
    assert_eq!(
        result.result_code,
        ExecuteTask::Result::RESULT_MANIPULATION_FAILED as u8,
        "{result:?}\n{}",
        logs()
    );
    assert!(result.reason.contains("left_elbow"), "the reason names the joint: {result:?}");
    assert!(trajectories[1].lock().unwrap().is_empty(), "nothing executed for an impossible posture");

    stop.store(true, Ordering::Relaxed);
    let _ = driver.await;
}
