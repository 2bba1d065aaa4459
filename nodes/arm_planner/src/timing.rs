//! Time parameterisation: each straight joint-space segment of a path gets a synchronised
//! trapezoidal velocity profile (all joints share one normalised profile, so the arm
//! follows exactly the straight, collision-checked segment), starting and ending at rest.
//! Every joint stays within its velocity and acceleration limits by construction.

/// One sample of a trajectory (ROS `JointTrajectoryPoint` without effort).
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPoint {
    /// Seconds from the start.
    pub time: f64,
    pub positions: Vec<f64>,
    pub velocities: Vec<f64>,
    pub accelerations: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trajectory {
    pub joint_names: Vec<String>,
    pub points: Vec<TrajectoryPoint>,
}

impl Trajectory {
    pub fn duration(&self) -> f64 {
        self.points.last().map_or(0.0, |p| p.time)
    }
}

/// Rest-to-rest trapezoid over s in [0, 1] with path-speed limit `v` and acceleration `a`.
#[derive(Debug, Clone, Copy)]
struct Profile {
    v_peak: f64,
    a: f64,
    t_acc: f64,
    t_cruise: f64,
}

impl Profile {
    fn new(v: f64, a: f64) -> Self {
        if v * v / a >= 1.0 {
            // Triangle: the peak speed is never reached over a unit distance.
            let t_acc = (1.0 / a).sqrt();
            Profile { v_peak: a * t_acc, a, t_acc, t_cruise: 0.0 }
        } else {
            let t_acc = v / a;
            Profile { v_peak: v, a, t_acc, t_cruise: (1.0 - v * t_acc) / v }
        }
    }

    fn duration(&self) -> f64 {
        2.0 * self.t_acc + self.t_cruise
    }

    /// (s, ds/dt, d2s/dt2) at time t.
    fn at(&self, t: f64) -> (f64, f64, f64) {
        let t = t.clamp(0.0, self.duration());
        let d_acc = 0.5 * self.a * self.t_acc * self.t_acc;
        if t < self.t_acc {
            (0.5 * self.a * t * t, self.a * t, self.a)
        } else if t < self.t_acc + self.t_cruise {
            (d_acc + self.v_peak * (t - self.t_acc), self.v_peak, 0.0)
        } else if t < self.duration() {
            let td = self.duration() - t;
            (1.0 - 0.5 * self.a * td * td, self.a * td, -self.a)
        } else {
            (1.0, 0.0, 0.0)
        }
    }
}

/// Times `path` (waypoints, one value per joint) with per-joint limits `max_velocity` and
/// `max_acceleration` (both > 0), emitting a point every `sample_period` seconds within each
/// segment plus every waypoint. A single-waypoint path gives one point at t = 0.
pub fn time_parameterize(
    joint_names: &[String],
    path: &[Vec<f64>],
    max_velocity: &[f64],
    max_acceleration: &[f64],
    sample_period: f64,
) -> Trajectory {
    let dof = joint_names.len();
    let mut points = Vec::new();
    let Some(first) = path.first() else {
        return Trajectory { joint_names: joint_names.to_vec(), points };
    };
    points.push(TrajectoryPoint {
        time: 0.0,
        positions: first.clone(),
        velocities: vec![0.0; dof],
        accelerations: vec![0.0; dof],
    });
    let dt = if sample_period > 0.0 { sample_period } else { 0.05 };
    let mut t0 = 0.0;
    for w in path.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let delta: Vec<f64> = (0..dof).map(|i| b[i] - a[i]).collect();
        // Path-speed limits: the slowest joint relative to how far it moves.
        let mut vs = f64::INFINITY;
        let mut as_ = f64::INFINITY;
        for i in 0..dof {
            let d = delta[i].abs();
            if d > 1e-12 {
                vs = vs.min(max_velocity[i] / d);
                as_ = as_.min(max_acceleration[i] / d);
            }
        }
        if !vs.is_finite() || !as_.is_finite() {
            continue; // zero-length segment
        }
        let profile = Profile::new(vs, as_);
        let duration = profile.duration();
        let samples = ((duration / dt).ceil() as usize).max(1);
        for k in 1..=samples {
            let t = if k == samples { duration } else { k as f64 * dt };
            let (s, sd, sdd) = profile.at(t);
            // Exact end values: no rounding drift into the next segment.
            let at_end = k == samples;
            points.push(TrajectoryPoint {
                time: t0 + t,
                positions: (0..dof).map(|i| if at_end { b[i] } else { a[i] + delta[i] * s }).collect(),
                velocities: (0..dof).map(|i| if at_end { 0.0 } else { delta[i] * sd }).collect(),
                accelerations: (0..dof).map(|i| if at_end { 0.0 } else { delta[i] * sdd }).collect(),
            });
        }
        t0 += duration;
    }
    Trajectory { joint_names: joint_names.to_vec(), points }
}
