//! Config errors name the key path, the bad value and what is allowed.

use factory_layout::fixtures::SMALL_FACTORY;
use factory_layout::{ConfigError, FactoryConfig, FaultModeConfig};

/// Replaces the first occurrence of `from` in the test factory and parses it.
fn parse_with(from: &str, to: &str) -> Result<FactoryConfig, ConfigError> {
    assert!(SMALL_FACTORY.contains(from), "test edit does not apply: {from}");
    FactoryConfig::from_yaml_str(&SMALL_FACTORY.replacen(from, to, 1))
}

fn message(r: Result<FactoryConfig, ConfigError>) -> String {
    match r {
        Ok(_) => panic!("config was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_values_name_key_value_and_rule() {
    let cases = [
        ("cycle_time_s: 25.0", "cycle_time_s: -3", "stations[2].cycle_time_s = -3: must be > 0"),
        (
            "buffer_capacity: 2, part_variants: [A, B] }",
            "buffer_capacity: 0, part_variants: [A, B] }",
            "stations[1].buffer_capacity = 0: must be >= 1",
        ),
        ("resolution_m: 0.05", "resolution_m: 0.0", "floor.resolution_m = 0: must be > 0"),
        (
            "pitch_diameter_mm: 65.0",
            "pitch_diameter_mm: 10.0",
            "machines[1].components[0].bearing.pitch_diameter_mm = 10: must be > ball_diameter_mm",
        ),
        ("n_balls: 9", "n_balls: 1", "machines[0].components[0].bearing.n_balls = 1: must be >= 3"),
        (
            "growth_per_h: 0.5 } }",
            "growth_per_h: -1.0 } }",
            "machines[2].components[0].fault.growth_per_h = -1: must be > 0",
        ),
        (
            "pose: { x: 18.0, y: 6.4 }",
            "pose: { x: 80.0, y: 6.4 }",
            "stations[2].pose.x = 80: must be on the floor, in [0, floor.width_m = 24]",
        ),
        ("repair_s: 60.0", "repair_s: .nan", "maintenance.repair_s = NaN: must be > 0"),
        ("chunk_samples: 1024", "chunk_samples: 4", "telemetry.chunk_samples = 4: must be in [16, 1048576]"),
        (
            "chunk_samples: 1024",
            "chunk_samples: 1024, snapshot_period_s: 0.5",
            "telemetry.snapshot_period_s = 0.5: must be 0 (continuous) or at least telemetry.period_s",
        ),
        (
            "chunk_samples: 1024",
            "chunk_samples: 1024, snapshot_period_s: 60.0, snapshot_s: 60.0",
            "telemetry.snapshot_s = 60: must be above 0 and below telemetry.snapshot_period_s",
        ),
    ];
    for (from, to, expected) in cases {
        let msg = message(parse_with(from, to));
        assert!(msg.contains(expected), "\nexpected: {expected}\n     got: {msg}");
    }
}

#[test]
fn broken_references_are_errors() {
    let msg = message(parse_with("machine: m2", "machine: m9"));
    assert!(msg.contains("stations[1].machine = \"m9\"") && msg.contains("m1, m2, m3"), "{msg}");

    let msg = message(parse_with("{ variant: B, quantity: 3 }", "{ variant: Z, quantity: 3 }"));
    assert!(
        msg.contains(
            "production.batches[1].variant = \"Z\": must be stocked in warehouse.raw_material: A, B"
        ),
        "{msg}"
    );

    let msg = message(parse_with("part_variants: [A, B], changeover_s", "part_variants: [A], changeover_s"));
    assert!(
        msg.contains("production.batches[1].variant = \"B\": station \"s1\" does not process it"),
        "{msg}"
    );

    let msg = message(parse_with("mode: outer_race", "mode: drag"));
    assert!(
        msg.contains("machines[0].components[0].fault.mode = drag: a bearing allows random, outer_race"),
        "{msg}"
    );

    let msg = message(parse_with("id: m3", "id: m2"));
    assert!(msg.contains("machines[2].id = \"m2\": is used twice"), "{msg}");
}

#[test]
fn unknown_keys_and_wrong_types_name_the_key() {
    let msg = message(parse_with("cycle_time_s: 30.0", "cycle_tme_s: 30.0"));
    assert!(msg.contains("stations[1]") && msg.contains("cycle_tme_s"), "{msg}");
    let msg = message(parse_with("buffer_capacity: 3", "buffer_capacity: lots"));
    assert!(msg.contains("stations[0].buffer_capacity"), "{msg}");
    let msg = message(parse_with("type: conveyor_belt", "type: gearbox"));
    assert!(msg.contains("machines[2].components[0].type") && msg.contains("gearbox"), "{msg}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = SMALL_FACTORY.replacen("cycle_time_s: 25.0", "cycle_time_s: -3", 1).replacen(
        "repair_s: 60.0",
        "repair_s: 0",
        1,
    );
    let e = FactoryConfig::from_yaml_str(&text).unwrap_err();
    let keys: Vec<&str> = e.issues().iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["stations[2].cycle_time_s", "maintenance.repair_s"]);
}

#[test]
fn missing_file_names_the_path() {
    let e = FactoryConfig::load("/nonexistent/factory.yaml").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/factory.yaml"), "{e}");
}

#[test]
fn injected_faults_override_the_layout_and_bad_entries_name_the_problem() {
    let mut cfg = FactoryConfig::from_yaml_str(SMALL_FACTORY).expect("the test factory parses");
    cfg.inject_faults("m2/bearing outer_race start_severity=0.01 growth_per_h=12; m1/motor winding")
        .expect("two good entries");
    let fault = |m: usize, c: usize| cfg.machines[m].components[c].fault.clone().expect("a fault");
    let bearing = fault(1, 0);
    assert_eq!(bearing.mode, FaultModeConfig::OuterRace);
    assert_eq!((bearing.start_severity, bearing.growth_per_h, bearing.growth_jitter), (0.01, 12.0, 0.0));
    assert_eq!(fault(0, 1).mode, FaultModeConfig::Winding);
    // Nothing to inject is no change.
    let before = format!("{:?}", cfg.machines);
    cfg.inject_faults("  ").expect("empty");
    assert_eq!(format!("{:?}", cfg.machines), before);

    for (spec, expected) in [
        ("m9/bearing outer_race", "inject_faults[0] = m9/bearing outer_race: no machine `m9`"),
        ("m1/gearbox ball", "machine `m1` has no component `gearbox`"),
        ("m1/bearing spalling", "unknown fault mode `spalling`"),
        ("m1/bearing ball growth=2", "unknown key `growth`"),
        ("m1/bearing ball growth_per_h=fast", "growth_per_h = `fast` is not a number"),
        ("m1 ball", "must start with machine/component"),
        ("m1/bearing ball; m1/bearing ball growth_per_h=-1", "fault.growth_per_h = -1: must be > 0"),
    ] {
        let mut cfg = FactoryConfig::from_yaml_str(SMALL_FACTORY).expect("the test factory parses");
        let error = cfg.inject_faults(spec).expect_err(spec).to_string();
        assert!(error.contains(expected), "{spec}: {error}");
    }
}

#[test]
fn camera_config_errors_name_key_value_and_rule() {
    let bad = format!(
        "{}cameras:\n  - station: s9\n    px_per_mm: -1.0\n    defects: {{ pit: {{ probability: 1.5, diameter_mm: [2.0, 1.0] }} }}\n    thermal: {{ width_px: 2 }}\n    fastening: {{ stiffness_nm_per_deg: 0.0, max_angle_deg: 90.0 }}\n  - station: s1\n    part_types: [Z]\n    px_per_mm: 10.0\n",
        SMALL_FACTORY
    );
    let Err(ConfigError::Invalid(issues)) = FactoryConfig::from_yaml_str(&bad) else {
        panic!("bad camera config accepted")
    };
    let text: Vec<String> = issues.iter().map(|i| format!("{} = {}: {}", i.key, i.value, i.reason)).collect();
    let has = |k: &str| text.iter().any(|t| t.starts_with(k));
    for key in [
        "cameras[0].station = \"s9\"",
        "cameras[0].px_per_mm = -1",
        "cameras[0].defects.pit.probability = 1.5",
        "cameras[0].defects.pit.diameter_mm = [2, 1]",
        "cameras[0].thermal.width_px = 2",
        "cameras[0].fastening.stiffness_nm_per_deg = 0",
        "cameras[0].fastening.max_angle_deg = 90",
        "cameras[1].part_types[0] = \"Z\"",
        "cameras[1].part =",
    ] {
        assert!(has(key), "no issue for {key} in {text:#?}");
    }
    let unknown = format!("{}cameras:\n  - {{ station: s1, colour: red }}\n", SMALL_FACTORY);
    let Err(ConfigError::Parse(msg)) = FactoryConfig::from_yaml_str(&unknown) else {
        panic!("unknown key accepted")
    };
    assert!(msg.contains("colour"), "{msg}");
}
