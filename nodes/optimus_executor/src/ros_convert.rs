//! Message ⇄ core conversions of the optimus_executor node. No I/O: every function is
//! a plain mapping, unit-tested below, so the wiring in main.rs stays thin.

use factory_node::r2r::factory_interfaces::action::ExecuteTask;
use factory_node::r2r::factory_interfaces::msg::{RobotStatus, TaskStep};
use factory_node::r2r::geometry_msgs::msg::{Point, Pose, PoseStamped, Quaternion, Twist, Vector3};
use factory_node::r2r::nav_msgs::msg::Path;
use factory_node::r2r::nav_msgs::srv::GetPlan;
use factory_node::r2r::sensor_msgs::msg::LaserScan;
use factory_node::r2r::std_msgs::msg::Header;
use optimus_executor::{
    Feedback, Outcome, Point2, Pose2, ResultCode, RobotState, StepSpec, TaskSpec, Twist2,
};

/// TaskStep parameter carrying a charge step's target state of charge (0..1].
pub const TARGET_SOC_KEY: &str = "target_soc";

/// A goal the adapter refuses before the core sees it (the message itself is unusable).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub step: u32,
    pub reason: String,
}

impl Refusal {
    pub fn outcome(&self) -> Outcome {
        Outcome {
            code: ResultCode::Rejected,
            reason: self.reason.clone(),
            failed_step: self.step,
            duration_s: 0.0,
        }
    }
}

/// The ExecuteTask goal as the core's TaskSpec. `task_id` replaces an empty
/// `task.task_id` (the goal uuid), so status and logs always name the task.
pub fn task_spec(goal: &ExecuteTask::Goal, fallback_task_id: &str) -> Result<TaskSpec, Refusal> {
    let task_id =
        if goal.task.task_id.is_empty() { fallback_task_id.to_string() } else { goal.task.task_id.clone() };
    let steps =
        goal.task.steps.iter().enumerate().map(|(i, s)| step_spec(i, s)).collect::<Result<Vec<_>, _>>()?;
    Ok(TaskSpec { task_id, robot_id: goal.robot_id.clone(), steps })
}

/// One TaskStep. The executor has no layout: `location_id` is resolved through the
/// `target_pose` the coordinator fills in. A step that names a location but carries an
/// all-zero pose was never resolved (`goal: None`, which the core rejects naming
/// `steps[i].location_id`); a non-finite pose is refused here naming the exact field.
pub fn step_spec(i: usize, step: &TaskStep) -> Result<StepSpec, Refusal> {
    let refuse = |reason: String| Refusal { step: u32::try_from(i).unwrap_or(u32::MAX), reason };
    let p = &step.target_pose;
    let fields = [
        ("position.x", p.position.x),
        ("position.y", p.position.y),
        ("position.z", p.position.z),
        ("orientation.x", p.orientation.x),
        ("orientation.y", p.orientation.y),
        ("orientation.z", p.orientation.z),
        ("orientation.w", p.orientation.w),
    ];
    if let Some((field, value)) = fields.iter().find(|(_, v)| !v.is_finite()) {
        return Err(refuse(format!("steps[{i}].target_pose.{field}: {value} is not finite")));
    }
    let goal = if !step.location_id.is_empty() && is_unset(p) {
        None
    } else {
        let o = &p.orientation;
        match Pose2::from_position_quaternion(p.position.x, p.position.y, o.x, o.y, o.z, o.w) {
            Some(pose) => Some(pose),
            None => {
                return Err(refuse(format!(
                    "steps[{i}].target_pose.orientation: ({}, {}, {}, {}) is not a rotation (zero norm)",
                    o.x, o.y, o.z, o.w
                )))
            }
        }
    };
    let charge_target_soc = match step.parameters.iter().find(|kv| kv.key == TARGET_SOC_KEY) {
        None => None,
        Some(kv) => match kv.value.trim().parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return Err(refuse(format!(
                    "steps[{i}].parameters.{TARGET_SOC_KEY}: \"{}\" is not a number",
                    kv.value
                )))
            }
        },
    };
    Ok(StepSpec {
        kind: step.kind.clone(),
        location_id: step.location_id.clone(),
        goal,
        machine_id: step.machine_id.clone(),
        component_id: step.component_id.clone(),
        expected_duration_s: step.expected_duration_s,
        charge_target_soc,
    })
}

/// Zero position and a zero or identity orientation: what an unfilled Pose looks like.
fn is_unset(p: &Pose) -> bool {
    let o = &p.orientation;
    let zero_position = p.position.x == 0.0 && p.position.y == 0.0 && p.position.z == 0.0;
    let zero_rotation = o.x == 0.0 && o.y == 0.0 && o.z == 0.0 && (o.w == 0.0 || o.w == 1.0);
    zero_position && zero_rotation
}

/// Base pose of a geometry_msgs/Pose; `None` for non-finite values or a zero quaternion.
pub fn pose2(p: &Pose) -> Option<Pose2> {
    let o = &p.orientation;
    Pose2::from_position_quaternion(p.position.x, p.position.y, o.x, o.y, o.z, o.w)
}

pub fn pose_msg(p: Pose2) -> Pose {
    let [x, y, z, w] = p.quaternion_xyzw();
    Pose { position: Point { x: p.x, y: p.y, z: 0.0 }, orientation: Quaternion { x, y, z, w } }
}

/// The hits of a laser mounted at the base centre, facing forward, as map-frame points
/// seen from `pose`. Rays at or beyond `range_max` (nothing hit), below `range_min` or
/// not finite are left out.
pub fn scan_points(scan: &LaserScan, pose: Pose2) -> Vec<Point2> {
    let (min, max) = (f64::from(scan.range_min), f64::from(scan.range_max));
    let (start, step) = (f64::from(scan.angle_min), f64::from(scan.angle_increment));
    scan.ranges
        .iter()
        .enumerate()
        .filter_map(|(i, &r)| {
            let r = f64::from(r);
            (r.is_finite() && r >= min && r < max).then(|| {
                let a = pose.yaw + start + i as f64 * step;
                Point2::new(pose.x + r * a.cos(), pose.y + r * a.sin())
            })
        })
        .collect()
}

pub fn twist_msg(t: Twist2) -> Twist {
    Twist { linear: Vector3 { x: t.vx, y: t.vy, z: 0.0 }, angular: Vector3 { x: 0.0, y: 0.0, z: t.wz } }
}

/// nav_msgs/GetPlan from `start` to `goal`, both in `header`'s frame.
pub fn plan_request(header: Header, start: Pose2, goal: Pose2, tolerance_m: f64) -> GetPlan::Request {
    let stamped = |p: Pose2| PoseStamped { header: header.clone(), pose: pose_msg(p) };
    GetPlan::Request { start: stamped(start), goal: stamped(goal), tolerance: tolerance_m as f32 }
}

/// The points of a planned path, start to goal. An empty path is the mapper's way of
/// saying "no path" (it logs the reason), so it is a failure with a reason here.
pub fn path_points(path: &Path, start: Pose2, goal: Pose2) -> Result<Vec<Point2>, String> {
    if path.poses.is_empty() {
        return Err(format!(
            "plan_path returned an empty path from ({:.2}, {:.2}) to ({:.2}, {:.2})",
            start.x, start.y, goal.x, goal.y
        ));
    }
    let points: Vec<Point2> =
        path.poses.iter().map(|p| Point2::new(p.pose.position.x, p.pose.position.y)).collect();
    match points.iter().position(|p| !p.is_finite()) {
        Some(i) => Err(format!("plan_path returned a non-finite point at poses[{i}]")),
        None => Ok(points),
    }
}

pub fn result_msg(outcome: &Outcome) -> ExecuteTask::Result {
    ExecuteTask::Result {
        result_code: outcome.code.as_u8(),
        reason: outcome.reason.clone(),
        failed_step: outcome.failed_step,
        duration_s: outcome.duration_s,
    }
}

pub fn feedback_msg(f: &Feedback) -> ExecuteTask::Feedback {
    ExecuteTask::Feedback {
        step_index: f.step_index,
        stage: f.stage.as_str().to_string(),
        progress: f.progress as f32,
        pose: pose_msg(f.pose),
    }
}

/// What the node knows of its robot besides the core's state.
#[derive(Debug, Clone, Default)]
pub struct RobotReadings {
    pub pose: Option<Pose>,
    pub velocity: Twist,
    pub soc: Option<f64>,
    pub voltage_v: f32,
}

pub fn status_msg(
    header: Header,
    robot_id: &str,
    state: &RobotState,
    readings: &RobotReadings,
    capabilities: &[String],
) -> RobotStatus {
    RobotStatus {
        header,
        robot_id: robot_id.to_string(),
        pose: readings.pose.clone().unwrap_or_else(|| pose_msg(Pose2::default())),
        velocity: readings.velocity.clone(),
        battery_soc: readings.soc.unwrap_or(0.0) as f32,
        battery_voltage_v: readings.voltage_v,
        state: state.state.as_u8(),
        capabilities: capabilities.to_vec(),
        current_task_id: state.current_task_id.clone(),
        task_progress: state.task_progress as f32,
        error_reason: state.error_reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::r2r::diagnostic_msgs::msg::KeyValue;
    use factory_node::r2r::geometry_msgs::msg::PoseStamped;

    fn step(x: f64, y: f64, location_id: &str) -> TaskStep {
        TaskStep {
            kind: "navigate".into(),
            location_id: location_id.into(),
            target_pose: pose_msg(Pose2::new(x, y, 0.5)),
            ..TaskStep::default()
        }
    }

    #[test]
    fn scan_hits_land_in_the_map_frame() {
        let scan = LaserScan {
            angle_min: -std::f32::consts::FRAC_PI_2,
            angle_increment: std::f32::consts::FRAC_PI_2,
            range_min: 0.05,
            range_max: 20.0,
            // right, ahead, left, and one ray that hit nothing
            ranges: vec![1.0, 2.0, f32::NAN, 20.0],
            ..LaserScan::default()
        };
        // Robot at (1, 1) facing +y: "ahead" is +y, "right" is +x.
        let pts = scan_points(&scan, Pose2::new(1.0, 1.0, std::f64::consts::FRAC_PI_2));
        assert_eq!(pts.len(), 2, "{pts:?}");
        assert!((pts[0].x - 2.0).abs() < 1e-6 && (pts[0].y - 1.0).abs() < 1e-6, "{pts:?}");
        assert!((pts[1].x - 1.0).abs() < 1e-6 && (pts[1].y - 3.0).abs() < 1e-6, "{pts:?}");
    }

    #[test]
    fn target_pose_becomes_the_goal() {
        let s = step_spec(0, &step(3.0, 4.0, "cut")).expect("valid");
        let g = s.goal.expect("resolved");
        assert!((g.x - 3.0).abs() < 1e-12 && (g.y - 4.0).abs() < 1e-12 && (g.yaw - 0.5).abs() < 1e-9);
    }

    #[test]
    fn unfilled_pose_with_a_location_is_unresolved() {
        let mut s = step(0.0, 0.0, "dock_9");
        s.target_pose = Pose::default();
        assert_eq!(step_spec(1, &s).expect("handed to the core").goal, None);
        s.target_pose.orientation = Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 };
        assert_eq!(step_spec(1, &s).expect("handed to the core").goal, None);
    }

    #[test]
    fn bad_poses_and_parameters_name_the_field() {
        let mut s = step(1.0, 2.0, "");
        s.target_pose.position.y = f64::NAN;
        let e = step_spec(2, &s).unwrap_err();
        assert_eq!(e.step, 2);
        assert!(e.reason.starts_with("steps[2].target_pose.position.y"), "{}", e.reason);
        let mut s = step(1.0, 2.0, "");
        s.target_pose.orientation = Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 0.0 };
        assert!(step_spec(0, &s).unwrap_err().reason.contains("steps[0].target_pose.orientation"));
        let mut s = step(1.0, 2.0, "");
        s.parameters = vec![KeyValue { key: TARGET_SOC_KEY.into(), value: "full".into() }];
        assert!(step_spec(0, &s).unwrap_err().reason.contains("parameters.target_soc"));
        s.parameters[0].value = "0.8".into();
        assert_eq!(step_spec(0, &s).expect("valid").charge_target_soc, Some(0.8));
    }

    #[test]
    fn empty_task_id_takes_the_fallback() {
        let goal = ExecuteTask::Goal::default();
        assert_eq!(task_spec(&goal, "uuid-1").expect("no steps is the core's call").task_id, "uuid-1");
    }

    #[test]
    fn empty_and_non_finite_paths_fail_with_a_reason() {
        let (a, b) = (Pose2::new(1.0, 2.0, 0.0), Pose2::new(5.0, 2.0, 0.0));
        let empty = Path::default();
        assert!(path_points(&empty, a, b).unwrap_err().contains("empty path"));
        let at = |x: f64| PoseStamped { pose: pose_msg(Pose2::new(x, 2.0, 0.0)), ..PoseStamped::default() };
        let mut path = Path { poses: vec![at(1.0), at(3.0), at(5.0)], ..Path::default() };
        assert_eq!(path_points(&path, a, b).expect("valid").len(), 3);
        path.poses[1].pose.position.x = f64::INFINITY;
        assert!(path_points(&path, a, b).unwrap_err().contains("poses[1]"));
    }

    #[test]
    fn pose_round_trip() {
        let p = Pose2::new(-2.0, 7.5, -2.5);
        let back = pose2(&pose_msg(p)).expect("finite");
        assert!((back.x - p.x).abs() < 1e-12 && (back.yaw - p.yaw).abs() < 1e-9);
    }
}
