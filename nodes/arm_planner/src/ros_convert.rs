//! Message <-> core conversions of the arm_planner node. No I/O: plain mappings, so the
//! wiring in main.rs stays thin.

use arm_planner::mesh::{load_mesh, MeshResolver};
use arm_planner::scene::ObjectShape;
use arm_planner::{ErrorCode, Goal, MotionRequest, PlanError, Trajectory};
use factory_node::r2r::builtin_interfaces::msg::Duration as DurationMsg;
use factory_node::r2r::factory_interfaces::action::PlanArmMotion;
use factory_node::r2r::factory_interfaces::msg::CollisionObject;
use factory_node::r2r::geometry_msgs::msg::Pose;
use factory_node::r2r::std_msgs::msg::Header;
use factory_node::r2r::trajectory_msgs::msg::{JointTrajectory, JointTrajectoryPoint};
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion, Vector3};
use std::sync::Arc;

/// `PlanArmMotion.Result.SUCCESS` and `EXECUTION_FAILED` (the planner's own failures are
/// `ErrorCode`s).
pub const SUCCESS: u8 = PlanArmMotion::Result::SUCCESS as u8;
pub const EXECUTION_FAILED: u8 = PlanArmMotion::Result::EXECUTION_FAILED as u8;
const GOAL_POSE: u8 = PlanArmMotion::Goal::GOAL_POSE as u8;
const GOAL_JOINTS: u8 = PlanArmMotion::Goal::GOAL_JOINTS as u8;

// CollisionObject constants as u8 (r2r generates them as bindgen enum values).
pub const OP_ADD: u8 = CollisionObject::OP_ADD as u8;
pub const OP_REMOVE: u8 = CollisionObject::OP_REMOVE as u8;
pub const OP_ATTACH: u8 = CollisionObject::OP_ATTACH as u8;
pub const OP_DETACH: u8 = CollisionObject::OP_DETACH as u8;
const SHAPE_BOX: u8 = CollisionObject::SHAPE_BOX as u8;
const SHAPE_CYLINDER: u8 = CollisionObject::SHAPE_CYLINDER as u8;
const SHAPE_SPHERE: u8 = CollisionObject::SHAPE_SPHERE as u8;
const SHAPE_MESH: u8 = CollisionObject::SHAPE_MESH as u8;

/// The goal as the core's request; `group` must be empty or the node's group.
pub fn motion_request(goal: &PlanArmMotion::Goal, group: &str) -> Result<MotionRequest, PlanError> {
    if !goal.group.is_empty() && goal.group != group {
        return Err(PlanError::new(
            ErrorCode::InvalidGoal,
            format!("group `{}` is not served here (this planner serves `{group}`)", goal.group),
        ));
    }
    let target = if goal.goal_type == GOAL_POSE {
        let p = &goal.target_pose.pose;
        Goal::Pose {
            frame: goal.target_pose.header.frame_id.clone(),
            position: [p.position.x, p.position.y, p.position.z],
            orientation: [p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w],
        }
    } else if goal.goal_type == GOAL_JOINTS {
        Goal::Joints {
            names: goal.target_joint_names.clone(),
            positions: goal.target_joint_positions.clone(),
        }
    } else {
        return Err(PlanError::new(
            ErrorCode::InvalidGoal,
            format!("goal_type {} is neither GOAL_POSE nor GOAL_JOINTS", goal.goal_type),
        ));
    };
    Ok(MotionRequest {
        goal: target,
        position_tolerance_m: goal.position_tolerance_m,
        orientation_tolerance_rad: goal.orientation_tolerance_rad,
        cartesian: goal.cartesian,
        velocity_scaling: goal.max_velocity_scaling,
        acceleration_scaling: goal.max_acceleration_scaling,
        timeout_s: goal.timeout_s,
    })
}

fn duration_msg(t: f64) -> DurationMsg {
    let t = t.max(0.0);
    let sec = t.floor();
    let nanosec = ((t - sec) * 1e9).round().min(999_999_999.0);
    DurationMsg { sec: sec.min(i32::MAX as f64) as i32, nanosec: nanosec as u32 }
}

/// trajectory_msgs/JointTrajectory of a planned trajectory.
pub fn trajectory_msg(header: Header, trajectory: &Trajectory) -> JointTrajectory {
    JointTrajectory {
        header,
        joint_names: trajectory.joint_names.clone(),
        points: trajectory
            .points
            .iter()
            .map(|p| JointTrajectoryPoint {
                positions: p.positions.clone(),
                velocities: p.velocities.clone(),
                accelerations: p.accelerations.clone(),
                effort: Vec::new(),
                time_from_start: duration_msg(p.time),
            })
            .collect(),
    }
}

pub fn result_msg(
    code: u8,
    message: &str,
    trajectory: JointTrajectory,
    planning_time_s: f64,
) -> PlanArmMotion::Result {
    PlanArmMotion::Result { error_code: code, message: message.to_string(), trajectory, planning_time_s }
}

pub fn feedback_msg(stage: &str, progress: f32) -> PlanArmMotion::Feedback {
    PlanArmMotion::Feedback { stage: stage.to_string(), progress }
}

/// A pose message as an isometry; None when a value is not finite or the quaternion is
/// not unit length (within 1e-3).
pub fn pose_from_msg(p: &Pose) -> Option<Isometry3<f64>> {
    let v = [
        p.position.x,
        p.position.y,
        p.position.z,
        p.orientation.x,
        p.orientation.y,
        p.orientation.z,
        p.orientation.w,
    ];
    if v.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let q = Quaternion::new(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z);
    if (q.norm() - 1.0).abs() > 1e-3 {
        return None;
    }
    Some(Isometry3::from_parts(
        Translation3::new(p.position.x, p.position.y, p.position.z),
        UnitQuaternion::from_quaternion(q),
    ))
}

/// The shape a CollisionObject describes, loading its mesh when it has one.
/// The shape of a planning-scene object; no side of it may exceed `max_size_m` (an
/// absurd size, e.g. a 1e300 m box attached to the tool, would block every plan).
pub fn object_shape(
    msg: &CollisionObject,
    resolver: &MeshResolver,
    max_size_m: f64,
) -> Result<ObjectShape, String> {
    let d = &msg.dimensions;
    let need = |n: usize, what: &str| -> Result<(), String> {
        if d.len() == n {
            Ok(())
        } else {
            Err(format!("{what} needs {n} dimensions, got {}", d.len()))
        }
    };
    let shape = match msg.shape {
        SHAPE_BOX => {
            need(3, "SHAPE_BOX")?;
            ObjectShape::Box { size: Vector3::new(d[0], d[1], d[2]) }
        }
        SHAPE_CYLINDER => {
            need(2, "SHAPE_CYLINDER")?;
            ObjectShape::Cylinder { height: d[0], radius: d[1] }
        }
        SHAPE_SPHERE => {
            need(1, "SHAPE_SPHERE")?;
            ObjectShape::Sphere { radius: d[0] }
        }
        SHAPE_MESH => {
            let scale = match d.as_slice() {
                [] => 1.0,
                [s] if s.is_finite() && *s > 0.0 => *s,
                other => return Err(format!("SHAPE_MESH takes [scale] > 0 or nothing, got {other:?}")),
            };
            let path = resolver.resolve(&msg.mesh_uri).map_err(|e| e.to_string())?;
            let mut mesh = load_mesh(&path).map_err(|e| e.to_string())?;
            for v in &mut mesh.vertices {
                v.coords *= scale as f32;
            }
            ObjectShape::Mesh { mesh: Arc::new(mesh) }
        }
        other => return Err(format!("unknown shape {other}")),
    };
    shape.validate()?;
    let size = match &shape {
        ObjectShape::Box { size } => size.max(),
        ObjectShape::Cylinder { height, radius } => height.max(2.0 * radius),
        ObjectShape::Sphere { radius } => 2.0 * radius,
        ObjectShape::Mesh { mesh } => f64::from(mesh.extent().max()),
    };
    // NaN sizes were refused by validate() above.
    if size > max_size_m {
        // {:e} keeps an absurd size short (1e300, not 301 digits).
        let shown = if size.abs() < 1e6 { format!("{size:.3}") } else { format!("{size:e}") };
        return Err(format!(
            "dimensions: the object is {shown} m across, at most {max_size_m} m allowed (max_object_size_m)"
        ));
    }
    Ok(shape)
}

/// Name of a CollisionObject operation, for logs.
pub fn operation_name(op: u8) -> &'static str {
    match op {
        OP_ADD => "add",
        OP_REMOVE => "remove",
        OP_ATTACH => "attach",
        OP_DETACH => "detach",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joints_goal(group: &str) -> PlanArmMotion::Goal {
        PlanArmMotion::Goal {
            group: group.into(),
            goal_type: GOAL_JOINTS,
            target_joint_names: vec!["a".into()],
            target_joint_positions: vec![0.5],
            max_velocity_scaling: 0.5,
            ..Default::default()
        }
    }

    #[test]
    fn goals_map_to_requests_and_other_groups_are_refused() {
        let r = motion_request(&joints_goal("left_arm"), "left_arm").expect("own group");
        assert_eq!(r.goal, Goal::Joints { names: vec!["a".into()], positions: vec![0.5] });
        assert_eq!(r.velocity_scaling, 0.5);
        assert!(motion_request(&joints_goal(""), "left_arm").is_ok(), "empty group = this planner's");
        let e = motion_request(&joints_goal("right_arm"), "left_arm").expect_err("other group");
        assert_eq!(e.code, ErrorCode::InvalidGoal);
        let mut bad = joints_goal("left_arm");
        bad.goal_type = 7;
        assert_eq!(motion_request(&bad, "left_arm").expect_err("bad type").code, ErrorCode::InvalidGoal);
        let mut pose = joints_goal("left_arm");
        pose.goal_type = GOAL_POSE;
        pose.target_pose.header.frame_id = "torso".into();
        pose.target_pose.pose.orientation.w = 1.0;
        match motion_request(&pose, "left_arm").expect("pose").goal {
            Goal::Pose { frame, orientation, .. } => {
                assert_eq!(frame, "torso");
                assert_eq!(orientation, [0.0, 0.0, 0.0, 1.0]);
            }
            other => panic!("expected a pose goal, got {other:?}"),
        }
    }

    #[test]
    fn durations_split_into_seconds_and_nanoseconds() {
        let d = duration_msg(2.25);
        assert_eq!((d.sec, d.nanosec), (2, 250_000_000));
        let d = duration_msg(-1.0);
        assert_eq!((d.sec, d.nanosec), (0, 0));
    }

    #[test]
    fn collision_object_shapes_are_checked() {
        let resolver = MeshResolver::default();
        let mut msg = CollisionObject {
            id: "box".into(),
            shape: SHAPE_BOX,
            dimensions: vec![0.1, 0.2, 0.3],
            ..Default::default()
        };
        assert!(matches!(object_shape(&msg, &resolver, 10.0), Ok(ObjectShape::Box { .. })));
        msg.dimensions = vec![0.1, 0.2];
        assert!(object_shape(&msg, &resolver, 10.0).expect_err("two dims").contains("3 dimensions"));
        msg.shape = SHAPE_SPHERE;
        msg.dimensions = vec![-1.0];
        assert!(object_shape(&msg, &resolver, 10.0).is_err(), "negative radius");
        msg.shape = SHAPE_MESH;
        msg.dimensions = vec![];
        msg.mesh_uri = "package://nowhere/part.stl".into();
        assert!(object_shape(&msg, &resolver, 10.0).expect_err("missing mesh").contains("part.stl"));
        msg.shape = SHAPE_BOX;
        msg.dimensions = vec![1e300, 0.1, 0.1];
        let huge = object_shape(&msg, &resolver, 10.0).expect_err("huge box");
        assert!(huge.contains("at most 10 m allowed (max_object_size_m)"), "{huge}");
    }

    #[test]
    fn poses_must_be_finite_with_unit_quaternions() {
        let mut p = Pose::default();
        p.orientation.w = 1.0;
        assert!(pose_from_msg(&p).is_some());
        p.orientation.w = 2.0;
        assert!(pose_from_msg(&p).is_none());
        p.orientation.w = 1.0;
        p.position.x = f64::NAN;
        assert!(pose_from_msg(&p).is_none());
    }
}
