//! Bad telemetry is rejected with the field named, and leaves the state untouched.

mod common;

use maintenance_dispatcher::*;

fn good() -> Telemetry {
    common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 10.0)
}

fn rejected(t: &Telemetry) -> TelemetryError {
    let mut d = MaintenanceDispatcher::new(common::config()).unwrap();
    match d.process(t) {
        Err(e) => e,
        Ok(o) => panic!("accepted bad telemetry: {o:?}"),
    }
}

#[test]
fn good_chunk_is_accepted() {
    let mut d = MaintenanceDispatcher::new(common::config()).unwrap();
    d.process(&good()).unwrap();
}

#[test]
fn nan_and_inf_samples_name_vibration_with_index() {
    let mut t = good();
    t.vibration_mps2[17] = f32::NAN;
    let e = rejected(&t);
    assert_eq!(e.field(), "vibration_mps2");
    assert!(matches!(e, TelemetryError::NonFiniteSample { index: 17, .. }), "{e}");
    t.vibration_mps2[17] = f32::INFINITY;
    assert_eq!(rejected(&t).field(), "vibration_mps2");
}

#[test]
fn bad_sample_rates_name_sample_rate() {
    for rate in [0.0, -12_000.0, f64::NAN, 5.0e9] {
        let mut t = good();
        t.sample_rate_hz = rate;
        assert_eq!(rejected(&t).field(), "sample_rate_hz", "rate {rate}");
    }
    // Too low for this bearing's defect frequencies at this speed.
    let mut t = good();
    t.sample_rate_hz = 1_000.0;
    let e = rejected(&t);
    assert_eq!(e.field(), "sample_rate_hz");
    assert!(matches!(e, TelemetryError::InconsistentSampleRate { .. }), "{e}");
}

#[test]
fn stamps_inconsistent_with_the_rate_are_rejected() {
    let mut d = MaintenanceDispatcher::new(common::config()).unwrap();
    // 1200 samples at 12 kHz = 0.1 s per chunk.
    d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 0.0)).unwrap();
    // Next chunk stamped 0.05 s later: the previous chunk cannot have been 0.1 s long.
    let e = d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 0.05)).unwrap_err();
    assert_eq!(e.field(), "sample_rate_hz");
    // A consistent chunk is still accepted (the rejection changed nothing).
    d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 0.1)).unwrap();
    // Chunks that arrive systematically twice as far apart as their length: the
    // declared rate is too high. One gap is a dropped chunk; the second is an error.
    d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 0.3)).unwrap();
    let e = d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 0.5)).unwrap_err();
    assert!(matches!(e, TelemetryError::InconsistentSampleRate { .. }), "{e}");
}

#[test]
fn empty_chunk_is_rejected_but_a_scalar_only_chunk_is_not() {
    let mut t = good();
    t.vibration_mps2.clear();
    let e = rejected(&t);
    assert_eq!(e.field(), "vibration_mps2");
    assert!(matches!(e, TelemetryError::EmptyChunk(_)));
    // No waveform and a zero rate: a temperature-only chunk, accepted.
    t.sample_rate_hz = 0.0;
    let mut d = MaintenanceDispatcher::new(common::config()).unwrap();
    d.process(&t).unwrap();
}

#[test]
fn unknown_machine_and_component_are_named() {
    let mut t = good();
    t.machine_id = "lathe_9".into();
    assert_eq!(rejected(&t).field(), "machine_id");
    let mut t = good();
    t.component_id = "tailstock".into();
    assert_eq!(rejected(&t).field(), "component_id");
}

#[test]
fn scalar_fields_are_checked() {
    type Spoil = fn(&mut Telemetry);
    let cases: [(&str, Spoil); 7] = [
        ("temperature_k", |t| t.temperature_k = f32::NAN),
        ("temperature_k", |t| t.temperature_k = -3.0),
        ("shaft_speed_hz", |t| t.shaft_speed_hz = -1.0),
        ("load_fraction", |t| t.load_fraction = 50.0),
        ("motor_current_a", |t| t.motor_current_a = f32::INFINITY),
        ("joint_torques_nm", |t| t.joint_torques_nm = vec![1.0, f32::NAN]),
        ("stamp", |t| t.stamp_s = f64::NAN),
    ];
    for (field, spoil) in cases {
        let mut t = good();
        spoil(&mut t);
        let e = rejected(&t);
        assert_eq!(e.field(), field, "{e}");
        assert!(e.to_string().contains(field), "message should name the field: {e}");
    }
}

#[test]
fn stamp_going_back_is_rejected() {
    let mut d = MaintenanceDispatcher::new(common::config()).unwrap();
    d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 5.0)).unwrap();
    let e = d.process(&common::bearing_chunk(vec![0.1; 1200], 12_000.0, 25.0, 1.0)).unwrap_err();
    assert_eq!(e.field(), "stamp");
}

#[test]
fn invalid_configuration_is_rejected_with_its_path() {
    let mut c = common::config();
    if let ComponentKind::Bearing(b) = &mut c.machines[0].components[0].kind {
        b.geometry.ball_diameter_mm = 80.0;
    }
    let e = MaintenanceDispatcher::new(c).err().unwrap();
    assert!(e.path.contains("machines[0].components[0].kind.bearing.geometry"), "{e}");
    let mut c = common::config();
    c.machines.push(c.machines[0].clone());
    assert!(MaintenanceDispatcher::new(c).is_err());
}
