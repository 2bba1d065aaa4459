//! Wire compatibility with another ROS 2 client library: an rclpy process from the same
//! prefix subscribes to a Rust node's custom message and calls its service.

use factory_integration_tests::{isolate_domain, repo_root, NodeProcess};
use std::process::Command;

#[test]
fn rclpy_peer_reads_status_and_calls_submit_task() {
    isolate_domain();
    let robot_a = NodeProcess::start(
        "robot_a_interop",
        "charge_monitor",
        &["--ros-args", "-r", "__ns:=/a", "-p", "robot_id:=robot_a", "-p", "status_rate_hz:=10.0"],
    );
    let script = repo_root().join("tests/python/interop_peer.py");
    // `python3` of the ROS prefix (first on PATH after sourcing .ros/env.sh) has rclpy.
    let out = Command::new("python3").arg(&script).arg("/a").output().expect("run the rclpy peer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let checks: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ")).collect();
    assert_eq!(
        checks.len(),
        7,
        "the peer ran every check:\n{stdout}\n{stderr}\nnode log:\n{}",
        robot_a.log()
    );
    assert!(
        out.status.success() && checks.iter().all(|l| l.starts_with("ok ")),
        "rclpy peer failed:\n{stdout}\n{stderr}\nnode log:\n{}",
        robot_a.log()
    );
}
