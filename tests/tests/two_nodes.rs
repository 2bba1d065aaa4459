//! Two real charge_monitor processes talk over ROS 2: robot_b watches robot_a's
//! RobotStatus (a factory_interfaces message) and, when robot_a runs low, calls
//! robot_a's SubmitTask service, which recharges it. This test only watches the graph.

use factory_integration_tests::{isolate_domain, observer_node, NodeProcess, Spinner};
use factory_node::r2r::{
    self, factory_interfaces::msg::RobotStatus, lifecycle_msgs::srv::GetState, QosProfile,
};
use futures::StreamExt;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_recharges_a_low_robot_through_its_service() {
    isolate_domain();
    let mut robot_a = NodeProcess::start(
        "robot_a",
        "charge_monitor",
        &[
            "--ros-args",
            "-r",
            "__ns:=/a",
            "-p",
            "robot_id:=robot_a",
            "-p",
            "battery_drain_per_s:=0.25",
            "-p",
            "status_rate_hz:=10.0",
        ],
    );
    let mut robot_b = NodeProcess::start(
        "robot_b",
        "charge_monitor",
        &[
            "--ros-args",
            "-r",
            "__ns:=/b",
            "-p",
            "robot_id:=robot_b",
            "-p",
            "battery_drain_per_s:=0.0",
            "-r",
            "peer_status:=/a/robot_status",
            "-r",
            "peer_submit_task:=/a/submit_task",
        ],
    );

    let mut node = observer_node("two_nodes_observer");
    let mut status =
        node.subscribe::<RobotStatus>("/a/robot_status", QosProfile::default()).expect("subscribe");
    let get_state = node
        .create_client::<GetState::Service>("/a/charge_monitor/get_state", QosProfile::services_default())
        .expect("client");
    let available = r2r::Node::is_available(&get_state).expect("availability future");
    let _spinner = Spinner::start(node);

    tokio::time::timeout(Duration::from_secs(20), available)
        .await
        .expect("robot_a lifecycle service up")
        .expect("available");
    let state = get_state.request(&GetState::Request {}).expect("request").await.expect("response");
    assert_eq!(state.current_state.label, "active", "autostart activates the node");

    // robot_a drains from 1.0 at 0.25/s: below 0.2 after ~3.2 s, then robot_b must ask it
    // to charge and robot_a's next status must show a full battery again.
    let (mut saw_low, mut recharged) = (false, false);
    let watch = async {
        while let Some(msg) = status.next().await {
            assert_eq!(msg.robot_id, "robot_a");
            assert!((0.0..=1.0).contains(&msg.battery_soc), "soc out of range: {}", msg.battery_soc);
            if msg.battery_soc < 0.2 {
                saw_low = true;
            } else if saw_low && msg.battery_soc > 0.9 {
                recharged = true;
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), watch).await;
    assert!(saw_low, "robot_a never reported a low battery\nrobot_a log:\n{}", robot_a.log());
    assert!(recharged, "robot_a was not recharged by robot_b\nrobot_b log:\n{}", robot_b.log());
    assert!(robot_b.log().contains("peer robot_a charge request: accepted=true"), "{}", robot_b.log());

    // Clean shutdown on SIGINT and SIGTERM: exit code 0, lifecycle finalized.
    let a_exit = robot_a.stop_with("INT", Duration::from_secs(5)).expect("robot_a stops on SIGINT");
    let b_exit = robot_b.stop_with("TERM", Duration::from_secs(5)).expect("robot_b stops on SIGTERM");
    assert!(a_exit.success(), "robot_a exit {a_exit:?}\n{}", robot_a.log());
    assert!(b_exit.success(), "robot_b exit {b_exit:?}\n{}", robot_b.log());
    assert!(robot_a.log().contains("shutdown -> finalized"), "{}", robot_a.log());
}
