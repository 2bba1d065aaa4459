//! The r2r action server the nodes use (vendor/r2r, PATCHED.md) expires finished goals.
//! r2r 0.9.7 as published never did: once a finished goal reached rcl's result timeout
//! (10 s on Jazzy), the expire timer stayed ready and every `spin_once` returned at
//! once, so the node's spin thread busy-looped for the rest of its life (in the main
//! job, every executor and arm planner that had finished a goal). This test finishes one
//! goal on a real action server (rcl + Fast DDS, one process), lets the result timeout
//! pass, and counts how often `spin_once` returns while nothing happens.

use factory_integration_tests::isolate_domain;
use factory_node::r2r::{self, factory_interfaces::action::PlanArmMotion};
use futures::{FutureExt, StreamExt};
use std::time::{Duration, Instant};

/// Spins `node` until `poll` yields a value or `limit` passes.
fn spin_until<T>(node: &mut r2r::Node, limit: Duration, mut poll: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        node.spin_once(Duration::from_millis(10));
        if let Some(value) = poll() {
            return Some(value);
        }
    }
    None
}

#[test]
fn a_finished_goal_expires_and_spinning_waits_again() {
    isolate_domain();
    let ctx = r2r::Context::create().expect("ROS context");
    let mut node = r2r::Node::create(ctx, "goal_expiry_test", "").expect("node");
    let mut goal_requests =
        node.create_action_server::<PlanArmMotion::Action>("plan").expect("action server");
    let client = node.create_action_client::<PlanArmMotion::Action>("plan").expect("action client");

    let mut available = r2r::Node::is_available(&client).expect("availability future").boxed();
    spin_until(&mut node, Duration::from_secs(20), || available.as_mut().now_or_never())
        .expect("the server is seen within 20 s")
        .expect("available");

    let goal = PlanArmMotion::Goal { group: "left_arm".into(), ..Default::default() };
    let mut sent = client.send_goal_request(goal).expect("goal sent").boxed();
    let request = spin_until(&mut node, Duration::from_secs(10), || goal_requests.next().now_or_never())
        .flatten()
        .expect("the server gets the goal");
    let (mut server_goal, _cancels) = request.accept().expect("accepted");
    let (_client_goal, result, _feedback) =
        spin_until(&mut node, Duration::from_secs(10), || sent.as_mut().now_or_never())
            .expect("the client hears the acceptance")
            .expect("accepted goal");
    server_goal
        .succeed(PlanArmMotion::Result { message: "done".into(), ..Default::default() })
        .expect("result set");
    let mut result = result.boxed();
    let (_status, outcome) =
        spin_until(&mut node, Duration::from_secs(10), || result.as_mut().now_or_never())
            .expect("the client gets the result")
            .expect("a result");
    assert_eq!(outcome.message, "done");

    // Past the result timeout (rcl: 10 s) the goal expires; spin through it.
    let finished = Instant::now();
    while finished.elapsed() < Duration::from_secs(13) {
        node.spin_once(Duration::from_millis(50));
    }
    // Now nothing is ready: each spin_once waits out its 50 ms, so 2 s hold at most 40
    // of them (a slower machine only gets fewer). The unexpired goal's ready timer made
    // every call return at once: many thousands.
    let window = Instant::now();
    let mut spins = 0u32;
    while window.elapsed() < Duration::from_secs(2) {
        node.spin_once(Duration::from_millis(50));
        spins += 1;
    }
    assert!(spins <= 45, "spin_once returned {spins} times in 2 s with nothing to do: a busy loop");
}
