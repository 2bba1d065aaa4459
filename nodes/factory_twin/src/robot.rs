//! One humanoid robot: holonomic mobile base, odometry, battery, arm, laser scanner.
//! Collision handling needs the other robots, so the position update lives in
//! `World`; this file holds the per-robot state and the velocity limiter.

use crate::arm::{Arm, JointState};
use crate::battery::Battery;
use crate::config::{LaserConfig, RobotParams};
use crate::error::CommandError;
use crate::geometry::Pose2;
use crate::maintenance::MaintenanceTask;

/// Base velocity in the robot's own frame (REP-103: x forward, y left).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Twist2 {
    /// m/s
    pub vx: f64,
    /// m/s (holonomic base: sideways steps)
    pub vy: f64,
    /// rad/s, CCW
    pub wz: f64,
}

impl Twist2 {
    pub fn new(vx: f64, vy: f64, wz: f64) -> Self {
        Self { vx, vy, wz }
    }

    /// Rejects NaN and infinities with the offending field named.
    pub fn check_finite(&self) -> Result<(), CommandError> {
        for (field, value) in [("linear.x", self.vx), ("linear.y", self.vy), ("angular.z", self.wz)] {
            if !value.is_finite() {
                return Err(CommandError::NonFinite { field: field.to_string(), value });
            }
        }
        Ok(())
    }

    /// |(vx, vy)|, m/s
    pub fn linear_speed(&self) -> f64 {
        self.vx.hypot(self.vy)
    }
}

/// nav_msgs/Odometry content: pose in the floor ("odom" = "map") frame, twist in the
/// base frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Odometry {
    /// sim time, seconds
    pub stamp_s: f64,
    pub pose: Pose2,
    pub twist: Twist2,
}

/// Fixed geometry of a robot's laser (sensor_msgs/LaserScan header fields).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaserSpec {
    /// rad
    pub angle_min: f64,
    /// rad
    pub angle_max: f64,
    /// rad
    pub angle_increment: f64,
    /// metres
    pub range_min: f64,
    /// metres
    pub range_max: f64,
    pub n_rays: usize,
    /// seconds between scans (0 when disabled)
    pub scan_time_s: f64,
    /// metres
    pub noise_std_m: f64,
}

impl LaserSpec {
    pub fn from_config(l: &LaserConfig) -> Self {
        let n = l.n_rays.max(1) as usize;
        let inc = if n > 1 { (l.angle_max_rad - l.angle_min_rad) / (n - 1) as f64 } else { 0.0 };
        Self {
            angle_min: l.angle_min_rad,
            angle_max: l.angle_max_rad,
            angle_increment: inc,
            range_min: l.range_min_m,
            range_max: l.range_max_m,
            n_rays: n,
            scan_time_s: if l.rate_hz > 0.0 { 1.0 / l.rate_hz } else { 0.0 },
            noise_std_m: l.noise_std_m,
        }
    }
}

/// A finished scan, ready for sensor_msgs/LaserScan.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// sim time of the scan, seconds
    pub stamp_s: f64,
    /// metres, `+inf` for no return within range_max
    pub ranges: Vec<f32>,
}

/// What the robot is doing, for robot_status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotActivity {
    Idle,
    Moving,
    Manipulating,
    /// working on a machine (maintenance)
    Working,
    Charging,
    /// battery flat: the robot cannot move or work
    BatteryEmpty,
}

#[derive(Debug, Clone)]
pub struct Robot {
    pub(crate) id: String,
    pub(crate) params: RobotParams,
    pub(crate) pose: Pose2,
    /// current base velocity, robot frame
    pub(crate) velocity: Twist2,
    pub(crate) cmd: Twist2,
    /// sim time of the last accepted cmd_vel, seconds
    pub(crate) cmd_stamp_s: Option<f64>,
    pub(crate) battery: Battery,
    pub(crate) arm: Arm,
    pub(crate) laser: LaserSpec,
    pub(crate) next_scan_s: f64,
    pub(crate) last_scan: Option<Scan>,
    /// The floor's part of the last scan and the pose it was taken from: the floor is
    /// static, so a robot that has not moved sees the same walls (ray casting was 40 %
    /// of the twin's time, and most robots stand still most of the shift).
    pub(crate) walls_seen: Option<(Pose2, Vec<f64>)>,
    pub(crate) task: Option<MaintenanceTask>,
    pub(crate) charging: bool,
    /// true while the robot is at its machine and the work progresses
    pub(crate) working: bool,
    /// electrical draw in the last sub-step, watts
    pub(crate) power_w: f64,
    /// distance driven since start, metres
    pub(crate) odometer_m: f64,
    pub(crate) collisions_avoided: u64,
}

impl Robot {
    pub(crate) fn new(id: String, params: RobotParams, pose: Pose2) -> Self {
        let battery = Battery::new(
            params.battery_wh,
            params.initial_soc,
            params.battery_voltage_empty_v,
            params.battery_voltage_full_v,
        );
        let arm = Arm::new(params.arm_joints.clone());
        let laser = LaserSpec::from_config(&params.laser);
        Self {
            id,
            params,
            pose,
            velocity: Twist2::default(),
            cmd: Twist2::default(),
            cmd_stamp_s: None,
            battery,
            arm,
            laser,
            next_scan_s: 0.0,
            last_scan: None,
            walls_seen: None,
            task: None,
            charging: false,
            working: false,
            power_w: 0.0,
            odometer_m: 0.0,
            collisions_avoided: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    /// Ground-truth pose on the floor.
    pub fn pose(&self) -> Pose2 {
        self.pose
    }
    /// Base velocity in the robot frame.
    pub fn velocity(&self) -> Twist2 {
        self.velocity
    }
    pub fn odometry(&self, stamp_s: f64) -> Odometry {
        Odometry { stamp_s, pose: self.pose, twist: self.velocity }
    }
    /// Footprint radius, metres.
    pub fn radius_m(&self) -> f64 {
        self.params.radius_m
    }
    pub fn params(&self) -> &RobotParams {
        &self.params
    }
    pub fn capabilities(&self) -> &[String] {
        &self.params.capabilities
    }
    pub fn battery(&self) -> &Battery {
        &self.battery
    }
    /// Docked at a charger: the charger powers the robot and charges the battery.
    pub fn is_charging(&self) -> bool {
        self.charging
    }
    pub fn joint_state(&self) -> JointState {
        self.arm.joint_state()
    }
    pub fn laser(&self) -> &LaserSpec {
        &self.laser
    }
    /// The most recent scan, if the scanner has fired.
    pub fn last_scan(&self) -> Option<&Scan> {
        self.last_scan.as_ref()
    }
    /// The maintenance task in progress, if any.
    pub fn task(&self) -> Option<&MaintenanceTask> {
        self.task.as_ref()
    }
    /// Electrical draw during the last sub-step, watts.
    pub fn power_w(&self) -> f64 {
        self.power_w
    }
    pub fn odometer_m(&self) -> f64 {
        self.odometer_m
    }
    /// Times a move was cut short at contact with a wall or robot.
    pub fn contacts(&self) -> u64 {
        self.collisions_avoided
    }

    /// Base and arms still, and not working on a machine: idle, charging, or flat. Its
    /// pose and joint angles stay as they are until it is commanded.
    pub fn is_at_rest(&self) -> bool {
        matches!(self.activity(), RobotActivity::Idle | RobotActivity::Charging | RobotActivity::BatteryEmpty)
    }

    pub fn activity(&self) -> RobotActivity {
        if self.battery.is_empty() {
            RobotActivity::BatteryEmpty
        } else if self.working {
            RobotActivity::Working
        } else if self.charging {
            RobotActivity::Charging
        } else if self.velocity.linear_speed() > 1e-3 || self.velocity.wz.abs() > 1e-3 {
            RobotActivity::Moving
        } else if self.arm.is_moving() {
            RobotActivity::Manipulating
        } else {
            RobotActivity::Idle
        }
    }

    /// The velocity for the next `dt_s`: the command (or zero once it is stale or the
    /// battery is flat) clipped to the speed limits, then reached no faster than the
    /// acceleration limits allow.
    pub(crate) fn next_velocity(&self, now_s: f64, dt_s: f64) -> Twist2 {
        let p = &self.params;
        let fresh = self.cmd_stamp_s.is_some_and(|t| now_s - t <= p.cmd_timeout_s);
        let mut target = if fresh && !self.battery.is_empty() { self.cmd } else { Twist2::default() };
        let speed = target.linear_speed();
        if speed > p.max_linear_mps {
            let s = p.max_linear_mps / speed;
            target.vx *= s;
            target.vy *= s;
        }
        target.wz = target.wz.clamp(-p.max_angular_rps, p.max_angular_rps);

        let (dvx, dvy) = (target.vx - self.velocity.vx, target.vy - self.velocity.vy);
        let dv = dvx.hypot(dvy);
        let max_dv = p.max_linear_accel_mps2 * dt_s;
        let scale = if dv > max_dv { max_dv / dv } else { 1.0 };
        let max_dw = p.max_angular_accel_rps2 * dt_s;
        Twist2 {
            vx: self.velocity.vx + dvx * scale,
            vy: self.velocity.vy + dvy * scale,
            wz: self.velocity.wz + (target.wz - self.velocity.wz).clamp(-max_dw, max_dw),
        }
    }

    /// Electrical draw for the current motion and activity, watts.
    pub(crate) fn demand_w(&self) -> f64 {
        let p = &self.params;
        let mut w = p.idle_w
            + p.motion_w_per_mps * self.velocity.linear_speed()
            + p.turn_w_per_rps * self.velocity.wz.abs();
        if self.working || self.arm.is_moving() {
            w += p.work_w;
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robot() -> Robot {
        Robot::new("r".into(), RobotParams::default(), Pose2::new(1.0, 1.0, 0.0))
    }

    #[test]
    fn limits_speed_and_acceleration() {
        let mut r = robot();
        r.cmd = Twist2::new(10.0, 10.0, 10.0);
        r.cmd_stamp_s = Some(0.0);
        let dt = 0.01;
        let mut prev = r.velocity;
        for k in 0..500 {
            let v = r.next_velocity(k as f64 * dt * 0.0, dt);
            assert!(v.linear_speed() <= r.params.max_linear_mps + 1e-9);
            assert!(v.wz.abs() <= r.params.max_angular_rps + 1e-9);
            let dv = (v.vx - prev.vx).hypot(v.vy - prev.vy);
            assert!(dv <= r.params.max_linear_accel_mps2 * dt + 1e-9);
            r.velocity = v;
            prev = v;
        }
        assert!((r.velocity.linear_speed() - r.params.max_linear_mps).abs() < 1e-9);
    }

    #[test]
    fn stale_command_brakes() {
        let mut r = robot();
        r.velocity = Twist2::new(1.0, 0.0, 0.0);
        r.cmd = Twist2::new(1.0, 0.0, 0.0);
        r.cmd_stamp_s = Some(0.0);
        let v = r.next_velocity(10.0, 0.1);
        assert!(v.vx < 1.0);
    }

    #[test]
    fn nan_twist_is_rejected() {
        assert!(Twist2::new(f64::NAN, 0.0, 0.0).check_finite().is_err());
        assert!(Twist2::new(0.0, 0.0, f64::NEG_INFINITY).check_finite().is_err());
        assert!(Twist2::new(0.1, -0.2, 0.3).check_finite().is_ok());
    }
}
