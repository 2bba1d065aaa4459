//! Arm joints driven by joint trajectories (trajectory_msgs/JointTrajectory semantics:
//! named joints, points with positions and time from start, linear interpolation).

use crate::config::ArmJointConfig;
use crate::error::CommandError;

/// A joint trajectory command. Joints not named keep their current set-point.
#[derive(Debug, Clone, PartialEq)]
pub struct JointTrajectory {
    pub joint_names: Vec<String>,
    pub points: Vec<TrajectoryPoint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPoint {
    /// radians, one per name in `joint_names`
    pub positions: Vec<f64>,
    /// seconds after the trajectory is accepted
    pub time_from_start_s: f64,
}

/// sensor_msgs/JointState content.
#[derive(Debug, Clone, PartialEq)]
pub struct JointState {
    pub names: Vec<String>,
    /// radians
    pub positions: Vec<f64>,
    /// rad/s
    pub velocities: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Active {
    joints: Vec<usize>,
    start_positions: Vec<f64>,
    start_s: f64,
    points: Vec<TrajectoryPoint>,
}

/// The arm of one robot.
#[derive(Debug, Clone)]
pub struct Arm {
    joints: Vec<ArmJointConfig>,
    positions: Vec<f64>,
    velocities: Vec<f64>,
    active: Option<Active>,
}

impl Arm {
    /// Joints start at 0 rad, or at the nearest limit if 0 is outside them.
    pub fn new(joints: Vec<ArmJointConfig>) -> Self {
        let positions = joints.iter().map(|j| 0.0_f64.clamp(j.min_rad, j.max_rad)).collect();
        let velocities = vec![0.0; joints.len()];
        Self { joints, positions, velocities, active: None }
    }

    pub fn joint_state(&self) -> JointState {
        JointState {
            names: self.joints.iter().map(|j| j.name.clone()).collect(),
            positions: self.positions.clone(),
            velocities: self.velocities.clone(),
        }
    }

    /// True while a trajectory executes or a joint is still moving.
    pub fn is_moving(&self) -> bool {
        self.active.is_some() || self.velocities.iter().any(|v| *v != 0.0)
    }

    /// Checks the command completely before touching any state, then replaces the
    /// running trajectory (like a controller preempting its goal).
    pub fn command(&mut self, robot: &str, traj: &JointTrajectory, now_s: f64) -> Result<(), CommandError> {
        let joints = self.validate(robot, traj)?;
        let start_positions = joints.iter().map(|&j| self.positions[j]).collect();
        self.active = Some(Active { joints, start_positions, start_s: now_s, points: traj.points.clone() });
        Ok(())
    }

    fn validate(&self, robot: &str, traj: &JointTrajectory) -> Result<Vec<usize>, CommandError> {
        if traj.joint_names.is_empty() {
            return Err(CommandError::InvalidTrajectory("no joint names".into()));
        }
        if traj.points.is_empty() {
            return Err(CommandError::InvalidTrajectory("no points".into()));
        }
        let mut idx = Vec::with_capacity(traj.joint_names.len());
        for name in &traj.joint_names {
            let Some(i) = self.joints.iter().position(|j| &j.name == name) else {
                return Err(CommandError::UnknownJoint {
                    robot: robot.to_string(),
                    joint: name.clone(),
                    known: self.joints.iter().map(|j| j.name.as_str()).collect::<Vec<_>>().join(", "),
                });
            };
            if idx.contains(&i) {
                return Err(CommandError::InvalidTrajectory(format!("joint \"{name}\" named twice")));
            }
            idx.push(i);
        }
        let mut last_t = -f64::INFINITY;
        for (k, p) in traj.points.iter().enumerate() {
            if !p.time_from_start_s.is_finite() {
                return Err(CommandError::NonFinite {
                    field: format!("points[{k}].time_from_start_s"),
                    value: p.time_from_start_s,
                });
            }
            if p.time_from_start_s < 0.0 || p.time_from_start_s <= last_t {
                return Err(CommandError::InvalidTrajectory(format!(
                    "points[{k}].time_from_start_s = {}: must be >= 0 and increase strictly",
                    p.time_from_start_s
                )));
            }
            last_t = p.time_from_start_s;
            if p.positions.len() != idx.len() {
                return Err(CommandError::InvalidTrajectory(format!(
                    "points[{k}] has {} positions for {} joints",
                    p.positions.len(),
                    idx.len()
                )));
            }
            for (n, (&q, &j)) in p.positions.iter().zip(&idx).enumerate() {
                if !q.is_finite() {
                    return Err(CommandError::NonFinite {
                        field: format!("points[{k}].positions[{n}]"),
                        value: q,
                    });
                }
                let c = &self.joints[j];
                if q < c.min_rad || q > c.max_rad {
                    return Err(CommandError::InvalidTrajectory(format!(
                        "points[{k}].positions[{n}] = {q} rad for \"{}\": must be in [{}, {}]",
                        c.name, c.min_rad, c.max_rad
                    )));
                }
            }
        }
        Ok(idx)
    }

    /// Advances the joints by `dt_s` towards the interpolated set-point, each no faster
    /// than its velocity limit. Returns true when a trajectory just finished.
    pub fn update(&mut self, now_s: f64, dt_s: f64) -> bool {
        let Some(a) = &self.active else {
            self.velocities.iter_mut().for_each(|v| *v = 0.0);
            return false;
        };
        let t = now_s - a.start_s;
        let mut reached = true;
        let after_end = a.points.last().is_some_and(|p| t >= p.time_from_start_s);
        for (n, &j) in a.joints.iter().enumerate() {
            let target = setpoint(a, n, t);
            let max_step = self.joints[j].max_velocity_rps * dt_s;
            let step = (target - self.positions[j]).clamp(-max_step, max_step);
            self.positions[j] += step;
            self.velocities[j] = if dt_s > 0.0 { step / dt_s } else { 0.0 };
            if (target - self.positions[j]).abs() > 1e-9 {
                reached = false;
            }
        }
        if after_end && reached {
            self.active = None;
            return true;
        }
        false
    }
}

/// Linear interpolation of joint `n` at `t` seconds after the start; before the first
/// point the motion starts from where the joint was when the command arrived.
fn setpoint(a: &Active, n: usize, t: f64) -> f64 {
    let mut prev_t = 0.0;
    let mut prev_q = a.start_positions[n];
    for p in &a.points {
        let q = p.positions[n];
        if t <= p.time_from_start_s {
            let span = p.time_from_start_s - prev_t;
            if span <= 0.0 {
                return q;
            }
            let s = ((t - prev_t) / span).clamp(0.0, 1.0);
            return prev_q + s * (q - prev_q);
        }
        prev_t = p.time_from_start_s;
        prev_q = q;
    }
    prev_q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm() -> Arm {
        Arm::new(vec![
            ArmJointConfig { name: "a".into(), min_rad: -1.0, max_rad: 1.0, max_velocity_rps: 10.0 },
            ArmJointConfig { name: "b".into(), min_rad: 0.2, max_rad: 2.0, max_velocity_rps: 0.5 },
        ])
    }

    #[test]
    fn interpolates_and_finishes() {
        let mut a = arm();
        assert_eq!(a.joint_state().positions, vec![0.0, 0.2]);
        let traj = JointTrajectory {
            joint_names: vec!["a".into()],
            points: vec![
                TrajectoryPoint { positions: vec![0.5], time_from_start_s: 1.0 },
                TrajectoryPoint { positions: vec![-0.5], time_from_start_s: 2.0 },
            ],
        };
        a.command("r", &traj, 0.0).unwrap();
        let dt = 0.01;
        let mut done_at = None;
        for k in 1..=300 {
            let t = k as f64 * dt;
            if a.update(t, dt) && done_at.is_none() {
                done_at = Some(t);
            }
            if k == 50 {
                assert!((a.joint_state().positions[0] - 0.25).abs() < 1e-6);
            }
            if k == 150 {
                assert!(a.joint_state().positions[0].abs() < 1e-6);
            }
        }
        assert!((a.joint_state().positions[0] + 0.5).abs() < 1e-9);
        assert!(done_at.is_some_and(|t| (t - 2.0).abs() < 0.02), "{done_at:?}");
        assert!(!a.is_moving());
    }

    #[test]
    fn velocity_limit_is_respected() {
        let mut a = arm();
        let traj = JointTrajectory {
            joint_names: vec!["b".into()],
            points: vec![TrajectoryPoint { positions: vec![2.0], time_from_start_s: 0.1 }],
        };
        a.command("r", &traj, 0.0).unwrap();
        for k in 1..=100 {
            a.update(k as f64 * 0.01, 0.01);
            assert!(a.joint_state().velocities[1].abs() <= 0.5 + 1e-12);
        }
        assert!((a.joint_state().positions[1] - 0.7).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_commands_without_side_effects() {
        let mut a = arm();
        let before = a.joint_state();
        let p = |q: f64, t: f64| TrajectoryPoint { positions: vec![q], time_from_start_s: t };
        let cases = [
            JointTrajectory { joint_names: vec!["elbow".into()], points: vec![p(0.1, 1.0)] },
            JointTrajectory { joint_names: vec!["a".into()], points: vec![p(f64::NAN, 1.0)] },
            JointTrajectory { joint_names: vec!["a".into()], points: vec![p(0.1, f64::INFINITY)] },
            JointTrajectory { joint_names: vec!["a".into()], points: vec![p(0.1, 1.0), p(0.2, 1.0)] },
            JointTrajectory { joint_names: vec!["a".into()], points: vec![p(5.0, 1.0)] },
            JointTrajectory { joint_names: vec!["a".into(), "a".into()], points: vec![] },
        ];
        for c in &cases {
            assert!(a.command("r", c, 0.0).is_err(), "{c:?}");
        }
        assert!(matches!(a.command("r", &cases[0], 0.0), Err(CommandError::UnknownJoint { .. })));
        a.update(1.0, 0.01);
        assert_eq!(a.joint_state(), before);
        assert!(!a.is_moving());
    }
}
