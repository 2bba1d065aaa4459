//! Battery model used for feasibility: energy per metre driven and per second of work,
//! a reserve that must remain after a task *and* the drive to the nearest charger.

/// All energies in watt-hours, state of charge (soc) as a 0..1 fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyModel {
    /// Usable battery capacity, Wh.
    pub battery_wh: f64,
    /// Energy per metre driven at cruise speed (motion + idle draw), Wh/m.
    pub wh_per_m: f64,
    /// Energy per second of work at a location (work + idle draw), Wh/s.
    pub wh_per_s_work: f64,
    /// Charge that must remain after finishing a task and reaching a charger.
    pub reserve_soc: f64,
    /// Below this an idle robot gets no work, only a charge task.
    pub must_charge_soc: f64,
    /// Charging is pointless above this: a robot this full that still cannot do a task
    /// will never be able to, so it is not sent to charge for it.
    pub charged_soc: f64,
}

const SECONDS_PER_HOUR: f64 = 3600.0;

impl Default for EnergyModel {
    /// Matches the robots.defaults of config/factory.yaml (2300 Wh, 150 W idle,
    /// 250 W per m/s, 400 W work, 0.84 m/s cruise).
    fn default() -> Self {
        Self::from_robot_params(2300.0, 150.0, 250.0, 400.0, 0.84)
    }
}

impl EnergyModel {
    /// Derives per-metre and per-second costs from power draws.
    pub fn from_robot_params(
        battery_wh: f64,
        idle_w: f64,
        motion_w_per_mps: f64,
        work_w: f64,
        cruise_mps: f64,
    ) -> Self {
        let cruise = if cruise_mps.is_finite() && cruise_mps > 0.0 { cruise_mps } else { 0.8 };
        // Driving one metre takes 1/v seconds at (idle + motion·v) watts.
        let wh_per_m = (idle_w + motion_w_per_mps * cruise) / cruise / SECONDS_PER_HOUR;
        Self {
            battery_wh,
            wh_per_m,
            wh_per_s_work: (idle_w + work_w) / SECONDS_PER_HOUR,
            reserve_soc: 0.15,
            must_charge_soc: 0.25,
            charged_soc: 0.95,
        }
    }

    /// Energy for driving `distance_m` and working `work_s`, Wh.
    pub fn energy_wh(&self, distance_m: f64, work_s: f64) -> f64 {
        self.wh_per_m * distance_m.max(0.0) + self.wh_per_s_work * work_s.max(0.0)
    }

    /// True if a robot at `soc` can spend `energy_wh` and keep the reserve.
    pub fn can_afford(&self, soc: f64, energy_wh: f64) -> bool {
        soc.is_finite()
            && energy_wh.is_finite()
            && soc * self.battery_wh - energy_wh >= self.reserve_soc * self.battery_wh
    }

    pub fn must_charge(&self, soc: f64) -> bool {
        !soc.is_finite() || soc < self.must_charge_soc
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        let frac = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        if !pos(self.battery_wh) {
            return Err(format!("energy.battery_wh = {} must be > 0", self.battery_wh));
        }
        if !(self.wh_per_m.is_finite() && self.wh_per_m >= 0.0) {
            return Err(format!("energy.wh_per_m = {} must be ≥ 0", self.wh_per_m));
        }
        if !(self.wh_per_s_work.is_finite() && self.wh_per_s_work >= 0.0) {
            return Err(format!("energy.wh_per_s_work = {} must be ≥ 0", self.wh_per_s_work));
        }
        if !(frac(self.reserve_soc) && frac(self.must_charge_soc) && frac(self.charged_soc)) {
            return Err("energy: reserve_soc, must_charge_soc, charged_soc must be in [0, 1]".into());
        }
        if self.reserve_soc > self.must_charge_soc || self.must_charge_soc >= self.charged_soc {
            return Err(format!(
                "energy: need reserve_soc ({}) ≤ must_charge_soc ({}) < charged_soc ({})",
                self.reserve_soc, self.must_charge_soc, self.charged_soc
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_is_kept() {
        let e = EnergyModel::default();
        assert!(e.validate().is_ok());
        // 50 % of 2300 Wh with a 15 % reserve leaves 805 Wh to spend.
        assert!(e.can_afford(0.5, 800.0));
        assert!(!e.can_afford(0.5, 810.0));
        assert!(!e.can_afford(f64::NAN, 1.0));
    }
}
