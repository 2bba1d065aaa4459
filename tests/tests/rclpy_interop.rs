//! Wire compatibility with another ROS 2 client library: an rclpy process from the same
//! prefix subscribes to a Rust node's custom message and calls its service.

use factory_integration_tests::{isolate_domain, run_rclpy_peer, NodeProcess};

#[test]
fn rclpy_peer_reads_status_and_calls_submit_task() {
    isolate_domain();
    let robot_a = NodeProcess::start(
        "robot_a_interop",
        "charge_monitor",
        &["--ros-args", "-r", "__ns:=/a", "-p", "robot_id:=robot_a", "-p", "status_rate_hz:=10.0"],
    );
    run_rclpy_peer("interop_peer.py", &["/a"], 7, &robot_a);
}
