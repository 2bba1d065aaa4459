//! The shipped `config/factory.yaml` loads and round-trips; a key left out takes the
//! default the README documents.

use std::f64::consts::PI;

use factory_layout::fixtures::SMALL_FACTORY;
use factory_layout::{FactoryConfig, FaultModeConfig};

fn shipped() -> String {
    format!("{}/../../config/factory.yaml", env!("CARGO_MANIFEST_DIR"))
}

fn parse(text: &str) -> FactoryConfig {
    match FactoryConfig::from_yaml_str(text) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn shipped_config_round_trips_through_serde() {
    let cfg = FactoryConfig::load(shipped()).unwrap();
    let text = serde_yaml::to_string(&cfg).unwrap();
    let again = FactoryConfig::from_yaml_str(&text).unwrap();
    assert_eq!(serde_yaml::to_string(&again).unwrap(), text);
}

#[test]
fn shipped_config_views() {
    let cfg = FactoryConfig::load(shipped()).unwrap();
    let robots = cfg.resolved_robots();
    assert_eq!(robots.len(), 9);
    assert_eq!(robots[0].id, "optimus_inspector");
    assert_eq!(robots[0].params.capabilities, ["navigation", "inspection"]);
    // fleet: first (14, 6), spacing 2.5, four per row.
    let optimus_6 = cfg.robot("optimus_6").map(|r| (r.start.x, r.start.y));
    assert_eq!(optimus_6, Some((14.0 + 2.5, 6.0 + 2.5)));
    assert_eq!(cfg.line_order(), ["cut", "form", "weld", "paint", "inspect", "pack"]);
    assert_eq!(cfg.static_obstacles().len(), cfg.obstacles.len() + cfg.machines.len());
    let inspect = &cfg.cameras[0];
    assert_eq!(cfg.camera_part_types(inspect), ["A", "B", "C"]);
}

/// Only the required keys: everything else comes from the defaults.
const BARE: &str = r#"
seed: 1
floor: { width_m: 20.0, height_m: 10.0 }
warehouse: { pose: { x: 2.0, y: 8.0 }, raw_material: { A: 10 } }
machines:
  - id: m1
    pose: { x: 10.0, y: 5.0 }
    size_x_m: 2.0
    size_y_m: 1.0
    idle_kw: 1.0
    working_kw: 2.0
    components:
      - { id: b, type: bearing, bearing: { n_balls: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04 }, fault: {} }
      - { id: mo, type: motor }
chargers: [ { id: c1, pose: { x: 18.0, y: 2.0 } } ]
stations: [ { id: s1, machine: m1, pose: { x: 10.0, y: 3.5 }, cycle_time_s: 10.0, buffer_capacity: 1, part_variants: [A] } ]
production: { batches: [ { variant: A, quantity: 1 } ] }
robots:
  fleet: { count: 2, first: { x: 3.0, y: 2.0 } }
cameras: [ { station: s1, thermal: {}, fastening: {} } ]
"#;

#[test]
fn left_out_keys_take_the_documented_defaults() {
    let c = parse(BARE);
    assert_eq!(c.texture_seed(), 1);
    assert_eq!(c.start_time_of_day_h, 6.0);
    assert_eq!(c.physics.max_step_s, 0.02);
    assert_eq!((c.floor.resolution_m, c.floor.perimeter_wall_m), (0.05, 0.2));
    assert_eq!((c.chargers[0].power_kw, c.chargers[0].radius_m), (2.0, 0.6));
    let m = &c.machines[0];
    assert_eq!((m.reach_m, m.working_load), (0.8, 0.8));
    let b = &m.components[0];
    assert_eq!(b.bearing.map(|g| g.contact_angle_deg), Some(0.0));
    assert_eq!((b.shaft_rpm, b.rated_current_a, b.no_load_current_a), (1800.0, 12.0, 4.0));
    assert_eq!(b.lube_interval_h, None);
    let f = b.fault.clone().unwrap();
    assert_eq!(f.mode, FaultModeConfig::Random);
    assert_eq!(f.onset_h, None);
    assert_eq!(
        (f.onset_mean_h, f.growth_per_h, f.growth_jitter, f.initial_severity, f.start_severity),
        (8.0, 0.5, 0.2, 0.05, 0.0)
    );
    let v = &b.vibration;
    assert_eq!(
        (
            v.resonance_hz,
            v.damping_ratio,
            v.impulse_at_failure_mps2,
            v.shaft_1x_mps2,
            v.noise_std_mps2,
            v.slip_fraction
        ),
        (3000.0, 0.05, 30.0, 0.4, 0.3, 0.01)
    );
    let t = &b.thermal;
    assert_eq!(
        (t.load_rise_k, t.wear_rise_k, t.lube_overdue_rise_k, t.time_constant_s),
        (15.0, 35.0, 8.0, 600.0)
    );
    assert!(m.components[1].fault.is_none());
    let s = &c.stations[0];
    assert_eq!(s.changeover_s, 0.0);
    assert!(s.variant_cycle_time_s.is_empty());
    assert!(c.production.repeat);

    let fleet = c.robots.fleet.clone().unwrap();
    assert_eq!((fleet.id_prefix.as_str(), fleet.spacing_m, fleet.per_row), ("optimus_", 1.0, 10));
    let ids: Vec<String> = c.resolved_robots().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["optimus_1", "optimus_2"]);
    let p = &c.robots.defaults;
    assert_eq!(
        (p.radius_m, p.max_linear_mps, p.max_angular_rps, p.max_linear_accel_mps2, p.max_angular_accel_rps2),
        (0.35, 1.2, 1.5, 1.0, 2.0)
    );
    assert_eq!((p.cmd_timeout_s, p.battery_wh, p.initial_soc), (0.5, 2300.0, 0.8));
    assert_eq!((p.idle_w, p.motion_w_per_mps, p.turn_w_per_rps, p.work_w), (150.0, 250.0, 60.0, 400.0));
    assert_eq!((p.battery_voltage_empty_v, p.battery_voltage_full_v), (44.0, 54.6));
    assert_eq!(p.capabilities, ["navigation", "manipulation", "inspection", "maintenance"]);
    let joints: Vec<(&str, f64, f64, f64)> =
        p.arm_joints.iter().map(|j| (j.name.as_str(), j.min_rad, j.max_rad, j.max_velocity_rps)).collect();
    assert_eq!(joints.len(), 8);
    assert_eq!(joints[0], ("left_shoulder_pitch", -PI, PI, 2.0));
    assert_eq!(joints[2], ("left_elbow", 0.0, 2.6, 2.0));
    assert_eq!(joints[5], ("right_shoulder_roll", -1.6, 1.6, 2.0));
    assert_eq!(joints[7], ("right_wrist", -PI, PI, 2.0));
    let l = &p.laser;
    assert_eq!((l.rate_hz, l.n_rays, l.angle_min_rad), (10.0, 360, -PI));
    assert_eq!(l.angle_max_rad, PI - 2.0 * PI / 360.0);
    assert_eq!((l.range_min_m, l.range_max_m, l.noise_std_m), (0.05, 20.0, 0.0));

    // No `energy` section: no base load (the first parser's rule); the rest defaults.
    let e = &c.energy;
    assert_eq!(e.base_load_kw, 0.0);
    assert_eq!((e.solar.peak_kw, e.solar.sunrise_h, e.solar.sunset_h), (300.0, 6.0, 20.0));
    assert!(e.solar.hourly_profile.is_none());
    let t = &e.tariff;
    assert_eq!((t.offpeak_price_per_kwh, t.peak_price_per_kwh, t.export_price_per_kwh), (0.12, 0.35, 0.04));
    assert_eq!(t.peak_hours, [[17.0, 21.0]]);
    let s = &e.storage;
    assert_eq!(
        (s.capacity_kwh, s.max_kw, s.initial_soc, s.round_trip_efficiency, s.offpeak_charge_target_soc),
        (3900.0, 1900.0, 0.5, 0.92, 0.9)
    );
    let m = &c.maintenance;
    assert_eq!((m.repair_s, m.replace_s, m.lubricate_s, m.recalibrate_s), (600.0, 900.0, 120.0, 600.0));
    let t = &c.telemetry;
    assert_eq!(
        (t.period_s, t.sample_rate_hz, t.chunk_samples, t.snapshot_period_s, t.snapshot_s),
        (1.0, 12000.0, 4096, 0.0, 5.0)
    );
    assert_eq!(c.health.ambient_k, 295.15);

    let cam = &c.cameras[0];
    assert_eq!(
        (cam.width_px, cam.height_px, cam.px_per_mm, cam.rate_hz, cam.frames_per_part),
        (1280, 1024, 5.0, 2.0, 0)
    );
    assert!(cam.part_types.is_empty());
    let part = &cam.part;
    assert_eq!(
        (part.width_mm, part.height_mm, part.fiducial_inset_mm, part.fiducial_diameter_mm),
        (200.0, 160.0, 12.0, 6.0)
    );
    let d = &cam.defects;
    assert_eq!(
        (d.scratch.probability, d.scratch.length_mm, d.scratch.width_mm),
        (0.1, [2.0, 12.0], [0.15, 0.4])
    );
    assert_eq!((d.pit.probability, d.pit.diameter_mm), (0.1, [0.4, 1.5]));
    assert_eq!((d.contamination.probability, d.contamination.diameter_mm), (0.05, [2.0, 8.0]));
    assert_eq!((cam.misalignment.offset_std_mm, cam.misalignment.rotation_std_deg), (0.3, 0.3));
    assert_eq!((cam.lighting.gain_std, cam.lighting.gradient, cam.lighting.noise_std), (0.05, 0.1, 2.0));
    let th = cam.thermal.clone().unwrap();
    assert_eq!(
        (th.width_px, th.height_px, th.part_temperature_k, th.hotspot_probability),
        (320, 256, 303.15, 0.05)
    );
    assert_eq!((th.hotspot_delta_k, th.hotspot_radius_mm, th.noise_std_k), ([8.0, 30.0], [3.0, 10.0], 0.05));
    let fa = cam.fastening.clone().unwrap();
    assert_eq!(
        (fa.target_torque_nm, fa.prevailing_torque_nm, fa.snug_angle_deg, fa.stiffness_nm_per_deg),
        (12.0, 0.4, [28.0, 32.0], 0.15)
    );
    assert_eq!(
        (fa.stiffness_jitter, fa.noise_std_nm, fa.angle_step_deg, fa.max_angle_deg, fa.fault_probability),
        (0.02, 0.05, 1.0, 360.0, 0.05)
    );
}

#[test]
fn an_energy_section_without_base_load_takes_twenty_kilowatts() {
    let c = parse(&format!("{BARE}energy: {{}}\n"));
    assert_eq!(c.energy.base_load_kw, 20.0);
    let c = parse(&format!("{BARE}energy: {{ solar: {{ peak_kw: 10.0 }} }}\n"));
    assert_eq!((c.energy.base_load_kw, c.energy.solar.peak_kw, c.energy.solar.sunset_h), (20.0, 10.0, 20.0));
}

#[test]
fn required_keys_stay_required() {
    for (key, from, to) in [
        ("width_m", "width_m: 24.0, ", ""),
        ("cycle_time_s", "cycle_time_s: 20.0, ", ""),
        ("count", "count: 4, ", ""),
        ("idle_kw", "    idle_kw: 1.0\n", ""),
    ] {
        assert!(SMALL_FACTORY.contains(from), "test edit does not apply: {from}");
        let text = SMALL_FACTORY.replacen(from, to, 1);
        match FactoryConfig::from_yaml_str(&text) {
            Ok(_) => panic!("accepted without {key}"),
            Err(e) => assert!(e.to_string().contains(&format!("missing field `{key}`")), "{e}"),
        }
    }
}
