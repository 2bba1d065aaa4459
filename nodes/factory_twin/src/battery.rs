//! Robot battery: an energy store in watt-hours that never leaves [0, capacity].

/// Battery of one robot.
#[derive(Debug, Clone, PartialEq)]
pub struct Battery {
    capacity_wh: f64,
    energy_wh: f64,
    voltage_empty_v: f64,
    voltage_full_v: f64,
}

const SECONDS_PER_HOUR: f64 = 3600.0;

impl Battery {
    /// `soc` is clamped to [0, 1].
    pub fn new(capacity_wh: f64, soc: f64, voltage_empty_v: f64, voltage_full_v: f64) -> Self {
        Self { capacity_wh, energy_wh: capacity_wh * soc.clamp(0.0, 1.0), voltage_empty_v, voltage_full_v }
    }

    /// Removes `watts` for `dt_s` seconds; returns the energy actually drawn, Wh
    /// (less than asked when the battery runs flat).
    pub fn drain(&mut self, watts: f64, dt_s: f64) -> f64 {
        let want = (watts.max(0.0) * dt_s / SECONDS_PER_HOUR).max(0.0);
        let got = want.min(self.energy_wh);
        self.energy_wh = (self.energy_wh - got).clamp(0.0, self.capacity_wh);
        got
    }

    /// Adds up to `watts` for `dt_s` seconds; returns the energy accepted, Wh (less
    /// than offered when the battery fills up).
    pub fn charge(&mut self, watts: f64, dt_s: f64) -> f64 {
        let offer = (watts.max(0.0) * dt_s / SECONDS_PER_HOUR).max(0.0);
        let got = offer.min(self.capacity_wh - self.energy_wh).max(0.0);
        self.energy_wh = (self.energy_wh + got).clamp(0.0, self.capacity_wh);
        got
    }

    /// Stored energy, Wh.
    pub fn energy_wh(&self) -> f64 {
        self.energy_wh
    }
    /// Capacity, Wh.
    pub fn capacity_wh(&self) -> f64 {
        self.capacity_wh
    }
    /// State of charge, 0..1.
    pub fn soc(&self) -> f64 {
        if self.capacity_wh > 0.0 {
            self.energy_wh / self.capacity_wh
        } else {
            0.0
        }
    }
    /// Open-circuit pack voltage, linear in state of charge, volts.
    pub fn voltage_v(&self) -> f64 {
        self.voltage_empty_v + (self.voltage_full_v - self.voltage_empty_v) * self.soc()
    }
    pub fn is_empty(&self) -> bool {
        self.energy_wh <= 0.0
    }
    pub fn is_full(&self) -> bool {
        self.energy_wh >= self.capacity_wh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_both_ends() {
        let mut b = Battery::new(100.0, 0.5, 44.0, 54.0);
        let got = b.drain(3600.0 * 80.0, 1.0); // asks 80 Wh of the 50 left
        assert!((got - 50.0).abs() < 1e-9 && b.is_empty() && b.soc() == 0.0);
        assert_eq!(b.voltage_v(), 44.0);
        let got = b.charge(3600.0 * 150.0, 1.0);
        assert!((got - 100.0).abs() < 1e-9 && b.is_full());
        assert_eq!(b.voltage_v(), 54.0);
        // Negative power is not a back door to charge or drain.
        b.drain(-1e6, 1.0);
        assert!(b.is_full());
    }
}
