//! Issue 8's integration test on the twin: a growing bearing fault produces a work order,
//! a robot performs it, and the machine never reaches failure.
//!
//! The whole chain runs as real processes on one ROS domain, wired as
//! launch/factory.launch.xml and launch/robot.launch.xml wire them (params files,
//! use_sim_time, remaps), on the test layout tests/fixtures/maintenance_factory.yaml: the
//! shipped factory with one fast outer-race fault on weld_1/positioner_bearing, every
//! other component healthy, no cameras and three robots. Started: shared_mapper,
//! maintenance_dispatcher, factory_coordinator, optimus_1..3's executors, then the twin
//! (the clock) once the others are up, at `RTF` times real time.
//!
//! Observed (in-process r2r observer):
//! 1. weld_1's MachineHealth goes WARN or worse with positioner_bearing's fault_type
//!    outer_race;
//! 2. a WorkOrder for weld_1/positioner_bearing (the type the core decides) is published
//!    and goes out as a TaskRequest, which the coordinator assigns to a robot;
//! 3. the twin's maintenance_events show STARTED then DONE for that machine/component by
//!    that robot;
//! 4. the run goes on until weld_1 has worked `MARGIN` longer than the untreated bearing
//!    would have lasted (computed from the fixture's fault: busy_s, the station's
//!    cumulative working time, since a bearing wears only while its machine works), and
//!    no failure happens: the twin's `component_failures` stays 0, its log has no
//!    "failed (" line, no machine_health says FAILED, and the weld station is DOWN only
//!    between STARTED and DONE (the robot's lock-out);
//! 5. the dispatcher kept up with the telemetry (nothing rejected, no chunks lost);
//! 6. a control twin alone (another domain, same layout, no other nodes) run for the
//!    same simulated time does log the bearing's failure: the counterfactual holds.

use factory_integration_tests::{
    bin_dir, collect, isolate_domain, observer_node, repo_root, wait_until, NodeProcess, Spinner,
};
use factory_node::r2r::{self, QosProfile};
use futures::StreamExt;
use r2r::diagnostic_msgs::msg::DiagnosticArray;
use r2r::factory_interfaces::action::ExecuteTask;
use r2r::factory_interfaces::msg::{
    MachineHealth, MaintenanceEvent, StationState, TaskAssignment, TaskRequest, WorkOrder,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FIXTURE: &str = "tests/fixtures/maintenance_factory.yaml";
const MACHINE: &str = "weld_1";
const COMPONENT: &str = "positioner_bearing";
const STATION: &str = "weld";
const ROBOTS: [&str; 3] = ["optimus_1", "optimus_2", "optimus_3"];
/// Simulated seconds per wall second. The graph (debug build, 2 cores) sustains it and
/// the dispatcher keeps up with 11 telemetry streams (asserted below).
const RTF: f64 = 20.0;
/// Run until weld_1 has worked this much longer than the untreated bearing's life.
const MARGIN: f64 = 0.15;
/// Wall-clock limits.
const START_LIMIT: Duration = Duration::from_secs(60);
/// From one milestone to the next (each is a few hundred simulated seconds at most).
const STEP_LIMIT: Duration = Duration::from_secs(60);

fn sim_s(t: &r2r::builtin_interfaces::msg::Time) -> f64 {
    f64::from(t.sec) + f64::from(t.nanosec) * 1e-9
}

/// The weld bearing's fault from the fixture (`key: value` pairs of its `fault:` line):
/// working seconds until it fails if nothing is done. The twin grows the severity
/// exponentially from `start_severity` at `growth_per_h` per working hour (no scatter:
/// `growth_jitter: 0`), and the component fails at severity 1.
fn untreated_life_working_s(fixture: &str) -> f64 {
    let line = fixture
        .lines()
        .find(|l| l.trim_start().starts_with("fault:") && l.contains("mode: outer_race"))
        .expect("the fixture's outer-race fault line");
    let inner = line.split_once('{').and_then(|(_, r)| r.rsplit_once('}')).expect("{ ... }").0;
    let keys: BTreeMap<&str, &str> =
        inner.split(',').filter_map(|kv| kv.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
    let num = |k: &str| -> f64 {
        keys.get(k).unwrap_or_else(|| panic!("fixture fault has no {k}")).parse().expect("number")
    };
    assert_eq!(num("growth_jitter"), 0.0, "the test needs a deterministic growth rate");
    (1.0 / num("start_severity")).ln() / num("growth_per_h") * 3600.0
}

/// What the observer saw of the stations.
#[derive(Default)]
struct Stations {
    /// The weld station's latest state.
    weld: Option<StationState>,
    /// Stamps at which the weld station reported DOWN.
    weld_down_s: Vec<f64>,
    /// Any other station that reported DOWN (none should).
    others_down: Vec<String>,
}

/// Latest values of the diagnostics the test reads: (node status name, key) → (stamp, value).
type DiagValues = Arc<Mutex<BTreeMap<(String, String), (f64, String)>>>;

fn diag(values: &DiagValues, status: &str, key: &str) -> Option<(f64, String)> {
    values.lock().unwrap().get(&(status.to_string(), key.to_string())).cloned()
}

struct Graph {
    nodes: Vec<NodeProcess>,
}

impl Graph {
    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name, tail(&p.log(), 40)))
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn log_of(&self, name: &str) -> String {
        self.nodes.iter().find(|p| p.name == name).map(|p| p.log()).unwrap_or_default()
    }
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Milestones for the timing summary: (what, wall s since start, sim s).
struct Timeline {
    start: Instant,
    marks: Vec<(String, f64, f64)>,
}

impl Timeline {
    fn mark(&mut self, what: &str, sim: f64) {
        let wall = self.start.elapsed().as_secs_f64();
        println!("[maintenance_on_twin] {wall:6.1} s wall | sim {sim:7.1} s | {what}");
        self.marks.push((what.to_string(), wall, sim));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growing_bearing_fault_is_repaired_before_failure() {
    let domain = isolate_domain();
    let root = repo_root();
    std::env::set_var("FACTORY_ROOT", &root);
    let mut timeline = Timeline { start: Instant::now(), marks: Vec::new() };
    let fixture_path = root.join(FIXTURE);
    let fixture = std::fs::read_to_string(&fixture_path).expect("read the fixture");
    let life_s = untreated_life_working_s(&fixture);
    let run_until_busy_s = life_s * (1.0 + MARGIN);
    println!(
        "[maintenance_on_twin] untreated {MACHINE}/{COMPONENT} fails after {life_s:.0} s of work; \
         running until the station has worked {run_until_busy_s:.0} s (domain {domain}, {RTF}x)"
    );
    let layout = fixture_path.display().to_string();
    let config = |name: &str| root.join("config").join(name).display().to_string();
    let layout_param = format!("factory_file:={layout}");
    let robot_ids = format!("robot_ids:=[{}]", ROBOTS.join(", "));

    // Everything but the clock first, as the launch files start them.
    let mut nodes = vec![
        NodeProcess::start(
            "shared_mapper",
            "shared_mapper",
            &[
                "--ros-args",
                "--params-file",
                &config("shared_mapper.yaml"),
                "-p",
                "use_sim_time:=true",
                "-p",
                &format!("layout_file:={layout}"),
                "-p",
                "fusion.max_age_s:=60.0",
                "-p",
                &robot_ids,
            ],
        ),
        NodeProcess::start(
            "maintenance_dispatcher",
            "maintenance_dispatcher",
            &[
                "--ros-args",
                "--params-file",
                &config("maintenance_dispatcher.yaml"),
                "-p",
                "use_sim_time:=true",
                "-p",
                &layout_param,
            ],
        ),
        NodeProcess::start(
            "factory_coordinator",
            "factory_coordinator",
            &[
                "--ros-args",
                "--params-file",
                &config("factory_coordinator.yaml"),
                "-p",
                "use_sim_time:=true",
                "-p",
                &layout_param,
                // The shipped 3 s is of ROS time: at 20x that is 150 ms of wall time, less
                // than a scheduling hiccup on a loaded 2-core machine, and every robot is
                // then "lost" and its task requeued. 30 s (1.5 s wall) keeps the check.
                "-p",
                "heartbeat_timeout_s:=30.0",
            ],
        ),
    ];
    let executor_params = config("optimus_executor.yaml");
    for robot in ROBOTS {
        nodes.push(NodeProcess::start(
            robot,
            "optimus_executor",
            &[
                "--ros-args",
                "-r",
                &format!("__ns:=/{robot}"),
                "--params-file",
                &executor_params,
                "-p",
                &format!("robot_id:={robot}"),
                "-p",
                "use_sim_time:=true",
                "-r",
                "robot_status:=/robot_status",
                "-r",
                "maintenance_events:=/maintenance_events",
                "-r",
                "plan_path:=/plan_path",
                "-r",
                "start_maintenance:=/start_maintenance",
            ],
        ));
    }
    let mut graph = Graph { nodes };

    let mut node = observer_node("maintenance_on_twin_observer");
    let qos = QosProfile::default;
    let health = collect(node.subscribe::<MachineHealth>("/machine_health", qos()).expect("sub"), |h| {
        h.machine_id == MACHINE
    });
    let ours = |m: &str, c: &str| m == MACHINE && c == COMPONENT;
    let orders = collect(node.subscribe::<WorkOrder>("/work_orders", qos()).expect("sub"), move |o| {
        ours(&o.machine_id, &o.component_id)
    });
    let tasks = collect(node.subscribe::<TaskRequest>("/task_requests", qos()).expect("sub"), |_| true);
    let assignments =
        collect(node.subscribe::<TaskAssignment>("/assignments", qos()).expect("sub"), |_| true);
    let events = collect(
        node.subscribe::<MaintenanceEvent>("/maintenance_events", qos().keep_last(100)).expect("sub"),
        |_| true,
    );
    let stations = Arc::new(Mutex::new(Stations::default()));
    {
        let stations = stations.clone();
        let mut stream =
            node.subscribe::<StationState>("/station_states", qos().keep_last(100)).expect("sub");
        tokio::spawn(async move {
            while let Some(s) = stream.next().await {
                let mut st = stations.lock().unwrap();
                if s.state == StationState::STATE_DOWN as u8 {
                    if s.station_id == STATION {
                        st.weld_down_s.push(sim_s(&s.header.stamp));
                    } else {
                        st.others_down.push(format!("{} at {:.1} s", s.station_id, sim_s(&s.header.stamp)));
                    }
                }
                if s.station_id == STATION {
                    st.weld = Some(s);
                }
            }
        });
    }
    let diags: DiagValues = Arc::new(Mutex::new(BTreeMap::new()));
    {
        let diags = diags.clone();
        let mut stream =
            node.subscribe::<DiagnosticArray>("/diagnostics", qos().keep_last(100)).expect("sub");
        tokio::spawn(async move {
            while let Some(a) = stream.next().await {
                let stamp = sim_s(&a.header.stamp);
                let mut d = diags.lock().unwrap();
                for s in &a.status {
                    d.insert((s.name.clone(), "__message".into()), (stamp, s.message.clone()));
                    for kv in &s.values {
                        d.insert((s.name.clone(), kv.key.clone()), (stamp, kv.value.clone()));
                    }
                }
            }
        });
    }
    let mut servers = Vec::new();
    for robot in ROBOTS {
        let client = node
            .create_action_client::<ExecuteTask::Action>(&format!("/{robot}/execute_task"))
            .expect("action client");
        servers.push(r2r::Node::is_available(&client).expect("availability"));
    }
    let _spinner = Spinner::start(node);

    // The other nodes are up (active, their endpoints created) before the clock starts,
    // so the first task request cannot go out before the coordinator listens.
    for server in servers {
        tokio::time::timeout(START_LIMIT, server)
            .await
            .unwrap_or_else(|_| panic!("an executor's execute_task never came up\n{}", graph.logs()))
            .expect("available");
    }
    for name in ["shared_mapper", "maintenance_dispatcher", "factory_coordinator"] {
        let key = format!("{name}: lifecycle");
        assert!(
            wait_until(START_LIMIT, || diag(&diags, &key, "__message").is_some_and(|(_, m)| m == "active"))
                .await,
            "{name} never reported itself active\n{}",
            graph.logs()
        );
    }
    timeline.mark("mapper, dispatcher, coordinator and 3 executors up", 0.0);

    graph.nodes.push(NodeProcess::start(
        "factory_twin",
        "factory_twin",
        &[
            "--ros-args",
            "--params-file",
            &config("factory_twin.yaml"),
            "-p",
            &layout_param,
            "-p",
            &format!("real_time_factor:={RTF}"),
        ],
    ));
    let sim_now = || stations.lock().unwrap().weld.as_ref().map_or(0.0, |s| sim_s(&s.header.stamp));
    assert!(
        wait_until(START_LIMIT, || sim_now() > 0.0).await,
        "no station_states from the twin\n{}",
        graph.logs()
    );
    timeline.mark("twin running", sim_now());
    let (twin_wall_s, twin_sim_s) = (timeline.start.elapsed().as_secs_f64(), sim_now());

    // 1. The diagnosis: WARN or worse, with the bearing's fault named.
    let warn_outer = |h: &MachineHealth| {
        h.status >= MachineHealth::STATUS_WARN as u8
            && h.components.iter().any(|c| c.component_id == COMPONENT && c.fault_type == "outer_race")
    };
    assert!(
        wait_until(STEP_LIMIT, || health.lock().unwrap().iter().any(warn_outer)).await,
        "{MACHINE} never went WARN with an outer_race fault on {COMPONENT}; last health: {:?}\n{}",
        health.lock().unwrap().last(),
        graph.logs()
    );
    let first_warn = health.lock().unwrap().iter().find(|h| warn_outer(h)).cloned().expect("warn");
    // The defect starts too small to see: weld_1 was healthy before it grew.
    assert!(
        health.lock().unwrap().iter().any(|h| h.status == MachineHealth::STATUS_OK as u8
            && sim_s(&h.header.stamp) < sim_s(&first_warn.header.stamp)),
        "{MACHINE} was never OK before the fault was detected"
    );
    let warn_component =
        first_warn.components.iter().find(|c| c.component_id == COMPONENT).cloned().expect("component");
    timeline.mark(
        &format!(
            "{MACHINE} WARN: {COMPONENT} outer_race, confidence {:.2}, health {:.2}",
            warn_component.fault_confidence, warn_component.health_index
        ),
        sim_s(&first_warn.header.stamp),
    );

    // 2. The work order, its task request and the coordinator's assignment.
    assert!(
        wait_until(STEP_LIMIT, || !orders.lock().unwrap().is_empty()).await,
        "no work order for {MACHINE}/{COMPONENT}\n{}",
        graph.logs()
    );
    let order = orders.lock().unwrap()[0].clone();
    assert!(
        order.work_type == "part_swap" || order.work_type == "micro_repair",
        "a bearing fault should give a part swap or a micro repair: {order:?}"
    );
    timeline.mark(
        &format!(
            "work order {} ({}): window {:.0}..{:.0} s, deadline {:.0} s, {}",
            order.work_order_id,
            order.work_type,
            sim_s(&order.window_start),
            sim_s(&order.window_end),
            sim_s(&order.deadline),
            order.reason
        ),
        sim_s(&order.header.stamp),
    );
    let id = order.work_order_id.clone();
    assert!(
        wait_until(STEP_LIMIT, || tasks.lock().unwrap().iter().any(|t| t.task_id == id)).await,
        "work order {id} never went out as a TaskRequest (request_lead_s too short for its window?); \
         orders: {:?}\n{}",
        orders.lock().unwrap(),
        graph.logs()
    );
    let task = tasks.lock().unwrap().iter().find(|t| t.task_id == id).cloned().expect("task");
    assert!(task.steps.iter().any(|s| s.machine_id == MACHINE && s.component_id == COMPONENT), "{task:?}");
    timeline.mark(&format!("task request {} ({})", task.task_id, task.task_type), sim_s(&task.header.stamp));
    assert!(
        wait_until(STEP_LIMIT, || assignments.lock().unwrap().iter().any(|a| a.task_id == id)).await,
        "the coordinator never assigned {id}\n{}",
        graph.logs()
    );
    let assignment = assignments.lock().unwrap().iter().find(|a| a.task_id == id).cloned().expect("assigned");
    assert!(ROBOTS.contains(&assignment.robot_id.as_str()), "{assignment:?}");
    timeline.mark(&format!("assigned to {}", assignment.robot_id), sim_s(&assignment.header.stamp));

    // 3. A robot does the work on the twin: STARTED, then DONE. A robot the coordinator
    //    briefly counts as lost has its task requeued (the twin then shows CANCELLED and
    //    a new STARTED); what must hold is that the work ends DONE, started and finished
    //    by one robot, with nothing but STARTED/CANCELLED pairs before it.
    let ours_events = || -> Vec<MaintenanceEvent> {
        events.lock().unwrap().iter().filter(|e| ours(&e.machine_id, &e.component_id)).cloned().collect()
    };
    let (started_kind, done_kind, cancelled_kind) = (
        MaintenanceEvent::EVENT_STARTED as u8,
        MaintenanceEvent::EVENT_DONE as u8,
        MaintenanceEvent::EVENT_CANCELLED as u8,
    );
    assert!(
        wait_until(STEP_LIMIT, || ours_events().iter().any(|e| e.event == started_kind)).await,
        "no robot started maintenance of {MACHINE}/{COMPONENT}; events: {:?}\n{}",
        events.lock().unwrap(),
        graph.logs()
    );
    let first_started = ours_events().into_iter().find(|e| e.event == started_kind).expect("started");
    let first_started_s = sim_s(&first_started.header.stamp);
    timeline.mark(
        &format!("{} STARTED {} of {MACHINE}/{COMPONENT}", first_started.robot_id, first_started.action),
        first_started_s,
    );
    // The work takes maintenance.replace_s of simulated time.
    assert!(
        wait_until(STEP_LIMIT, || ours_events().iter().any(|e| e.event == done_kind)).await,
        "maintenance of {MACHINE}/{COMPONENT} never finished; events: {:?}\n{}",
        events.lock().unwrap(),
        graph.logs()
    );
    let seen = ours_events();
    let kinds: Vec<(u8, String)> = seen.iter().map(|e| (e.event, e.robot_id.clone())).collect();
    let done = seen.last().cloned().expect("done");
    let done_s = sim_s(&done.header.stamp);
    let robot = done.robot_id.clone();
    assert!(ROBOTS.contains(&robot.as_str()) && done.event == done_kind, "{kinds:?}");
    let n = seen.len();
    assert!(n >= 2 && n % 2 == 0, "maintenance_events for {MACHINE}/{COMPONENT}: {kinds:?}");
    assert_eq!(kinds[n - 2], (started_kind, robot.clone()), "DONE without its STARTED: {kinds:?}");
    assert!(
        kinds[..n - 2]
            .chunks(2)
            .all(|p| p[0].0 == started_kind && p[1].0 == cancelled_kind && p[0].1 == p[1].1),
        "before the DONE only STARTED/CANCELLED pairs (requeues) may come: {kinds:?}"
    );
    if n > 2 {
        println!(
            "[maintenance_on_twin] the task was requeued {} time(s) before it completed: {kinds:?}",
            n / 2 - 1
        );
    }
    timeline.mark(&format!("{robot} DONE {} of {MACHINE}/{COMPONENT}", done.action), done_s);
    let started_s = first_started_s;

    // The dispatcher follows the work to its end: the order is closed as done.
    let order_done = wait_until(STEP_LIMIT, || {
        orders.lock().unwrap().iter().any(|o| o.status == WorkOrder::STATUS_DONE as u8)
    })
    .await;
    assert!(order_done, "the work order was never closed as done\n{}", graph.logs());
    timeline.mark("work order closed as done", sim_now());

    // 4. Past the untreated bearing's life: weld_1 keeps working without a failure.
    let busy = || stations.lock().unwrap().weld.as_ref().map_or(0.0, |s| s.busy_s);
    let busy_at_done = busy();
    let remaining_wall =
        Duration::from_secs_f64((run_until_busy_s - busy_at_done).max(0.0) / RTF * 2.0 + 30.0);
    assert!(
        wait_until(remaining_wall, || busy() >= run_until_busy_s).await,
        "weld worked only {:.0} s of {run_until_busy_s:.0} s within {remaining_wall:?} (sim {:.0} s)\n{}",
        busy(),
        sim_now(),
        graph.logs()
    );
    let (end_wall_s, end_sim_s) = (timeline.start.elapsed().as_secs_f64(), sim_now());
    timeline.mark(
        &format!("weld has worked {:.0} s > untreated life {life_s:.0} s (+{:.0} %)", busy(), MARGIN * 100.0),
        end_sim_s,
    );

    // The dispatcher kept up: nothing rejected, and its processed count trails the
    // chunks the twin sent by no more than its planning period plus a queue's depth.
    let dispatcher_log = graph.log_of("maintenance_dispatcher");
    let components: f64 = dispatcher_log
        .split("monitoring ")
        .nth(1)
        .and_then(|r| r.split(" components").next())
        .and_then(|r| r.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the dispatcher's 'monitoring N machines, M components' line");
    let telemetry = "maintenance_dispatcher: telemetry";
    let (stamp, processed) = diag(&diags, telemetry, "chunks_processed").expect("dispatcher diagnostics");
    let processed: f64 = processed.parse().expect("count");
    let rejected = diag(&diags, telemetry, "chunks_rejected").map(|(_, v)| v).unwrap_or_default();
    let sent = components * stamp.floor();
    let behind = sent - processed;
    println!(
        "[maintenance_on_twin] dispatcher: {processed:.0} chunks processed by sim {stamp:.0} s of ~{sent:.0} sent \
         ({components} streams), {behind:.0} behind, {rejected} rejected"
    );
    assert_eq!(rejected, "0", "the dispatcher rejected telemetry\n{}", tail(&dispatcher_log, 40));
    // A dispatcher that cannot keep up loses chunks at a steady rate; one that is only
    // momentarily behind (a loaded machine, other tests running) trails by a backlog.
    // Up to a planning period of chunks plus the queue depth is normal; more is reported;
    // over 10 % of the stream fails the test.
    let normal_behind = components * 10.0 + 100.0;
    if behind > normal_behind {
        println!(
            "[maintenance_on_twin] note: the dispatcher trails by {behind:.0} chunks (normal up to \
             {normal_behind:.0}): backlog or drops on a loaded machine"
        );
    }
    assert!(
        behind <= 0.1 * sent,
        "the dispatcher fell {behind:.0} of {sent:.0} chunks behind: it cannot keep up with the telemetry at {RTF}x"
    );

    // No failure anywhere, by every account.
    let twin_log = graph.log_of("factory_twin");
    assert!(!twin_log.contains("failed ("), "the twin logged a failure:\n{}", tail(&twin_log, 40));
    let failures = diag(&diags, "factory_twin: simulation", "component_failures").map(|(_, v)| v);
    assert_eq!(failures.as_deref(), Some("0"), "twin diagnostics: component_failures");
    let failed_health: Vec<f64> = health
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.status == MachineHealth::STATUS_FAILED as u8)
        .map(|h| sim_s(&h.header.stamp))
        .collect();
    assert!(failed_health.is_empty(), "{MACHINE} reported FAILED at {failed_health:?}");
    let st = stations.lock().unwrap();
    assert!(st.others_down.is_empty(), "other stations went down: {:?}", st.others_down);
    // A change of state is reported at once; allow 0.2 s either side.
    let outside: Vec<f64> =
        st.weld_down_s.iter().copied().filter(|&t| t < started_s - 0.2 || t > done_s + 0.2).collect();
    assert!(
        outside.is_empty(),
        "the weld station was DOWN outside the maintenance ({started_s:.1}..{done_s:.1} s) at {:?}",
        &outside[..outside.len().min(10)]
    );
    let down_s = st.weld.as_ref().map_or(0.0, |s| s.down_s);
    assert!(
        down_s <= done_s - started_s + 1.0,
        "the weld station was down {down_s:.0} s, more than the maintenance's {:.0} s",
        done_s - started_s
    );
    drop(st);

    // What the dispatcher says about weld_1 now (its health after the part swap).
    let last = health.lock().unwrap().last().cloned().expect("health");
    let last_c = last.components.iter().find(|c| c.component_id == COMPONENT).cloned().expect("component");
    println!(
        "[maintenance_on_twin] {MACHINE} health at sim {:.0} s: status {}, {COMPONENT} health {:.2}, fault {} ({:.2})",
        sim_s(&last.header.stamp),
        last.status,
        last_c.health_index,
        last_c.fault_type,
        last_c.fault_confidence
    );

    // Stop the graph before the control run: it needs the CPU.
    let stop_started = Instant::now();
    drop(graph);
    println!("[maintenance_on_twin] graph stopped in {:.1} s", stop_started.elapsed().as_secs_f64());

    // 6. The counterfactual: the same twin alone, nobody repairing, for the same time.
    let control_domain = 1 + (domain + 50) % 100;
    let control = std::process::Command::new(bin_dir().join("factory_twin"))
        .args([
            "--ros-args",
            "--params-file",
            &config("factory_twin.yaml"),
            "-p",
            &layout_param,
            "-p",
            "real_time_factor:=0.0",
            "-p",
            &format!("duration_s:={:.0}", end_sim_s.ceil()),
        ])
        .env("ROS_DOMAIN_ID", control_domain.to_string())
        .output()
        .expect("run the control twin");
    let control_log =
        format!("{}{}", String::from_utf8_lossy(&control.stdout), String::from_utf8_lossy(&control.stderr));
    assert!(control.status.success(), "control twin: {:?}\n{control_log}", control.status);
    assert!(
        control_log.contains(&format!("{MACHINE}/{COMPONENT} failed (outer_race)")),
        "untreated, {MACHINE}/{COMPONENT} should fail within {end_sim_s:.0} s:\n{}",
        tail(&control_log, 20)
    );
    timeline.mark("control twin (no repair) failed the bearing within the same time", end_sim_s);

    println!("[maintenance_on_twin] timing summary (wall s since start, sim s):");
    for (what, wall, sim) in &timeline.marks {
        println!("  {wall:6.1}  {sim:7.1}  {what}");
    }
    println!(
        "  total {:.1} s wall; sim {:.0} s at an achieved {:.1}x between twin start and the end of the run",
        timeline.start.elapsed().as_secs_f64(),
        end_sim_s,
        (end_sim_s - twin_sim_s) / (end_wall_s - twin_wall_s).max(1e-9)
    );
}
