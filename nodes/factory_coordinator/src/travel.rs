//! Travel-time estimates between poses. The node plugs in the shared mapper's path
//! service; [`StraightLine`] is the fallback when the mapper is down (and the model
//! used in tests and benchmarks).

use crate::layout::Pose2;

/// Fallback speed when the config gives none, m/s.
pub const DEFAULT_SPEED_MPS: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelEstimate {
    /// Path length, metres.
    pub distance_m: f64,
    /// Expected driving time, seconds.
    pub time_s: f64,
}

/// Estimates how far and how long a robot drives between two poses.
pub trait TravelTime {
    /// `None` when no path is known (unreachable): the pair is then infeasible.
    fn estimate(&self, from: &Pose2, to: &Pose2) -> Option<TravelEstimate>;
}

/// Straight-line distance times a detour factor (aisles are not straight), at a fixed speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StraightLine {
    pub speed_mps: f64,
    /// ≥ 1: path length / straight-line distance.
    pub detour_factor: f64,
}

impl StraightLine {
    pub fn new(speed_mps: f64) -> Self {
        Self { speed_mps, detour_factor: 1.0 }
    }
}

impl Default for StraightLine {
    fn default() -> Self {
        Self::new(DEFAULT_SPEED_MPS)
    }
}

impl TravelTime for StraightLine {
    fn estimate(&self, from: &Pose2, to: &Pose2) -> Option<TravelEstimate> {
        if !(from.is_finite() && to.is_finite()) || self.speed_mps <= 0.0 || !self.speed_mps.is_finite() {
            return None;
        }
        let distance_m = from.distance_to(to) * self.detour_factor.max(1.0);
        Some(TravelEstimate { distance_m, time_s: distance_m / self.speed_mps })
    }
}

impl<T: TravelTime + ?Sized> TravelTime for Box<T> {
    fn estimate(&self, from: &Pose2, to: &Pose2) -> Option<TravelEstimate> {
        (**self).estimate(from, to)
    }
}
