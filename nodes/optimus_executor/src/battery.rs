//! Low-battery policy: when to ask for a charger, and when to refuse work.

use serde::{Deserialize, Serialize};

use crate::error::{check, ConfigError};

/// State-of-charge thresholds, all fractions 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatteryPolicy {
    /// Below this the robot asks for charging (RobotStatus / the coordinator).
    pub request_charge_soc: f64,
    /// Below this new tasks are refused with BATTERY_LOW, except charge tasks.
    pub critical_soc: f64,
    /// A charge step without its own target charges to this.
    pub charge_target_soc: f64,
    /// The charge request re-arms only once the soc is this far above
    /// `request_charge_soc`, so sensor noise at the threshold does not repeat it.
    pub hysteresis_soc: f64,
}

impl Default for BatteryPolicy {
    fn default() -> Self {
        Self { request_charge_soc: 0.3, critical_soc: 0.15, charge_target_soc: 0.9, hysteresis_soc: 0.05 }
    }
}

impl BatteryPolicy {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let p = self;
        check("critical_soc", p.critical_soc, (0.0..1.0).contains(&p.critical_soc), "must be in [0, 1)")?;
        check(
            "request_charge_soc",
            p.request_charge_soc,
            p.request_charge_soc >= p.critical_soc && p.request_charge_soc < 1.0,
            "must be in [critical_soc, 1)",
        )?;
        check(
            "charge_target_soc",
            p.charge_target_soc,
            p.charge_target_soc > p.request_charge_soc && p.charge_target_soc <= 1.0,
            "must be in (request_charge_soc, 1]",
        )?;
        check(
            "hysteresis_soc",
            p.hysteresis_soc,
            (0.0..0.5).contains(&p.hysteresis_soc),
            "must be in [0, 0.5)",
        )?;
        Ok(())
    }

    pub fn level(&self, soc: f64) -> BatteryLevel {
        if soc < self.critical_soc {
            BatteryLevel::Critical
        } else if soc < self.request_charge_soc {
            BatteryLevel::NeedsCharge
        } else {
            BatteryLevel::Ok
        }
    }
}

/// Where a state of charge stands against the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatteryLevel {
    Ok,
    /// Ask for a charger, but keep working.
    NeedsCharge,
    /// Refuse new non-charge tasks.
    Critical,
}

/// Tracks the latest soc and fires one charge request per discharge.
#[derive(Debug, Clone)]
pub struct BatteryMonitor {
    policy: BatteryPolicy,
    soc: Option<f64>,
    armed: bool,
}

impl BatteryMonitor {
    pub fn new(policy: BatteryPolicy) -> Self {
        Self { policy, soc: None, armed: true }
    }

    /// Records a reading. Returns `true` once when the soc first falls below
    /// `request_charge_soc` (then again only after it has risen above the hysteresis
    /// band). Non-finite or out-of-range readings are ignored and return `false`.
    pub fn update(&mut self, soc: f64) -> bool {
        if !soc.is_finite() || !(0.0..=1.0).contains(&soc) {
            return false;
        }
        self.soc = Some(soc);
        if soc >= self.policy.request_charge_soc + self.policy.hysteresis_soc {
            self.armed = true;
        }
        if self.armed && soc < self.policy.request_charge_soc {
            self.armed = false;
            return true;
        }
        false
    }

    /// The latest valid reading, if any.
    pub fn soc(&self) -> Option<f64> {
        self.soc
    }

    /// `None` until the first reading: an unknown battery is not treated as low.
    pub fn level(&self) -> Option<BatteryLevel> {
        self.soc.map(|s| self.policy.level(s))
    }

    pub fn policy(&self) -> &BatteryPolicy {
        &self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_fires_once_per_discharge() {
        let mut m = BatteryMonitor::new(BatteryPolicy::default());
        assert!(!m.update(0.5));
        assert!(m.update(0.29));
        assert!(!m.update(0.28));
        assert!(!m.update(0.31), "inside the hysteresis band: not re-armed");
        assert!(!m.update(0.29));
        assert!(!m.update(0.4));
        assert!(m.update(0.2));
        assert_eq!(m.level(), Some(BatteryLevel::NeedsCharge));
        assert!(!m.update(f64::NAN));
        assert_eq!(m.soc(), Some(0.2));
        m.update(0.1);
        assert_eq!(m.level(), Some(BatteryLevel::Critical));
    }

    #[test]
    fn policy_validation() {
        assert!(BatteryPolicy::default().validate().is_ok());
        let p = BatteryPolicy { critical_soc: 0.4, ..BatteryPolicy::default() };
        assert_eq!(p.validate().map_err(|e| e.field), Err("request_charge_soc"));
    }
}
