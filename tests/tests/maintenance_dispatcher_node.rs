//! The maintenance dispatcher as a real node: synthetic telemetry of an outer-race
//! fault on one machine and of a healthy bearing on another goes in; MachineHealth
//! naming the fault, a WorkOrder and a TaskRequest for the faulty component come out;
//! a chunk with a NaN sample is rejected with a reason while the node keeps working.

use factory_integration_tests::{
    collect, isolate_domain, observer_node, repo_root, wait_until, NodeProcess, Spinner,
};
use factory_node::r2r::{self, QosProfile};
use r2r::factory_interfaces::msg::{MachineHealth, MachineTelemetry, TaskRequest, WorkOrder};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// From config/factory.yaml: weld_1's positioner bearing (9 balls, 7.94 mm on a
/// 39.04 mm pitch, 0°) at 600 rpm, and press_1's flywheel bearing (12 balls, 12.7 mm on
/// 65 mm, 15°) at 900 rpm.
const FAULTY: (&str, &str) = ("weld_1", "positioner_bearing");
const HEALTHY: (&str, &str) = ("press_1", "flywheel_bearing");
const FAULTY_SHAFT_HZ: f64 = 10.0;
const HEALTHY_SHAFT_HZ: f64 = 15.0;
const RATE_HZ: f64 = 12_000.0;
const CHUNK: usize = 6_000; // 0.5 s
const SIGNAL_S: f64 = 60.0;
/// Near the twin's running temperature (ambient + load rise at working load), K.
const TEMPERATURE_K: f32 = 307.0;

/// Outer-race BPFO = n/2 · fr · (1 − d/D · cos α).
fn bpfo_hz(n_balls: f64, d_mm: f64, pitch_mm: f64, angle_deg: f64, shaft_hz: f64) -> f64 {
    n_balls / 2.0 * shaft_hz * (1.0 - d_mm / pitch_mm * angle_deg.to_radians().cos())
}

/// Seeded Gaussian noise (xorshift64* + Box-Muller): no RNG crate needed here.
struct Noise(u64);
impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn gaussian(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// One continuous vibration record, as the twin's model makes it: shaft 1x tone, white
/// noise, and (for a fault) impacts at `impact_hz` each ringing a 3 kHz resonance
/// (damping 0.05) with peak `impact_mps2`.
fn vibration(shaft_hz: f64, impact_hz: Option<f64>, impact_mps2: f64, seed: u64) -> Vec<f32> {
    let n = (SIGNAL_S * RATE_HZ) as usize;
    let mut noise = Noise(seed);
    let mut x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / RATE_HZ;
            0.4 * (2.0 * std::f64::consts::PI * shaft_hz * t).sin() + 0.3 * noise.gaussian()
        })
        .collect();
    if let Some(rate) = impact_hz {
        let (fn_hz, zeta) = (3_000.0, 0.05);
        let alpha = 2.0 * std::f64::consts::PI * zeta * fn_hz;
        let wd = 2.0 * std::f64::consts::PI * fn_hz * (1.0f64 - zeta * zeta).sqrt();
        let ring = (9.0 / alpha * RATE_HZ) as usize;
        let mut k = 0.0;
        loop {
            // 1 % timing jitter: rolling elements slip.
            let tk = (k + 0.01 * noise.gaussian()) / rate;
            k += 1.0;
            let i0 = (tk.max(0.0) * RATE_HZ).ceil() as usize;
            if i0 >= n {
                break;
            }
            for (i, xi) in x.iter_mut().enumerate().skip(i0).take(ring) {
                let tau = i as f64 / RATE_HZ - tk;
                *xi += impact_mps2 * (-alpha * tau).exp() * (wd * tau).sin();
            }
        }
    }
    x.into_iter().map(|v| v as f32).collect()
}

fn chunk(
    (machine, component): (&str, &str),
    shaft_hz: f64,
    signal: &[f32],
    index: usize,
    t0_s: f64,
) -> MachineTelemetry {
    let start = (index * CHUNK) % (signal.len() - CHUNK + 1);
    let stamp = t0_s + (index * CHUNK) as f64 / RATE_HZ;
    let mut msg = MachineTelemetry {
        machine_id: machine.into(),
        component_id: component.into(),
        sample_rate_hz: RATE_HZ,
        vibration_mps2: signal[start..start + CHUNK].to_vec(),
        shaft_speed_hz: shaft_hz,
        temperature_k: TEMPERATURE_K,
        load_fraction: 0.8,
        ..Default::default()
    };
    msg.header.stamp.sec = stamp.floor() as i32;
    msg.header.stamp.nanosec = ((stamp - stamp.floor()) * 1e9) as u32;
    msg.header.frame_id = machine.into();
    msg
}

const WARN: u8 = MachineHealth::STATUS_WARN as u8;

fn names_outer_race(h: &MachineHealth) -> bool {
    h.machine_id == FAULTY.0
        && h.status >= WARN
        && h.components.iter().any(|c| c.component_id == FAULTY.1 && c.fault_type == "outer_race")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outer_race_fault_becomes_health_work_order_and_task() {
    isolate_domain();
    let root = repo_root();
    let params = root.join("config/maintenance_dispatcher.yaml");
    let factory = format!("factory_file:={}", root.join("config/factory.yaml").display());
    let node = NodeProcess::start(
        "dispatcher",
        "maintenance_dispatcher",
        &[
            "--ros-args",
            "--params-file",
            params.to_str().expect("utf-8 path"),
            "-p",
            &factory,
            "-p",
            "health_period_s:=0.3",
            "-p",
            "plan_period_s:=0.3",
        ],
    );

    let mut observer = observer_node("dispatcher_observer");
    let telemetry_pub = observer
        .create_publisher::<MachineTelemetry>("/machine_telemetry", QosProfile::default().keep_last(100))
        .expect("pub");
    let health = collect(
        observer.subscribe::<MachineHealth>("/machine_health", QosProfile::default()).expect("sub"),
        |_| true,
    );
    let orders =
        collect(observer.subscribe::<WorkOrder>("/work_orders", QosProfile::default()).expect("sub"), |_| {
            true
        });
    let tasks = collect(
        observer.subscribe::<TaskRequest>("/task_requests", QosProfile::default()).expect("sub"),
        |_| true,
    );
    let _spinner = Spinner::start(observer);

    let limit = Duration::from_secs(30);
    // Up when it publishes health and subscribes to telemetry.
    assert!(
        wait_until(limit, || !health.lock().unwrap().is_empty()
            && telemetry_pub.get_inter_process_subscription_count().unwrap_or(0) > 0)
        .await,
        "the dispatcher did not come up\n{}",
        node.log()
    );

    let faulty_signal = vibration(
        FAULTY_SHAFT_HZ,
        Some(bpfo_hz(9.0, 7.94, 39.04, 0.0, FAULTY_SHAFT_HZ)),
        15.0, // half the twin's impulse at failure: a strong, developed spall
        7,
    );
    let healthy_signal = vibration(HEALTHY_SHAFT_HZ, None, 0.0, 11);
    // Stamps a minute in the past, so the record stays behind the node's clock while
    // it is sent faster than real time.
    let t0 = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs_f64() - SIGNAL_S;

    let detected = || health.lock().unwrap().iter().any(names_outer_race);
    let ordered = || {
        orders
            .lock()
            .unwrap()
            .iter()
            .any(|o| o.machine_id == FAULTY.0 && o.component_id == FAULTY.1 && o.work_type == "part_swap")
    };
    let tasked = || {
        tasks
            .lock()
            .unwrap()
            .iter()
            .any(|t| t.steps.iter().any(|s| s.machine_id == FAULTY.0 && s.component_id == FAULTY.1))
    };
    let sent = async {
        let chunks = (SIGNAL_S * RATE_HZ) as usize / CHUNK;
        for i in 0..chunks {
            for (id, shaft, signal) in
                [(FAULTY, FAULTY_SHAFT_HZ, &faulty_signal), (HEALTHY, HEALTHY_SHAFT_HZ, &healthy_signal)]
            {
                telemetry_pub.publish(&chunk(id, shaft, signal, i, t0)).expect("publish telemetry");
            }
            if detected() && ordered() && tasked() {
                return i;
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        chunks
    };
    let used = sent.await;
    assert!(
        wait_until(limit, || detected() && ordered() && tasked()).await,
        "after {used} chunks per machine: outer race reported {}, work order {}, task {}\n{}",
        detected(),
        ordered(),
        tasked(),
        node.log()
    );

    // The healthy machine stayed OK throughout, with no fault named.
    let press: Vec<MachineHealth> =
        health.lock().unwrap().iter().filter(|h| h.machine_id == HEALTHY.0).cloned().collect();
    assert!(!press.is_empty(), "no health for {}", HEALTHY.0);
    for h in &press {
        assert_eq!(h.status, MachineHealth::STATUS_OK as u8, "{h:?}");
        assert!(h.components.iter().all(|c| c.fault_type == "none"), "{h:?}");
    }

    // The work order and its task match, field by field.
    let order = orders
        .lock()
        .unwrap()
        .iter()
        .find(|o| o.machine_id == FAULTY.0 && o.component_id == FAULTY.1)
        .cloned()
        .expect("work order");
    assert!(order.reason.contains("outer_race"), "{order:?}");
    assert!(order.deadline.sec > 0 && order.estimated_duration_s > 0.0, "{order:?}");
    let task = tasks.lock().unwrap().first().cloned().expect("task request");
    assert_eq!(task.task_id, order.work_order_id);
    assert_eq!(task.origin, "maintenance");
    assert_eq!(task.required_capabilities, ["maintenance"]);
    assert_eq!(task.deadline, order.deadline);
    let [step] = task.steps.as_slice() else { panic!("one step: {task:?}") };
    assert_eq!(step.kind, "replace_component");
    assert_eq!(step.location_id, "weld", "the robot works from weld_1's station");
    // The order goes out again once it is requested, carrying the task id.
    assert!(
        wait_until(limit, || orders.lock().unwrap().iter().any(|o| o.work_order_id == order.work_order_id
            && o.status == WorkOrder::STATUS_REQUESTED as u8
            && o.task_id == task.task_id))
        .await,
        "no REQUESTED update of {}",
        order.work_order_id
    );

    // A NaN sample is rejected with the field named; health keeps coming.
    let mut bad = chunk(FAULTY, FAULTY_SHAFT_HZ, &faulty_signal, used + 1, t0);
    bad.vibration_mps2[17] = f32::NAN;
    telemetry_pub.publish(&bad).expect("publish");
    assert!(
        wait_until(limit, || node.log().contains("rejected (vibration_mps2)")).await,
        "NaN chunk not reported\n{}",
        node.log()
    );
    // Two more health rounds after the rejection, still naming the fault.
    let faulty_reports = || health.lock().unwrap().iter().filter(|h| names_outer_race(h)).count();
    let seen = faulty_reports();
    assert!(
        wait_until(limit, || faulty_reports() >= seen + 2).await,
        "health stopped after the NaN chunk\n{}",
        node.log()
    );
}
