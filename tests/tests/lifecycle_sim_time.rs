//! A node started with autostart:=false and use_sim_time:=true: it stays silent until a
//! lifecycle manager activates it through lifecycle_msgs services, then stamps its
//! messages with /clock time and reports itself on /diagnostics.

use factory_integration_tests::{isolate_domain, observer_node, NodeProcess, Spinner};
use factory_node::r2r::{self, QosProfile};
use futures::StreamExt;
use r2r::diagnostic_msgs::msg::DiagnosticArray;
use r2r::factory_interfaces::msg::RobotStatus;
use r2r::lifecycle_msgs::{msg::Transition, srv::ChangeState, srv::GetState};
use r2r::rosgraph_msgs::msg::Clock;
use std::time::Duration;

const SIM_START_S: i32 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inactive_until_activated_then_stamped_with_sim_time() {
    isolate_domain();
    let node_proc = NodeProcess::start(
        "sim_node",
        "charge_monitor",
        &[
            "--ros-args",
            "-r",
            "__ns:=/s",
            "-p",
            "robot_id:=robot_s",
            "-p",
            "use_sim_time:=true",
            "-p",
            "autostart:=false",
            "-p",
            "status_rate_hz:=10.0",
            "-p",
            "diagnostics_period_s:=0.2",
        ],
    );

    let mut node = observer_node("lifecycle_observer");
    let clock_pub = node.create_publisher::<Clock>("/clock", QosProfile::default()).expect("clock publisher");
    let mut status =
        node.subscribe::<RobotStatus>("/s/robot_status", QosProfile::default()).expect("subscribe");
    let mut diagnostics =
        node.subscribe::<DiagnosticArray>("/diagnostics", QosProfile::default()).expect("subscribe");
    let get_state = node
        .create_client::<GetState::Service>("/s/charge_monitor/get_state", QosProfile::services_default())
        .expect("client");
    let change_state = node
        .create_client::<ChangeState::Service>(
            "/s/charge_monitor/change_state",
            QosProfile::services_default(),
        )
        .expect("client");
    let available = r2r::Node::is_available(&change_state).expect("availability future");
    let _spinner = Spinner::start(node);
    // Simulated time runs at 5x: +0.1 s every 20 ms.
    let clock_task = tokio::spawn(async move {
        for step in 0..5000u32 {
            let nanos = u64::from(step) * 100_000_000;
            let msg = Clock {
                clock: r2r::builtin_interfaces::msg::Time {
                    sec: SIM_START_S + (nanos / 1_000_000_000) as i32,
                    nanosec: (nanos % 1_000_000_000) as u32,
                },
            };
            let _ = clock_pub.publish(&msg);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });

    tokio::time::timeout(Duration::from_secs(20), available)
        .await
        .expect("lifecycle services up")
        .expect("available");
    let state = get_state.request(&GetState::Request {}).expect("request").await.expect("response");
    assert_eq!(state.current_state.label, "unconfigured");

    // Inactive nodes publish nothing: watch for 1.5 s while the clock runs.
    let early = tokio::time::timeout(Duration::from_millis(1500), status.next()).await;
    assert!(early.is_err(), "an unconfigured node published {early:?}");

    let change = |id: u8| ChangeState::Request { transition: Transition { id, label: String::new() } };
    let activate_early = change_state.request(&change(3)).expect("request").await.expect("response");
    assert!(!activate_early.success, "activate is not allowed from unconfigured");
    for id in [1u8, 3u8] {
        let reply = change_state.request(&change(id)).expect("request").await.expect("response");
        assert!(reply.success, "transition {id} refused\n{}", node_proc.log());
    }
    let state = get_state.request(&GetState::Request {}).expect("request").await.expect("response");
    assert_eq!(state.current_state.label, "active");

    let msg = tokio::time::timeout(Duration::from_secs(10), status.next())
        .await
        .expect("an active node publishes")
        .expect("stream open");
    let sec = msg.header.stamp.sec;
    assert!((SIM_START_S..SIM_START_S + 600).contains(&sec), "stamp {sec} s is not simulated time");

    let lifecycle_reported = async {
        while let Some(array) = diagnostics.next().await {
            if array.status.iter().any(|s| s.name == "charge_monitor: lifecycle" && s.message == "active") {
                return true;
            }
        }
        false
    };
    let reported = tokio::time::timeout(Duration::from_secs(10), lifecycle_reported).await;
    assert_eq!(reported, Ok(true), "no /diagnostics status for the active lifecycle");

    clock_task.abort();
}
