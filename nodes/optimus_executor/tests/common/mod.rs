//! A simulated holonomic base for the tests: the twin's model in miniature (command
//! clipped to the speed limits, reached within the acceleration limits, integrated in
//! the map frame), with an optional wall that blocks motion.

#![allow(dead_code)]

use optimus_executor::{Point2, Pose2, Twist2};

pub const DT_S: f64 = 0.05;

#[derive(Debug, Clone)]
pub struct SimRobot {
    pub pose: Pose2,
    /// Base-frame velocity.
    pub vel: Twist2,
    pub max_linear_mps: f64,
    pub max_angular_rps: f64,
    pub max_linear_accel_mps2: f64,
    pub max_angular_accel_rps2: f64,
    /// The robot cannot pass x > block_x (a wall across its way).
    pub block_x: Option<f64>,
}

impl SimRobot {
    /// The twin's default robot limits.
    pub fn new(pose: Pose2) -> Self {
        Self {
            pose,
            vel: Twist2::ZERO,
            max_linear_mps: 1.2,
            max_angular_rps: 1.5,
            max_linear_accel_mps2: 1.0,
            max_angular_accel_rps2: 2.0,
            block_x: None,
        }
    }

    pub fn step(&mut self, cmd: Twist2, dt: f64) {
        let mut c = cmd;
        let speed = c.linear_speed();
        if speed > self.max_linear_mps {
            c.vx *= self.max_linear_mps / speed;
            c.vy *= self.max_linear_mps / speed;
        }
        c.wz = c.wz.clamp(-self.max_angular_rps, self.max_angular_rps);
        let (dvx, dvy) = (c.vx - self.vel.vx, c.vy - self.vel.vy);
        let dv = dvx.hypot(dvy);
        let max_dv = self.max_linear_accel_mps2 * dt;
        let k = if dv > max_dv { max_dv / dv } else { 1.0 };
        self.vel.vx += dvx * k;
        self.vel.vy += dvy * k;
        let max_dw = self.max_angular_accel_rps2 * dt;
        self.vel.wz += (c.wz - self.vel.wz).clamp(-max_dw, max_dw);
        let (s, co) = self.pose.yaw.sin_cos();
        let mut x = self.pose.x + (co * self.vel.vx - s * self.vel.vy) * dt;
        let y = self.pose.y + (s * self.vel.vx + co * self.vel.vy) * dt;
        if let Some(bx) = self.block_x {
            if x > bx {
                x = bx;
                self.vel = Twist2::ZERO;
            }
        }
        self.pose = Pose2::new(x, y, self.pose.yaw + self.vel.wz * dt);
    }
}

/// Distance from `p` to the polyline `path`.
pub fn distance_to_path(p: Point2, path: &[Point2]) -> f64 {
    if path.len() == 1 {
        return p.distance(path[0]);
    }
    path.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (ex, ey) = (b.x - a.x, b.y - a.y);
            let l2 = ex * ex + ey * ey;
            let t = if l2 > 0.0 { (((p.x - a.x) * ex + (p.y - a.y) * ey) / l2).clamp(0.0, 1.0) } else { 0.0 };
            p.distance(Point2::new(a.x + t * ex, a.y + t * ey))
        })
        .fold(f64::INFINITY, f64::min)
}

/// Points every `spacing` m along the polyline through `corners`, like a grid planner's output.
pub fn densify(corners: &[Point2], spacing: f64) -> Vec<Point2> {
    let mut out = vec![corners[0]];
    for w in corners.windows(2) {
        let n = ((w[0].distance(w[1]) / spacing).ceil() as usize).max(1);
        for i in 1..=n {
            let t = i as f64 / n as f64;
            out.push(Point2::new(w[0].x + t * (w[1].x - w[0].x), w[0].y + t * (w[1].y - w[0].y)));
        }
    }
    out
}
