//! The quality inspector as a real node on the twin's camera topics.
//!
//! References are taught first from the twin's renderer (`teach_from_twin`, the same
//! step an operator runs once), into a temporary data directory. Then the twin (its
//! inspection camera at 0.5 Hz of sim time, half the fastenings faulty) and the
//! inspector run as processes; the test compares every verdict on `inspection_results`
//! with the twin's ground truth for the same capture stamp (pass/fail, part id, a faulty
//! fastening caught from its torque trace), checks that a failed part produces a
//! correction TaskRequest at once, and that a malformed frame is dropped with its reason
//! while the node keeps inspecting.

use factory_integration_tests::{
    bin_dir, collect, isolate_domain, observer_node, repo_root, run_to_exit, wait_until, NodeProcess, Spinner,
};
use factory_node::r2r::{self, QosProfile};
use r2r::diagnostic_msgs::msg::DiagnosticArray;
use r2r::factory_interfaces::msg::{Defect, InspectionResult, TaskRequest};
use r2r::sensor_msgs::msg::Image;
use std::time::Duration;

const STATION: &str = "inspect";
/// Inspections to compare with the ground truth (and at least one failed part).
const MIN_RESULTS: usize = 8;
const LIMIT: Duration = Duration::from_secs(120);

fn stamp_key(h: &r2r::std_msgs::msg::Header) -> (i32, u32) {
    (h.stamp.sec, h.stamp.nanosec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_judges_the_twins_parts_like_the_ground_truth() {
    isolate_domain();
    let root = repo_root();
    let data_dir = std::env::temp_dir().join(format!("qi_refs_{}", std::process::id()));
    let data = data_dir.display().to_string();
    // The factory's own layout with the camera slowed to one frame per 2 s (its frames of
    // a part then span seconds, not one) and scratches on most parts, so a short run
    // sees failed parts, and half the fastenings faulty. Same seed and textures, so
    // references taught from it fit.
    let factory = std::fs::read_to_string(root.join("config/factory.yaml")).expect("config/factory.yaml");
    let mut edited = factory.clone();
    for (from, to) in [
        ("    rate_hz: 2.0\n", "    rate_hz: 0.5\n"),
        ("scratch: { probability: 0.15,", "scratch: { probability: 0.8,"),
        ("fault_probability: 0.05 }", "fault_probability: 0.5 }"),
    ] {
        assert_eq!(edited.matches(from).count(), 1, "config/factory.yaml changed: `{from}` not found once");
        edited = edited.replace(from, to);
    }
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let layout_path = data_dir.join("factory.yaml");
    std::fs::write(&layout_path, edited).expect("write layout");
    let layout = layout_path.display().to_string();

    // Teach: 6 good parts per type from the twin's renderer.
    let teach = bin_dir().join("examples").join("teach_from_twin");
    assert!(
        teach.exists(),
        "{} not built: run `cargo build --workspace --bins --examples` (./factory test does)",
        teach.display()
    );
    let (code, out) =
        run_to_exit("examples/teach_from_twin", &[&layout, &data, "6"], Duration::from_secs(300));
    assert_eq!(code, Some(0), "teaching failed:\n{out}");
    for part_type in ["A", "B", "C"] {
        let file = data_dir.join(STATION).join(format!("{part_type}.qiref"));
        assert!(file.exists(), "no reference {}:\n{out}", file.display());
    }

    let twin = NodeProcess::start(
        "twin",
        "factory_twin",
        &[
            "--ros-args",
            "--params-file",
            &root.join("config/factory_twin.yaml").display().to_string(),
            "-p",
            &format!("factory_file:={layout}"),
            "-p",
            "real_time_factor:=4.0",
        ],
    );
    let inspector = NodeProcess::start(
        "inspector",
        "quality_inspector",
        &[
            "--ros-args",
            "--params-file",
            &root.join("config/quality_inspector.yaml").display().to_string(),
            "-p",
            &format!("factory_file:={layout}"),
            "-p",
            &format!("data_dir:={data}"),
            "-p",
            "use_sim_time:=true",
        ],
    );
    let logs = || format!("--- twin ---\n{}\n--- inspector ---\n{}", twin.log(), inspector.log());

    let mut node = observer_node("quality_inspector_observer");
    let results = collect(
        node.subscribe::<InspectionResult>("/inspection_results", QosProfile::default()).expect("sub"),
        |r| r.station_id == STATION,
    );
    let truth = collect(
        node.subscribe::<InspectionResult>("/ground_truth/inspection", QosProfile::default()).expect("sub"),
        |r| r.station_id == STATION,
    );
    let tasks =
        collect(node.subscribe::<TaskRequest>("/task_requests", QosProfile::default()).expect("sub"), |t| {
            t.origin == "quality"
        });
    let dropped_wrong_encoding = collect(
        node.subscribe::<DiagnosticArray>("/diagnostics", QosProfile::default()).expect("sub"),
        |a: &DiagnosticArray| {
            a.status.iter().any(|s| {
                s.name.contains(STATION)
                    && s.values.iter().any(|kv| kv.key == "dropped.wrong_encoding" && kv.value != "0")
            })
        },
    );
    let camera = node
        // Reliable, as the inspector subscribes (image_reliable).
        .create_publisher::<Image>(&format!("/{STATION}/camera/image_raw"), QosProfile::default())
        .expect("pub");
    let _spinner = Spinner::start(node);

    // Verdicts paired with the truth of the same capture, until one failed part is among them.
    let paired = || {
        let truth = truth.lock().unwrap();
        results
            .lock()
            .unwrap()
            .iter()
            .filter_map(|r| {
                truth
                    .iter()
                    .find(|t| stamp_key(&t.header) == stamp_key(&r.header))
                    .map(|t| (r.clone(), t.clone()))
            })
            .collect::<Vec<_>>()
    };
    let torque = Defect::CLASS_TORQUE as u8;
    let bad_fastening = |r: &InspectionResult| r.defects.iter().any(|d| d.defect_class == torque);
    let enough = wait_until(LIMIT, || {
        let p = paired();
        p.len() >= MIN_RESULTS && p.iter().any(|(_, t)| !t.passed) && p.iter().any(|(_, t)| bad_fastening(t))
    })
    .await;
    let pairs = paired();
    assert!(
        enough,
        "{} verdicts paired with the truth ({} results, {} truths), too few, none failed or no bad fastening\n{}",
        pairs.len(),
        results.lock().unwrap().len(),
        truth.lock().unwrap().len(),
        logs()
    );
    for (r, t) in &pairs {
        assert_eq!(
            r.passed,
            t.passed,
            "verdict differs from the truth for the capture at {:?}: inspector {:?} vs truth {:?}",
            stamp_key(&r.header),
            r.defects.iter().map(|d| d.defect_class).collect::<Vec<_>>(),
            t.defects.iter().map(|d| d.defect_class).collect::<Vec<_>>()
        );
        // Pose within 0.1 mm of the truth's misalignment (the bench measures 0.05 mm).
        assert!(
            (r.offset_x_mm - t.offset_x_mm).abs() < 0.1 && (r.offset_y_mm - t.offset_y_mm).abs() < 0.1,
            "offset ({}, {}) vs truth ({}, {})",
            r.offset_x_mm,
            r.offset_y_mm,
            t.offset_x_mm,
            t.offset_y_mm
        );
        assert!(r.processing_time_ms > 0.0);
        // The verdict names the part the twin imaged (from station_states and the trace).
        assert_eq!(r.part_id, t.part_id, "part id of the capture at {:?}", stamp_key(&r.header));
        // A faulty fastening is caught from the part's torque trace, and only then.
        assert_eq!(bad_fastening(r), bad_fastening(t), "torque finding for part {}", t.part_id);
    }
    // Every failed part asked for a correction, naming it.
    let failed: Vec<String> =
        pairs.iter().filter(|(r, _)| !r.passed).map(|(r, _)| r.part_id.clone()).collect();
    assert!(
        wait_until(Duration::from_secs(10), || {
            let tasks = tasks.lock().unwrap();
            failed.iter().all(|p| {
                tasks.iter().any(|t| {
                    t.steps
                        .iter()
                        .any(|s| s.parameters.iter().any(|kv| kv.key == "part_id" && kv.value == *p))
                })
            })
        })
        .await,
        "failed parts {failed:?} without a correction task: {:?}\n{}",
        tasks.lock().unwrap().iter().map(|t| (t.task_id.clone(), t.task_type.clone())).collect::<Vec<_>>(),
        logs()
    );

    // A frame with a bad encoding: dropped with its reason, and inspection goes on.
    let bad = Image {
        height: 4,
        width: 4,
        encoding: "yuv422".into(),
        step: 8,
        data: vec![0; 32],
        ..Image::default()
    };
    let before = results.lock().unwrap().len();
    camera.publish(&bad).expect("publish");
    assert!(
        wait_until(Duration::from_secs(15), || !dropped_wrong_encoding.lock().unwrap().is_empty()).await,
        "the bad frame was not counted as dropped for its encoding\n{}",
        logs()
    );
    assert!(
        wait_until(Duration::from_secs(30), || results.lock().unwrap().len() > before + 1).await,
        "no inspections after the bad frame\n{}",
        logs()
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
