//! Range and reference checks of a parsed layout. Every problem is collected, each
//! naming its key path, the value found and what is allowed. Placement checks that
//! need the occupancy grid (a robot starting inside a wall) are the twin's
//! (`World::new`).

use std::collections::BTreeSet;
use std::fmt;

use crate::error::{ConfigError, ConfigIssue};
use crate::geometry::Pose2;
use crate::layout::{ComponentConfig, ComponentType, FactoryConfig, FloorConfig};
use crate::simulation::FaultModeConfig;

impl FactoryConfig {
    /// Range and reference checks; returns every problem found, not just the first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut v = Validator::default();
        v.finite_in("start_time_of_day_h", self.start_time_of_day_h, 0.0, 24.0, false);
        v.positive("physics.max_step_s", self.physics.max_step_s);

        let fl = &self.floor;
        v.positive("floor.width_m", fl.width_m);
        v.positive("floor.height_m", fl.height_m);
        v.positive("floor.resolution_m", fl.resolution_m);
        v.non_negative("floor.perimeter_wall_m", fl.perimeter_wall_m);
        if fl.resolution_m > 0.0 && fl.width_m > 0.0 && fl.height_m > 0.0 {
            let cells = (fl.width_m / fl.resolution_m) * (fl.height_m / fl.resolution_m);
            v.check(
                cells <= 50e6,
                "floor.resolution_m",
                fl.resolution_m,
                format!("gives {cells:.0} cells; must give at most 50 million"),
            );
        }

        for (i, o) in self.obstacles.iter().enumerate() {
            let k = format!("obstacles[{i}]");
            for (name, val) in
                [("x_min", o.x_min), ("y_min", o.y_min), ("x_max", o.x_max), ("y_max", o.y_max)]
            {
                v.finite(&format!("{k}.{name}"), val);
            }
            v.check(
                o.x_max > o.x_min,
                &format!("{k}.x_max"),
                o.x_max,
                format!("must be > x_min ({})", o.x_min),
            );
            v.check(
                o.y_max > o.y_min,
                &format!("{k}.y_max"),
                o.y_max,
                format!("must be > y_min ({})", o.y_min),
            );
        }

        v.pose_on_floor("warehouse.pose", &self.warehouse.pose, fl);
        v.unique_ids("chargers", self.chargers.iter().map(|c| c.id.as_str()));
        for (i, c) in self.chargers.iter().enumerate() {
            let k = format!("chargers[{i}]");
            v.pose_on_floor(&format!("{k}.pose"), &c.pose, fl);
            v.positive(&format!("{k}.power_kw"), c.power_kw);
            v.positive(&format!("{k}.radius_m"), c.radius_m);
        }
        v.unique_ids("docks", self.docks.iter().map(|d| d.id.as_str()));
        for (i, d) in self.docks.iter().enumerate() {
            v.pose_on_floor(&format!("docks[{i}].pose"), &d.pose, fl);
        }

        self.validate_machines(&mut v);
        self.validate_line(&mut v);
        self.validate_robots(&mut v);
        self.validate_energy(&mut v);

        let m = &self.maintenance;
        v.positive("maintenance.repair_s", m.repair_s);
        v.positive("maintenance.replace_s", m.replace_s);
        v.positive("maintenance.lubricate_s", m.lubricate_s);
        v.positive("maintenance.recalibrate_s", m.recalibrate_s);
        let t = &self.telemetry;
        v.positive("telemetry.period_s", t.period_s);
        v.positive("telemetry.sample_rate_hz", t.sample_rate_hz);
        v.check(
            (16..=1 << 20).contains(&t.chunk_samples),
            "telemetry.chunk_samples",
            t.chunk_samples,
            "must be in [16, 1048576]",
        );
        v.check(
            t.snapshot_period_s == 0.0
                || (t.snapshot_period_s.is_finite() && t.snapshot_period_s >= t.period_s),
            "telemetry.snapshot_period_s",
            t.snapshot_period_s,
            "must be 0 (continuous) or at least telemetry.period_s",
        );
        if t.snapshot_period_s > 0.0 {
            v.check(
                t.snapshot_s > 0.0 && t.snapshot_s < t.snapshot_period_s,
                "telemetry.snapshot_s",
                t.snapshot_s,
                "must be above 0 and below telemetry.snapshot_period_s",
            );
        }
        v.positive("health.ambient_k", self.health.ambient_k);
        self.validate_cameras(&mut v);

        v.finish()
    }

    fn validate_machines(&self, v: &mut Validator) {
        let fl = &self.floor;
        v.check(!self.machines.is_empty(), "machines", "[]", "must list at least one machine");
        v.unique_ids("machines", self.machines.iter().map(|m| m.id.as_str()));
        for (i, m) in self.machines.iter().enumerate() {
            let k = format!("machines[{i}]");
            v.pose_on_floor(&format!("{k}.pose"), &m.pose, fl);
            v.positive(&format!("{k}.size_x_m"), m.size_x_m);
            v.positive(&format!("{k}.size_y_m"), m.size_y_m);
            v.positive(&format!("{k}.reach_m"), m.reach_m);
            v.non_negative(&format!("{k}.idle_kw"), m.idle_kw);
            v.non_negative(&format!("{k}.working_kw"), m.working_kw);
            v.finite_in(&format!("{k}.working_load"), m.working_load, 0.0, 1.0, true);
            v.unique_ids(&format!("{k}.components"), m.components.iter().map(|c| c.id.as_str()));
            for (j, c) in m.components.iter().enumerate() {
                self.validate_component(v, &format!("{k}.components[{j}]"), c);
            }
        }
    }

    fn validate_component(&self, v: &mut Validator, k: &str, c: &ComponentConfig) {
        v.positive(&format!("{k}.shaft_rpm"), c.shaft_rpm);
        if c.kind == ComponentType::Bearing {
            match &c.bearing {
                None => v.issue(
                    &format!("{k}.bearing"),
                    "(missing)",
                    "a component of type bearing needs its geometry: n_balls, ball_diameter_mm, pitch_diameter_mm, contact_angle_deg",
                ),
                Some(g) => {
                    if let Some((field, value, reason)) = g.problem() {
                        v.issue(&format!("{k}.bearing.{field}"), value, reason);
                    }
                }
            }
            let vib = &c.vibration;
            let nyquist = 0.5 * self.telemetry.sample_rate_hz;
            v.check(
                vib.resonance_hz.is_finite() && vib.resonance_hz > 0.0 && vib.resonance_hz < nyquist,
                &format!("{k}.vibration.resonance_hz"),
                vib.resonance_hz,
                format!("must be in (0, {nyquist}) (below Nyquist of telemetry.sample_rate_hz)"),
            );
            v.finite_in(&format!("{k}.vibration.damping_ratio"), vib.damping_ratio, 0.001, 0.5, true);
            v.non_negative(&format!("{k}.vibration.impulse_at_failure_mps2"), vib.impulse_at_failure_mps2);
            v.non_negative(&format!("{k}.vibration.shaft_1x_mps2"), vib.shaft_1x_mps2);
            v.non_negative(&format!("{k}.vibration.noise_std_mps2"), vib.noise_std_mps2);
            v.finite_in(&format!("{k}.vibration.slip_fraction"), vib.slip_fraction, 0.0, 0.2, true);
        } else if c.bearing.is_some() {
            v.issue(
                &format!("{k}.bearing"),
                "(given)",
                format!("only components of type bearing take a geometry; this one is {}", c.kind.as_str()),
            );
        }
        if c.kind == ComponentType::Motor {
            v.positive(&format!("{k}.rated_current_a"), c.rated_current_a);
            v.check(
                c.no_load_current_a.is_finite()
                    && c.no_load_current_a >= 0.0
                    && c.no_load_current_a <= c.rated_current_a,
                &format!("{k}.no_load_current_a"),
                c.no_load_current_a,
                format!("must be in [0, rated_current_a = {}]", c.rated_current_a),
            );
        }
        if let Some(h) = c.lube_interval_h {
            v.positive(&format!("{k}.lube_interval_h"), h);
        }
        let th = &c.thermal;
        v.non_negative(&format!("{k}.thermal.load_rise_k"), th.load_rise_k);
        v.non_negative(&format!("{k}.thermal.wear_rise_k"), th.wear_rise_k);
        v.non_negative(&format!("{k}.thermal.lube_overdue_rise_k"), th.lube_overdue_rise_k);
        v.positive(&format!("{k}.thermal.time_constant_s"), th.time_constant_s);
        if let Some(f) = &c.fault {
            let allowed: &[FaultModeConfig] = match c.kind {
                ComponentType::Bearing => &[
                    FaultModeConfig::Random,
                    FaultModeConfig::OuterRace,
                    FaultModeConfig::InnerRace,
                    FaultModeConfig::Ball,
                    FaultModeConfig::Cage,
                ],
                ComponentType::Motor => &[FaultModeConfig::Random, FaultModeConfig::Winding],
                ComponentType::ConveyorBelt => &[FaultModeConfig::Random, FaultModeConfig::Drag],
            };
            v.check(
                allowed.contains(&f.mode),
                &format!("{k}.fault.mode"),
                format!("{:?}", f.mode).to_lowercase(),
                format!(
                    "a {} allows {}",
                    c.kind.as_str(),
                    allowed.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
            if let Some(h) = f.onset_h {
                v.non_negative(&format!("{k}.fault.onset_h"), h);
            }
            v.positive(&format!("{k}.fault.onset_mean_h"), f.onset_mean_h);
            v.positive(&format!("{k}.fault.growth_per_h"), f.growth_per_h);
            v.finite_in(&format!("{k}.fault.growth_jitter"), f.growth_jitter, 0.0, 2.0, true);
            v.finite_in(&format!("{k}.fault.initial_severity"), f.initial_severity, 1e-6, 1.0, false);
            v.finite_in(&format!("{k}.fault.start_severity"), f.start_severity, 0.0, 1.0, false);
        }
    }

    fn validate_line(&self, v: &mut Validator) {
        let fl = &self.floor;
        v.check(!self.stations.is_empty(), "stations", "[]", "must list at least one station");
        v.unique_ids("stations", self.stations.iter().map(|s| s.id.as_str()));
        let machine_ids: BTreeSet<&str> = self.machines.iter().map(|m| m.id.as_str()).collect();
        for (i, s) in self.stations.iter().enumerate() {
            let k = format!("stations[{i}]");
            v.check(
                machine_ids.contains(s.machine.as_str()),
                &format!("{k}.machine"),
                format!("\"{}\"", s.machine),
                format!("must name a machine in machines[].id: {}", join(machine_ids.iter().copied())),
            );
            v.pose_on_floor(&format!("{k}.pose"), &s.pose, fl);
            v.positive(&format!("{k}.cycle_time_s"), s.cycle_time_s);
            v.non_negative(&format!("{k}.changeover_s"), s.changeover_s);
            v.check(
                s.buffer_capacity >= 1,
                &format!("{k}.buffer_capacity"),
                s.buffer_capacity,
                "must be >= 1",
            );
            v.check(
                !s.part_variants.is_empty(),
                &format!("{k}.part_variants"),
                "[]",
                "must list at least one variant",
            );
            for (variant, t) in &s.variant_cycle_time_s {
                v.positive(&format!("{k}.variant_cycle_time_s.{variant}"), *t);
                v.check(
                    s.part_variants.contains(variant),
                    &format!("{k}.variant_cycle_time_s.{variant}"),
                    t,
                    format!("variant must be one of part_variants: {}", s.part_variants.join(", ")),
                );
            }
        }
        v.check(
            !self.production.batches.is_empty(),
            "production.batches",
            "[]",
            "must list at least one batch",
        );
        for (i, b) in self.production.batches.iter().enumerate() {
            let k = format!("production.batches[{i}]");
            v.check(b.quantity >= 1, &format!("{k}.quantity"), b.quantity, "must be >= 1");
            v.check(
                self.warehouse.raw_material.contains_key(&b.variant),
                &format!("{k}.variant"),
                format!("\"{}\"", b.variant),
                format!(
                    "must be stocked in warehouse.raw_material: {}",
                    join(self.warehouse.raw_material.keys().map(|s| s.as_str()))
                ),
            );
            for s in &self.stations {
                v.check(
                    s.part_variants.contains(&b.variant),
                    &format!("{k}.variant"),
                    format!("\"{}\"", b.variant),
                    format!(
                        "station \"{}\" does not process it; its part_variants: {}",
                        s.id,
                        s.part_variants.join(", ")
                    ),
                );
            }
        }
    }

    fn validate_robots(&self, v: &mut Validator) {
        let p = &self.robots.defaults;
        let k = "robots.defaults";
        v.positive(&format!("{k}.radius_m"), p.radius_m);
        v.positive(&format!("{k}.max_linear_mps"), p.max_linear_mps);
        v.positive(&format!("{k}.max_angular_rps"), p.max_angular_rps);
        v.positive(&format!("{k}.max_linear_accel_mps2"), p.max_linear_accel_mps2);
        v.positive(&format!("{k}.max_angular_accel_rps2"), p.max_angular_accel_rps2);
        v.positive(&format!("{k}.cmd_timeout_s"), p.cmd_timeout_s);
        v.positive(&format!("{k}.battery_wh"), p.battery_wh);
        v.finite_in(&format!("{k}.initial_soc"), p.initial_soc, 0.0, 1.0, true);
        for (name, val) in [
            ("idle_w", p.idle_w),
            ("motion_w_per_mps", p.motion_w_per_mps),
            ("turn_w_per_rps", p.turn_w_per_rps),
            ("work_w", p.work_w),
            ("battery_voltage_empty_v", p.battery_voltage_empty_v),
        ] {
            v.non_negative(&format!("{k}.{name}"), val);
        }
        v.check(
            p.battery_voltage_full_v.is_finite() && p.battery_voltage_full_v >= p.battery_voltage_empty_v,
            &format!("{k}.battery_voltage_full_v"),
            p.battery_voltage_full_v,
            "must be >= battery_voltage_empty_v",
        );
        v.unique_ids(&format!("{k}.arm_joints"), p.arm_joints.iter().map(|j| j.name.as_str()));
        for (i, j) in p.arm_joints.iter().enumerate() {
            let jk = format!("{k}.arm_joints[{i}]");
            v.finite(&format!("{jk}.min_rad"), j.min_rad);
            v.check(
                j.max_rad.is_finite() && j.max_rad >= j.min_rad,
                &format!("{jk}.max_rad"),
                j.max_rad,
                "must be >= min_rad",
            );
            v.positive(&format!("{jk}.max_velocity_rps"), j.max_velocity_rps);
        }
        let l = &p.laser;
        let lk = format!("{k}.laser");
        v.non_negative(&format!("{lk}.rate_hz"), l.rate_hz);
        v.check(
            (1..=100_000).contains(&l.n_rays),
            &format!("{lk}.n_rays"),
            l.n_rays,
            "must be in [1, 100000]",
        );
        v.finite(&format!("{lk}.angle_min_rad"), l.angle_min_rad);
        v.check(
            l.angle_max_rad.is_finite() && l.angle_max_rad >= l.angle_min_rad,
            &format!("{lk}.angle_max_rad"),
            l.angle_max_rad,
            "must be >= angle_min_rad",
        );
        v.non_negative(&format!("{lk}.range_min_m"), l.range_min_m);
        v.check(
            l.range_max_m.is_finite() && l.range_max_m > l.range_min_m,
            &format!("{lk}.range_max_m"),
            l.range_max_m,
            "must be > range_min_m",
        );
        v.non_negative(&format!("{lk}.noise_std_m"), l.noise_std_m);

        if let Some(f) = &self.robots.fleet {
            v.positive("robots.fleet.spacing_m", f.spacing_m);
            v.check(f.per_row >= 1, "robots.fleet.per_row", f.per_row, "must be >= 1");
            v.finite("robots.fleet.first.x", f.first.x);
            v.finite("robots.fleet.first.y", f.first.y);
            v.finite("robots.fleet.first.yaw", f.first.yaw);
        }
        for (i, e) in self.robots.list.iter().enumerate() {
            v.pose_on_floor(&format!("robots.list[{i}].start"), &e.start, &self.floor);
            if let Some(s) = e.initial_soc {
                v.finite_in(&format!("robots.list[{i}].initial_soc"), s, 0.0, 1.0, true);
            }
        }
        let robots = self.resolved_robots();
        v.check(
            !robots.is_empty(),
            "robots",
            "(none)",
            "needs robots.list or robots.fleet with at least one robot",
        );
        v.unique_ids("robots", robots.iter().map(|r| r.id.as_str()));
    }

    fn validate_energy(&self, v: &mut Validator) {
        let e = &self.energy;
        v.non_negative("energy.base_load_kw", e.base_load_kw);
        v.non_negative("energy.solar.peak_kw", e.solar.peak_kw);
        v.finite_in("energy.solar.sunrise_h", e.solar.sunrise_h, 0.0, 24.0, true);
        v.check(
            e.solar.sunset_h.is_finite() && e.solar.sunset_h > e.solar.sunrise_h && e.solar.sunset_h <= 24.0,
            "energy.solar.sunset_h",
            e.solar.sunset_h,
            format!("must be in (sunrise_h = {}, 24]", e.solar.sunrise_h),
        );
        if let Some(p) = &e.solar.hourly_profile {
            v.check(
                p.len() == 24,
                "energy.solar.hourly_profile",
                format!("({} values)", p.len()),
                "must have 24 values, one per hour from 00:00",
            );
            for (i, x) in p.iter().enumerate() {
                v.finite_in(&format!("energy.solar.hourly_profile[{i}]"), *x, 0.0, 1.0, true);
            }
        }
        let t = &e.tariff;
        v.non_negative("energy.tariff.offpeak_price_per_kwh", t.offpeak_price_per_kwh);
        v.non_negative("energy.tariff.peak_price_per_kwh", t.peak_price_per_kwh);
        v.non_negative("energy.tariff.export_price_per_kwh", t.export_price_per_kwh);
        for (i, [a, b]) in t.peak_hours.iter().enumerate() {
            v.check(
                a.is_finite() && b.is_finite() && 0.0 <= *a && a < b && *b <= 24.0,
                &format!("energy.tariff.peak_hours[{i}]"),
                format!("[{a}, {b}]"),
                "must be [start_h, end_h] with 0 <= start_h < end_h <= 24",
            );
        }
        let s = &e.storage;
        v.non_negative("energy.storage.capacity_kwh", s.capacity_kwh);
        v.non_negative("energy.storage.max_kw", s.max_kw);
        v.finite_in("energy.storage.initial_soc", s.initial_soc, 0.0, 1.0, true);
        v.finite_in("energy.storage.round_trip_efficiency", s.round_trip_efficiency, 0.01, 1.0, true);
        v.finite_in("energy.storage.offpeak_charge_target_soc", s.offpeak_charge_target_soc, 0.0, 1.0, true);
    }

    fn validate_cameras(&self, v: &mut Validator) {
        v.unique_ids_named("cameras", "station", self.cameras.iter().map(|c| c.station.as_str()));
        for (i, c) in self.cameras.iter().enumerate() {
            let k = format!("cameras[{i}]");
            let station = self.stations.iter().find(|s| s.id == c.station);
            v.check(
                station.is_some(),
                &format!("{k}.station"),
                format!("\"{}\"", c.station),
                format!(
                    "must name a station in stations[].id: {}",
                    join(self.stations.iter().map(|s| s.id.as_str()))
                ),
            );
            for (name, px) in [("width_px", c.width_px), ("height_px", c.height_px)] {
                v.check((16..=8192).contains(&px), &format!("{k}.{name}"), px, "must be in [16, 8192]");
            }
            v.finite_in(&format!("{k}.px_per_mm"), c.px_per_mm, 0.1, 100.0, true);
            v.finite_in(&format!("{k}.rate_hz"), c.rate_hz, 0.01, 100.0, true);
            if let Some(s) = station {
                for (j, t) in c.part_types.iter().enumerate() {
                    v.check(
                        s.part_variants.contains(t),
                        &format!("{k}.part_types[{j}]"),
                        format!("\"{t}\""),
                        format!("station \"{}\" processes only {}", s.id, s.part_variants.join(", ")),
                    );
                }
            }
            let p = &c.part;
            v.positive(&format!("{k}.part.width_mm"), p.width_mm);
            v.positive(&format!("{k}.part.height_mm"), p.height_mm);
            v.positive(&format!("{k}.part.fiducial_diameter_mm"), p.fiducial_diameter_mm);
            let half_min = 0.5 * p.width_mm.min(p.height_mm);
            v.check(
                p.fiducial_inset_mm.is_finite()
                    && p.fiducial_inset_mm > 0.5 * p.fiducial_diameter_mm
                    && p.fiducial_inset_mm < half_min,
                &format!("{k}.part.fiducial_inset_mm"),
                p.fiducial_inset_mm,
                format!("must be in (fiducial_diameter_mm / 2, min(width_mm, height_mm) / 2 = {half_min})"),
            );
            if c.px_per_mm > 0.0 && c.px_per_mm.is_finite() {
                let (fw, fh) = (f64::from(c.width_px) / c.px_per_mm, f64::from(c.height_px) / c.px_per_mm);
                v.check(
                    p.width_mm <= fw && p.height_mm <= fh,
                    &format!("{k}.part"),
                    format!("{} x {} mm", p.width_mm, p.height_mm),
                    format!(
                        "must fit the field of view, {fw:.1} x {fh:.1} mm (width_px, height_px / px_per_mm)"
                    ),
                );
            }
            let d = &c.defects;
            v.finite_in(&format!("{k}.defects.scratch.probability"), d.scratch.probability, 0.0, 1.0, true);
            v.range_mm(&format!("{k}.defects.scratch.length_mm"), d.scratch.length_mm);
            v.range_mm(&format!("{k}.defects.scratch.width_mm"), d.scratch.width_mm);
            v.finite_in(&format!("{k}.defects.pit.probability"), d.pit.probability, 0.0, 1.0, true);
            v.range_mm(&format!("{k}.defects.pit.diameter_mm"), d.pit.diameter_mm);
            v.finite_in(
                &format!("{k}.defects.contamination.probability"),
                d.contamination.probability,
                0.0,
                1.0,
                true,
            );
            v.range_mm(&format!("{k}.defects.contamination.diameter_mm"), d.contamination.diameter_mm);
            let longest =
                d.scratch.length_mm[1].max(d.pit.diameter_mm[1]).max(d.contamination.diameter_mm[1]);
            v.check(
                longest < 0.5 * p.width_mm.min(p.height_mm),
                &format!("{k}.defects"),
                format!("longest defect {longest} mm"),
                "must be shorter than half the part's smaller side",
            );
            v.non_negative(&format!("{k}.misalignment.offset_std_mm"), c.misalignment.offset_std_mm);
            v.finite_in(
                &format!("{k}.misalignment.rotation_std_deg"),
                c.misalignment.rotation_std_deg,
                0.0,
                10.0,
                true,
            );
            v.finite_in(&format!("{k}.lighting.gain_std"), c.lighting.gain_std, 0.0, 0.3, true);
            v.finite_in(&format!("{k}.lighting.gradient"), c.lighting.gradient, 0.0, 0.5, true);
            v.finite_in(&format!("{k}.lighting.noise_std"), c.lighting.noise_std, 0.0, 50.0, true);
            if let Some(t) = &c.thermal {
                let tk = format!("{k}.thermal");
                for (name, px) in [("width_px", t.width_px), ("height_px", t.height_px)] {
                    v.check((8..=4096).contains(&px), &format!("{tk}.{name}"), px, "must be in [8, 4096]");
                }
                v.finite_in(&format!("{tk}.part_temperature_k"), t.part_temperature_k, 1.0, 600.0, true);
                v.finite_in(&format!("{tk}.hotspot_probability"), t.hotspot_probability, 0.0, 1.0, true);
                v.range_mm(&format!("{tk}.hotspot_delta_k"), t.hotspot_delta_k);
                v.range_mm(&format!("{tk}.hotspot_radius_mm"), t.hotspot_radius_mm);
                v.check(
                    t.part_temperature_k + t.hotspot_delta_k[1] < 655.0,
                    &format!("{tk}.hotspot_delta_k"),
                    format!("[{}, {}]", t.hotspot_delta_k[0], t.hotspot_delta_k[1]),
                    "part_temperature_k + max must stay below 655 K (mono16 centi-kelvin)",
                );
                v.finite_in(&format!("{tk}.noise_std_k"), t.noise_std_k, 0.0, 10.0, true);
            }
            if let Some(f) = &c.fastening {
                let fk = format!("{k}.fastening");
                v.positive(&format!("{fk}.target_torque_nm"), f.target_torque_nm);
                v.non_negative(&format!("{fk}.prevailing_torque_nm"), f.prevailing_torque_nm);
                v.check(
                    f.prevailing_torque_nm < 0.5 * f.target_torque_nm,
                    &format!("{fk}.prevailing_torque_nm"),
                    f.prevailing_torque_nm,
                    "must be below half of target_torque_nm",
                );
                v.range_mm(&format!("{fk}.snug_angle_deg"), f.snug_angle_deg);
                v.positive(&format!("{fk}.stiffness_nm_per_deg"), f.stiffness_nm_per_deg);
                v.finite_in(&format!("{fk}.stiffness_jitter"), f.stiffness_jitter, 0.0, 0.2, true);
                v.non_negative(&format!("{fk}.noise_std_nm"), f.noise_std_nm);
                v.finite_in(&format!("{fk}.angle_step_deg"), f.angle_step_deg, 0.01, 30.0, true);
                // A good run-down must end well before the tool's angle limit, or a
                // stripped thread could not be told from it.
                let good_end = f.snug_angle_deg[1]
                    + (f.target_torque_nm - f.prevailing_torque_nm) / f.stiffness_nm_per_deg.max(1e-9);
                v.check(
                    f.max_angle_deg.is_finite() && f.max_angle_deg > 2.5 * good_end,
                    &format!("{fk}.max_angle_deg"),
                    f.max_angle_deg,
                    format!("must exceed 2.5x the longest good run-down ({good_end:.0} deg)"),
                );
                v.finite_in(&format!("{fk}.fault_probability"), f.fault_probability, 0.0, 1.0, true);
            }
        }
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.into_iter().collect();
    if v.is_empty() {
        "(none)".to_string()
    } else {
        v.join(", ")
    }
}

/// Collects validation problems with their key paths.
#[derive(Default)]
struct Validator {
    issues: Vec<ConfigIssue>,
}

impl Validator {
    fn issue(&mut self, key: &str, value: impl fmt::Display, reason: impl Into<String>) {
        self.issues.push(ConfigIssue {
            key: key.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    fn check(&mut self, ok: bool, key: &str, value: impl fmt::Display, reason: impl Into<String>) {
        if !ok {
            self.issue(key, value, reason);
        }
    }

    fn finite(&mut self, key: &str, x: f64) {
        self.check(x.is_finite(), key, x, "must be a finite number");
    }

    fn positive(&mut self, key: &str, x: f64) {
        self.check(x.is_finite() && x > 0.0, key, x, "must be > 0");
    }

    fn non_negative(&mut self, key: &str, x: f64) {
        self.check(x.is_finite() && x >= 0.0, key, x, "must be >= 0");
    }

    /// `lo <= x < hi`, or `lo <= x <= hi` when `inclusive`.
    fn finite_in(&mut self, key: &str, x: f64, lo: f64, hi: f64, inclusive: bool) {
        let ok = x.is_finite() && x >= lo && if inclusive { x <= hi } else { x < hi };
        let close = if inclusive { "]" } else { ")" };
        self.check(ok, key, x, format!("must be in [{lo}, {hi}{close}"));
    }

    fn pose_on_floor(&mut self, key: &str, p: &Pose2, floor: &FloorConfig) {
        self.check(
            p.x.is_finite() && p.x >= 0.0 && p.x <= floor.width_m,
            &format!("{key}.x"),
            p.x,
            format!("must be on the floor, in [0, floor.width_m = {}]", floor.width_m),
        );
        self.check(
            p.y.is_finite() && p.y >= 0.0 && p.y <= floor.height_m,
            &format!("{key}.y"),
            p.y,
            format!("must be on the floor, in [0, floor.height_m = {}]", floor.height_m),
        );
        self.finite(&format!("{key}.yaw"), p.yaw);
    }

    fn unique_ids<'a>(&mut self, key: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if id.is_empty() {
                self.issue(&format!("{key}[{i}].id"), "\"\"", "must not be empty");
            } else if !seen.insert(id) {
                self.issue(
                    &format!("{key}[{i}].id"),
                    format!("\"{id}\""),
                    "is used twice; ids must be unique",
                );
            }
        }
    }

    /// `[min, max]` with `0 < min <= max`, all finite.
    fn range_mm(&mut self, key: &str, r: [f64; 2]) {
        self.check(
            r[0].is_finite() && r[1].is_finite() && r[0] > 0.0 && r[0] <= r[1],
            key,
            format!("[{}, {}]", r[0], r[1]),
            "must be [min, max] with 0 < min <= max",
        );
    }

    /// Like `unique_ids` for lists keyed by another field than `id`.
    fn unique_ids_named<'a>(&mut self, key: &str, field: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if !seen.insert(id) {
                self.issue(
                    &format!("{key}[{i}].{field}"),
                    format!("\"{id}\""),
                    "is used twice; one camera per station",
                );
            }
        }
    }

    fn finish(self) -> Result<(), ConfigError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(self.issues))
        }
    }
}
