//! Conversions between the twin's plain Rust types and ROS messages. Sim time in
//! seconds becomes builtin_interfaces/Time; poses are in the "map" frame (REP-103).

use factory_node::msg_const;
use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::factory_interfaces::msg::{
    Defect, EnergyState, InspectionResult, MachineTelemetry, MaintenanceEvent, StationState, TorqueTrace,
};
use factory_node::r2r::factory_interfaces::srv::StartMaintenance;
use factory_node::r2r::geometry_msgs::msg::{
    Point, Pose, PoseWithCovariance, Quaternion, Twist, TwistWithCovariance, Vector3,
};
use factory_node::r2r::nav_msgs::msg::Odometry;
use factory_node::r2r::sensor_msgs::msg::{BatteryState, Image, JointState, LaserScan, RegionOfInterest};
use factory_node::r2r::std_msgs::msg::{ColorRGBA, Header};
use factory_node::r2r::trajectory_msgs::msg::JointTrajectory;
use factory_node::r2r::visualization_msgs::msg::{Marker, MarkerArray};
use factory_twin::camera::{BBoxPx, CameraFrame, DefectClass, ImageBuffer};
use factory_twin::line::{StationState as TwinStationState, StationStatus};
use factory_twin::{
    arm, ComponentTelemetry, EnergyState as TwinEnergy, FasteningRecord, MaintenanceAction, Robot, Scan,
    Twist2, World,
};

pub fn time(seconds: f64) -> Time {
    let (sec, nanosec) = factory_node::clock::Stamp::from_secs_f64(seconds).sec_nanosec();
    Time { sec, nanosec }
}

fn header(seconds: f64, frame_id: &str) -> Header {
    Header { stamp: time(seconds), frame_id: frame_id.to_string() }
}

fn yaw_quaternion(yaw: f64) -> Quaternion {
    Quaternion { x: 0.0, y: 0.0, z: (yaw / 2.0).sin(), w: (yaw / 2.0).cos() }
}

pub fn twist(msg: &Twist) -> Twist2 {
    // A humanoid base is holonomic in the plane: x, y and yaw rate; the rest is ignored.
    Twist2::new(msg.linear.x, msg.linear.y, msg.angular.z)
}

pub fn trajectory(msg: &JointTrajectory) -> arm::JointTrajectory {
    arm::JointTrajectory {
        joint_names: msg.joint_names.clone(),
        points: msg
            .points
            .iter()
            .map(|p| arm::TrajectoryPoint {
                positions: p.positions.clone(),
                time_from_start_s: f64::from(p.time_from_start.sec)
                    + f64::from(p.time_from_start.nanosec) * 1e-9,
            })
            .collect(),
    }
}

pub fn odometry(robot: &Robot, now: f64) -> Odometry {
    let odom = robot.odometry(now);
    Odometry {
        header: header(now, "map"),
        child_frame_id: format!("{}/base_link", robot.id()),
        pose: PoseWithCovariance {
            pose: Pose {
                position: Point { x: odom.pose.x, y: odom.pose.y, z: 0.0 },
                orientation: yaw_quaternion(odom.pose.yaw),
            },
            covariance: vec![0.0; 36],
        },
        twist: TwistWithCovariance {
            twist: Twist {
                linear: Vector3 { x: odom.twist.vx, y: odom.twist.vy, z: 0.0 },
                angular: Vector3 { x: 0.0, y: 0.0, z: odom.twist.wz },
            },
            covariance: vec![0.0; 36],
        },
    }
}

pub fn laser_scan(robot: &Robot, scan: &Scan) -> LaserScan {
    let laser = robot.laser();
    LaserScan {
        header: header(scan.stamp_s, &format!("{}/base_laser", robot.id())),
        angle_min: laser.angle_min as f32,
        angle_max: laser.angle_max as f32,
        angle_increment: laser.angle_increment as f32,
        time_increment: 0.0,
        scan_time: laser.scan_time_s as f32,
        range_min: laser.range_min as f32,
        range_max: laser.range_max as f32,
        ranges: scan.ranges.clone(),
        intensities: Vec::new(),
    }
}

pub fn joint_state(robot: &Robot, now: f64) -> JointState {
    let joints = robot.joint_state();
    JointState {
        header: header(now, ""),
        name: joints.names,
        position: joints.positions,
        velocity: joints.velocities,
        effort: Vec::new(),
    }
}

pub fn battery(robot: &Robot, now: f64) -> BatteryState {
    let battery = robot.battery();
    BatteryState {
        header: header(now, &format!("{}/base_link", robot.id())),
        voltage: battery.voltage_v() as f32,
        percentage: battery.soc() as f32,
        power_supply_status: if robot.is_charging() {
            BatteryState::POWER_SUPPLY_STATUS_CHARGING as u8
        } else {
            BatteryState::POWER_SUPPLY_STATUS_DISCHARGING as u8
        },
        present: true,
        temperature: f32::NAN,
        current: f32::NAN,
        charge: f32::NAN,
        capacity: f32::NAN,
        design_capacity: f32::NAN,
        ..Default::default()
    }
}

pub fn telemetry(chunk: &ComponentTelemetry) -> MachineTelemetry {
    MachineTelemetry {
        header: header(chunk.stamp_s, &chunk.machine_id),
        machine_id: chunk.machine_id.clone(),
        component_id: chunk.component_id.clone(),
        sample_rate_hz: chunk.sample_rate_hz,
        vibration_mps2: chunk.vibration_mps2.clone(),
        shaft_speed_hz: chunk.shaft_speed_hz,
        temperature_k: chunk.temperature_k as f32,
        motor_current_a: chunk.motor_current_a as f32,
        load_fraction: chunk.load_fraction as f32,
        cycle_count: chunk.cycle_count,
        lubricated: chunk.lubricated,
        joint_torques_nm: Vec::new(),
    }
}

pub fn station_state(station: &StationStatus, now: f64) -> StationState {
    let state = match station.state {
        TwinStationState::Busy => StationState::STATE_BUSY as u8,
        TwinStationState::Blocked => StationState::STATE_BLOCKED as u8,
        TwinStationState::Starved => StationState::STATE_STARVED as u8,
        TwinStationState::Down => StationState::STATE_DOWN as u8,
    };
    StationState {
        header: header(now, "map"),
        station_id: station.id.clone(),
        machine_id: station.machine_id.clone(),
        state,
        buffer_len: u32::try_from(station.buffer_len).unwrap_or(u32::MAX),
        buffer_capacity: u32::try_from(station.buffer_capacity).unwrap_or(u32::MAX),
        current_variant: station.current_variant.clone().unwrap_or_default(),
        current_part_id: station.part_id.map_or_else(String::new, |id| id.to_string()),
        progress: station.progress as f32,
        parts_completed: station.completed,
        busy_s: station.busy_s,
        blocked_s: station.blocked_s,
        starved_s: station.starved_s,
        down_s: station.down_s,
    }
}

pub fn energy(e: &TwinEnergy, now: f64) -> EnergyState {
    EnergyState {
        header: header(now, ""),
        load_kw: e.load_kw,
        solar_kw: e.solar_kw,
        grid_kw: e.grid_kw,
        storage_kw: e.storage_kw,
        storage_kwh: e.storage_kwh,
        storage_soc: e.storage_soc as f32,
        peak_tariff: e.peak,
        price_per_kwh: e.price_per_kwh,
        load_kwh: e.load_kwh,
        solar_kwh: e.solar_kwh,
        import_peak_kwh: e.import_peak_kwh,
        import_offpeak_kwh: e.import_offpeak_kwh,
        export_kwh: e.export_kwh,
        cost: e.cost,
    }
}

/// Runs a StartMaintenance request against the world; the reply says why if refused,
/// and an accepted request or cancel yields the event to publish.
pub fn start_maintenance(
    world: &mut World,
    req: &StartMaintenance::Request,
) -> (StartMaintenance::Response, Option<MaintenanceEvent>) {
    let refused = |message: String| StartMaintenance::Response { accepted: false, message, duration_s: 0.0 };
    let now = world.time_s();
    let event = |kind: u8, message: String| MaintenanceEvent {
        header: header(now, ""),
        robot_id: req.robot_id.clone(),
        machine_id: req.machine_id.clone(),
        component_id: req.component_id.clone(),
        action: req.action.clone(),
        event: kind,
        message,
    };
    if req.action == msg_const(StartMaintenance::Request::ACTION_CANCEL) {
        return match world.cancel_maintenance(&req.robot_id) {
            Ok(Some(_)) => {
                let ev = event(MaintenanceEvent::EVENT_CANCELLED as u8, "cancelled on request".into());
                (
                    StartMaintenance::Response { accepted: true, message: String::new(), duration_s: 0.0 },
                    Some(ev),
                )
            }
            Ok(None) => {
                (refused(format!("robot_id = {:?}: no maintenance work in progress", req.robot_id)), None)
            }
            Err(e) => (refused(e.to_string()), None),
        };
    }
    let cfg = &world.config().maintenance;
    let action = match req.action.as_str() {
        a if a == msg_const(StartMaintenance::Request::ACTION_REPAIR) => {
            Some((MaintenanceAction::Repair, cfg.repair_s))
        }
        a if a == msg_const(StartMaintenance::Request::ACTION_REPLACE) => {
            Some((MaintenanceAction::Replace, cfg.replace_s))
        }
        a if a == msg_const(StartMaintenance::Request::ACTION_LUBRICATE) => {
            Some((MaintenanceAction::Lubricate, cfg.lubricate_s))
        }
        a if a == msg_const(StartMaintenance::Request::ACTION_RECALIBRATE) => {
            Some((MaintenanceAction::Recalibrate, cfg.recalibrate_s))
        }
        _ => None,
    };
    let Some((action, duration_s)) = action else {
        let msg = format!(
            "action = {:?}: the twin simulates repair, replace, lubricate, recalibrate and cancel",
            req.action
        );
        return (refused(msg), None);
    };
    match world.start_maintenance(&req.robot_id, &req.machine_id, &req.component_id, action) {
        Ok(()) => {
            let ev = event(
                MaintenanceEvent::EVENT_STARTED as u8,
                format!("{duration_s:.0} s of work within reach"),
            );
            (StartMaintenance::Response { accepted: true, message: String::new(), duration_s }, Some(ev))
        }
        Err(e) => (refused(e.to_string()), None),
    }
}

/// The DONE event of a finished maintenance action.
pub fn maintenance_done(
    robot_id: &str,
    machine_id: &str,
    component_id: &str,
    action: MaintenanceAction,
    now: f64,
) -> MaintenanceEvent {
    let action = match action {
        MaintenanceAction::Repair => msg_const(StartMaintenance::Request::ACTION_REPAIR),
        MaintenanceAction::Replace => msg_const(StartMaintenance::Request::ACTION_REPLACE),
        MaintenanceAction::Lubricate => msg_const(StartMaintenance::Request::ACTION_LUBRICATE),
        MaintenanceAction::Recalibrate => msg_const(StartMaintenance::Request::ACTION_RECALIBRATE),
    };
    MaintenanceEvent {
        header: header(now, ""),
        robot_id: robot_id.to_string(),
        machine_id: machine_id.to_string(),
        component_id: component_id.to_string(),
        action: action.to_string(),
        event: MaintenanceEvent::EVENT_DONE as u8,
        message: String::new(),
    }
}

fn color(r: f32, g: f32, b: f32) -> ColorRGBA {
    ColorRGBA { r, g, b, a: 0.9 }
}

/// Robots as cylinders and machines as boxes, for RViz or Foxglove.
pub fn markers(world: &World, now: f64) -> MarkerArray {
    let mut markers = Vec::new();
    for (i, robot) in world.robots().iter().enumerate() {
        let pose = robot.pose();
        let d = robot.radius_m() * 2.0;
        markers.push(Marker {
            header: header(now, "map"),
            ns: "robots".into(),
            id: i as i32,
            type_: Marker::CYLINDER as i32,
            action: Marker::ADD as i32,
            pose: Pose {
                position: Point { x: pose.x, y: pose.y, z: 0.9 },
                orientation: yaw_quaternion(pose.yaw),
            },
            scale: Vector3 { x: d, y: d, z: 1.8 },
            color: color(0.2, 0.4, 0.9),
            text: robot.id().to_string(),
            ..Default::default()
        });
    }
    for (i, machine) in world.machines().iter().enumerate() {
        let r = machine.footprint();
        let down = machine.is_down();
        markers.push(Marker {
            header: header(now, "map"),
            ns: "machines".into(),
            id: i as i32,
            type_: Marker::CUBE as i32,
            action: Marker::ADD as i32,
            pose: Pose {
                position: Point { x: (r.x_min + r.x_max) / 2.0, y: (r.y_min + r.y_max) / 2.0, z: 0.75 },
                orientation: yaw_quaternion(0.0),
            },
            scale: Vector3 { x: r.x_max - r.x_min, y: r.y_max - r.y_min, z: 1.5 },
            color: if down { color(0.9, 0.1, 0.1) } else { color(0.5, 0.5, 0.5) },
            text: machine.id().to_string(),
            ..Default::default()
        });
    }
    MarkerArray { markers }
}

/// sensor_msgs/Image of a twin image buffer (rgb8 or mono16 little-endian); the pixels
/// move into the message (a frame is megabytes: no copy).
pub fn image(buf: ImageBuffer, now: f64, frame_id: &str) -> Image {
    Image {
        header: header(now, frame_id),
        height: buf.height,
        width: buf.width,
        encoding: buf.encoding.as_str().to_string(),
        is_bigendian: 0,
        step: buf.step,
        data: buf.data,
    }
}

fn roi(b: &BBoxPx) -> RegionOfInterest {
    RegionOfInterest { x_offset: b.x, y_offset: b.y, width: b.width, height: b.height, do_rectify: false }
}

/// A fastening's torque-angle trace, as the station controller uploads it.
pub fn torque_trace(record: &FasteningRecord, target_torque_nm: f64) -> TorqueTrace {
    TorqueTrace {
        header: header(record.stamp_s, &format!("{}/nutrunner", record.station_id)),
        station_id: record.station_id.clone(),
        part_id: record.part_id.to_string(),
        part_type: record.part_type.clone(),
        target_torque_nm,
        angle_deg: record.trace.angle_deg.clone(),
        torque_nm: record.trace.torque_nm.clone(),
    }
}

/// Ground truth of a frame as an InspectionResult, for evaluation only. Every injected
/// defect and hotspot is listed with confidence 1; hotspot boxes are thermal pixels.
pub fn inspection_truth(frame: &CameraFrame) -> InspectionResult {
    let t = &frame.truth;
    let mut defects: Vec<Defect> = t
        .defects
        .iter()
        .map(|d| Defect {
            defect_class: match d.class {
                DefectClass::Scratch => Defect::CLASS_SCRATCH as u8,
                DefectClass::Pit => Defect::CLASS_PIT as u8,
                DefectClass::Contamination => Defect::CLASS_CONTAMINATION as u8,
            },
            bbox: roi(&d.bbox),
            center_x_mm: d.center_x_mm as f32,
            center_y_mm: d.center_y_mm as f32,
            length_mm: d.length_mm as f32,
            width_mm: d.width_mm as f32,
            area_mm2: d.area_mm2 as f32,
            peak_temperature_k: 0.0,
            severity: 1.0,
            confidence: 1.0,
        })
        .collect();
    defects.extend(t.hotspots.iter().map(|h| Defect {
        defect_class: Defect::CLASS_HOTSPOT as u8,
        bbox: roi(&h.bbox),
        center_x_mm: h.center_x_mm as f32,
        center_y_mm: h.center_y_mm as f32,
        length_mm: (4.0 * h.radius_mm) as f32,
        width_mm: (4.0 * h.radius_mm) as f32,
        area_mm2: (std::f64::consts::PI * 4.0 * h.radius_mm * h.radius_mm) as f32,
        peak_temperature_k: h.peak_k as f32,
        severity: 1.0,
        confidence: 1.0,
    }));
    // A faulty fastening: a non-visual defect, no image extent.
    defects.extend(t.fastening_fault.map(|_| Defect {
        defect_class: Defect::CLASS_TORQUE as u8,
        severity: 1.0,
        confidence: 1.0,
        ..Defect::default()
    }));
    InspectionResult {
        header: header(frame.stamp_s, &format!("{}/camera_optical_frame", frame.station_id)),
        inspection_id: format!("truth/{}/{}/{}", frame.station_id, t.part_id, frame.seq),
        station_id: frame.station_id.clone(),
        part_id: t.part_id.to_string(),
        part_type: t.part_type.clone(),
        passed: t.passed(),
        defects,
        offset_x_mm: t.offset_x_mm as f32,
        offset_y_mm: t.offset_y_mm as f32,
        rotation_deg: t.rotation_deg as f32,
        max_temperature_k: t.max_temperature_k as f32,
        processing_time_ms: 0.0,
    }
}
