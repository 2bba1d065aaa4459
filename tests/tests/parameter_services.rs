//! The rcl_interfaces parameter services of a Rust node, used by rclpy's parameter client
//! as `ros2 param` uses them: list, get, get types, describe, a set that is refused with
//! its reason, and a dump that the node accepts back as its params file.

use factory_integration_tests::{isolate_domain, run_rclpy_peer, NodeProcess};

const NODE: &str = "/optimus_1/optimus_executor";

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
        run_rclpy_peer("param_peer.py", &[NODE, "dump", &dump], 11, &node);
    }
    let text = std::fs::read_to_string(&dump).expect("the peer wrote the dump");
    assert!(text.contains("lookahead_m: 0.75"), "the override is in the dump:\n{text}");

    // The same node started from nothing but the dump runs with the same values.
    let from_dump = NodeProcess::start(
        "param_from_dump",
        "optimus_executor",
        &["--ros-args", "-r", "__node:=optimus_executor", "-r", "__ns:=/optimus_1", "--params-file", &dump],
    );
    run_rclpy_peer("param_peer.py", &[NODE, "check", &dump], 2, &from_dump);
    let _ = std::fs::remove_file(&dump);
}
