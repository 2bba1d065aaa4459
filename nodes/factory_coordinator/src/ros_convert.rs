//! Message <-> core conversions for the factory_coordinator node. Pure functions, no
//! node state: the node file only wires them to topics, services and actions.

use factory_coordinator::{
    Assignment, CoordinatorKpis, Pose2, RobotHeartbeat, RobotStateKind, StepRequest, TaskOutcome, TaskRequest,
};
use factory_node::clock::Stamp;
use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::diagnostic_msgs::msg::KeyValue;
use factory_node::r2r::factory_interfaces::action::ExecuteTask;
use factory_node::r2r::factory_interfaces::msg::{
    FactoryKpis, RobotStatus, TaskAssignment, TaskRequest as TaskRequestMsg, TaskStep,
};
use factory_node::r2r::geometry_msgs::msg::{Point, Pose, Quaternion};
use factory_node::r2r::std_msgs::msg::Header;
use factory_node::r2r::GoalStatus;
use factory_node::to_time_msg;

/// Seconds of a builtin_interfaces/Time.
pub fn time_to_secs(t: &Time) -> f64 {
    f64::from(t.sec) + f64::from(t.nanosec) * 1e-9
}

/// builtin_interfaces/Time of a time in seconds (negative or non-finite reads as zero).
pub fn secs_to_time(secs: f64) -> Time {
    to_time_msg(Stamp::from_secs_f64(secs))
}

/// Yaw (rotation about +Z) of a quaternion, radians; roll and pitch are ignored (flat floor).
pub fn yaw_of(q: &Quaternion) -> f64 {
    (2.0 * (q.w * q.z + q.x * q.y)).atan2(1.0 - 2.0 * (q.y * q.y + q.z * q.z))
}

pub fn pose_msg(p: &Pose2) -> Pose {
    let half = 0.5 * p.yaw;
    Pose {
        position: Point { x: p.x, y: p.y, z: 0.0 },
        orientation: Quaternion { x: 0.0, y: 0.0, z: half.sin(), w: half.cos() },
    }
}

pub fn pose2_of(p: &Pose) -> Pose2 {
    Pose2::new(p.position.x, p.position.y, yaw_of(&p.orientation))
}

/// The core's mirror of a TaskRequest message; a zero deadline means none.
pub fn task_request_from_msg(msg: &TaskRequestMsg) -> TaskRequest {
    let deadline = &msg.deadline;
    TaskRequest {
        task_id: msg.task_id.clone(),
        task_type: msg.task_type.clone(),
        priority: msg.priority,
        deadline_s: (deadline.sec != 0 || deadline.nanosec != 0).then(|| time_to_secs(deadline)),
        steps: msg
            .steps
            .iter()
            .map(|s| StepRequest {
                kind: s.kind.clone(),
                location_id: s.location_id.clone(),
                target_pose: pose2_of(&s.target_pose),
                machine_id: s.machine_id.clone(),
                component_id: s.component_id.clone(),
                expected_duration_s: s.expected_duration_s,
                parameters: s.parameters.iter().map(|kv| (kv.key.clone(), kv.value.clone())).collect(),
            })
            .collect(),
        required_capabilities: msg.required_capabilities.clone(),
        depends_on: msg.depends_on.clone(),
        origin: msg.origin.clone(),
        requested_by: msg.requested_by.clone(),
    }
}

/// A TaskRequest message of a validated task (`TaskSpec::to_request`): every step's
/// `target_pose` holds the resolved map pose, also for steps that name a location.
pub fn task_request_msg(req: &TaskRequest, header: Header) -> TaskRequestMsg {
    TaskRequestMsg {
        header,
        task_id: req.task_id.clone(),
        task_type: req.task_type.clone(),
        priority: req.priority,
        deadline: req.deadline_s.map(secs_to_time).unwrap_or_default(),
        steps: req
            .steps
            .iter()
            .map(|s| TaskStep {
                kind: s.kind.clone(),
                location_id: s.location_id.clone(),
                target_pose: pose_msg(&s.target_pose),
                machine_id: s.machine_id.clone(),
                component_id: s.component_id.clone(),
                expected_duration_s: s.expected_duration_s,
                parameters: s
                    .parameters
                    .iter()
                    .map(|(key, value)| KeyValue { key: key.clone(), value: value.clone() })
                    .collect(),
            })
            .collect(),
        required_capabilities: req.required_capabilities.clone(),
        depends_on: req.depends_on.clone(),
        origin: req.origin.clone(),
        requested_by: req.requested_by.clone(),
    }
}

/// A heartbeat for the core; a message the core cannot read is refused naming the field
/// (range checks of pose and battery are the core's).
pub fn heartbeat_from_msg(msg: &RobotStatus) -> Result<RobotHeartbeat, String> {
    if msg.robot_id.trim().is_empty() {
        return Err("robot_id is empty".into());
    }
    let state = RobotStateKind::from_u8(msg.state).ok_or_else(|| {
        format!("robot_status from '{}': state {} is not a STATE_* value", msg.robot_id, msg.state)
    })?;
    Ok(RobotHeartbeat {
        robot_id: msg.robot_id.clone(),
        pose: pose2_of(&msg.pose),
        battery_soc: f64::from(msg.battery_soc),
        state,
        capabilities: msg.capabilities.clone(),
        current_task_id: msg.current_task_id.clone(),
    })
}

pub fn assignment_msg(a: &Assignment, header: Header) -> TaskAssignment {
    TaskAssignment {
        header,
        task_id: a.task_id.clone(),
        robot_id: a.robot_id.clone(),
        estimated_cost: a.estimated_cost,
        estimated_start: secs_to_time(a.estimated_start_s),
        estimated_finish: secs_to_time(a.estimated_finish_s),
        preempted_other: a.preempted_other,
    }
}

/// FactoryKpis with the coordinator's fields (manual_interventions: tasks failed for
/// good since start-up, not windowed); the production, station, quality and
/// energy fields belong to other nodes and stay 0 here.
pub fn kpis_msg(k: &CoordinatorKpis, header: Header) -> FactoryKpis {
    FactoryKpis {
        header,
        window_s: k.window_s,
        tasks_completed: k.tasks_completed,
        tasks_failed: k.tasks_failed,
        tasks_waiting: k.tasks_waiting,
        mean_task_wait_s: k.mean_task_wait_s,
        robot_utilisation: k.robot_utilisation as f32,
        manual_interventions: k.tasks_failed_total,
        ..Default::default()
    }
}

/// ExecuteTask.RESULT_* name of a result code.
pub fn result_code_name(code: u8) -> &'static str {
    use ExecuteTask::Result as R;
    match code {
        c if c == R::RESULT_SUCCEEDED as u8 => "succeeded",
        c if c == R::RESULT_CANCELLED as u8 => "cancelled",
        c if c == R::RESULT_NAVIGATION_FAILED as u8 => "navigation_failed",
        c if c == R::RESULT_MANIPULATION_FAILED as u8 => "manipulation_failed",
        c if c == R::RESULT_STATION_FAILED as u8 => "station_failed",
        c if c == R::RESULT_BATTERY_LOW as u8 => "battery_low",
        c if c == R::RESULT_REJECTED as u8 => "rejected",
        c if c == R::RESULT_TIMEOUT as u8 => "timeout",
        _ => "unknown_code",
    }
}

/// How an ExecuteTask goal ended, for `Coordinator::on_task_result`. A goal that the
/// server marks succeeded but whose result code is not RESULT_SUCCEEDED is a failure.
pub fn outcome_from_result(status: GoalStatus, result: &ExecuteTask::Result) -> TaskOutcome {
    let reason = format!(
        "{} (result_code {}) at step {}: {}",
        result_code_name(result.result_code),
        result.result_code,
        result.failed_step,
        result.reason
    );
    match status {
        GoalStatus::Succeeded if result.result_code == ExecuteTask::Result::RESULT_SUCCEEDED as u8 => {
            TaskOutcome::Succeeded
        }
        GoalStatus::Canceled => TaskOutcome::Cancelled { reason },
        _ => TaskOutcome::Failed { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_request_round_trip_keeps_fields_and_pose() {
        let core = TaskRequest {
            task_id: "t1".into(),
            task_type: "inspect".into(),
            priority: 2,
            deadline_s: Some(1234.5),
            steps: vec![StepRequest {
                kind: "inspect".into(),
                location_id: "inspect".into(),
                target_pose: Pose2::new(40.0, 20.0, 1.25),
                expected_duration_s: 20.0,
                parameters: vec![("material".into(), "steel".into())],
                ..Default::default()
            }],
            required_capabilities: vec!["inspection".into()],
            depends_on: vec!["t0".into()],
            origin: "quality".into(),
            requested_by: "tester".into(),
        };
        let msg = task_request_msg(&core, Header::default());
        assert_eq!(msg.deadline.sec, 1234);
        let back = task_request_from_msg(&msg);
        assert_eq!(back.steps[0].target_pose.x, 40.0);
        assert!((back.steps[0].target_pose.yaw - 1.25).abs() < 1e-9);
        assert!((back.deadline_s.unwrap_or_default() - 1234.5).abs() < 1e-6);
        assert_eq!(
            TaskRequest { deadline_s: back.deadline_s, steps: back.steps.clone(), ..core.clone() },
            back
        );
        // A zero deadline is no deadline.
        let none = TaskRequestMsg { deadline: Time::default(), ..msg };
        assert_eq!(task_request_from_msg(&none).deadline_s, None);
    }

    #[test]
    fn heartbeat_refuses_unknown_state_and_empty_id() {
        let ok = RobotStatus { robot_id: "r".into(), battery_soc: 0.5, ..Default::default() };
        assert_eq!(heartbeat_from_msg(&ok).map(|h| h.state), Ok(RobotStateKind::Idle));
        let bad_state = RobotStatus { state: 42, ..ok.clone() };
        assert!(heartbeat_from_msg(&bad_state).is_err_and(|e| e.contains("state 42")));
        let no_id = RobotStatus { robot_id: " ".into(), ..ok };
        assert!(heartbeat_from_msg(&no_id).is_err_and(|e| e.contains("robot_id")));
    }

    #[test]
    fn results_map_to_outcomes() {
        let ok = ExecuteTask::Result::default();
        assert_eq!(outcome_from_result(GoalStatus::Succeeded, &ok), TaskOutcome::Succeeded);
        let nav = ExecuteTask::Result {
            result_code: ExecuteTask::Result::RESULT_NAVIGATION_FAILED as u8,
            reason: "blocked".into(),
            failed_step: 1,
            ..Default::default()
        };
        let TaskOutcome::Failed { reason } = outcome_from_result(GoalStatus::Aborted, &nav) else {
            panic!("aborted goal must fail")
        };
        assert!(
            reason.contains("navigation_failed") && reason.contains("step 1") && reason.contains("blocked")
        );
        assert!(matches!(outcome_from_result(GoalStatus::Succeeded, &nav), TaskOutcome::Failed { .. }));
        assert!(matches!(outcome_from_result(GoalStatus::Canceled, &ok), TaskOutcome::Cancelled { .. }));
    }
}
