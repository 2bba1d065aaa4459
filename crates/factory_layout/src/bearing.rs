//! Rolling-element bearing geometry and its characteristic defect frequencies.

use serde::{Deserialize, Serialize};

/// Geometry of a rolling-element bearing (as printed in a bearing catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BearingGeometry {
    /// number of rolling elements
    pub n_balls: u32,
    /// rolling-element diameter, millimetres
    pub ball_diameter_mm: f64,
    /// pitch (cage) diameter, millimetres
    pub pitch_diameter_mm: f64,
    /// contact angle, degrees (0 for a deep-groove ball bearing under radial load)
    #[serde(default)]
    pub contact_angle_deg: f64,
}

/// Characteristic frequencies of a bearing at one shaft speed, hertz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DefectFrequencies {
    /// shaft rotation frequency, Hz
    pub shaft_hz: f64,
    /// fundamental train (cage) frequency, Hz
    pub ftf_hz: f64,
    /// ball pass frequency, outer race, Hz
    pub bpfo_hz: f64,
    /// ball pass frequency, inner race, Hz
    pub bpfi_hz: f64,
    /// ball spin frequency, Hz. A spall on a ball strikes both races once per spin
    /// revolution, so a ball fault shows impacts at 2 x BSF.
    pub bsf_hz: f64,
}

impl BearingGeometry {
    /// Standard kinematic formulas for a stationary outer race and rotating inner race
    /// (no slip): with r = (d / D) cos(phi) and shaft frequency fr,
    /// FTF = fr/2 (1 - r), BPFO = n fr/2 (1 - r), BPFI = n fr/2 (1 + r),
    /// BSF = D/(2 d) fr (1 - r^2).
    pub fn defect_frequencies(&self, shaft_hz: f64) -> DefectFrequencies {
        let d = self.ball_diameter_mm;
        let big_d = self.pitch_diameter_mm;
        let r = d / big_d * self.contact_angle_deg.to_radians().cos();
        let n = f64::from(self.n_balls);
        DefectFrequencies {
            shaft_hz,
            ftf_hz: 0.5 * shaft_hz * (1.0 - r),
            bpfo_hz: 0.5 * n * shaft_hz * (1.0 - r),
            bpfi_hz: 0.5 * n * shaft_hz * (1.0 + r),
            bsf_hz: big_d / (2.0 * d) * shaft_hz * (1.0 - r * r),
        }
    }

    /// Why the geometry is physically impossible, if it is.
    pub fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        if self.n_balls < 3 {
            return Some(("n_balls", self.n_balls.to_string(), "must be >= 3"));
        }
        if !(self.ball_diameter_mm.is_finite() && self.ball_diameter_mm > 0.0) {
            return Some(("ball_diameter_mm", self.ball_diameter_mm.to_string(), "must be > 0"));
        }
        if !(self.pitch_diameter_mm.is_finite() && self.pitch_diameter_mm > self.ball_diameter_mm) {
            return Some((
                "pitch_diameter_mm",
                self.pitch_diameter_mm.to_string(),
                "must be > ball_diameter_mm",
            ));
        }
        if !(self.contact_angle_deg.is_finite() && (0.0..90.0).contains(&self.contact_angle_deg)) {
            return Some(("contact_angle_deg", self.contact_angle_deg.to_string(), "must be in [0, 90)"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SKF 6205-2RS JEM (the Case Western Reserve drive-end bearing): published
    /// multiples of shaft speed BPFI 5.4152, BPFO 3.5848, FTF 0.39828, ball fault
    /// 4.7135 (= 2 x BSF).
    #[test]
    fn cwru_6205_multiples() {
        let g = BearingGeometry {
            n_balls: 9,
            ball_diameter_mm: 0.3126 * 25.4,
            pitch_diameter_mm: 1.537 * 25.4,
            contact_angle_deg: 0.0,
        };
        let fr = 1797.0 / 60.0;
        let f = g.defect_frequencies(fr);
        let close = |a: f64, b: f64| (a - b).abs() / b < 2e-4;
        assert!(close(f.bpfi_hz / fr, 5.4152), "{}", f.bpfi_hz / fr);
        assert!(close(f.bpfo_hz / fr, 3.5848), "{}", f.bpfo_hz / fr);
        assert!(close(f.ftf_hz / fr, 0.39828), "{}", f.ftf_hz / fr);
        assert!(close(2.0 * f.bsf_hz / fr, 4.7135), "{}", 2.0 * f.bsf_hz / fr);
        // BPFO + BPFI = n fr holds for any geometry.
        assert!((f.bpfo_hz + f.bpfi_hz - 9.0 * fr).abs() < 1e-9);
    }

    #[test]
    fn contact_angle_lowers_inner_race_rate() {
        let mut g = BearingGeometry {
            n_balls: 12,
            ball_diameter_mm: 10.0,
            pitch_diameter_mm: 50.0,
            contact_angle_deg: 0.0,
        };
        let a = g.defect_frequencies(25.0);
        g.contact_angle_deg = 40.0;
        let b = g.defect_frequencies(25.0);
        assert!(b.bpfi_hz < a.bpfi_hz && b.bpfo_hz > a.bpfo_hz);
    }
}
