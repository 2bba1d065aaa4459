//! Local obstacle avoidance: keeps the commanded velocity clear of what the robot's own
//! laser sees.
//!
//! The path comes from the shared map, which knows the walls and machines but sees other
//! robots only as they were when last scanned. Two robots meeting in an aisle must still
//! pass. Before the velocity leaves the follower, the disc of the robot (radius plus a
//! clearance) is swept along it: if the sweep hits a laser point within braking
//! distance, nearby headings are tried, the smallest deflection first and, at equal
//! angle, to the right first. Two robots meeting head-on both turn right and pass each
//! other left side to left side, as people in a corridor do. With no heading that
//! makes progress the robot stops; the follower's stuck timer then asks for a new path.

use serde::{Deserialize, Serialize};

use crate::error::{check, ConfigError};
use crate::geometry::Point2;

/// Avoidance parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AvoidanceConfig {
    /// Off: the follower's velocity is sent as it is.
    pub enabled: bool,
    /// Radius of the robot's footprint, m.
    pub robot_radius_m: f64,
    /// Gap kept between the footprint and any laser point, m.
    pub clearance_m: f64,
    /// Deceleration assumed when checking that the robot can stop before a point, m/s².
    pub braking_decel_mps2: f64,
    /// Reaction time added to the braking distance, s: the robot turns away from what
    /// it would reach within this time, not only from what it could barely stop for.
    pub time_headway_s: f64,
    /// Largest deflection from the follower's heading, degrees.
    pub max_deflection_deg: f64,
    /// Spacing of the tried headings, degrees.
    pub deflection_step_deg: f64,
    /// Laser points farther than this from the robot are ignored, m.
    pub range_m: f64,
}

impl Default for AvoidanceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            robot_radius_m: 0.35,
            // Footprint + clearance must stay below the planner's footprint margin (the
            // mapper's 0.4 m): a path that passes a corner at that distance must not
            // look blocked here.
            clearance_m: 0.03,
            braking_decel_mps2: 0.8,
            time_headway_s: 1.0,
            max_deflection_deg: 75.0,
            deflection_step_deg: 15.0,
            range_m: 3.0,
        }
    }
}

impl AvoidanceConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let c = self;
        check("avoidance.robot_radius_m", c.robot_radius_m, c.robot_radius_m > 0.0, "must be > 0")?;
        check("avoidance.clearance_m", c.clearance_m, c.clearance_m >= 0.0, "must be >= 0")?;
        check(
            "avoidance.braking_decel_mps2",
            c.braking_decel_mps2,
            c.braking_decel_mps2 > 0.0,
            "must be > 0",
        )?;
        check("avoidance.time_headway_s", c.time_headway_s, c.time_headway_s >= 0.0, "must be >= 0")?;
        check(
            "avoidance.max_deflection_deg",
            c.max_deflection_deg,
            (0.0..=90.0).contains(&c.max_deflection_deg),
            "must be in [0, 90]",
        )?;
        check(
            "avoidance.deflection_step_deg",
            c.deflection_step_deg,
            c.deflection_step_deg > 0.0,
            "must be > 0",
        )?;
        check("avoidance.range_m", c.range_m, c.range_m > 0.0, "must be > 0")?;
        Ok(())
    }
}

/// Free travel (m) along the unit direction `dir` from `pos` before the robot's disc
/// of radius `reach` touches one of `points`; `f64::INFINITY` when none is in the way.
fn free_distance(pos: Point2, dir: (f64, f64), reach: f64, points: &[Point2]) -> f64 {
    let mut free = f64::INFINITY;
    for q in points {
        let (rx, ry) = (q.x - pos.x, q.y - pos.y);
        let along = rx * dir.0 + ry * dir.1;
        let lateral = (rx * dir.1 - ry * dir.0).abs();
        if lateral >= reach {
            continue;
        }
        // Where on the line the disc first touches the point; a point already inside
        // the disc and ahead blocks at once, one behind does not block moving away.
        let touch = along - (reach * reach - lateral * lateral).sqrt();
        if along > 0.0 {
            free = free.min(touch.max(0.0));
        }
    }
    free
}

/// Highest speed v (m/s) whose reaction plus braking distance, v·t + v²/(2a), fits in
/// `free` metres.
fn safe_speed(cfg: &AvoidanceConfig, free: f64) -> f64 {
    if free.is_infinite() {
        return f64::INFINITY;
    }
    let (a, t) = (cfg.braking_decel_mps2, cfg.time_headway_s);
    a * (-t + (t * t + 2.0 * free.max(0.0) / a).sqrt())
}

/// The velocity (map frame, m/s) to send instead of `desired` so the robot at `pos`
/// stays clear of `obstacles` (laser points, map frame).
pub fn avoid(cfg: &AvoidanceConfig, pos: Point2, desired: (f64, f64), obstacles: &[Point2]) -> (f64, f64) {
    let speed = desired.0.hypot(desired.1);
    if !cfg.enabled || speed < 1e-6 {
        return desired;
    }
    let near: Vec<Point2> = obstacles.iter().copied().filter(|q| q.distance(pos) <= cfg.range_m).collect();
    if near.is_empty() {
        return desired;
    }
    let reach = cfg.robot_radius_m + cfg.clearance_m;
    let safe_speed = |free: f64| safe_speed(cfg, free);
    let heading = desired.1.atan2(desired.0);
    let straight = (heading.cos(), heading.sin());
    if safe_speed(free_distance(pos, straight, reach, &near)) >= speed {
        return desired;
    }
    // Candidates in order of preference: 0, -step (right), +step, -2·step, ...
    let steps = (cfg.max_deflection_deg / cfg.deflection_step_deg).floor() as i32;
    let mut best: Option<(f64, (f64, f64))> = None;
    for k in 0..=steps {
        for sign in [-1.0, 1.0] {
            if k == 0 && sign > 0.0 {
                continue;
            }
            let angle = sign * f64::from(k) * cfg.deflection_step_deg.to_radians();
            let dir = ((heading + angle).cos(), (heading + angle).sin());
            let v = speed.min(safe_speed(free_distance(pos, dir, reach, &near)));
            // Progress towards where the follower wanted to go; strictly better only, so
            // among equals the preferred (smaller, right-hand) deflection stays.
            let progress = v * angle.cos();
            let better = match best {
                None => true,
                Some((p, _)) => progress > p + 1e-9,
            };
            if progress > 1e-3 && better {
                best = Some((progress, (dir.0 * v, dir.1 * v)));
            }
        }
    }
    best.map_or((0.0, 0.0), |(_, vel)| vel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall_of_points(x: f64, y_from: f64, y_to: f64) -> Vec<Point2> {
        let n = ((y_to - y_from) / 0.05).round() as usize;
        (0..=n).map(|i| Point2::new(x, y_from + i as f64 * 0.05)).collect()
    }

    /// A robot seen by the laser: points on its near half-circle.
    fn robot_at(c: Point2, radius: f64, facing_from: Point2) -> Vec<Point2> {
        let toward = (facing_from.y - c.y).atan2(facing_from.x - c.x);
        (-9..=9)
            .map(|i| {
                let a = toward + f64::from(i) * 10f64.to_radians();
                Point2::new(c.x + radius * a.cos(), c.y + radius * a.sin())
            })
            .collect()
    }

    #[test]
    fn a_clear_way_leaves_the_velocity_alone() {
        let cfg = AvoidanceConfig::default();
        let pos = Point2::new(0.0, 0.0);
        // A point well to the side and one behind.
        let pts = [Point2::new(1.0, 2.0), Point2::new(-1.0, 0.0)];
        assert_eq!(avoid(&cfg, pos, (1.0, 0.0), &pts), (1.0, 0.0));
        assert_eq!(avoid(&cfg, pos, (1.0, 0.0), &[]), (1.0, 0.0));
        let off = AvoidanceConfig { enabled: false, ..cfg };
        assert_eq!(avoid(&off, pos, (1.0, 0.0), &[Point2::new(0.6, 0.0)]), (1.0, 0.0));
    }

    #[test]
    fn a_robot_ahead_is_passed_on_the_right() {
        let cfg = AvoidanceConfig::default();
        let pos = Point2::new(0.0, 0.0);
        let other = robot_at(Point2::new(1.5, 0.0), 0.35, pos);
        let (vx, vy) = avoid(&cfg, pos, (1.0, 0.0), &other);
        assert!(vx > 0.0, "still makes progress: ({vx}, {vy})");
        assert!(vy < 0.0, "deflects to the right (negative y when heading +x): ({vx}, {vy})");
        // The chosen heading clears the other robot by the configured reach.
        let speed = vx.hypot(vy);
        let dir = (vx / speed, vy / speed);
        let free = free_distance(pos, dir, cfg.robot_radius_m + cfg.clearance_m, &other);
        assert!(safe_speed(&cfg, free) >= speed - 1e-9);
    }

    #[test]
    fn head_on_robots_turn_to_opposite_sides_of_the_aisle() {
        // Both see each other straight ahead; each turns to its own right, so in the
        // world frame they move apart sideways and pass.
        let cfg = AvoidanceConfig::default();
        let (a, b) = (Point2::new(0.0, 0.0), Point2::new(1.6, 0.0));
        let (avx, avy) = avoid(&cfg, a, (0.8, 0.0), &robot_at(b, 0.35, a));
        let (bvx, bvy) = avoid(&cfg, b, (-0.8, 0.0), &robot_at(a, 0.35, b));
        assert!(avx > 0.0 && bvx < 0.0, "both keep going: a ({avx}, {avy}), b ({bvx}, {bvy})");
        assert!(avy < 0.0 && bvy > 0.0, "a goes to -y, b to +y: a ({avx}, {avy}), b ({bvx}, {bvy})");
    }

    #[test]
    fn a_wall_across_the_way_stops_the_robot() {
        let cfg = AvoidanceConfig { clearance_m: 0.15, ..AvoidanceConfig::default() };
        let pos = Point2::new(0.0, 0.0);
        // A wall 0.45 m ahead spanning ±3 m, inside the 0.5 m reach: every heading
        // within 75° of it brings the footprint closer still.
        let wall = wall_of_points(0.45, -3.0, 3.0);
        assert_eq!(avoid(&cfg, pos, (1.0, 0.0), &wall), (0.0, 0.0));
        // Moving away from it is not restricted.
        assert_eq!(avoid(&cfg, pos, (-1.0, 0.0), &wall), (-1.0, 0.0));
    }

    #[test]
    fn near_an_obstacle_the_speed_drops_to_what_can_still_stop() {
        let cfg =
            AvoidanceConfig { max_deflection_deg: 0.0, clearance_m: 0.15, ..AvoidanceConfig::default() };
        let pos = Point2::new(0.0, 0.0);
        let wall = wall_of_points(1.0, -3.0, 3.0);
        let (vx, vy) = avoid(&cfg, pos, (1.0, 0.0), &wall);
        let free = 1.0 - cfg.robot_radius_m - cfg.clearance_m;
        // v·t + v²/(2a) = free, solved by hand for a = 0.8, t = 1: v² + 1.6 v - 0.8 = 0.
        let expect = (-1.6 + (1.6f64 * 1.6 + 4.0 * 0.8).sqrt()) / 2.0;
        assert!((vx - expect).abs() < 1e-9 && vy.abs() < 1e-12, "({vx}, {vy}) vs {expect}");
        assert!(((vx * 1.0 + vx * vx / 1.6) - free).abs() < 1e-9);
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let bad = AvoidanceConfig { braking_decel_mps2: 0.0, ..AvoidanceConfig::default() };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("avoidance.braking_decel_mps2"), "{err}");
        let bad = AvoidanceConfig { max_deflection_deg: 120.0, ..AvoidanceConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("avoidance.max_deflection_deg"));
    }
}
