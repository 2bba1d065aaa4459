//! Pure-pursuit path following for a holonomic base.
//!
//! The base can translate in any direction, so the "pursuit" is direct: the
//! translational velocity points at a lookahead point that slides along the path ahead
//! of the robot's projection onto it. Heading is controlled separately: towards the
//! direction of travel (so the front-facing sensors and arm lead) and, near the end,
//! towards the goal yaw. The speed follows a braking profile towards the goal and is
//! rate-limited, so the commands are ones the base can actually follow.

use serde::{Deserialize, Serialize};

use crate::avoidance::{self, AvoidanceConfig};
use crate::error::{check, ConfigError, FollowError};
use crate::geometry::{wrap_angle, Point2, Pose2, Twist2};

/// Near the goal the speed is proportional to the remaining distance with this gain
/// (1/s), so the last centimetres converge instead of oscillating around the goal.
const FINAL_APPROACH_GAIN: f64 = 2.0;
/// A yaw error must shrink by this much (rad) to count as progress while aligning.
const MIN_YAW_PROGRESS_RAD: f64 = 0.05;
/// Below this commanded speed the direction of travel is undefined: hold the heading.
const MIN_SPEED_FOR_HEADING_MPS: f64 = 1e-3;
/// Longest control period (s) used for the acceleration limit; a late tick must not
/// license a velocity jump.
const MAX_CONTROL_DT_S: f64 = 0.25;

/// Follower parameters. Defaults sit inside the twin's robot limits
/// (1.2 m/s, 1.5 rad/s, 1 m/s²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowerConfig {
    /// Distance along the path from the robot's projection to the pursued point, m.
    pub lookahead_m: f64,
    /// Limit on the translational speed |(vx, vy)|, m/s.
    pub max_linear_mps: f64,
    /// Limit on |wz|, rad/s.
    pub max_angular_rps: f64,
    /// Limit on the change of the translational velocity, m/s².
    pub max_linear_accel_mps2: f64,
    /// Deceleration planned for stopping at the goal, m/s² (≤ the acceleration limit).
    pub goal_decel_mps2: f64,
    /// Speed floor away from the goal so the robot never crawls to a halt, m/s.
    pub min_speed_mps: f64,
    /// Proportional gain from yaw error to wz, 1/s.
    pub heading_gain: f64,
    /// Arrival: distance to the goal position, m.
    pub goal_tolerance_m: f64,
    /// Arrival: absolute yaw error, rad.
    pub yaw_tolerance_rad: f64,
    /// Within this remaining path length the robot turns to the goal yaw, m.
    pub align_distance_m: f64,
    /// Face the direction of travel while driving (else hold the goal yaw throughout).
    pub face_travel_direction: bool,
    /// "Stuck" after this long without progress towards the goal, s.
    pub stuck_timeout_s: f64,
    /// The remaining path length must shrink by this much to count as progress, m.
    pub min_progress_m: f64,
}

impl Default for FollowerConfig {
    fn default() -> Self {
        Self {
            lookahead_m: 0.6,
            max_linear_mps: 1.0,
            max_angular_rps: 1.2,
            max_linear_accel_mps2: 0.8,
            goal_decel_mps2: 0.5,
            min_speed_mps: 0.05,
            heading_gain: 2.0,
            goal_tolerance_m: 0.1,
            yaw_tolerance_rad: 0.1,
            align_distance_m: 1.0,
            face_travel_direction: true,
            stuck_timeout_s: 5.0,
            min_progress_m: 0.05,
        }
    }
}

impl FollowerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = self;
        check("lookahead_m", c.lookahead_m, c.lookahead_m > 0.0, "must be > 0")?;
        check("max_linear_mps", c.max_linear_mps, c.max_linear_mps > 0.0, "must be > 0")?;
        check("max_angular_rps", c.max_angular_rps, c.max_angular_rps > 0.0, "must be > 0")?;
        check(
            "max_linear_accel_mps2",
            c.max_linear_accel_mps2,
            c.max_linear_accel_mps2 > 0.0,
            "must be > 0",
        )?;
        check(
            "goal_decel_mps2",
            c.goal_decel_mps2,
            c.goal_decel_mps2 > 0.0 && c.goal_decel_mps2 <= c.max_linear_accel_mps2,
            "must be > 0 and <= max_linear_accel_mps2",
        )?;
        check(
            "min_speed_mps",
            c.min_speed_mps,
            c.min_speed_mps >= 0.0 && c.min_speed_mps <= c.max_linear_mps,
            "must be in [0, max_linear_mps]",
        )?;
        check("heading_gain", c.heading_gain, c.heading_gain > 0.0, "must be > 0")?;
        check("goal_tolerance_m", c.goal_tolerance_m, c.goal_tolerance_m > 0.0, "must be > 0")?;
        check("yaw_tolerance_rad", c.yaw_tolerance_rad, c.yaw_tolerance_rad > 0.0, "must be > 0")?;
        check("align_distance_m", c.align_distance_m, c.align_distance_m >= 0.0, "must be >= 0")?;
        check("stuck_timeout_s", c.stuck_timeout_s, c.stuck_timeout_s > 0.0, "must be > 0")?;
        check("min_progress_m", c.min_progress_m, c.min_progress_m > 0.0, "must be > 0")?;
        Ok(())
    }
}

/// What the follower wants after one control step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FollowStatus {
    /// Send this base-frame twist.
    Drive(Twist2),
    /// Within the position and yaw tolerances of the goal: stop.
    Arrived,
    /// No progress for `stuck_timeout_s`: stop and re-plan.
    Stuck { remaining_m: f64 },
}

/// Follows one path to its last point, ending at `goal_yaw`.
#[derive(Debug, Clone)]
pub struct Follower {
    cfg: FollowerConfig,
    points: Vec<Point2>,
    /// Arc length at each point, m (`cum[0] = 0`).
    cum: Vec<f64>,
    goal_yaw: f64,
    /// Segment of the last projection. It only moves forward, so a path that loops
    /// back near itself is followed in order and each step searches a short window.
    seg: usize,
    /// Arc length of the last projection, m.
    s_proj: f64,
    /// Remaining path length at the last step, m.
    remaining: f64,
    /// Last commanded map-frame velocity, for the acceleration limit.
    last_vel: (f64, f64),
    last_time_s: Option<f64>,
    best_remaining: f64,
    best_yaw_err: f64,
    last_progress_s: Option<f64>,
}

impl Follower {
    /// A follower for `path` (map frame, in order of travel; the last point is the
    /// goal). A single point is a valid path: the robot goes straight to it.
    /// `cfg` must have passed [`FollowerConfig::validate`].
    pub fn new(cfg: &FollowerConfig, path: &[Point2], goal_yaw: f64) -> Result<Self, FollowError> {
        if path.is_empty() {
            return Err(FollowError::EmptyPath);
        }
        if let Some(index) = path.iter().position(|p| !p.is_finite()) {
            return Err(FollowError::NonFinitePoint { index });
        }
        if !goal_yaw.is_finite() {
            return Err(FollowError::NonFiniteGoalYaw);
        }
        let mut cum = Vec::with_capacity(path.len());
        let mut s = 0.0;
        cum.push(0.0);
        for w in path.windows(2) {
            s += w[0].distance(w[1]);
            cum.push(s);
        }
        Ok(Self {
            cfg: *cfg,
            points: path.to_vec(),
            cum,
            goal_yaw: wrap_angle(goal_yaw),
            seg: 0,
            s_proj: 0.0,
            remaining: s,
            last_vel: (0.0, 0.0),
            last_time_s: None,
            best_remaining: f64::INFINITY,
            best_yaw_err: f64::INFINITY,
            last_progress_s: None,
        })
    }

    /// Total path length, m.
    pub fn length_m(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    /// Remaining distance at the last step (along the path plus the cross-track offset), m.
    pub fn remaining_m(&self) -> f64 {
        self.remaining
    }

    /// Fraction of the path covered at the last step, 0..1.
    pub fn progress(&self) -> f64 {
        let len = self.length_m();
        if len <= 0.0 {
            return if self.remaining <= self.cfg.goal_tolerance_m { 1.0 } else { 0.0 };
        }
        (1.0 - self.remaining / len).clamp(0.0, 1.0)
    }

    /// The goal: the last path point with the goal yaw.
    pub fn goal(&self) -> Pose2 {
        let p = self.points[self.points.len() - 1];
        Pose2::new(p.x, p.y, self.goal_yaw)
    }

    /// One control step at time `now_s` (seconds, any monotonic clock) from the
    /// measured `pose` (map frame).
    pub fn step(&mut self, pose: Pose2, now_s: f64) -> Result<FollowStatus, FollowError> {
        self.step_avoiding(pose, now_s, None)
    }

    /// As [`Follower::step`], with the velocity kept clear of `obstacles` (laser points,
    /// map frame) by [`avoidance::avoid`] before the acceleration limit.
    pub fn step_avoiding(
        &mut self,
        pose: Pose2,
        now_s: f64,
        obstacles: Option<(&AvoidanceConfig, &[Point2])>,
    ) -> Result<FollowStatus, FollowError> {
        if !pose.is_finite() {
            return Err(FollowError::NonFinitePose);
        }
        if !now_s.is_finite() {
            return Err(FollowError::NonFiniteTime(now_s));
        }
        let cfg = self.cfg;
        let pos = pose.position();
        let goal = self.goal();
        let len = self.length_m();

        let cross = self.project(pos);
        let along = len - self.s_proj;
        self.remaining = along + cross;
        let goal_dist = pos.distance(goal.position());
        let yaw_err = wrap_angle(goal.yaw - pose.yaw);

        // Arrival needs the projection near the end too, so a path that passes through
        // its own goal earlier is not cut short.
        if goal_dist <= cfg.goal_tolerance_m
            && yaw_err.abs() <= cfg.yaw_tolerance_rad
            && along <= cfg.lookahead_m + cfg.goal_tolerance_m
        {
            self.last_vel = (0.0, 0.0);
            self.last_time_s = Some(now_s);
            return Ok(FollowStatus::Arrived);
        }

        // Progress: the remaining length shrinks, or, once in position, the yaw error.
        let last_progress_s = *self.last_progress_s.get_or_insert(now_s);
        if self.remaining < self.best_remaining - cfg.min_progress_m {
            self.best_remaining = self.remaining;
            self.last_progress_s = Some(now_s);
        } else if goal_dist <= cfg.goal_tolerance_m
            && yaw_err.abs() < self.best_yaw_err - MIN_YAW_PROGRESS_RAD
        {
            self.best_yaw_err = yaw_err.abs();
            self.last_progress_s = Some(now_s);
        } else if now_s - last_progress_s > cfg.stuck_timeout_s {
            self.last_vel = (0.0, 0.0);
            return Ok(FollowStatus::Stuck { remaining_m: self.remaining });
        }

        // Pursued point: `lookahead_m` ahead of the projection, clamped to the goal.
        let target = self.point_at(self.s_proj + cfg.lookahead_m);
        let (dx, dy) = (target.x - pos.x, target.y - pos.y);
        let dist = dx.hypot(dy);

        // Braking profile v = sqrt(2·a·d) to stop at the goal, a floor far from it, and a
        // proportional tail so the final approach converges.
        let mut speed = (2.0 * cfg.goal_decel_mps2 * self.remaining).sqrt().min(cfg.max_linear_mps);
        speed = speed.max(cfg.min_speed_mps).min(FINAL_APPROACH_GAIN * goal_dist);

        let heading_target = if !cfg.face_travel_direction || self.remaining <= cfg.align_distance_m {
            Some(goal.yaw)
        } else if speed > MIN_SPEED_FOR_HEADING_MPS && dist > 1e-9 {
            Some(dy.atan2(dx))
        } else {
            None
        };
        let wz = heading_target.map_or(0.0, |h| {
            (cfg.heading_gain * wrap_angle(h - pose.yaw)).clamp(-cfg.max_angular_rps, cfg.max_angular_rps)
        });
        // The base tracks its velocity in its own frame, so turning at wz while moving at v
        // asks for a base-frame acceleration of wz·v. Keep that within the acceleration
        // limit, else the base lags the command and swings wide in turns.
        if wz.abs() > 1e-9 {
            speed = speed.min(cfg.max_linear_accel_mps2 / wz.abs());
        }

        let (mut vx, mut vy) = if dist > 1e-9 { (dx / dist * speed, dy / dist * speed) } else { (0.0, 0.0) };
        if let Some((avoid_cfg, points)) = obstacles {
            (vx, vy) = avoidance::avoid(avoid_cfg, pos, (vx, vy), points);
        }

        // Acceleration limit on the map-frame velocity vector.
        let dt = self.last_time_s.map_or(MAX_CONTROL_DT_S, |t| (now_s - t).clamp(0.0, MAX_CONTROL_DT_S));
        let (ddx, ddy) = (vx - self.last_vel.0, vy - self.last_vel.1);
        let dv = ddx.hypot(ddy);
        let max_dv = cfg.max_linear_accel_mps2 * dt;
        if dv > max_dv {
            vx = self.last_vel.0 + ddx * (max_dv / dv);
            vy = self.last_vel.1 + ddy * (max_dv / dv);
        }
        self.last_vel = (vx, vy);
        self.last_time_s = Some(now_s);

        // Map frame -> base frame: rotate by -yaw.
        let (s, c) = pose.yaw.sin_cos();
        Ok(FollowStatus::Drive(Twist2::new(c * vx + s * vy, -s * vx + c * vy, wz)))
    }

    /// Projects `pos` onto the path, searching forward from the last projected segment
    /// over a window a little longer than the lookahead. Updates `seg` and `s_proj` and
    /// returns the cross-track distance.
    fn project(&mut self, pos: Point2) -> f64 {
        let n = self.points.len();
        if n == 1 {
            self.s_proj = 0.0;
            return pos.distance(self.points[0]);
        }
        // The window is measured from the projection, not the segment start, so a long
        // segment does not hide the next one.
        let window_end = self.s_proj + 2.0 * self.cfg.lookahead_m + 1.0;
        let mut best = (f64::INFINITY, self.seg, self.s_proj);
        let mut i = self.seg;
        while i + 1 < n && self.cum[i] <= window_end {
            let (a, b) = (self.points[i], self.points[i + 1]);
            let (ex, ey) = (b.x - a.x, b.y - a.y);
            let l2 = ex * ex + ey * ey;
            let t =
                if l2 > 0.0 { (((pos.x - a.x) * ex + (pos.y - a.y) * ey) / l2).clamp(0.0, 1.0) } else { 0.0 };
            let q = Point2::new(a.x + t * ex, a.y + t * ey);
            let d = pos.distance(q);
            if d < best.0 {
                best = (d, i, self.cum[i] + t * (self.cum[i + 1] - self.cum[i]));
            }
            i += 1;
        }
        // Never move the projection backwards: progress along the path is monotone.
        if best.2 >= self.s_proj {
            self.seg = best.1;
            self.s_proj = best.2;
        }
        best.0
    }

    /// The path point at arc length `s` (clamped to the path), searching from `seg`.
    fn point_at(&self, s: f64) -> Point2 {
        let n = self.points.len();
        let mut i = self.seg;
        while i + 1 < n && self.cum[i + 1] < s {
            i += 1;
        }
        if i + 1 >= n {
            return self.points[n - 1];
        }
        let (a, b) = (self.points[i], self.points[i + 1]);
        let l = self.cum[i + 1] - self.cum[i];
        let t = if l > 0.0 { ((s - self.cum[i]) / l).clamp(0.0, 1.0) } else { 1.0 };
        Point2::new(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_paths_and_poses() {
        let cfg = FollowerConfig::default();
        assert_eq!(Follower::new(&cfg, &[], 0.0).err(), Some(FollowError::EmptyPath));
        let bad = [Point2::new(0.0, 0.0), Point2::new(f64::NAN, 1.0)];
        assert_eq!(Follower::new(&cfg, &bad, 0.0).err(), Some(FollowError::NonFinitePoint { index: 1 }));
        assert_eq!(
            Follower::new(&cfg, &[Point2::new(1.0, 1.0)], f64::INFINITY).err(),
            Some(FollowError::NonFiniteGoalYaw)
        );
        let mut f = Follower::new(&cfg, &[Point2::new(1.0, 1.0)], 0.0).unwrap();
        assert_eq!(f.step(Pose2::new(f64::NAN, 0.0, 0.0), 0.0), Err(FollowError::NonFinitePose));
    }

    #[test]
    fn config_validation_names_the_field() {
        let cfg = FollowerConfig { goal_decel_mps2: 5.0, ..FollowerConfig::default() };
        assert_eq!(cfg.validate().map_err(|e| e.field), Err("goal_decel_mps2"));
        let cfg = FollowerConfig { lookahead_m: f64::NAN, ..FollowerConfig::default() };
        assert_eq!(cfg.validate().map_err(|e| e.field), Err("lookahead_m"));
        assert!(FollowerConfig::default().validate().is_ok());
    }

    #[test]
    fn base_frame_twist_points_at_the_path() {
        // Robot at the origin facing +y (yaw π/2); the path runs along +x, so in the base
        // frame the robot must move to its right (-y).
        let cfg = FollowerConfig::default();
        let mut f = Follower::new(&cfg, &[Point2::new(0.0, 0.0), Point2::new(5.0, 0.0)], 0.0).unwrap();
        match f.step(Pose2::new(0.0, 0.0, std::f64::consts::FRAC_PI_2), 0.0) {
            Ok(FollowStatus::Drive(t)) => {
                assert!(t.vy < 0.0 && t.vx.abs() < 1e-9, "{t:?}");
                assert!(t.wz < 0.0, "turns towards the direction of travel: {t:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
