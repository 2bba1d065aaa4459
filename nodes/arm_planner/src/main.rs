//! arm_planner: IK, collision checking and time-parameterised, collision-free joint
//! trajectories for one arm of a URDF robot, the thin r2r adapter around the library.
//!
//!   arm_planner --ros-args -r __node:=left_arm_planner -p urdf_file:=urdf/optimus.urdf \
//!       -p group:=left_arm -p base_link:=torso -p tip_link:=left_tool0
//!
//! Follows `joint_states` (sensor_msgs/JointState) for the current state and
//! `planning_scene` (factory_interfaces/CollisionObject) for the scene; serves
//! `plan_arm_motion` (factory_interfaces/action/PlanArmMotion) and, for goals with
//! `execute`, publishes the trajectory on `controller_topic` (trajectory_msgs/
//! JointTrajectory). Planning runs on the blocking pool, one goal at a time in arrival
//! order, so subscriptions keep flowing while it works. Parameters: README.md.
mod ros_convert;

use arm_planner::collision::MeshMode;
use arm_planner::mesh::MeshResolver;
use arm_planner::rrt::RrtConfig;
use arm_planner::{
    ArmGroup, ModelError, MotionPlan, PlanError, Planner, PlannerConfig, PlanningScene, RobotModel,
    SceneObject,
};
use factory_node::clock::{Clock, Stamp};
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::lifecycle::State;
use factory_node::params::{check_not_empty, check_range, ParamError, Validate};
use factory_node::r2r::factory_interfaces::action::PlanArmMotion;
use factory_node::r2r::factory_interfaces::msg::CollisionObject;
use factory_node::r2r::sensor_msgs::msg::JointState;
use factory_node::r2r::trajectory_msgs::msg::JointTrajectory;
use factory_node::r2r::{
    log_info, log_warn, ActionServerCancelRequest, ActionServerGoal, ActionServerGoalRequest,
};
use factory_node::{header, run_node, NodeContext, NodeError, Publisher};
use futures::{FutureExt, StreamExt};
use serde::Deserialize;
use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    urdf_file: String,                 // URDF path; package:// and file:// allowed (required)
    group: String,                     // planning group goals must name, e.g. left_arm (required)
    base_link: String,                 // first link of the chain (required)
    tip_link: String,                  // last link of the chain, the tool frame (required)
    mesh_root: String,                 // extra root for package:// meshes; "" = AMENT_PREFIX_PATH only
    default_timeout_s: f64,            // planning budget when a goal gives 0, s
    controller_topic: String,          // where executed trajectories go
    default_position_tolerance_m: f64, // when a goal gives 0, m
    default_orientation_tolerance_rad: f64, // when a goal gives 0, rad
    ik_timeout_s: f64,                 // IK share of the budget for pose goals, s
    collision_aware_ik: bool,          // refuse IK solutions in collision and keep searching
    ik_solutions: usize,               // IK solutions compared, nearest the current state wins
    collision_padding_m: f64,          // inflation of robot and object shapes, m
    mesh_mode: String,                 // "convex_hull" | "trimesh"
    acm_samples: usize,                // random whole-robot samples for the allowed-collision matrix
    edge_resolution_rad: f64,          // joint-space step between collision checks on an edge, rad
    max_step_rad: f64,                 // longest RRT-Connect edge, rad
    shortcut_attempts: usize,          // random shortcut attempts after a path is found
    default_velocity_limit: f64,       // rad/s where the URDF gives none
    acceleration_limit: f64,           // every joint, rad/s^2 (URDF has no acceleration limits)
    trajectory_sample_period_s: f64,   // spacing of trajectory points, s
    cartesian_step_m: f64,             // Cartesian interpolation step, m
    cartesian_step_rad: f64,           // Cartesian interpolation step, rad
    cartesian_max_joint_step_rad: f64, // larger joint jumps break a Cartesian line, rad
    joint_state_timeout_s: f64,        // goals need joint_states newer than this, s (0 = any age)
    max_object_size_m: f64,            // a planning_scene object larger than this across is refused, m
}

impl Default for Params {
    fn default() -> Self {
        let core = PlannerConfig::default();
        Params {
            urdf_file: String::new(),
            group: String::new(),
            base_link: String::new(),
            tip_link: String::new(),
            mesh_root: String::new(),
            default_timeout_s: core.default_timeout_s,
            controller_topic: "joint_trajectory".into(),
            default_position_tolerance_m: core.default_position_tolerance_m,
            default_orientation_tolerance_rad: core.default_orientation_tolerance_rad,
            ik_timeout_s: core.ik_timeout_s,
            collision_aware_ik: core.collision_aware_ik,
            ik_solutions: core.ik_solutions,
            collision_padding_m: core.collision_padding_m,
            mesh_mode: "convex_hull".into(),
            acm_samples: core.acm_samples,
            edge_resolution_rad: core.rrt.resolution,
            max_step_rad: core.rrt.max_step,
            shortcut_attempts: core.rrt.shortcut_attempts,
            default_velocity_limit: core.default_velocity_limit,
            acceleration_limit: core.acceleration_limit,
            trajectory_sample_period_s: core.trajectory_sample_period_s,
            cartesian_step_m: core.cartesian_step_m,
            cartesian_step_rad: core.cartesian_step_rad,
            cartesian_max_joint_step_rad: core.cartesian_max_joint_step_rad,
            joint_state_timeout_s: 2.0,
            max_object_size_m: 10.0,
        }
    }
}

fn invalid(key: &str, value: &str, allowed: &str) -> ParamError {
    ParamError::Invalid { key: key.into(), value: value.into(), allowed: allowed.into() }
}

fn mesh_mode(name: &str) -> Result<MeshMode, ParamError> {
    match name {
        "convex_hull" => Ok(MeshMode::ConvexHull),
        "trimesh" => Ok(MeshMode::TriMesh),
        other => Err(invalid("mesh_mode", other, "must be convex_hull or trimesh")),
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("urdf_file", &self.urdf_file)?;
        check_not_empty("group", &self.group)?;
        check_not_empty("base_link", &self.base_link)?;
        check_not_empty("tip_link", &self.tip_link)?;
        check_not_empty("controller_topic", &self.controller_topic)?;
        check_range("default_timeout_s", self.default_timeout_s, 0.001, 600.0, "s")?;
        check_range("default_position_tolerance_m", self.default_position_tolerance_m, 1e-7, 0.1, "m")?;
        check_range(
            "default_orientation_tolerance_rad",
            self.default_orientation_tolerance_rad,
            1e-7,
            1.0,
            "rad",
        )?;
        check_range("ik_timeout_s", self.ik_timeout_s, 0.0001, 60.0, "s")?;
        check_range("ik_solutions", self.ik_solutions, 1, 64, "solutions")?;
        check_range("collision_padding_m", self.collision_padding_m, 0.0, 0.2, "m")?;
        mesh_mode(&self.mesh_mode)?;
        check_range("acm_samples", self.acm_samples, 0, 1_000_000, "samples")?;
        check_range("edge_resolution_rad", self.edge_resolution_rad, 0.001, 0.5, "rad")?;
        check_range("max_step_rad", self.max_step_rad, 0.01, 10.0, "rad")?;
        check_range("shortcut_attempts", self.shortcut_attempts, 0, 100_000, "attempts")?;
        check_range("default_velocity_limit", self.default_velocity_limit, 1e-3, 100.0, "rad/s")?;
        check_range("acceleration_limit", self.acceleration_limit, 1e-3, 1000.0, "rad/s^2")?;
        check_range("trajectory_sample_period_s", self.trajectory_sample_period_s, 0.001, 10.0, "s")?;
        check_range("cartesian_step_m", self.cartesian_step_m, 1e-4, 0.5, "m")?;
        check_range("cartesian_step_rad", self.cartesian_step_rad, 1e-4, 1.0, "rad")?;
        check_range("cartesian_max_joint_step_rad", self.cartesian_max_joint_step_rad, 1e-3, 3.2, "rad")?;
        check_range("joint_state_timeout_s", self.joint_state_timeout_s, 0.0, 3600.0, "s")?;
        check_range("max_object_size_m", self.max_object_size_m, 0.01, 1000.0, "m")
    }
}

impl Params {
    fn planner_config(&self) -> Result<PlannerConfig, ParamError> {
        Ok(PlannerConfig {
            default_timeout_s: self.default_timeout_s,
            default_position_tolerance_m: self.default_position_tolerance_m,
            default_orientation_tolerance_rad: self.default_orientation_tolerance_rad,
            ik_timeout_s: self.ik_timeout_s,
            collision_aware_ik: self.collision_aware_ik,
            ik_solutions: self.ik_solutions,
            collision_padding_m: self.collision_padding_m,
            mesh_mode: mesh_mode(&self.mesh_mode)?,
            acm_samples: self.acm_samples,
            rrt: RrtConfig {
                max_step: self.max_step_rad,
                resolution: self.edge_resolution_rad,
                shortcut_attempts: self.shortcut_attempts,
            },
            default_velocity_limit: self.default_velocity_limit,
            acceleration_limit: self.acceleration_limit,
            trajectory_sample_period_s: self.trajectory_sample_period_s,
            cartesian_step_m: self.cartesian_step_m,
            cartesian_step_rad: self.cartesian_step_rad,
            cartesian_max_joint_step_rad: self.cartesian_max_joint_step_rad,
            rng_seed: 1,
        })
    }
}

fn main() -> std::process::ExitCode {
    run_node("arm_planner", setup)
}

/// What comes back to the main loop from spawned tasks.
enum Event {
    Planned { planner: Box<Planner>, result: Result<MotionPlan, PlanError> },
    Cancel(ActionServerCancelRequest),
}

struct PendingGoal {
    handle: ActionServerGoal<PlanArmMotion::Action>,
    goal: PlanArmMotion::Goal,
    cancel_forwarder: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Counters {
    succeeded: u64,
    failed: u64,
    last_error: String,
    last_planning_time_s: f64,
}

struct PlannerNode {
    /// None while a plan runs on the blocking pool.
    planner: Option<Box<Planner>>,
    model: Arc<RobotModel>,
    group: String,
    group_joints: Vec<usize>,
    base_frame: String,
    state: Vec<f64>,
    seen: Vec<bool>,
    last_state: Option<Stamp>,
    joint_state_timeout_s: f64,
    max_object_size_m: f64,
    scene: PlanningScene,
    resolver: MeshResolver,
    queue: VecDeque<PendingGoal>,
    running: Option<PendingGoal>,
    controller: Publisher<JointTrajectory>,
    events: mpsc::UnboundedSender<Event>,
    clock: Clock,
    logger: String,
    diagnostics: Diagnostics,
    lifecycle: tokio::sync::watch::Receiver<State>,
    counters: Counters,
}

/// `package://`, `file://` or a plain path to an existing URDF file. Not finding it is
/// a bad parameter (exit code 2), like any other value the node cannot use.
fn resolve_urdf(uri: &str, mesh_root: Option<PathBuf>) -> Result<PathBuf, NodeError> {
    let candidates = MeshResolver::from_env(mesh_root, std::env::current_dir().ok()).resolve(uri);
    candidates.map_err(|e| {
        let allowed = match e {
            ModelError::MeshNotFound { tried, .. } => {
                format!("must name an existing URDF file (looked in: {tried})")
            }
            other => other.to_string(),
        };
        NodeError::Params(invalid("urdf_file", uri, &allowed))
    })
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let mesh_root = (!p.mesh_root.is_empty()).then(|| PathBuf::from(&p.mesh_root));
    let urdf_path = resolve_urdf(&p.urdf_file, mesh_root.clone())?;
    // A URDF the model cannot use, or a group it does not have, is a bad parameter too.
    let model = RobotModel::from_urdf_file(&urdf_path, mesh_root.as_deref()).map_err(|e| {
        NodeError::Params(invalid(
            "urdf_file",
            &p.urdf_file,
            &format!("must be a usable robot description: {e}"),
        ))
    })?;
    let model = Arc::new(model);
    let group = ArmGroup::new(&model, &p.group, &p.base_link, &p.tip_link).map_err(|e| {
        let chain = format!("{} ({} -> {})", p.group, p.base_link, p.tip_link);
        NodeError::Params(invalid("group", &chain, &format!("must be a chain of {}: {e}", p.urdf_file)))
    })?;
    let config = p.planner_config().map_err(|e| NodeError::failed(e.to_string()))?;
    let planner = Planner::new(model.clone(), group, config);
    let controller = ctx.publisher::<JointTrajectory>(&p.controller_topic)?;
    // Joint states are sensor data (REP 2003): only the latest matters.
    let mut joint_states =
        ctx.subscribe_with_qos::<JointState>("joint_states", factory_node::r2r::QosProfile::sensor_data())?;
    let mut scene_updates = ctx.subscribe::<CollisionObject>("planning_scene")?;
    let mut goals = ctx.action_server::<PlanArmMotion::Action>("plan_arm_motion")?;
    let (events, mut event_rx) = mpsc::unbounded_channel();
    let mut node = PlannerNode {
        group: p.group.clone(),
        group_joints: planner.group.joints.clone(),
        base_frame: p.base_link.clone(),
        state: model.default_positions(),
        seen: vec![false; model.joints.len()],
        last_state: None,
        joint_state_timeout_s: p.joint_state_timeout_s,
        max_object_size_m: p.max_object_size_m,
        scene: PlanningScene::default(),
        resolver: MeshResolver::from_env(mesh_root, urdf_path.parent().map(PathBuf::from)),
        queue: VecDeque::new(),
        running: None,
        controller,
        events,
        clock: ctx.clock(),
        logger: ctx.logger().to_string(),
        diagnostics: ctx.diagnostics(),
        lifecycle: ctx.lifecycle(),
        counters: Counters::default(),
        model,
        planner: Some(Box::new(planner)),
    };
    log_info!(
        &node.logger,
        "arm planner for group {} ({} joints, {} -> {}) of {} ready: plan_arm_motion; {} allowed link pairs",
        p.group,
        node.group_joints.len(),
        p.base_link,
        p.tip_link,
        node.model.name,
        node.planner.as_ref().map_or(0, |pl| pl.acm.pairs().len())
    );
    node.publish_diagnostics();
    let mut diag_tick = ctx.clock().ticker(Duration::from_secs(1));
    Ok(async move {
        loop {
            tokio::select! {
                Some(msg) = joint_states.next() => node.on_joint_state(&msg),
                Some(msg) = scene_updates.next() => node.on_collision_object(&msg),
                Some(req) = goals.next() => {
                    // The start state is the newest joint state delivered: take those
                    // queued behind the goal first (when the node falls behind, the goal
                    // can win the race and find the state seconds old).
                    while let Some(Some(msg)) = joint_states.next().now_or_never() {
                        node.on_joint_state(&msg);
                    }
                    node.on_goal(req)
                }
                Some(event) = event_rx.recv() => node.on_event(event),
                _ = diag_tick.tick() => node.publish_diagnostics(),
            }
        }
    })
}

impl PlannerNode {
    fn on_joint_state(&mut self, msg: &JointState) {
        if msg.name.len() != msg.position.len() {
            log_warn!(
                &self.logger,
                "joint_states with {} names and {} positions ignored",
                msg.name.len(),
                msg.position.len()
            );
            return;
        }
        for (name, &value) in msg.name.iter().zip(&msg.position) {
            // Other robots' or unknown joints are not ours; NaN positions are not a state.
            if let (Some(j), true) = (self.model.joint_index(name), value.is_finite()) {
                self.state[j] = value;
                self.seen[j] = true;
            }
        }
        self.last_state = Some(self.clock.now());
    }

    fn link_world_pose(&self, frame: &str) -> Option<nalgebra::Isometry3<f64>> {
        let frame =
            if frame.is_empty() { self.model.links[self.model.root_link].name.as_str() } else { frame };
        let l = self.model.link_index(frame)?;
        Some(self.model.link_poses(&self.state)[l])
    }

    fn on_collision_object(&mut self, msg: &CollisionObject) {
        let op = ros_convert::operation_name(msg.operation);
        if let Err(reason) = self.apply_collision_object(msg) {
            log_warn!(&self.logger, "planning_scene {op} of `{}` refused: {reason}", msg.id);
        }
    }

    fn apply_collision_object(&mut self, msg: &CollisionObject) -> Result<(), String> {
        if msg.id.is_empty() {
            return Err("id is empty".into());
        }
        let has_shape = !msg.dimensions.is_empty() || !msg.mesh_uri.is_empty();
        let new_object = |node: &Self| -> Result<SceneObject, String> {
            let frame = node
                .link_world_pose(&msg.header.frame_id)
                .ok_or_else(|| format!("unknown frame `{}`", msg.header.frame_id))?;
            let pose = ros_convert::pose_from_msg(&msg.pose)
                .ok_or("pose is not finite or its quaternion is not unit")?;
            let shape = ros_convert::object_shape(msg, &node.resolver, node.max_object_size_m)?;
            Ok(SceneObject {
                id: msg.id.clone(),
                shape,
                pose: frame * pose,
                attached_to: None,
                touch_links: Vec::new(),
            })
        };
        match msg.operation {
            ros_convert::OP_ADD => {
                let object = new_object(self)?;
                self.scene.add(object);
            }
            ros_convert::OP_REMOVE => {
                if !self.scene.remove(&msg.id) {
                    return Err("no such object".into());
                }
            }
            ros_convert::OP_ATTACH => {
                let link = self
                    .model
                    .link_index(&msg.attach_link)
                    .ok_or_else(|| format!("unknown attach_link `{}`", msg.attach_link))?;
                if has_shape {
                    let object = new_object(self)?;
                    self.scene.add(object);
                } else if self.scene.get(&msg.id).is_none() {
                    return Err("no such object and no shape given".into());
                }
                let link_pose = self.model.link_poses(&self.state)[link];
                let touch = self.touch_links(link);
                self.scene.attach(&msg.id, link, &link_pose, touch);
            }
            ros_convert::OP_DETACH => {
                let poses = self.model.link_poses(&self.state);
                if !self.scene.detach(&msg.id, |l| poses.get(l).copied().unwrap_or_default()) {
                    return Err("no such attached object".into());
                }
            }
            other => return Err(format!("unknown operation {other}")),
        }
        log_info!(
            &self.logger,
            "planning_scene: {} `{}` ({} objects)",
            ros_convert::operation_name(msg.operation),
            msg.id,
            self.scene.objects.len()
        );
        Ok(())
    }

    /// Links an object held by `link` may touch: the link, its parent and everything
    /// below it (the fingers of a gripper).
    fn touch_links(&self, link: usize) -> Vec<usize> {
        let mut out = vec![link];
        if let Some(j) = self.model.links[link].parent_joint {
            out.push(self.model.joints[j].parent_link);
        }
        let mut stack = vec![link];
        while let Some(l) = stack.pop() {
            for &j in &self.model.links[l].child_joints {
                let child = self.model.joints[j].child_link;
                out.push(child);
                stack.push(child);
            }
        }
        out
    }

    fn on_goal(&mut self, req: ActionServerGoalRequest<PlanArmMotion::Action>) {
        let uuid = req.uuid.to_string();
        let goal = req.goal.clone();
        let (handle, mut cancels) = match req.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                log_warn!(&self.logger, "goal {uuid} could not be accepted: {e}");
                return;
            }
        };
        let events = self.events.clone();
        let cancel_forwarder = tokio::spawn(async move {
            while let Some(request) = cancels.next().await {
                if events.send(Event::Cancel(request)).is_err() {
                    return;
                }
            }
        });
        self.queue.push_back(PendingGoal { handle, goal, cancel_forwarder });
        self.start_next();
    }

    fn finish(
        &mut self,
        mut pending: PendingGoal,
        code: u8,
        message: &str,
        trajectory: JointTrajectory,
        time_s: f64,
    ) {
        pending.cancel_forwarder.abort();
        let uuid = pending.handle.uuid;
        let result = ros_convert::result_msg(code, message, trajectory, time_s);
        let sent = if code == ros_convert::SUCCESS {
            self.counters.succeeded += 1;
            log_info!(&self.logger, "goal {uuid}: planned in {:.1} ms", time_s * 1e3);
            pending.handle.succeed(result)
        } else {
            self.counters.failed += 1;
            self.counters.last_error = message.to_string();
            log_warn!(&self.logger, "goal {uuid} failed: {message}");
            pending.handle.abort(result)
        };
        if let Err(e) = sent {
            log_warn!(&self.logger, "result of goal {uuid} not sent: {e}");
        }
    }

    fn fail(&mut self, pending: PendingGoal, error: &PlanError) {
        self.finish(pending, error.code.as_u8(), &error.to_string(), JointTrajectory::default(), 0.0);
    }

    /// Starts the oldest queued goal when the planner is free.
    fn start_next(&mut self) {
        while self.running.is_none() {
            let Some(pending) = self.queue.pop_front() else { return };
            let state = *self.lifecycle.borrow();
            if state != State::Active {
                let reason = format!("node is {} (lifecycle), not active", state.label());
                self.fail(pending, &PlanError::new(arm_planner::ErrorCode::InvalidGoal, reason));
                continue;
            }
            let request = match ros_convert::motion_request(&pending.goal, &self.group) {
                Ok(r) => r,
                Err(e) => {
                    self.fail(pending, &e);
                    continue;
                }
            };
            if let Err(reason) = self.current_state_ok() {
                self.fail(pending, &PlanError::new(arm_planner::ErrorCode::InvalidGoal, reason));
                continue;
            }
            let Some(mut planner) = self.planner.take() else {
                // Cannot happen while nothing runs; keep the goal for when it is back.
                self.queue.push_front(pending);
                return;
            };
            if let Err(e) = pending.handle.publish_feedback(ros_convert::feedback_msg("planning", 0.0)) {
                log_warn!(&self.logger, "feedback not sent: {e}");
            }
            let (state, scene, events) = (self.state.clone(), self.scene.clone(), self.events.clone());
            self.running = Some(pending);
            tokio::task::spawn_blocking(move || {
                let result = planner.plan(&request, &state, &scene);
                if events.send(Event::Planned { planner, result }).is_err() {
                    // Shutting down: nobody waits for the plan.
                }
            });
        }
    }

    fn current_state_ok(&self) -> Result<(), String> {
        let missing: Vec<&str> = self
            .group_joints
            .iter()
            .filter(|&&j| !self.seen[j])
            .map(|&j| self.model.joints[j].name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!("no joint_states yet for {missing:?}"));
        }
        if self.joint_state_timeout_s > 0.0 {
            let age =
                self.last_state.map_or(f64::INFINITY, |t| self.clock.now().saturating_sub(t).as_secs_f64());
            if age > self.joint_state_timeout_s {
                return Err(format!(
                    "joint_states are {age:.2} s old (joint_state_timeout_s {})",
                    self.joint_state_timeout_s
                ));
            }
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Planned { planner, result } => {
                self.planner = Some(planner);
                let Some(pending) = self.running.take() else {
                    log_warn!(&self.logger, "a plan finished with no goal waiting for it");
                    return;
                };
                match result {
                    Ok(plan) => self.deliver(pending, &plan),
                    Err(e) => self.fail(pending, &e),
                }
                self.start_next();
            }
            Event::Cancel(request) => {
                // Planning is bounded by its timeout and not interruptible; a goal still
                // waiting in the queue can be dropped.
                match self.queue.iter().position(|g| g.handle.uuid == request.uuid) {
                    Some(i) => {
                        request.accept();
                        if let Some(mut pending) = self.queue.remove(i) {
                            pending.cancel_forwarder.abort();
                            let result = ros_convert::result_msg(
                                arm_planner::ErrorCode::Timeout.as_u8(),
                                "cancelled before planning started",
                                JointTrajectory::default(),
                                0.0,
                            );
                            if let Err(e) = pending.handle.cancel(result) {
                                log_warn!(&self.logger, "cancel result not sent: {e}");
                            }
                        }
                    }
                    None => request.reject(),
                }
            }
        }
    }

    fn deliver(&mut self, pending: PendingGoal, plan: &MotionPlan) {
        self.counters.last_planning_time_s = plan.planning_time_s;
        let msg = ros_convert::trajectory_msg(header(&self.clock, &self.base_frame), &plan.trajectory);
        if pending.goal.execute {
            if let Err(e) = pending.handle.publish_feedback(ros_convert::feedback_msg("executing", 1.0)) {
                log_warn!(&self.logger, "feedback not sent: {e}");
            }
            match self.controller.publish(&msg) {
                Ok(true) => {}
                Ok(false) => {
                    let m = "trajectory not sent: node is not active".to_string();
                    return self.finish(
                        pending,
                        ros_convert::EXECUTION_FAILED,
                        &m,
                        msg,
                        plan.planning_time_s,
                    );
                }
                Err(e) => {
                    let m = format!("trajectory not sent: {e}");
                    return self.finish(
                        pending,
                        ros_convert::EXECUTION_FAILED,
                        &m,
                        msg,
                        plan.planning_time_s,
                    );
                }
            }
        }
        let message =
            format!("{} waypoints, {:.2} s trajectory", plan.path.len(), plan.trajectory.duration());
        self.finish(pending, ros_convert::SUCCESS, &message, msg, plan.planning_time_s);
    }

    fn publish_diagnostics(&self) {
        let missing = self.current_state_ok().err();
        let (level, message) = match &missing {
            None => (Level::Ok, "ready".to_string()),
            Some(reason) => (Level::Warn, reason.clone()),
        };
        self.diagnostics.set(
            "arm_planner",
            Status::new(level, message)
                .with("group", &self.group)
                .with("dof", self.group_joints.len())
                .with("robot", &self.model.name)
                .with("scene_objects", self.scene.objects.len())
                .with(
                    "attached_objects",
                    self.scene.objects.iter().filter(|o| o.attached_to.is_some()).count(),
                )
                .with("queued_goals", self.queue.len())
                .with("planning", self.running.is_some())
                .with("plans_succeeded", self.counters.succeeded)
                .with("plans_failed", self.counters.failed)
                .with("last_error", &self.counters.last_error)
                .with("last_planning_time_ms", format!("{:.2}", self.counters.last_planning_time_s * 1e3)),
        );
    }
}
