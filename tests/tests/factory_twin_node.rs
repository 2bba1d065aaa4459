//! The twin as a real node: it drives /clock, publishes what Gazebo would (odom, scan,
//! telemetry, station states), moves a robot on cmd_vel, and refuses bad commands with
//! a reason while it keeps running.

use factory_integration_tests::{isolate_domain, latest, observer_node, wait_until, NodeProcess, Spinner};
use factory_node::r2r::{self, QosProfile};
use r2r::factory_interfaces::msg::{MachineTelemetry, StationState};
use r2r::factory_interfaces::srv::StartMaintenance;
use r2r::geometry_msgs::msg::{Twist, Vector3};
use r2r::nav_msgs::msg::Odometry;
use r2r::rosgraph_msgs::msg::Clock;
use r2r::sensor_msgs::msg::LaserScan;
use std::time::Duration;

const ROBOT: &str = "optimus_1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twin_publishes_the_floor_and_obeys_cmd_vel() {
    isolate_domain();
    let twin = NodeProcess::start("twin", "factory_twin", &["--ros-args", "-p", "real_time_factor:=5.0"]);

    let mut node = observer_node("twin_observer");
    let clock = latest(node.subscribe::<Clock>("/clock", QosProfile::sensor_data()).expect("sub"));
    let odom =
        latest(node.subscribe::<Odometry>(&format!("/{ROBOT}/odom"), QosProfile::default()).expect("sub"));
    let scan = latest(
        node.subscribe::<LaserScan>(&format!("/{ROBOT}/scan"), QosProfile::sensor_data()).expect("sub"),
    );
    let telemetry =
        latest(node.subscribe::<MachineTelemetry>("/machine_telemetry", QosProfile::default()).expect("sub"));
    let stations =
        latest(node.subscribe::<StationState>("/station_states", QosProfile::default()).expect("sub"));
    let cmd_vel =
        node.create_publisher::<Twist>(&format!("/{ROBOT}/cmd_vel"), QosProfile::default()).expect("pub");
    let maintenance = node
        .create_client::<StartMaintenance::Service>("/start_maintenance", QosProfile::services_default())
        .expect("client");
    let maintenance_up = r2r::Node::is_available(&maintenance).expect("availability");
    let _spinner = Spinner::start(node);

    let limit = Duration::from_secs(30);
    assert!(
        wait_until(limit, || odom.lock().unwrap().is_some() && scan.lock().unwrap().is_some()).await,
        "no odom/scan from the twin\n{}",
        twin.log()
    );
    let first_clock = clock.lock().unwrap().as_ref().map(|c| c.clock.sec).expect("clock published");
    let start = odom.lock().unwrap().as_ref().map(|o| o.pose.pose.position.clone()).expect("odom");

    let scan_msg = scan.lock().unwrap().clone().expect("scan");
    assert_eq!(scan_msg.ranges.len(), 360);
    assert_eq!(scan_msg.header.frame_id, format!("{ROBOT}/base_laser"));
    assert!(scan_msg
        .ranges
        .iter()
        .all(|r| r.is_infinite() || (*r >= scan_msg.range_min && *r <= scan_msg.range_max)));

    // Drive forward: odom must follow. cmd_vel times out on the twin, so keep sending.
    let forward = Twist { linear: Vector3 { x: 0.5, y: 0.0, z: 0.0 }, angular: Vector3::default() };
    let moved = async {
        loop {
            cmd_vel.publish(&forward).expect("publish cmd_vel");
            let now = odom.lock().unwrap().as_ref().map(|o| o.pose.pose.position.clone()).expect("odom");
            let d = ((now.x - start.x).powi(2) + (now.y - start.y).powi(2)).sqrt();
            if d > 0.5 {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let distance = tokio::time::timeout(limit, moved).await.expect("robot moved on cmd_vel");
    assert!(distance < 20.0, "moved {distance} m: impossible at 0.5 m/s");

    // Bad input: NaN velocity and an unknown machine are refused; the twin keeps running.
    let nan = Twist { linear: Vector3 { x: f64::NAN, y: 0.0, z: 0.0 }, angular: Vector3::default() };
    cmd_vel.publish(&nan).expect("publish");
    tokio::time::timeout(limit, maintenance_up).await.expect("service up").expect("available");
    let reply = maintenance
        .request(&StartMaintenance::Request {
            robot_id: ROBOT.into(),
            machine_id: "press_99".into(),
            component_id: "spindle_bearing".into(),
            action: "repair".into(),
        })
        .expect("request")
        .await
        .expect("response");
    assert!(!reply.accepted && reply.message.contains("press_99"), "{reply:?}");
    assert!(
        wait_until(limit, || twin.log().contains("cmd_vel rejected")).await,
        "NaN cmd_vel not reported\n{}",
        twin.log()
    );
    let later_clock = first_clock + 2;
    assert!(
        wait_until(limit, || clock.lock().unwrap().as_ref().is_some_and(|c| c.clock.sec >= later_clock))
            .await,
        "the twin stopped advancing /clock after bad input\n{}",
        twin.log()
    );

    assert!(wait_until(limit, || telemetry.lock().unwrap().is_some()).await, "no machine telemetry");
    let chunk = telemetry.lock().unwrap().clone().expect("telemetry");
    assert!(!chunk.machine_id.is_empty());
    if !chunk.vibration_mps2.is_empty() {
        assert!(chunk.sample_rate_hz > 0.0 && chunk.vibration_mps2.iter().all(|v| v.is_finite()));
    }
    assert!(wait_until(limit, || stations.lock().unwrap().is_some()).await, "no station states");
    let station = stations.lock().unwrap().clone().expect("station");
    assert!(station.state <= StationState::STATE_DOWN as u8 && !station.station_id.is_empty());
}

/// The inspection camera of the shipped factory: once a part reaches the `inspect`
/// station, an rgb8 image, a mono16 thermal image and the ground truth arrive. The
/// twin runs in its own namespace with its own clock topic so it cannot disturb the
/// test above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twin_publishes_inspection_camera_images() {
    use r2r::factory_interfaces::msg::InspectionResult;
    use r2r::sensor_msgs::msg::Image;
    isolate_domain();
    let _twin = NodeProcess::start(
        "twin_cameras",
        "factory_twin",
        &["--ros-args", "-r", "__ns:=/cams", "-r", "/clock:=/cams/clock", "-p", "real_time_factor:=25.0"],
    );
    let mut node = observer_node("twin_camera_observer");
    let image = latest(
        node.subscribe::<Image>("/cams/inspect/camera/image_raw", QosProfile::default()).expect("sub"),
    );
    let thermal = latest(
        node.subscribe::<Image>("/cams/inspect/thermal/image_raw", QosProfile::default()).expect("sub"),
    );
    let truth = latest(
        node.subscribe::<InspectionResult>("/cams/ground_truth/inspection", QosProfile::default())
            .expect("sub"),
    );
    let _spinner = Spinner::start(node);
    // The first part needs about 3 simulated minutes to reach the inspect station.
    let limit = Duration::from_secs(90);
    assert!(
        wait_until(limit, || {
            image.lock().unwrap().is_some()
                && thermal.lock().unwrap().is_some()
                && truth.lock().unwrap().is_some()
        })
        .await,
        "no camera images from the twin\n{}",
        _twin.log()
    );
    let img = image.lock().unwrap().clone().expect("image");
    assert_eq!((img.width, img.height, img.encoding.as_str()), (1280, 1024, "rgb8"));
    assert_eq!(img.step, img.width * 3);
    assert_eq!(img.data.len(), (img.step * img.height) as usize);
    let th = thermal.lock().unwrap().clone().expect("thermal");
    assert_eq!((th.width, th.height, th.encoding.as_str(), th.is_bigendian), (320, 256, "mono16", 0));
    assert_eq!(th.step, th.width * 2);
    let t = truth.lock().unwrap().clone().expect("truth");
    assert_eq!(t.station_id, "inspect");
    assert_eq!(t.passed, t.defects.is_empty());
    assert!(t.max_temperature_k > 250.0, "{t:?}");
}
