//! A planning group: the serial chain of movable joints from `base_link` to `tip_link`,
//! with fast forward kinematics and the geometric Jacobian (fixed joints folded away).

use crate::error::ModelError;
use crate::model::{JointKind, RobotModel};
use nalgebra::{Isometry3, Matrix6xX, Translation3, UnitQuaternion, Vector3};
use std::f64::consts::PI;

/// Most movable joints a group may have (fixed-size scratch arrays in the Jacobian).
pub const MAX_DOF: usize = 16;

#[derive(Debug, Clone)]
struct Segment {
    /// Fixed transform from the previous movable joint's frame (or the base) to this joint.
    pre: Isometry3<f64>,
    axis: nalgebra::Unit<Vector3<f64>>,
    prismatic: bool,
}

/// The joints one planner instance moves.
#[derive(Debug, Clone)]
pub struct ArmGroup {
    pub name: String,
    pub base_link: usize,
    pub tip_link: usize,
    /// Model joint indices of the movable joints, base to tip.
    pub joints: Vec<usize>,
    pub joint_names: Vec<String>,
    /// Position limits; continuous joints get [-pi, pi] here and `continuous` set.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub continuous: Vec<bool>,
    /// URDF velocity limits (0 = none given).
    pub velocity: Vec<f64>,
    segments: Vec<Segment>,
    /// From the last movable joint's frame to the tip link.
    tip_offset: Isometry3<f64>,
    /// For each model link: the chain frame it is rigidly attached to while the group moves
    /// (`Some(k)` = after movable joint k, `None` = not moved by this group).
    link_frames: Vec<Option<usize>>,
}

impl ArmGroup {
    /// Builds the chain `base_link` -> `tip_link`. Mimic joints inside the chain are rejected:
    /// the group's joints must be independent.
    pub fn new(model: &RobotModel, name: &str, base_link: &str, tip_link: &str) -> Result<Self, ModelError> {
        let gerr = |reason: String| ModelError::Group { group: name.to_string(), reason };
        let base = model
            .link_index(base_link)
            .ok_or_else(|| gerr(format!("base_link `{base_link}` is not in the URDF")))?;
        let tip = model
            .link_index(tip_link)
            .ok_or_else(|| gerr(format!("tip_link `{tip_link}` is not in the URDF")))?;
        let mut path = Vec::new();
        let mut cur = tip;
        while cur != base {
            let Some(j) = model.links[cur].parent_joint else {
                return Err(gerr(format!("tip_link `{tip_link}` is not below base_link `{base_link}`")));
            };
            path.push(j);
            cur = model.joints[j].parent_link;
        }
        path.reverse();

        let mut segments = Vec::new();
        let mut joints = Vec::new();
        let mut pending = Isometry3::identity();
        for &j in &path {
            let joint = &model.joints[j];
            if joint.kind == JointKind::Fixed {
                pending *= joint.origin;
                continue;
            }
            if joint.mimic.is_some() {
                return Err(gerr(format!("joint `{}` in the chain is a mimic joint", joint.name)));
            }
            segments.push(Segment {
                pre: pending * joint.origin,
                axis: joint.axis,
                prismatic: joint.kind == JointKind::Prismatic,
            });
            joints.push(j);
            pending = Isometry3::identity();
        }
        if joints.is_empty() {
            return Err(gerr(format!("no movable joint between `{base_link}` and `{tip_link}`")));
        }
        if joints.len() > MAX_DOF {
            return Err(gerr(format!("{} movable joints; at most {MAX_DOF} are supported", joints.len())));
        }
        let js = |f: &dyn Fn(&crate::model::Joint) -> f64| {
            joints.iter().map(|&j| f(&model.joints[j])).collect::<Vec<f64>>()
        };
        let continuous: Vec<bool> =
            joints.iter().map(|&j| model.joints[j].kind == JointKind::Continuous).collect();

        // Which chain frame each link rides on: walk up until a group joint is found.
        let mut link_frames = vec![None; model.links.len()];
        for (l, slot) in link_frames.iter_mut().enumerate() {
            let mut cur = l;
            while let Some(j) = model.links[cur].parent_joint {
                if let Some(k) = joints.iter().position(|&g| g == j) {
                    *slot = Some(k);
                    break;
                }
                cur = model.joints[j].parent_link;
            }
        }
        Ok(ArmGroup {
            name: name.to_string(),
            base_link: base,
            tip_link: tip,
            joint_names: joints.iter().map(|&j| model.joints[j].name.clone()).collect(),
            lower: js(&|j| if j.kind == JointKind::Continuous { -PI } else { j.lower }),
            upper: js(&|j| if j.kind == JointKind::Continuous { PI } else { j.upper }),
            velocity: js(&|j| j.velocity),
            continuous,
            joints,
            segments,
            tip_offset: pending,
            link_frames,
        })
    }

    pub fn dof(&self) -> usize {
        self.joints.len()
    }

    /// Mid-range joint vector (a neutral seed).
    pub fn mid_positions(&self) -> Vec<f64> {
        self.lower.iter().zip(&self.upper).map(|(l, u)| 0.5 * (l + u)).collect()
    }

    /// Whether `q` has the group's size, is finite and within limits (continuous joints:
    /// any finite value).
    pub fn within_limits(&self, q: &[f64], eps: f64) -> bool {
        q.len() == self.dof()
            && q.iter().enumerate().all(|(i, &v)| {
                v.is_finite()
                    && (self.continuous[i] || (v >= self.lower[i] - eps && v <= self.upper[i] + eps))
            })
    }

    /// The chain frame (movable joint index) link `l` is attached to, if the group moves it.
    pub fn link_frame(&self, link: usize) -> Option<usize> {
        self.link_frames.get(link).copied().flatten()
    }

    #[inline]
    fn joint_motion(&self, k: usize, value: f64) -> Isometry3<f64> {
        let s = &self.segments[k];
        if s.prismatic {
            Isometry3::from_parts(Translation3::from(s.axis.into_inner() * value), UnitQuaternion::identity())
        } else {
            Isometry3::from_parts(Translation3::identity(), UnitQuaternion::from_axis_angle(&s.axis, value))
        }
    }

    /// Tip pose in the base link frame.
    pub fn fk(&self, q: &[f64]) -> Isometry3<f64> {
        let mut t = Isometry3::identity();
        for (k, &v) in q.iter().enumerate().take(self.segments.len()) {
            t = t * self.segments[k].pre * self.joint_motion(k, v);
        }
        t * self.tip_offset
    }

    /// Frame after each movable joint (in the base link frame) into `frames` (len = dof);
    /// returns the tip pose.
    pub fn fk_frames(&self, q: &[f64], frames: &mut [Isometry3<f64>]) -> Isometry3<f64> {
        let mut t = Isometry3::identity();
        for k in 0..self.segments.len() {
            t = t * self.segments[k].pre * self.joint_motion(k, q[k]);
            frames[k] = t;
        }
        t * self.tip_offset
    }

    /// Tip pose and geometric Jacobian (rows: linear velocity, angular velocity; base frame).
    pub fn fk_jacobian(&self, q: &[f64], jac: &mut Matrix6xX<f64>) -> Isometry3<f64> {
        // Joint axes and origins are recorded on the way out, the tip is known only at the end.
        let n = self.segments.len();
        let mut axes = [Vector3::zeros(); MAX_DOF];
        let mut origins = [Vector3::zeros(); MAX_DOF];
        let mut t = Isometry3::identity();
        for k in 0..n {
            t *= self.segments[k].pre;
            axes[k] = t.rotation * self.segments[k].axis.into_inner();
            origins[k] = t.translation.vector;
            t *= self.joint_motion(k, q[k]);
        }
        let tip = t * self.tip_offset;
        let p = tip.translation.vector;
        for k in 0..n {
            let (lin, ang) = if self.segments[k].prismatic {
                (axes[k], Vector3::zeros())
            } else {
                (axes[k].cross(&(p - origins[k])), axes[k])
            };
            jac.fixed_view_mut::<3, 1>(0, k).copy_from(&lin);
            jac.fixed_view_mut::<3, 1>(3, k).copy_from(&ang);
        }
        tip
    }
}
