//! optimus_executor as a real node on the twin: the twin (10× real time), the shared
//! mapper and optimus_1's executor run as processes; the test is the coordinator, with an
//! ExecuteTask action client on `/optimus_1/execute_task`.
//!
//! 1. a navigate step to a free pose 3.6 m away succeeds and the twin's odometry ends
//!    within tolerance of the goal;
//! 2. a lubricate step at cnc_1 (target pose: the `cut` station's floor point, 0.65 m
//!    from the machine footprint, inside its 0.8 m reach) drives there, the twin reports
//!    STARTED then DONE for optimus_1, robot_status shows WORKING on the task meanwhile,
//!    and the result is SUCCEEDED;
//! 3. a goal sent while (2) runs is REJECTED ("busy") and (2) carries on;
//! 4. a goal whose step pose has a NaN, and one for another robot, are rejected at the
//!    goal response, the reason logged naming the field;
//! 5. a goal cancelled while the robot drives ends CANCELLED and the robot stops.

use factory_integration_tests::{
    collect, isolate_domain, latest, observer_node, repo_root, wait_until, NodeProcess, Spinner,
};
use factory_node::r2r::{self, QosProfile};
use futures::StreamExt;
use r2r::diagnostic_msgs::msg::DiagnosticArray;
use r2r::factory_interfaces::action::ExecuteTask;
use r2r::factory_interfaces::msg::{MaintenanceEvent, RobotStatus, TaskRequest, TaskStep};
use r2r::geometry_msgs::msg::{Point, Pose, Quaternion};
use r2r::nav_msgs::msg::Odometry;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROBOT: &str = "optimus_1";
/// Wall-clock limits (the twin runs 10× real time).
const START_LIMIT: Duration = Duration::from_secs(60);
const GOAL_LIMIT: Duration = Duration::from_secs(60);
/// Executor arrival tolerances (config/optimus_executor.yaml) plus what the base drifts
/// while braking after the last command.
const POSITION_TOLERANCE_M: f64 = 0.15;
const YAW_TOLERANCE_RAD: f64 = 0.15;

fn pose(x: f64, y: f64, yaw: f64) -> Pose {
    let h = 0.5 * yaw;
    Pose {
        position: Point { x, y, z: 0.0 },
        orientation: Quaternion { x: 0.0, y: 0.0, z: h.sin(), w: h.cos() },
    }
}

fn goal(task_id: &str, steps: Vec<TaskStep>) -> ExecuteTask::Goal {
    let task_type = if steps.len() == 1 { steps[0].kind.clone() } else { "sequence".into() };
    ExecuteTask::Goal {
        task: TaskRequest { task_id: task_id.into(), task_type, steps, ..TaskRequest::default() },
        robot_id: ROBOT.into(),
    }
}

fn navigate(target: Pose) -> TaskStep {
    TaskStep { kind: "navigate".into(), target_pose: target, ..TaskStep::default() }
}

fn yaw_of(o: &Quaternion) -> f64 {
    (2.0 * (o.w * o.z + o.x * o.y)).atan2(1.0 - 2.0 * (o.y * o.y + o.z * o.z))
}

fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(std::f64::consts::TAU);
    d.min(std::f64::consts::TAU - d)
}

struct Graph {
    twin: NodeProcess,
    mapper: NodeProcess,
    executor: NodeProcess,
}

impl Graph {
    fn logs(&self) -> String {
        [&self.twin, &self.mapper, &self.executor]
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name, p.log()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Sends `g` and waits for its result; the feedback is collected into `feedback`.
async fn run_goal(
    client: &r2r::ActionClient<ExecuteTask::Action>,
    g: ExecuteTask::Goal,
    feedback: Option<Arc<Mutex<Vec<ExecuteTask::Feedback>>>>,
    graph: &Graph,
) -> (r2r::GoalStatus, ExecuteTask::Result) {
    let task_id = g.task.task_id.clone();
    let sent = client.send_goal_request(g).expect("send goal");
    let (_handle, result, feedback_stream) = tokio::time::timeout(GOAL_LIMIT, sent)
        .await
        .unwrap_or_else(|_| panic!("no goal response for {task_id}\n{}", graph.logs()))
        .unwrap_or_else(|e| panic!("goal {task_id} refused at the action level: {e}"));
    if let Some(sink) = feedback {
        tokio::spawn(async move {
            let mut stream = feedback_stream;
            while let Some(f) = stream.next().await {
                sink.lock().unwrap().push(f);
            }
        });
    }
    tokio::time::timeout(GOAL_LIMIT, result)
        .await
        .unwrap_or_else(|_| panic!("no result for {task_id} within {GOAL_LIMIT:?}\n{}", graph.logs()))
        .unwrap_or_else(|e| panic!("result of {task_id}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executor_runs_tasks_on_the_twin() {
    isolate_domain();
    let root = repo_root();
    if std::env::var_os("FACTORY_ROOT").is_none() {
        std::env::set_var("FACTORY_ROOT", &root);
    }
    let config = |name: &str| root.join("config").join(name).display().to_string();
    let (mapper_params, layout, executor_params) =
        (config("shared_mapper.yaml"), config("factory.yaml"), config("optimus_executor.yaml"));
    let twin = NodeProcess::start("twin", "factory_twin", &["--ros-args", "-p", "real_time_factor:=10.0"]);
    let mapper = NodeProcess::start(
        "mapper",
        "shared_mapper",
        &[
            "--ros-args",
            "--params-file",
            &mapper_params,
            "-p",
            "use_sim_time:=true",
            "-p",
            &format!("layout_file:={layout}"),
            "-p",
            &format!("robot_ids:=[{ROBOT}]"),
            // As in the launch file: at 10x real time a busy mapper's scan backlog is
            // seconds of simulated time, and dropping it would hide the parked robots.
            "-p",
            "fusion.max_age_s:=60.0",
        ],
    );
    let executor = NodeProcess::start(
        "executor",
        "optimus_executor",
        &[
            "--ros-args",
            "-r",
            &format!("__ns:=/{ROBOT}"),
            "--params-file",
            &executor_params,
            "-p",
            &format!("robot_id:={ROBOT}"),
            "-p",
            "use_sim_time:=true",
            "-r",
            "robot_status:=/robot_status",
            "-r",
            "maintenance_events:=/maintenance_events",
            "-r",
            "plan_path:=/plan_path",
            "-r",
            "start_maintenance:=/start_maintenance",
        ],
    );
    let graph = Graph { twin, mapper, executor };

    let mut node = observer_node("optimus_executor_observer");
    let odom =
        latest(node.subscribe::<Odometry>(&format!("/{ROBOT}/odom"), QosProfile::default()).expect("sub"));
    let status = latest(
        node.subscribe::<RobotStatus>("/robot_status", QosProfile::default())
            .expect("sub")
            .filter(|s| futures::future::ready(s.robot_id == ROBOT)),
    );
    // Every WORKING heartbeat, so a loaded machine that checks late still sees the phase.
    let working =
        collect(node.subscribe::<RobotStatus>("/robot_status", QosProfile::default()).expect("sub"), |s| {
            s.robot_id == ROBOT && s.state == RobotStatus::STATE_WORKING as u8
        });
    let events = collect(
        node.subscribe::<MaintenanceEvent>("/maintenance_events", QosProfile::default()).expect("sub"),
        |e| e.robot_id == ROBOT,
    );
    // The executor's own status: it has odometry and has discovered both services.
    let ready = latest(
        node.subscribe::<DiagnosticArray>("/diagnostics", QosProfile::default()).expect("sub").filter_map(
            |a| {
                let ready = a.status.iter().find(|s| s.name == "optimus_executor: executor").map(|s| {
                    let value = |k: &str| s.values.iter().any(|kv| kv.key == k && kv.value == "true");
                    s.message != "no odometry yet"
                        && value("plan_path_available")
                        && value("start_maintenance_available")
                });
                futures::future::ready(ready)
            },
        ),
    );
    let client = node
        .create_action_client::<ExecuteTask::Action>(&format!("/{ROBOT}/execute_task"))
        .expect("action client");
    let server_up = r2r::Node::is_available(&client).expect("availability");
    let _spinner = Spinner::start(node);

    tokio::time::timeout(START_LIMIT, server_up)
        .await
        .unwrap_or_else(|_| panic!("execute_task never came up\n{}", graph.logs()))
        .expect("available");
    assert!(
        wait_until(START_LIMIT, || ready.lock().unwrap().unwrap_or(false)).await,
        "the executor never had odometry and both services\n{}",
        graph.logs()
    );
    assert!(
        wait_until(START_LIMIT, || status
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.state == RobotStatus::STATE_IDLE as u8
                && s.capabilities.iter().any(|c| c == "maintenance")))
        .await,
        "no idle robot_status from {ROBOT}\n{}",
        graph.logs()
    );

    // (1) Navigate to a free floor point south-west of the fleet's parking grid.
    let target = (11.0, 4.0, std::f64::consts::FRAC_PI_2);
    let (st, result) =
        run_goal(&client, goal("nav_1", vec![navigate(pose(target.0, target.1, target.2))]), None, &graph)
            .await;
    assert_eq!(
        (st, result.result_code),
        (r2r::GoalStatus::Succeeded, ExecuteTask::Result::RESULT_SUCCEEDED as u8),
        "{result:?}\n{}",
        graph.logs()
    );
    let reached = odom.lock().unwrap().clone().expect("odom").pose.pose;
    let off = (reached.position.x - target.0).hypot(reached.position.y - target.1);
    assert!(off <= POSITION_TOLERANCE_M, "ended {off:.3} m from the goal: {reached:?}");
    let yaw_off = angle_diff(yaw_of(&reached.orientation), target.2);
    assert!(yaw_off <= YAW_TOLERANCE_RAD, "ended {yaw_off:.3} rad off the goal yaw");

    // (2) Lubricate cnc_1's spindle bearing from the `cut` station's floor point.
    let lubricate = TaskStep {
        kind: "lubricate".into(),
        location_id: "cut".into(),
        target_pose: pose(16.0, 20.0, std::f64::consts::FRAC_PI_2),
        machine_id: "cnc_1".into(),
        component_id: "spindle_bearing".into(),
        expected_duration_s: 120.0,
        ..TaskStep::default()
    };
    let feedback = Arc::new(Mutex::new(Vec::new()));
    let long_task = run_goal(&client, goal("lube_1", vec![lubricate]), Some(feedback.clone()), &graph);
    let during = async {
        // (3) While it runs, another goal is refused and the first carries on.
        assert!(
            wait_until(GOAL_LIMIT, || status
                .lock()
                .unwrap()
                .as_ref()
                .is_some_and(|s| s.current_task_id == "lube_1"))
            .await,
            "lube_1 never showed in robot_status\n{}",
            graph.logs()
        );
        let (st, busy) =
            run_goal(&client, goal("nav_busy", vec![navigate(pose(20.0, 5.0, 0.0))]), None, &graph).await;
        assert_eq!(
            (st, busy.result_code),
            (r2r::GoalStatus::Aborted, ExecuteTask::Result::RESULT_REJECTED as u8)
        );
        assert!(busy.reason.contains("busy"), "{busy:?}");
        assert!(
            wait_until(GOAL_LIMIT, || working.lock().unwrap().iter().any(|s| s.current_task_id == "lube_1"))
                .await,
            "robot_status never showed WORKING on lube_1\n{}",
            graph.logs()
        );
    };
    let ((st, result), ()) = tokio::join!(long_task, during);
    assert_eq!(
        (st, result.result_code),
        (r2r::GoalStatus::Succeeded, ExecuteTask::Result::RESULT_SUCCEEDED as u8),
        "{result:?}\n{}",
        graph.logs()
    );
    // DONE is published just before the result, but on another topic: it may reach
    // this observer a moment after the result does.
    assert!(
        wait_until(GOAL_LIMIT, || events.lock().unwrap().len() >= 2).await,
        "fewer than two maintenance_events for {ROBOT}\n{}",
        graph.logs()
    );
    let seen: Vec<(u8, String, String)> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.event, e.machine_id.clone(), e.component_id.clone()))
        .collect();
    let ours = |kind: u8| (kind, "cnc_1".to_string(), "spindle_bearing".to_string());
    assert_eq!(
        seen,
        vec![ours(MaintenanceEvent::EVENT_STARTED as u8), ours(MaintenanceEvent::EVENT_DONE as u8)],
        "maintenance_events for {ROBOT}"
    );
    let stages: Vec<String> = feedback.lock().unwrap().iter().map(|f| f.stage.clone()).collect();
    for stage in ["navigating", "working"] {
        assert!(stages.iter().any(|s| s == stage), "no '{stage}' feedback: {stages:?}");
    }
    let progress: Vec<f32> = feedback.lock().unwrap().iter().map(|f| f.progress).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress went back: {progress:?}");

    // (4) A goal this robot can never run is rejected at the goal response, the reason
    // (naming the field) logged: a NaN in a step's pose, and a goal for another robot.
    let mut not_me = goal("not_me_1", vec![navigate(pose(8.0, 4.0, 0.0))]);
    not_me.robot_id = "not_me".into();
    let mut forever = navigate(pose(8.0, 4.0, 0.0));
    forever.expected_duration_s = 1e300;
    for (bad, field) in [
        (goal("nan_1", vec![navigate(pose(f64::NAN, 4.0, 0.0))]), "steps[0].target_pose.position.x"),
        (not_me, "robot_id: goal is for \"not_me\""),
        (goal("forever_1", vec![forever]), "steps[0].expected_duration_s"),
        (goal("long_1", vec![navigate(pose(8.0, 4.0, 0.0)); 10_000]), "steps: 10000 steps"),
    ] {
        let task_id = bad.task.task_id.clone();
        let sent = client.send_goal_request(bad).expect("send goal");
        let response = tokio::time::timeout(GOAL_LIMIT, sent)
            .await
            .unwrap_or_else(|_| panic!("no goal response for {task_id}\n{}", graph.logs()));
        assert!(
            matches!(response, Err(r2r::Error::RCL_RET_ACTION_GOAL_REJECTED)),
            "{task_id} was not rejected at the goal response\n{}",
            graph.logs()
        );
        let logs = graph.logs();
        assert!(
            logs.lines().any(|l| l.contains(&format!("task {task_id} refused")) && l.contains(field)),
            "the rejection of {task_id} is not logged with {field}:\n{logs}"
        );
    }

    // (5) Cancel while driving: CANCELLED, and the base comes to rest.
    let sent =
        client.send_goal_request(goal("nav_cancel", vec![navigate(pose(8.0, 12.0, 0.0))])).expect("send");
    let (handle, result, feedback_stream) =
        tokio::time::timeout(GOAL_LIMIT, sent).await.expect("goal response").expect("goal accepted");
    let driving =
        collect(feedback_stream, |f: &ExecuteTask::Feedback| f.stage == "navigating" && f.progress > 0.05);
    assert!(
        wait_until(GOAL_LIMIT, || !driving.lock().unwrap().is_empty()).await,
        "nav_cancel never made progress\n{}",
        graph.logs()
    );
    tokio::time::timeout(GOAL_LIMIT, handle.cancel().expect("cancel request"))
        .await
        .expect("cancel response")
        .expect("cancel accepted");
    let (st, cancelled) = tokio::time::timeout(GOAL_LIMIT, result).await.expect("result").expect("result");
    assert_eq!(
        (st, cancelled.result_code),
        (r2r::GoalStatus::Canceled, ExecuteTask::Result::RESULT_CANCELLED as u8),
        "{cancelled:?}"
    );
    let speed = || {
        odom.lock().unwrap().as_ref().map_or(f64::INFINITY, |o| {
            let v = &o.twist.twist;
            v.linear.x.hypot(v.linear.y) + v.angular.z.abs()
        })
    };
    assert!(wait_until(GOAL_LIMIT, || speed() < 0.01).await, "the robot did not stop: {:.3}", speed());
    assert!(
        wait_until(GOAL_LIMIT, || status
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|s| s.state == RobotStatus::STATE_IDLE as u8 && s.current_task_id.is_empty()))
        .await,
        "robot_status not back to IDLE after the cancel"
    );
}
