//! A bad config file or a bad `-p` override stops a node at start-up with exit code 2
//! and one line that names the key, the value and what is allowed; never a panic.

use factory_integration_tests::{repo_root, run_to_exit};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

fn write(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("bad_config_{}_{name}", std::process::id()));
    std::fs::write(&path, text).expect("write config");
    path.to_string_lossy().into_owned()
}

fn assert_clean_failure(code: Option<i32>, out: &str, needles: &[&str]) {
    assert_eq!(code, Some(2), "expected exit code 2, output:\n{out}");
    for needle in needles {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(!out.contains("panicked"), "a bad value must not panic:\n{out}");
    assert!(!out.contains("RUST_BACKTRACE"), "{out}");
}

#[test]
fn out_of_range_value_in_params_file() {
    let file = write("range.yaml", "charge_monitor:\n  ros__parameters:\n    low_battery_soc: 1.5\n");
    let (code, out) = run_to_exit("charge_monitor", &["--ros-args", "--params-file", &file], LIMIT);
    assert_clean_failure(code, &out, &["'low_battery_soc' = 1.5", "must be within [0, 1]"]);
}

#[test]
fn out_of_range_override_on_the_command_line() {
    let (code, out) = run_to_exit("charge_monitor", &["--ros-args", "-p", "status_rate_hz:=-1.0"], LIMIT);
    assert_clean_failure(code, &out, &["'status_rate_hz' = -1", "must be within [0.1, 100] Hz"]);
}

#[test]
fn wrong_type_override_names_key_and_value() {
    let (code, out) =
        run_to_exit("charge_monitor", &["--ros-args", "-p", "battery_drain_per_s:=lots"], LIMIT);
    assert_clean_failure(code, &out, &["'battery_drain_per_s' = lots", "wrong type"]);
}

#[test]
fn unknown_key_and_malformed_yaml_are_named() {
    let file = write("unknown.yaml", "charge_monitor:\n  ros__parameters:\n    low_battery: 0.3\n");
    let (code, out) = run_to_exit("charge_monitor", &["--ros-args", "--params-file", &file], LIMIT);
    assert_clean_failure(code, &out, &["unknown parameter 'low_battery'", "low_battery_soc"]);

    let file = write("broken.yaml", "charge_monitor:\n  ros__parameters:\n    robot_id: [robot_1\n");
    let (code, out) = run_to_exit("charge_monitor", &["--ros-args", "--params-file", &file], LIMIT);
    assert_clean_failure(code, &out, &["not valid YAML", &file]);
}

#[test]
fn empty_override_is_refused_after_the_shipped_config_loads() {
    // The shipped config/charge_monitor.yaml parses (else the error would be about it),
    let file = repo_root().join("config/charge_monitor.yaml");
    let file = file.to_string_lossy().into_owned();
    let (code, out) =
        run_to_exit("charge_monitor", &["--ros-args", "--params-file", &file, "-p", "robot_id:="], LIMIT);
    // and an empty robot_id given after it is refused by name.
    assert_clean_failure(code, &out, &["'robot_id'", "must not be empty"]);
}

#[test]
fn a_missing_or_broken_urdf_is_a_bad_parameter_named_as_a_urdf() {
    let (code, out) =
        run_to_exit("arm_planner", &["--ros-args", "-p", "urdf_file:=/nonexistent.urdf"], LIMIT);
    assert_clean_failure(code, &out, &["'urdf_file' = /nonexistent.urdf", "must name an existing URDF file"]);
    assert!(!out.contains("mesh"), "a URDF is not a mesh:\n{out}");

    let broken = write("broken.urdf", "<robot name='r'><link name='a'>");
    let (code, out) =
        run_to_exit("arm_planner", &["--ros-args", "-p", &format!("urdf_file:={broken}")], LIMIT);
    assert_clean_failure(code, &out, &["'urdf_file'", "must be a usable robot description"]);

    let urdf = repo_root().join("urdf/optimus.urdf");
    let (code, out) = run_to_exit(
        "arm_planner",
        &["--ros-args", "-p", &format!("urdf_file:={}", urdf.display()), "-p", "tip_link:=no_such_link"],
        LIMIT,
    );
    assert_clean_failure(code, &out, &["'group'", "no_such_link"]);
}
