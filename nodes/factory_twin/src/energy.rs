//! Site energy: loads, a solar profile over the day, a time-of-use grid tariff and a
//! stationary battery with a simple rule-based dispatch.
//!
//! Dispatch each step, with net = load - solar:
//! - surplus solar charges the storage (power and capacity limits), the rest is exported;
//! - in peak hours the storage covers the deficit as far as it can;
//! - off-peak the grid covers the deficit and also charges the storage up to
//!   `offpeak_charge_target_soc`.
//!
//! Balance that always holds (tested): load + storage_in + export = solar + import + storage_out.

use crate::config::EnergyConfig;

const SECONDS_PER_HOUR: f64 = 3600.0;

/// Instantaneous values (kW) and running totals (kWh, currency).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnergyState {
    /// site consumption: machines, robot chargers, base load, kW
    pub load_kw: f64,
    pub solar_kw: f64,
    /// grid import (positive) or export (negative), kW
    pub grid_kw: f64,
    /// storage charging (positive) or discharging (negative), measured at the grid side, kW
    pub storage_kw: f64,
    /// stored energy, kWh
    pub storage_kwh: f64,
    /// 0..1
    pub storage_soc: f64,
    /// peak tariff in force
    pub peak: bool,
    /// current import price, currency per kWh
    pub price_per_kwh: f64,
    /// hour of day, 0..24
    pub hour_of_day: f64,

    pub load_kwh: f64,
    pub solar_kwh: f64,
    pub import_peak_kwh: f64,
    pub import_offpeak_kwh: f64,
    pub export_kwh: f64,
    /// energy into the storage, grid side
    pub storage_in_kwh: f64,
    /// energy out of the storage, grid side
    pub storage_out_kwh: f64,
    /// import cost minus export revenue, currency
    pub cost: f64,
}

#[derive(Debug, Clone)]
pub struct Energy {
    cfg: EnergyConfig,
    start_hour: f64,
    state: EnergyState,
    /// false: the storage is left alone (no energy management; the comparison baseline)
    dispatch_storage: bool,
}

impl Energy {
    pub fn new(cfg: EnergyConfig, start_hour: f64) -> Self {
        let storage_kwh = cfg.storage.capacity_kwh * cfg.storage.initial_soc;
        let state = EnergyState {
            storage_kwh,
            storage_soc: cfg.storage.initial_soc,
            hour_of_day: start_hour,
            ..Default::default()
        };
        Self { cfg, start_hour, state, dispatch_storage: true }
    }

    /// Turns the storage dispatch (solar surplus in, peak deficit out, off-peak charging)
    /// on or off; off, the grid covers every deficit and takes every surplus.
    pub fn set_storage_dispatch(&mut self, on: bool) {
        self.dispatch_storage = on;
    }

    pub fn state(&self) -> &EnergyState {
        &self.state
    }

    /// Hour of day (0..24) at sim time `t_s`.
    pub fn hour_of_day(&self, t_s: f64) -> f64 {
        (self.start_hour + t_s / SECONDS_PER_HOUR).rem_euclid(24.0)
    }

    /// Solar output as a fraction of peak, 0..1.
    pub fn solar_fraction(&self, hour: f64) -> f64 {
        let s = &self.cfg.solar;
        if let Some(p) = &s.hourly_profile {
            if p.len() == 24 {
                let i = hour.floor() as usize % 24;
                let j = (i + 1) % 24;
                let w = hour - hour.floor();
                return (p[i] * (1.0 - w) + p[j] * w).clamp(0.0, 1.0);
            }
        }
        if hour <= s.sunrise_h || hour >= s.sunset_h {
            return 0.0;
        }
        (std::f64::consts::PI * (hour - s.sunrise_h) / (s.sunset_h - s.sunrise_h)).sin().max(0.0)
    }

    pub fn is_peak(&self, hour: f64) -> bool {
        self.cfg.tariff.peak_hours.iter().any(|[a, b]| hour >= *a && hour < *b)
    }

    /// Advances `dt_s` seconds ending at sim time `t_s` with the given site load.
    pub fn step(&mut self, t_s: f64, dt_s: f64, load_kw: f64) {
        let hour = self.hour_of_day(t_s);
        let solar_kw = self.cfg.solar.peak_kw * self.solar_fraction(hour);
        let peak = self.is_peak(hour);
        let st = &self.cfg.storage;
        let dt_h = dt_s / SECONDS_PER_HOUR;
        // Losses split evenly between the two directions.
        let eta = st.round_trip_efficiency.sqrt();
        let room_kwh = (st.capacity_kwh - self.state.storage_kwh).max(0.0);
        let max_in_kw = if dt_h > 0.0 { st.max_kw.min(room_kwh / (eta * dt_h)) } else { 0.0 };
        let max_out_kw = if dt_h > 0.0 { st.max_kw.min(self.state.storage_kwh * eta / dt_h) } else { 0.0 };

        let net = load_kw - solar_kw;
        let (storage_kw, grid_kw) = if !self.dispatch_storage {
            (0.0, net)
        } else if net < 0.0 {
            let charge = (-net).min(max_in_kw);
            (charge, net + charge)
        } else if peak {
            let discharge = net.min(max_out_kw);
            (-discharge, net - discharge)
        } else {
            let target = st.offpeak_charge_target_soc * st.capacity_kwh;
            let charge = if self.state.storage_kwh < target && dt_h > 0.0 {
                max_in_kw.min((target - self.state.storage_kwh) / (eta * dt_h))
            } else {
                0.0
            };
            (charge, net + charge)
        };

        let s = &mut self.state;
        if storage_kw >= 0.0 {
            s.storage_kwh += storage_kw * dt_h * eta;
            s.storage_in_kwh += storage_kw * dt_h;
        } else {
            s.storage_kwh -= -storage_kw * dt_h / eta;
            s.storage_out_kwh += -storage_kw * dt_h;
        }
        s.storage_kwh = s.storage_kwh.clamp(0.0, st.capacity_kwh);
        s.storage_soc = if st.capacity_kwh > 0.0 { s.storage_kwh / st.capacity_kwh } else { 0.0 };
        let tariff = &self.cfg.tariff;
        let price = if peak { tariff.peak_price_per_kwh } else { tariff.offpeak_price_per_kwh };
        if grid_kw >= 0.0 {
            let e = grid_kw * dt_h;
            if peak {
                s.import_peak_kwh += e;
            } else {
                s.import_offpeak_kwh += e;
            }
            s.cost += e * price;
        } else {
            let e = -grid_kw * dt_h;
            s.export_kwh += e;
            s.cost -= e * tariff.export_price_per_kwh;
        }
        s.load_kwh += load_kw * dt_h;
        s.solar_kwh += solar_kw * dt_h;
        s.load_kw = load_kw;
        s.solar_kw = solar_kw;
        s.grid_kw = grid_kw;
        s.storage_kw = storage_kw;
        s.peak = peak;
        s.price_per_kwh = price;
        s.hour_of_day = hour;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_and_limits_over_two_days() {
        let mut cfg = EnergyConfig::default();
        cfg.solar.peak_kw = 400.0;
        cfg.storage.capacity_kwh = 500.0;
        cfg.storage.max_kw = 150.0;
        let mut e = Energy::new(cfg, 0.0);
        let dt = 60.0;
        let mut saw_peak_discharge = false;
        let mut saw_solar_charge = false;
        for k in 1..=(2 * 24 * 60) {
            let t = k as f64 * dt;
            let load = 120.0 + 60.0 * ((k % 97) as f64 / 97.0);
            e.step(t, dt, load);
            let s = e.state();
            assert!(s.storage_kwh >= 0.0 && s.storage_kwh <= 500.0 + 1e-9);
            assert!(s.storage_kw.abs() <= 150.0 + 1e-9);
            saw_peak_discharge |= s.peak && s.storage_kw < 0.0;
            saw_solar_charge |= s.solar_kw > s.load_kw && s.storage_kw > 0.0;
        }
        let s = e.state();
        let lhs = s.load_kwh + s.storage_in_kwh + s.export_kwh;
        let rhs = s.solar_kwh + s.import_peak_kwh + s.import_offpeak_kwh + s.storage_out_kwh;
        assert!((lhs - rhs).abs() < 1e-6 * lhs, "{lhs} vs {rhs}");
        assert!(saw_peak_discharge && saw_solar_charge);
        assert!(s.import_peak_kwh < s.import_offpeak_kwh);
    }

    #[test]
    fn without_dispatch_the_storage_is_left_alone_and_the_grid_takes_the_rest() {
        let mut cfg = EnergyConfig::default();
        cfg.solar.peak_kw = 400.0;
        let initial = cfg.storage.capacity_kwh * cfg.storage.initial_soc;
        let (mut on, mut off) = (Energy::new(cfg.clone(), 0.0), Energy::new(cfg, 0.0));
        off.set_storage_dispatch(false);
        for k in 1..=(24 * 60) {
            let t = k as f64 * 60.0;
            on.step(t, 60.0, 150.0);
            off.step(t, 60.0, 150.0);
            assert_eq!(off.state().storage_kwh, initial);
            assert_eq!(off.state().storage_kw, 0.0);
        }
        let (a, b) = (on.state(), off.state());
        assert!(
            (b.load_kwh + b.export_kwh - b.solar_kwh - b.import_peak_kwh - b.import_offpeak_kwh).abs() < 1e-6
        );
        // Managed, the storage moves imports out of the peak and keeps the solar surplus.
        assert!(a.import_peak_kwh < b.import_peak_kwh && a.export_kwh < b.export_kwh, "{a:?} vs {b:?}");
    }

    #[test]
    fn solar_is_zero_at_night_and_peaks_mid_day() {
        let e = Energy::new(EnergyConfig::default(), 0.0);
        assert_eq!(e.solar_fraction(3.0), 0.0);
        assert!((e.solar_fraction(13.0) - 1.0).abs() < 1e-9);
        assert!(e.is_peak(18.0) && !e.is_peak(12.0));
    }
}
