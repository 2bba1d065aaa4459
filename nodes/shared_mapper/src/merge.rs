//! Merging a robot's local map changes into the shared map after it was offline.
//!
//! Rule per cell: the patch's evidence first ages by the time since it was recorded
//! (exactly as it would have decayed in the shared map), then
//! - if the shared map has observed the cell *after* the patch stamp, the shared map
//!   wins (newer stamp wins: a fresher scan already says what is there now);
//! - otherwise the log-odds are added, with the usual clamping.

use crate::grid::{include_opt, Cell, Region};
use crate::map::{decay_toward_zero, OccupancyMap};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Local log-odds evidence (relative to the prior; 0 = nothing learned) over a
/// rectangle of the shared grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalPatch {
    /// Cell edge length the robot mapped with, metres; must equal the shared map's.
    pub resolution: f64,
    /// Shared-grid cell of the patch's (0, 0) cell; may be partly off the map.
    pub offset: Cell,
    pub width: u32,
    pub height: u32,
    /// When the newest evidence in the patch was recorded, seconds of ROS time.
    pub stamp_s: f64,
    /// Row-major, `width * height` values.
    pub log_odds: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MergeError {
    #[error("patch field `resolution` is {got} m but the shared map uses {expected} m")]
    ResolutionMismatch { expected: f64, got: f64 },
    #[error("patch field `log_odds` has {got} values, width * height = {expected}")]
    SizeMismatch { expected: usize, got: usize },
    #[error("patch field `{field}` is not finite")]
    NonFinite { field: &'static str },
    #[error("patch field `stamp` is {ahead_s:.3} s in the future")]
    StampInFuture { ahead_s: f64 },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub cells_merged: usize,
    /// Cells the shared map had observed after the patch stamp.
    pub cells_stale: usize,
    /// Cells of the patch outside the shared map.
    pub cells_clipped: usize,
    pub region: Option<Region>,
}

impl OccupancyMap {
    pub fn merge_patch(&mut self, patch: &LocalPatch, now_s: f64) -> Result<MergeReport, MergeError> {
        if !patch.stamp_s.is_finite() {
            return Err(MergeError::NonFinite { field: "stamp" });
        }
        // Relative tolerance: the same resolution may come through YAML as 0.05 or 0.0500001.
        if !patch.resolution.is_finite()
            || (patch.resolution - self.spec.resolution).abs() > 1e-6 * self.spec.resolution
        {
            return Err(MergeError::ResolutionMismatch {
                expected: self.spec.resolution,
                got: patch.resolution,
            });
        }
        let expected = patch.width as usize * patch.height as usize;
        if patch.log_odds.len() != expected {
            return Err(MergeError::SizeMismatch { expected, got: patch.log_odds.len() });
        }
        if patch.log_odds.iter().any(|v| !v.is_finite()) {
            return Err(MergeError::NonFinite { field: "log_odds" });
        }
        let ahead = patch.stamp_s - now_s;
        if ahead > self.params.max_future_s {
            return Err(MergeError::StampInFuture { ahead_s: ahead });
        }
        let age = (now_s - patch.stamp_s).max(0.0) as f32;
        let aged = self.params.decay_rate_per_s * age;
        let mut report = MergeReport::default();
        for py in 0..patch.height {
            for px in 0..patch.width {
                let e = patch.log_odds[py as usize * patch.width as usize + px as usize];
                let e = decay_toward_zero(e, aged);
                if e == 0.0 {
                    continue;
                }
                let c = Cell::new(patch.offset.x + px as i32, patch.offset.y + py as i32);
                let Some(i) = self.spec.index(c) else {
                    report.cells_clipped += 1;
                    continue;
                };
                if self.stamp[i] > patch.stamp_s {
                    report.cells_stale += 1;
                    continue;
                }
                self.add_evidence(i, e, now_s);
                include_opt(&mut report.region, c);
                report.cells_merged += 1;
            }
        }
        if let Some(r) = report.region {
            self.mark_touched(r, now_s);
        }
        Ok(report)
    }
}
