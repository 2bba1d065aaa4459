//! Rolling-element bearing kinematics: the defect frequencies that an outer race,
//! inner race, rolling element or cage fault repeats at, from geometry and shaft speed.
//! Formulas: Randall & Antoni (2011), "Rolling element bearing diagnostics — A tutorial",
//! MSSP 25(2), eq. (1)–(4), stationary outer race.

use serde::{Deserialize, Serialize};

/// Bearing geometry. Lengths in any consistent unit (only ratios matter).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BearingGeometry {
    /// Number of rolling elements.
    pub ball_count: u32,
    /// Rolling-element diameter, mm.
    pub ball_diameter_mm: f64,
    /// Pitch diameter, mm.
    pub pitch_diameter_mm: f64,
    /// Contact angle, degrees.
    pub contact_angle_deg: f64,
}

impl Default for BearingGeometry {
    /// A 6205-class deep-groove ball bearing (the CWRU test-rig drive-end bearing).
    fn default() -> Self {
        Self { ball_count: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04, contact_angle_deg: 0.0 }
    }
}

impl BearingGeometry {
    /// Rejects geometries for which the kinematic formulas are meaningless.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.ball_count < 3 {
            return Err("ball_count must be >= 3");
        }
        if !(self.ball_diameter_mm > 0.0 && self.pitch_diameter_mm > self.ball_diameter_mm) {
            return Err("need 0 < ball_diameter_mm < pitch_diameter_mm");
        }
        if !(0.0..90.0).contains(&self.contact_angle_deg) {
            return Err("contact_angle_deg must be within 0 .. 90");
        }
        Ok(())
    }

    /// Defect frequencies for a shaft turning at `shaft_hz` (inner race rotating).
    pub fn defect_frequencies(&self, shaft_hz: f64) -> DefectFrequencies {
        let n = self.ball_count as f64;
        let ratio =
            self.ball_diameter_mm / self.pitch_diameter_mm * self.contact_angle_deg.to_radians().cos();
        DefectFrequencies {
            shaft_hz,
            bpfo_hz: n / 2.0 * shaft_hz * (1.0 - ratio),
            bpfi_hz: n / 2.0 * shaft_hz * (1.0 + ratio),
            bsf_hz: self.pitch_diameter_mm / (2.0 * self.ball_diameter_mm) * shaft_hz * (1.0 - ratio * ratio),
            ftf_hz: shaft_hz / 2.0 * (1.0 - ratio),
        }
    }
}

/// Characteristic fault frequencies, Hz.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DefectFrequencies {
    pub shaft_hz: f64,
    /// Ball pass frequency, outer race.
    pub bpfo_hz: f64,
    /// Ball pass frequency, inner race.
    pub bpfi_hz: f64,
    /// Ball (roller) spin frequency.
    pub bsf_hz: f64,
    /// Fundamental train (cage) frequency.
    pub ftf_hz: f64,
}

/// Diagnosed fault type; string forms match `ComponentHealth.FAULT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultType {
    None,
    OuterRace,
    InnerRace,
    Ball,
    Cage,
    Overheating,
    LubricationOverdue,
    ConveyorDrag,
    Fatigue,
}

impl FaultType {
    /// The `ComponentHealth.FAULT_*` constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OuterRace => "outer_race",
            Self::InnerRace => "inner_race",
            Self::Ball => "ball",
            Self::Cage => "cage",
            Self::Overheating => "overheating",
            Self::LubricationOverdue => "lubrication_overdue",
            Self::ConveyorDrag => "conveyor_drag",
            Self::Fatigue => "fatigue",
        }
    }

    /// The four bearing fault types the envelope classifier distinguishes.
    pub const BEARING: [FaultType; 4] =
        [FaultType::OuterRace, FaultType::InnerRace, FaultType::Ball, FaultType::Cage];
}

impl std::fmt::Display for FaultType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cwru_6205_orders_match_published_values() {
        // Published CWRU drive-end 6205 multiples of shaft speed:
        // BPFI 5.4152, BPFO 3.5848, FTF 0.39828, BSF 4.7135 (the site lists 2*BSF).
        let f = BearingGeometry::default().defect_frequencies(1.0);
        assert!((f.bpfi_hz - 5.4152).abs() < 1e-3, "{f:?}");
        assert!((f.bpfo_hz - 3.5848).abs() < 1e-3, "{f:?}");
        assert!((f.ftf_hz - 0.39828).abs() < 1e-4, "{f:?}");
        assert!((2.0 * f.bsf_hz - 4.7135).abs() < 2e-3, "{f:?}");
        // BPFO = n * FTF holds exactly for a stationary outer race.
        assert!((f.bpfo_hz - 9.0 * f.ftf_hz).abs() < 1e-12);
    }

    #[test]
    fn bad_geometry_is_rejected() {
        let g = BearingGeometry { ball_diameter_mm: 50.0, ..BearingGeometry::default() };
        assert!(g.validate().is_err());
        let g = BearingGeometry { ball_count: 2, ..BearingGeometry::default() };
        assert!(g.validate().is_err());
    }
}
