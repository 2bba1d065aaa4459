//! A small valid layout: three machines in a row (bearings, motors, a conveyor belt),
//! a three-station line, two variants, three listed robots and a fleet of four. Tests
//! and examples of the crates that read the layout start from it and edit what they
//! check, so that none of them carries a copy of the schema.

pub const SMALL_FACTORY: &str = r#"
seed: 7
physics: { max_step_s: 0.05 }
floor: { width_m: 24.0, height_m: 14.0, resolution_m: 0.05, perimeter_wall_m: 0.2 }
obstacles:
  - { name: pillar, x_min: 9.0, y_min: 3.0, x_max: 9.6, y_max: 3.6 }
warehouse: { pose: { x: 2.0, y: 11.0 }, raw_material: { A: 100000, B: 100000 } }
chargers:
  - { id: charger_1, pose: { x: 21.0, y: 2.0 }, power_kw: 2.0, radius_m: 0.6 }
machines:
  - id: m1
    pose: { x: 6.0, y: 8.0 }
    size_x_m: 2.0
    size_y_m: 1.5
    idle_kw: 1.0
    working_kw: 5.0
    components:
      - id: bearing
        type: bearing
        bearing: { n_balls: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04, contact_angle_deg: 0.0 }
        shaft_rpm: 1797
        fault: { mode: outer_race, onset_mean_h: 10.0, growth_per_h: 0.5 }
      - { id: motor, type: motor, rated_current_a: 12.0, no_load_current_a: 4.0 }
  - id: m2
    pose: { x: 12.0, y: 8.0 }
    size_x_m: 2.0
    size_y_m: 1.5
    idle_kw: 1.0
    working_kw: 7.0
    components:
      - id: bearing
        type: bearing
        bearing: { n_balls: 12, ball_diameter_mm: 12.7, pitch_diameter_mm: 65.0, contact_angle_deg: 15.0 }
        shaft_rpm: 900
        fault: { mode: inner_race, onset_mean_h: 10.0, growth_per_h: 0.5 }
  - id: m3
    pose: { x: 18.0, y: 8.0 }
    size_x_m: 2.0
    size_y_m: 1.5
    idle_kw: 0.5
    working_kw: 2.0
    components:
      - { id: belt, type: conveyor_belt, fault: { mode: drag, onset_mean_h: 10.0, growth_per_h: 0.5 } }
      - { id: motor, type: motor, rated_current_a: 6.0, no_load_current_a: 2.0 }
stations:
  - { id: s1, machine: m1, pose: { x: 6.0, y: 6.4 }, cycle_time_s: 20.0, buffer_capacity: 3, part_variants: [A, B], changeover_s: 10.0 }
  - { id: s2, machine: m2, pose: { x: 12.0, y: 6.4 }, cycle_time_s: 30.0, buffer_capacity: 2, part_variants: [A, B] }
  - { id: s3, machine: m3, pose: { x: 18.0, y: 6.4 }, cycle_time_s: 25.0, buffer_capacity: 2, part_variants: [A, B], variant_cycle_time_s: { B: 35.0 } }
production:
  batches: [ { variant: A, quantity: 5 }, { variant: B, quantity: 3 } ]
robots:
  defaults:
    laser: { rate_hz: 10.0, n_rays: 90 }
  list:
    - { id: service_1, start: { x: 6.0, y: 6.4, yaw: 1.5708 } }
    - { id: service_2, start: { x: 12.0, y: 6.4, yaw: 1.5708 } }
    - { id: service_3, start: { x: 18.0, y: 6.4, yaw: 1.5708 } }
  fleet: { count: 4, id_prefix: runner_, first: { x: 3.0, y: 2.0 }, spacing_m: 1.2, per_row: 4 }
maintenance: { repair_s: 60.0, replace_s: 90.0, lubricate_s: 20.0, recalibrate_s: 30.0 }
telemetry: { period_s: 1.0, sample_rate_hz: 12000.0, chunk_samples: 1024 }
"#;
