//! The planning pipeline behind `PlanArmMotion`: validate the goal, check the start,
//! solve IK (collision-aware) for pose goals, plan (RRT-Connect or a Cartesian line),
//! shortcut, and time-parameterise. Every failure is a specific [`ErrorCode`].

use crate::chain::ArmGroup;
use crate::collision::{AllowedCollisionMatrix, CollisionContext, MeshMode, RobotGeometry};
use crate::error::{ErrorCode, ModelError, PlanError};
use crate::ik::{IkOptions, IkSolver};
use crate::model::RobotModel;
use crate::rrt::{rrt_connect, shortcut, RrtConfig};
use crate::scene::PlanningScene;
use crate::timing::{time_parameterize, Trajectory};
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion, Vector3};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Planner settings; the node fills these from parameters (units in the names).
#[derive(Debug, Clone)]
pub struct PlannerConfig {
    pub default_timeout_s: f64,
    pub default_position_tolerance_m: f64,
    pub default_orientation_tolerance_rad: f64,
    /// Share of the planning budget IK may use for a pose goal.
    pub ik_timeout_s: f64,
    /// Collision-aware IK: solutions in collision are refused and the search continues.
    pub collision_aware_ik: bool,
    /// IK solutions compared before the one nearest the current state is taken.
    pub ik_solutions: usize,
    /// Inflation of every convex robot and object shape, metres.
    pub collision_padding_m: f64,
    pub mesh_mode: MeshMode,
    /// Random whole-robot samples for the allowed-collision matrix.
    pub acm_samples: usize,
    pub rrt: RrtConfig,
    /// Used where the URDF gives no velocity limit, rad/s (m/s for prismatic joints).
    pub default_velocity_limit: f64,
    /// Acceleration limit of every joint (URDF has none), rad/s^2 (m/s^2).
    pub acceleration_limit: f64,
    pub trajectory_sample_period_s: f64,
    /// Cartesian interpolation steps.
    pub cartesian_step_m: f64,
    pub cartesian_step_rad: f64,
    /// Largest joint change between two Cartesian steps before the line counts as broken
    /// (a configuration flip), rad.
    pub cartesian_max_joint_step_rad: f64,
    pub rng_seed: u64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            default_timeout_s: 1.0,
            default_position_tolerance_m: 1e-4,
            default_orientation_tolerance_rad: 1e-3,
            ik_timeout_s: 0.05,
            collision_aware_ik: true,
            ik_solutions: 1,
            collision_padding_m: 0.005,
            mesh_mode: MeshMode::ConvexHull,
            acm_samples: 1000,
            rrt: RrtConfig::default(),
            default_velocity_limit: 1.0,
            acceleration_limit: 2.0,
            trajectory_sample_period_s: 0.05,
            cartesian_step_m: 0.005,
            cartesian_step_rad: 0.02,
            cartesian_max_joint_step_rad: 0.3,
            rng_seed: 1,
        }
    }
}

/// A goal as the action gives it, before validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Goal {
    /// Tip pose in `frame` (a link of the model; empty = the group's base link).
    /// `orientation` is (x, y, z, w) and must be a unit quaternion.
    Pose {
        frame: String,
        position: [f64; 3],
        orientation: [f64; 4],
    },
    Joints {
        names: Vec<String>,
        positions: Vec<f64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct MotionRequest {
    pub goal: Goal,
    /// 0 = planner default.
    pub position_tolerance_m: f64,
    pub orientation_tolerance_rad: f64,
    /// Straight-line tip motion (pose goals only).
    pub cartesian: bool,
    /// In (0, 1]; 0 = 1.
    pub velocity_scaling: f64,
    pub acceleration_scaling: f64,
    /// 0 = planner default.
    pub timeout_s: f64,
}

impl MotionRequest {
    pub fn new(goal: Goal) -> Self {
        MotionRequest {
            goal,
            position_tolerance_m: 0.0,
            orientation_tolerance_rad: 0.0,
            cartesian: false,
            velocity_scaling: 0.0,
            acceleration_scaling: 0.0,
            timeout_s: 0.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MotionPlan {
    /// Waypoints (group joint order) the trajectory passes through at rest.
    pub path: Vec<Vec<f64>>,
    pub trajectory: Trajectory,
    pub planning_time_s: f64,
}

/// A planner for one group of one robot. Create once (the allowed-collision matrix is
/// computed here), then call [`Planner::plan`] per request.
pub struct Planner {
    pub model: Arc<RobotModel>,
    pub group: ArmGroup,
    pub geometry: RobotGeometry,
    pub acm: AllowedCollisionMatrix,
    pub config: PlannerConfig,
    ik: IkSolver,
    rng: ChaCha8Rng,
}

fn scaling(v: f64, what: &str) -> Result<f64, PlanError> {
    if v == 0.0 {
        Ok(1.0)
    } else if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(PlanError::invalid(format!("{what} {v} is outside (0, 1]")))
    }
}

fn non_negative(v: f64, what: &str) -> Result<f64, PlanError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(PlanError::invalid(format!("{what} {v} must be finite and >= 0")))
    }
}

impl Planner {
    pub fn new(model: Arc<RobotModel>, group: ArmGroup, config: PlannerConfig) -> Self {
        let geometry = RobotGeometry::new(&model, config.collision_padding_m, config.mesh_mode);
        let acm = AllowedCollisionMatrix::compute(&model, &geometry, config.acm_samples, config.rng_seed);
        Self::with_acm(model, group, config, geometry, acm)
    }

    /// With a precomputed allowed-collision matrix (e.g. shared between groups).
    pub fn with_acm(
        model: Arc<RobotModel>,
        group: ArmGroup,
        config: PlannerConfig,
        geometry: RobotGeometry,
        acm: AllowedCollisionMatrix,
    ) -> Self {
        let ik = IkSolver::new(&group, config.rng_seed);
        let rng = ChaCha8Rng::seed_from_u64(config.rng_seed);
        Planner { model, group, geometry, acm, config, ik, rng }
    }

    /// Convenience: model + group by name in one call.
    pub fn from_model(
        model: Arc<RobotModel>,
        group: &str,
        base_link: &str,
        tip_link: &str,
        config: PlannerConfig,
    ) -> Result<Self, ModelError> {
        let group = ArmGroup::new(&model, group, base_link, tip_link)?;
        Ok(Self::new(model, group, config))
    }

    /// A collision context for `state` (one value per model joint) and `scene`.
    pub fn collision_context(&self, scene: &PlanningScene, state: &[f64]) -> CollisionContext {
        CollisionContext::new(&self.model, &self.group, &self.geometry, &self.acm, scene, state)
    }

    /// The group's joint values in `state`.
    pub fn group_positions(&self, state: &[f64]) -> Vec<f64> {
        self.group.joints.iter().map(|&j| state.get(j).copied().unwrap_or(0.0)).collect()
    }

    /// World (root frame) pose of link `frame` in `state`; None for an unknown link.
    pub fn frame_pose(&self, state: &[f64], frame: &str) -> Option<Isometry3<f64>> {
        let l = self.model.link_index(frame)?;
        Some(self.model.link_poses(state)[l])
    }

    fn velocity_limits(&self, scale: f64) -> Vec<f64> {
        self.group
            .velocity
            .iter()
            .map(|&v| if v > 0.0 { v } else { self.config.default_velocity_limit } * scale)
            .collect()
    }

    /// Plans from `state` (one value per model joint: the current state) to `request`'s goal.
    pub fn plan(
        &mut self,
        request: &MotionRequest,
        state: &[f64],
        scene: &PlanningScene,
    ) -> Result<MotionPlan, PlanError> {
        let started = Instant::now();
        let cfg = self.config.clone();
        let timeout = match non_negative(request.timeout_s, "timeout_s")? {
            t if t > 0.0 => t,
            _ => cfg.default_timeout_s,
        };
        let deadline = started + Duration::from_secs_f64(timeout);
        let v_scale = scaling(request.velocity_scaling, "max_velocity_scaling")?;
        let a_scale = scaling(request.acceleration_scaling, "max_acceleration_scaling")?;
        let pos_tol = match non_negative(request.position_tolerance_m, "position_tolerance_m")? {
            t if t > 0.0 => t,
            _ => cfg.default_position_tolerance_m,
        };
        let rot_tol = match non_negative(request.orientation_tolerance_rad, "orientation_tolerance_rad")? {
            t if t > 0.0 => t,
            _ => cfg.default_orientation_tolerance_rad,
        };
        if state.len() != self.model.joints.len() || state.iter().any(|v| !v.is_finite()) {
            return Err(PlanError::invalid(format!(
                "current state needs {} finite joint values, got {}",
                self.model.joints.len(),
                state.len()
            )));
        }
        let start = self.group_positions(state);
        // Encoders report a hair outside the limits at times; more than that is refused.
        const LIMIT_SLACK: f64 = 1e-3;
        if !self.group.within_limits(&start, LIMIT_SLACK) {
            return Err(PlanError::invalid(format!("current state {start:?} is outside the joint limits")));
        }
        let start: Vec<f64> =
            start
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if self.group.continuous[i] {
                        v
                    } else {
                        v.clamp(self.group.lower[i], self.group.upper[i])
                    }
                })
                .collect();

        // Validate the goal before any expensive work.
        let pose_goal = match &request.goal {
            Goal::Pose { frame, position, orientation } => {
                Some(self.validate_pose(state, frame, position, orientation)?)
            }
            Goal::Joints { .. } if request.cartesian => {
                return Err(PlanError::invalid("cartesian motion needs a pose goal"));
            }
            Goal::Joints { names, positions } => {
                self.validate_joints(names, positions)?;
                None
            }
        };

        let mut ctx = self.collision_context(scene, state);
        if let Some(contact) = ctx.first_contact(&self.group, &start) {
            return Err(PlanError::new(
                ErrorCode::StartInCollision,
                format!("start state in collision: {contact}"),
            ));
        }

        let path = if let (Some(target), true) = (pose_goal, request.cartesian) {
            self.cartesian_path(&mut ctx, &start, &target, pos_tol, rot_tol, deadline)?
        } else {
            let goal = match (&request.goal, pose_goal) {
                (_, Some(target)) => {
                    self.solve_goal_ik(&mut ctx, &start, &target, pos_tol, rot_tol, deadline)?
                }
                (Goal::Joints { names, positions }, None) => {
                    let goal = self.joint_goal(names, positions);
                    if let Some(contact) = ctx.first_contact(&self.group, &goal) {
                        return Err(PlanError::new(
                            ErrorCode::GoalInCollision,
                            format!("goal state in collision: {contact}"),
                        ));
                    }
                    goal
                }
                (Goal::Pose { .. }, None) => return Err(PlanError::invalid("pose goal was not validated")),
            };
            let mut path =
                rrt_connect(&mut ctx, &self.group, &start, &goal, &cfg.rrt, deadline, &mut self.rng)
                    .ok_or_else(|| {
                        PlanError::new(
                            ErrorCode::Timeout,
                            format!("no collision-free path found within {timeout:.3} s"),
                        )
                    })?;
            // Shortcutting gets as long as the search took (at least 1 ms), within the
            // budget: a found path is worth returning promptly.
            let budget_left = deadline.saturating_duration_since(Instant::now());
            let search_time = started.elapsed().max(Duration::from_millis(1));
            let shortcut_deadline = Instant::now() + budget_left.min(search_time);
            shortcut(&mut ctx, &self.group, &mut path, &cfg.rrt, shortcut_deadline, &mut self.rng);
            path
        };

        let vmax = self.velocity_limits(v_scale);
        let amax = vec![cfg.acceleration_limit * a_scale; self.group.dof()];
        let trajectory =
            time_parameterize(&self.group.joint_names, &path, &vmax, &amax, cfg.trajectory_sample_period_s);
        Ok(MotionPlan { path, trajectory, planning_time_s: started.elapsed().as_secs_f64() })
    }

    /// Goal pose in the group's base link frame.
    fn validate_pose(
        &self,
        state: &[f64],
        frame: &str,
        position: &[f64; 3],
        orientation: &[f64; 4],
    ) -> Result<Isometry3<f64>, PlanError> {
        // Field names as in PlanArmMotion goals, so the caller knows what to fix.
        let fields = ["position.x", "position.y", "position.z"].into_iter().zip(position.iter()).chain(
            ["orientation.x", "orientation.y", "orientation.z", "orientation.w"].into_iter().zip(orientation),
        );
        for (field, v) in fields {
            if !v.is_finite() {
                return Err(PlanError::invalid(format!("target_pose.pose.{field} is {v}: must be finite")));
            }
        }
        let norm = orientation.iter().map(|v| v * v).sum::<f64>().sqrt();
        // Within 1e-3 is float noise from serialisation; more is a malformed goal.
        if (norm - 1.0).abs() > 1e-3 {
            return Err(PlanError::invalid(format!(
                "target_pose.pose.orientation is not a unit quaternion (norm {norm:.6})"
            )));
        }
        let base_link_name = &self.model.links[self.group.base_link].name;
        let frame = if frame.is_empty() { base_link_name.as_str() } else { frame };
        let frame_pose = self
            .frame_pose(state, frame)
            .ok_or_else(|| PlanError::invalid(format!("unknown frame `{frame}`")))?;
        let base_pose = self.model.link_poses(state)[self.group.base_link];
        let [x, y, z, w] = *orientation;
        let goal = Isometry3::from_parts(
            Translation3::new(position[0], position[1], position[2]),
            UnitQuaternion::from_quaternion(Quaternion::new(w, x, y, z)),
        );
        Ok(base_pose.inverse() * frame_pose * goal)
    }

    fn validate_joints(&self, names: &[String], positions: &[f64]) -> Result<(), PlanError> {
        if names.len() != positions.len() {
            return Err(PlanError::invalid(format!(
                "{} joint names but {} positions",
                names.len(),
                positions.len()
            )));
        }
        for (name, &v) in names.iter().zip(positions) {
            let Some(i) = self.group.joint_names.iter().position(|n| n == name) else {
                return Err(PlanError::invalid(format!(
                    "joint `{name}` is not in group `{}`",
                    self.group.name
                )));
            };
            if !v.is_finite() {
                return Err(PlanError::invalid(format!("joint `{name}` target is not finite")));
            }
            if !self.group.continuous[i] && (v < self.group.lower[i] || v > self.group.upper[i]) {
                return Err(PlanError::invalid(format!(
                    "joint `{name}` target {v} is outside [{}, {}]",
                    self.group.lower[i], self.group.upper[i]
                )));
            }
        }
        for name in &self.group.joint_names {
            let count = names.iter().filter(|n| *n == name).count();
            if count != 1 {
                return Err(PlanError::invalid(format!(
                    "joint `{name}` must be given exactly once (got {count})"
                )));
            }
        }
        Ok(())
    }

    fn joint_goal(&self, names: &[String], positions: &[f64]) -> Vec<f64> {
        self.group
            .joint_names
            .iter()
            .map(|n| names.iter().position(|m| m == n).map_or(0.0, |k| positions[k]))
            .collect()
    }

    fn ik_options(&self, pos_tol: f64, rot_tol: f64, deadline: Instant) -> IkOptions {
        let left = deadline.saturating_duration_since(Instant::now());
        IkOptions {
            position_tolerance: pos_tol,
            orientation_tolerance: rot_tol,
            timeout: left.min(Duration::from_secs_f64(self.config.ik_timeout_s)),
            solutions: self.config.ik_solutions,
            ..IkOptions::default()
        }
    }

    fn solve_goal_ik(
        &mut self,
        ctx: &mut CollisionContext,
        seed: &[f64],
        target: &Isometry3<f64>,
        pos_tol: f64,
        rot_tol: f64,
        deadline: Instant,
    ) -> Result<Vec<f64>, PlanError> {
        let opts = self.ik_options(pos_tol, rot_tol, deadline);
        let group = &self.group;
        let aware = self.config.collision_aware_ik;
        let mut accept = |q: &[f64]| !aware || ctx.is_valid(group, q);
        match self.ik.solve(group, target, seed, &opts, &mut accept) {
            Ok(sol) => {
                if let Some(contact) = ctx.first_contact(group, &sol.positions) {
                    return Err(PlanError::new(
                        ErrorCode::GoalInCollision,
                        format!("IK goal in collision: {contact}"),
                    ));
                }
                Ok(sol.positions)
            }
            Err(f) if f.rejected > 0 => Err(PlanError::new(
                ErrorCode::GoalInCollision,
                format!("all {} IK solutions found for the goal pose are in collision", f.rejected),
            )),
            Err(f) => Err(PlanError::new(
                ErrorCode::NoIkSolution,
                format!(
                    "no IK solution within tolerance {pos_tol} m / {rot_tol} rad ({} attempts)",
                    f.attempts
                ),
            )),
        }
    }

    /// Straight tip line from the current pose to `target`, as dense IK waypoints, then
    /// thinned to the waypoints needed to stay within `pos_tol` of the line.
    fn cartesian_path(
        &mut self,
        ctx: &mut CollisionContext,
        start: &[f64],
        target: &Isometry3<f64>,
        pos_tol: f64,
        rot_tol: f64,
        deadline: Instant,
    ) -> Result<Vec<Vec<f64>>, PlanError> {
        let cfg = self.config.clone();
        let from = self.group.fk(start);
        let dist = (target.translation.vector - from.translation.vector).norm();
        let angle = from.rotation.angle_to(&target.rotation);
        let steps =
            ((dist / cfg.cartesian_step_m).max(angle / cfg.cartesian_step_rad).ceil() as usize).max(1);
        let mut dense = vec![start.to_vec()];
        let mut scratch = Vec::new();
        for k in 1..=steps {
            if Instant::now() >= deadline {
                return Err(PlanError::new(
                    ErrorCode::Timeout,
                    "cartesian path not finished within the timeout",
                ));
            }
            let t = k as f64 / steps as f64;
            let pose = interpolate(&from, target, t);
            let prev = dense[dense.len() - 1].clone();
            // Each step continues from the previous one, no restarts: a jump to another
            // IK branch would not be a straight line.
            let opts =
                IkOptions { max_iterations_per_attempt: 200, ..self.ik_options(pos_tol, rot_tol, deadline) };
            let q = match self.ik.solve_local(&self.group, &pose, &prev, &opts) {
                Some(q) => q,
                None => {
                    return Err(PlanError::new(
                        ErrorCode::NoIkSolution,
                        format!("cartesian line leaves the reachable workspace at {:.0} %", 100.0 * t),
                    ))
                }
            };
            let jump = q.iter().zip(&prev).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            if jump > cfg.cartesian_max_joint_step_rad {
                return Err(PlanError::new(
                    ErrorCode::NoIkSolution,
                    format!("cartesian line needs a joint jump of {jump:.3} rad at {:.0} % (singularity or limit)", 100.0 * t),
                ));
            }
            if !ctx.segment_valid(&self.group, &prev, &q, cfg.rrt.resolution, &mut scratch) {
                let code = if k == steps { ErrorCode::GoalInCollision } else { ErrorCode::NoIkSolution };
                let contact =
                    ctx.first_contact(&self.group, &q).map_or(String::from("edge"), |c| c.to_string());
                return Err(PlanError::new(
                    code,
                    format!("cartesian line blocked by a collision at {:.0} %: {contact}", 100.0 * t),
                ));
            }
            dense.push(q);
        }
        Ok(self.thin_cartesian(ctx, &dense, &from, target, pos_tol.max(1e-3)))
    }

    /// Drops dense waypoints while the straight joint segment between kept ones keeps the
    /// tip within `tol` of the Cartesian line (checked where the dropped waypoints were) and
    /// the straight joint segment collision-free.
    fn thin_cartesian(
        &self,
        ctx: &mut CollisionContext,
        dense: &[Vec<f64>],
        from: &Isometry3<f64>,
        to: &Isometry3<f64>,
        tol: f64,
    ) -> Vec<Vec<f64>> {
        let mut scratch = Vec::new();
        let a = from.translation.vector;
        let b = to.translation.vector;
        let off_line = |q: &[f64]| -> f64 {
            let p = self.group.fk(q).translation.vector;
            let ab = b - a;
            let len2 = ab.norm_squared();
            let t = if len2 > 0.0 { ((p - a).dot(&ab) / len2).clamp(0.0, 1.0) } else { 0.0 };
            (p - (a + ab * t)).norm()
        };
        let mut kept = vec![dense[0].clone()];
        let mut anchor = 0;
        let mut i = 1;
        while i < dense.len() {
            // Extend the run anchor -> i + 1 while every intermediate point stays close.
            let next = i + 1;
            let ok = next < dense.len()
                && (anchor + 1..=next).all(|m| {
                    let mid: Vec<f64> = {
                        let t = (m - anchor) as f64 / (next - anchor) as f64;
                        dense[anchor].iter().zip(&dense[next]).map(|(x, y)| x + (y - x) * t).collect()
                    };
                    off_line(&mid) <= tol
                })
                && ctx.segment_valid(
                    &self.group,
                    &dense[anchor],
                    &dense[next],
                    self.config.rrt.resolution,
                    &mut scratch,
                );
            if !ok {
                kept.push(dense[i].clone());
                anchor = i;
            }
            i += 1;
        }
        kept
    }
}

/// Pose at fraction `t` of the way from `a` to `b` (linear position, slerp orientation).
pub fn interpolate(a: &Isometry3<f64>, b: &Isometry3<f64>, t: f64) -> Isometry3<f64> {
    let p: Vector3<f64> = a.translation.vector.lerp(&b.translation.vector, t);
    let r = a.rotation.slerp(&b.rotation, t);
    Isometry3::from_parts(Translation3::from(p), r)
}
