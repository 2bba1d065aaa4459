//! The rcl_interfaces parameter services of a Rust node, used by rclpy's parameter client
//! as `ros2 param` uses them: list, get, get types, describe, a set that is refused with
//! its reason, and a dump that the node accepts back as its params file.

use factory_integration_tests::{isolate_domain, repo_root, NodeProcess};
use std::process::Command;

const NODE: &str = "/optimus_1/optimus_executor";

/// Runs the rclpy peer in `mode` against NODE; returns its check lines after asserting
/// that it ran `expected_checks` checks and all passed.
fn peer(mode: &str, file: &str, expected_checks: usize, node: &NodeProcess) {
    let script = repo_root().join("tests/python/param_peer.py");
    // `python3` of the ROS prefix (first on PATH after sourcing .ros/env.sh) has rclpy.
    let out =
        Command::new("python3").arg(&script).args([NODE, mode, file]).output().expect("run the rclpy peer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let checks: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ")).collect();
    assert_eq!(
        checks.len(),
        expected_checks,
        "the peer ran every check:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
    assert!(
        out.status.success() && checks.iter().all(|l| l.starts_with("ok ")),
        "rclpy peer failed:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
}

#[test]
fn ros2_param_list_get_describe_set_and_dump_round_trip() {
    isolate_domain();
    let args = [
        "--ros-args",
        "-r",
        "__node:=optimus_executor",
        "-r",
        "__ns:=/optimus_1",
        "-p",
        "robot_id:=optimus_1",
        "-p",
        "follower.lookahead_m:=0.75",
    ];
    let dump = std::env::temp_dir().join(format!("param_dump_{}.yaml", std::process::id()));
    let dump = dump.to_string_lossy().into_owned();
    {
        let node = NodeProcess::start("param_source", "optimus_executor", &args);
        peer("dump", &dump, 11, &node);
    }
    let text = std::fs::read_to_string(&dump).expect("the peer wrote the dump");
    assert!(text.contains("lookahead_m: 0.75"), "the override is in the dump:\n{text}");

    // The same node started from nothing but the dump runs with the same values.
    let from_dump = NodeProcess::start(
        "param_from_dump",
        "optimus_executor",
        &["--ros-args", "-r", "__node:=optimus_executor", "-r", "__ns:=/optimus_1", "--params-file", &dump],
    );
    peer("check", &dump, 2, &from_dump);
    let _ = std::fs::remove_file(&dump);
}
