//! Conversions for the maintenance_dispatcher node: messages <-> core types, and the
//! twin's `config/factory.yaml` (machines, bearings, stations) -> the core's machine
//! configuration. Pure functions, no node state: the node file only wires them.

use factory_layout::ComponentConfig as TwinComponent;
use factory_layout::{ComponentType, FactoryConfig};
use factory_node::clock::Stamp;
use factory_node::msg_const;
use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::diagnostic_msgs::msg::KeyValue;
use factory_node::r2r::factory_interfaces::msg::{
    ComponentHealth as ComponentHealthMsg, MachineHealth as MachineHealthMsg, MachineTelemetry,
    StationState as StationStateMsg, TaskRequest, TaskStep, WorkOrder as WorkOrderMsg,
};
use factory_node::r2r::std_msgs::msg::Header;
use factory_node::to_time_msg;
use maintenance_dispatcher::condition::{ConveyorModel, ThermalParams};
use maintenance_dispatcher::{
    BearingConfig, BearingGeometry, ComponentConfig, ComponentKind, MachineConfig, MachineHealth,
    StationState, Telemetry, WorkOrder, WorkType,
};
use std::collections::BTreeMap;

// ---------------------------------------------------------------- time

/// Seconds of a builtin_interfaces/Time.
pub fn time_to_secs(t: &Time) -> f64 {
    f64::from(t.sec) + f64::from(t.nanosec) * 1e-9
}

/// builtin_interfaces/Time of seconds of ROS time (negative or non-finite: zero, which
/// the messages read as "none").
pub fn secs_to_time(secs: f64) -> Time {
    to_time_msg(Stamp::from_secs_f64(secs))
}

// ---------------------------------------------------------------- telemetry in

/// The core's mirror of a MachineTelemetry chunk. The stamp is the header's (time of
/// the first vibration sample); an unset (zero) stamp takes `now_s`, the arrival time.
pub fn telemetry_from_msg(msg: MachineTelemetry, now_s: f64) -> Telemetry {
    let stamp = time_to_secs(&msg.header.stamp);
    Telemetry {
        machine_id: msg.machine_id,
        component_id: msg.component_id,
        sample_rate_hz: msg.sample_rate_hz,
        vibration_mps2: msg.vibration_mps2,
        shaft_speed_hz: msg.shaft_speed_hz,
        temperature_k: msg.temperature_k,
        motor_current_a: msg.motor_current_a,
        load_fraction: msg.load_fraction,
        cycle_count: msg.cycle_count,
        lubricated: msg.lubricated,
        joint_torques_nm: msg.joint_torques_nm,
        stamp_s: if stamp > 0.0 { stamp } else { now_s },
    }
}

// ---------------------------------------------------------------- stations in

/// The scheduler's view of a reported station state: idle, starved, blocked and down
/// stations lose nothing when stopped; a busy one loses production. `None` for a
/// state byte outside STATE_*.
pub fn station_state(state: u8) -> Option<StationState> {
    match state {
        s if s == StationStateMsg::STATE_IDLE as u8 => Some(StationState::Idle),
        s if s == StationStateMsg::STATE_BUSY as u8 => Some(StationState::Producing),
        s if s == StationStateMsg::STATE_BLOCKED as u8 => Some(StationState::Blocked),
        s if s == StationStateMsg::STATE_STARVED as u8 => Some(StationState::Starved),
        // Down (failed or under maintenance): not producing anyway, so stopping is free.
        s if s == StationStateMsg::STATE_DOWN as u8 => Some(StationState::Idle),
        _ => None,
    }
}

// ---------------------------------------------------------------- health out

fn component_health_msg(c: &maintenance_dispatcher::ComponentHealth) -> ComponentHealthMsg {
    let f = &c.forecast;
    ComponentHealthMsg {
        component_id: c.component_id.clone(),
        component_type: c.component_type.to_string(),
        health_index: c.health_index as f32,
        fault_type: c.fault_type.as_str().to_string(),
        fault_confidence: c.fault_confidence as f32,
        rul_mean_s: f.rul_mean_s,
        rul_lower_s: f.rul_lower_s,
        rul_upper_s: f.rul_upper_s,
        failure_probability: f.failure_probability as f32,
        horizon_s: f.horizon_s,
        // Zero time = no deadline yet (no degradation model).
        maintenance_deadline: f.deadline_s.map(secs_to_time).unwrap_or_default(),
    }
}

pub fn machine_health_msg(h: &MachineHealth, header: Header) -> MachineHealthMsg {
    MachineHealthMsg {
        header,
        machine_id: h.machine_id.clone(),
        status: h.status as u8,
        health_index: h.health_index as f32,
        components: h.components.iter().map(component_health_msg).collect(),
    }
}

// ---------------------------------------------------------------- work orders out

pub fn work_order_msg(o: &WorkOrder, header: Header) -> WorkOrderMsg {
    WorkOrderMsg {
        header,
        work_order_id: o.id.clone(),
        machine_id: o.machine_id.clone(),
        component_id: o.component_id.clone(),
        work_type: o.work_type.as_str().to_string(),
        reason: o.reason.clone(),
        deadline: secs_to_time(o.deadline_s),
        window_start: secs_to_time(o.window_start_s),
        window_end: secs_to_time(o.window_end_s),
        estimated_duration_s: o.estimated_duration_s,
        production_cost_s: o.production_cost_s,
        parts_needed: o.parts_needed.clone(),
        skills_needed: o.skills_needed.clone(),
        status: o.status as u8,
        task_id: o.task_id.clone(),
    }
}

/// The TaskStep kind that carries out a work type.
pub fn step_kind(w: WorkType) -> &'static str {
    msg_const(match w {
        WorkType::PartSwap => TaskStep::REPLACE_COMPONENT,
        WorkType::MicroRepair => TaskStep::REPAIR,
        WorkType::Recalibration | WorkType::SensorRealignment => TaskStep::RECALIBRATE,
        WorkType::Lubrication => TaskStep::LUBRICATE,
    })
}

/// Slack (deadline − now) below which a task is URGENT, s.
pub const URGENT_SLACK_S: f64 = 2.0 * 3600.0;
/// ... HIGH, s.
pub const HIGH_SLACK_S: f64 = 12.0 * 3600.0;
/// ... NORMAL (above: LOW), s.
pub const NORMAL_SLACK_S: f64 = 3.0 * 86_400.0;

/// TaskRequest priority from urgency: the time left to the order's deadline once the
/// work itself is done, and whether the chosen window already misses the deadline.
pub fn priority(o: &WorkOrder, now_s: f64) -> u8 {
    let slack = o.deadline_s - now_s - o.estimated_duration_s;
    let late = o.window_end_s > o.deadline_s;
    // Each generated constant has its own bindgen type: convert each to u8.
    if late || slack < URGENT_SLACK_S {
        TaskRequest::PRIORITY_URGENT as u8
    } else if slack < HIGH_SLACK_S {
        TaskRequest::PRIORITY_HIGH as u8
    } else if slack < NORMAL_SLACK_S {
        TaskRequest::PRIORITY_NORMAL as u8
    } else {
        TaskRequest::PRIORITY_LOW as u8
    }
}

fn kv(key: &str, value: impl ToString) -> KeyValue {
    KeyValue { key: key.to_string(), value: value.to_string() }
}

/// Robot capability every maintenance task requires (the twin's robots offer it); the
/// finer skills of the order travel in the step parameters and the WorkOrder.
pub const REQUIRED_CAPABILITY: &str = "maintenance";

/// The TaskRequest carrying out a work order: one step at the machine's station
/// (`location_id`, or the machine id when the layout has no station for it). Its task
/// id is the work-order id, so the coordinator's task and the order match one to one.
pub fn task_request(
    o: &WorkOrder,
    location_id: &str,
    requested_by: &str,
    header: Header,
    now_s: f64,
) -> TaskRequest {
    let kind = step_kind(o.work_type);
    let mut parameters = vec![
        kv("work_order_id", &o.id),
        kv("work_type", o.work_type.as_str()),
        kv("window_start_s", format!("{:.3}", o.window_start_s)),
        kv("window_end_s", format!("{:.3}", o.window_end_s)),
    ];
    if !o.parts_needed.is_empty() {
        parameters.push(kv("parts", o.parts_needed.join(",")));
    }
    if !o.skills_needed.is_empty() {
        parameters.push(kv("skills", o.skills_needed.join(",")));
    }
    TaskRequest {
        header,
        task_id: o.id.clone(),
        task_type: kind.to_string(),
        priority: priority(o, now_s),
        deadline: secs_to_time(o.deadline_s),
        steps: vec![TaskStep {
            kind: kind.to_string(),
            location_id: location_id.to_string(),
            machine_id: o.machine_id.clone(),
            component_id: o.component_id.clone(),
            expected_duration_s: o.estimated_duration_s,
            parameters,
            ..Default::default()
        }],
        required_capabilities: vec![REQUIRED_CAPABILITY.to_string()],
        depends_on: Vec::new(),
        origin: msg_const(TaskRequest::ORIGIN_MAINTENANCE).to_string(),
        requested_by: requested_by.to_string(),
    }
}

// ---------------------------------------------------------------- factory layout in

/// What the node takes from the twin's layout file: the monitored machines, the station
/// (robot work location) of each machine, and the line order with cycle times for the
/// buffer-cover estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub machines: Vec<MachineConfig>,
    /// Stations in line order.
    pub stations: Vec<LayoutStation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LayoutStation {
    pub id: String,
    pub machine_id: String,
    /// Nominal processing time of one part, s.
    pub cycle_time_s: f64,
}

impl Layout {
    /// Station id of a machine (where a robot stands to work on it).
    pub fn station_of(&self, machine_id: &str) -> Option<&LayoutStation> {
        self.stations.iter().find(|s| s.machine_id == machine_id)
    }

    /// The station after `station_id` in the line, whose input buffer holds this
    /// station's output.
    pub fn next_station(&self, station_id: &str) -> Option<&LayoutStation> {
        let i = self.stations.iter().position(|s| s.id == station_id)?;
        self.stations.get(i + 1)
    }
}

/// Parses and validates the layout with factory_layout, the loader the twin uses (same
/// defaults, same errors), then converts it.
pub fn load_layout(path: &std::path::Path) -> Result<Layout, String> {
    let cfg = FactoryConfig::load(path).map_err(|e| e.to_string())?;
    Ok(layout_from_factory(&cfg))
}

pub fn layout_from_factory(cfg: &FactoryConfig) -> Layout {
    let ambient_k = cfg.health.ambient_k;
    let machines = cfg
        .machines
        .iter()
        .map(|m| {
            // A belt's drive: the machine's first motor (the twin's convention too).
            let drive = m.components.iter().find(|c| c.kind == ComponentType::Motor);
            MachineConfig {
                id: m.id.clone(),
                components: m
                    .components
                    .iter()
                    .map(|c| component_from_twin(c, drive, ambient_k, m.working_load))
                    .collect(),
            }
        })
        .collect();
    let stations = cfg
        .stations
        .iter()
        .map(|s| LayoutStation {
            id: s.id.clone(),
            machine_id: s.machine.clone(),
            cycle_time_s: s.cycle_time_s,
        })
        .collect();
    Layout { machines, stations }
}

/// One twin component as the core monitors it.
///
/// - bearing: geometry as configured; healthy RMS from the twin's signal model (shaft 1x
///   tone and sensor noise), failure RMS adding the power of outer-race impacts at
///   severity 1 at the configured shaft speed (decaying resonance: energy A²/(4α) per
///   impact, α = 2πζf_n);
/// - motor: temperature model (nominal = ambient + load rise at working load, failure =
///   nominal + the wear rise at severity 1);
/// - conveyor belt: its telemetry carries its drive's current (the machine's first
///   motor), in which belt drag shows, so it is monitored with the conveyor current
///   model of that drive (no-load current, rated − no-load per unit load). A drag work
///   order then goes to the belt, the component with the drag; a belt with no drive on
///   its machine is monitored for temperature only.
fn component_from_twin(
    c: &TwinComponent,
    drive: Option<&TwinComponent>,
    ambient_k: f64,
    load: f64,
) -> ComponentConfig {
    let nominal_k = ambient_k + c.thermal.load_rise_k * load;
    let thermal = ThermalParams {
        nominal_k,
        max_k: nominal_k + c.thermal.wear_rise_k.max(1.0),
        ..ThermalParams::default()
    };
    let kind = match (c.kind, &c.bearing) {
        (ComponentType::Bearing, Some(b)) => {
            let geometry = BearingGeometry {
                ball_count: b.n_balls,
                ball_diameter_mm: b.ball_diameter_mm,
                pitch_diameter_mm: b.pitch_diameter_mm,
                contact_angle_deg: b.contact_angle_deg,
            };
            let v = &c.vibration;
            let healthy_power = 0.5 * v.shaft_1x_mps2.powi(2) + v.noise_std_mps2.powi(2);
            let bpfo_hz = geometry.defect_frequencies(c.shaft_rpm / 60.0).bpfo_hz;
            let alpha = 2.0 * std::f64::consts::PI * v.damping_ratio * v.resonance_hz;
            let fault_power = v.impulse_at_failure_mps2.powi(2) / (4.0 * alpha.max(1e-9)) * bpfo_hz;
            let healthy_rms = healthy_power.sqrt();
            ComponentKind::Bearing(BearingConfig {
                geometry,
                healthy_rms_mps2: (healthy_rms > 0.0).then_some(healthy_rms),
                failure_rms_mps2: (healthy_power + fault_power).sqrt(),
                band_hz: None,
            })
        }
        // A bearing without geometry cannot be analysed: temperature only.
        (ComponentType::Bearing, None) => ComponentKind::Motor,
        (ComponentType::ConveyorBelt, _) => match drive {
            Some(drive) => ComponentKind::ConveyorBelt(ConveyorModel {
                idle_current_a: drive.no_load_current_a,
                current_per_load_a: drive.rated_current_a - drive.no_load_current_a,
                ..ConveyorModel::default()
            }),
            None => ComponentKind::Motor,
        },
        (ComponentType::Motor, _) => ComponentKind::Motor,
    };
    ComponentConfig {
        id: c.id.clone(),
        kind,
        thermal,
        lubrication_interval_s: c.lube_interval_h.map(|h| h * 3600.0),
        spare_part: matches!(c.kind, ComponentType::Bearing).then(|| format!("{}_spare", c.id)),
        degradation_model: None,
    }
}

/// Buffer cover of a station: parts waiting in front of the next station times its
/// cycle time, s (what the line downstream can still make while this station stops).
pub fn buffer_cover_s(next_buffer_len: u32, next_cycle_time_s: f64) -> f64 {
    f64::from(next_buffer_len) * next_cycle_time_s.max(0.0)
}

/// Machine id -> latest reported StationState, for the scheduler's forecast.
pub type StationTable = BTreeMap<String, StationStateMsg>;

#[cfg(test)]
mod tests {
    use super::*;
    use maintenance_dispatcher::{DispatcherConfig, MaintenanceDispatcher, WorkOrderStatus};

    fn factory_yaml() -> std::path::PathBuf {
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/factory.yaml"))
    }

    #[test]
    fn shipped_factory_layout_converts_to_a_valid_core_config() {
        let layout = load_layout(&factory_yaml()).expect("config/factory.yaml");
        let ids: Vec<&str> = layout.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["cnc_1", "press_1", "weld_1", "paint_1", "inspect_1", "pack_1"]);
        let cnc = &layout.machines[0];
        let ComponentKind::Bearing(b) = &cnc.components[0].kind else {
            panic!("spindle_bearing is a bearing")
        };
        assert_eq!(b.geometry.ball_count, 9);
        let healthy = b.healthy_rms_mps2.expect("healthy rms");
        assert!(healthy > 0.3 && healthy < 0.6 && b.failure_rms_mps2 > 5.0 * healthy, "{b:?}");
        assert_eq!(cnc.components[0].lubrication_interval_s, Some(8.0 * 3600.0));
        let inspect = layout.machines.iter().find(|m| m.id == "inspect_1").expect("inspect_1");
        let kind_of = |id: &str| &inspect.components.iter().find(|c| c.id == id).expect(id).kind;
        let ComponentKind::ConveyorBelt(drive) = kind_of("conveyor_belt") else {
            panic!("the belt is monitored on its drive's current: drag repairs go to the belt")
        };
        assert_eq!((drive.idle_current_a, drive.current_per_load_a), (2.0, 4.0), "conveyor_motor's currents");
        assert!(matches!(kind_of("conveyor_motor"), ComponentKind::Motor), "the drive itself: temperature");
        assert_eq!(layout.station_of("weld_1").map(|s| s.id.as_str()), Some("weld"));
        assert_eq!(layout.next_station("weld").map(|s| s.id.as_str()), Some("paint"));
        let config = DispatcherConfig { machines: layout.machines, ..DispatcherConfig::default() };
        MaintenanceDispatcher::new(config).expect("the core accepts the converted layout");
    }

    fn order(deadline_s: f64, window_end_s: f64) -> WorkOrder {
        WorkOrder {
            id: "wo-m-c-1".into(),
            machine_id: "m".into(),
            component_id: "c".into(),
            work_type: WorkType::PartSwap,
            reason: "outer_race".into(),
            deadline_s,
            window_start_s: window_end_s - 100.0,
            window_end_s,
            estimated_duration_s: 100.0,
            production_cost_s: 0.0,
            parts_needed: vec!["c_spare".into()],
            skills_needed: vec!["manipulation".into()],
            status: WorkOrderStatus::Planned,
            task_id: String::new(),
            updated_s: 0.0,
        }
    }

    #[test]
    fn priority_follows_slack_and_lateness() {
        let h = 3600.0;
        assert_eq!(priority(&order(1.0 * h, 200.0), 0.0), TaskRequest::PRIORITY_URGENT as u8);
        assert_eq!(priority(&order(6.0 * h, 200.0), 0.0), TaskRequest::PRIORITY_HIGH as u8);
        assert_eq!(priority(&order(48.0 * h, 200.0), 0.0), TaskRequest::PRIORITY_NORMAL as u8);
        assert_eq!(priority(&order(10.0 * 24.0 * h, 200.0), 0.0), TaskRequest::PRIORITY_LOW as u8);
        // A window past the deadline is urgent whatever the slack.
        assert_eq!(priority(&order(48.0 * h, 49.0 * h), 0.0), TaskRequest::PRIORITY_URGENT as u8);
    }

    #[test]
    fn task_request_has_one_step_at_the_station() {
        let t = task_request(
            &order(10.0 * 3600.0, 200.0),
            "weld",
            "maintenance_dispatcher",
            Header::default(),
            0.0,
        );
        assert_eq!(t.task_id, "wo-m-c-1");
        assert_eq!(t.task_type, "replace_component");
        assert_eq!(t.origin, "maintenance");
        assert_eq!(t.required_capabilities, ["maintenance"]);
        assert_eq!(t.deadline.sec, 36_000);
        let [step] = t.steps.as_slice() else { panic!("one step") };
        assert_eq!((step.location_id.as_str(), step.machine_id.as_str()), ("weld", "m"));
        assert_eq!((step.component_id.as_str(), step.expected_duration_s), ("c", 100.0));
        assert!(step.parameters.iter().any(|kv| kv.key == "parts" && kv.value == "c_spare"));
    }

    #[test]
    fn station_states_map_to_the_cost_model() {
        assert_eq!(station_state(StationStateMsg::STATE_BUSY as u8), Some(StationState::Producing));
        assert_eq!(station_state(StationStateMsg::STATE_STARVED as u8), Some(StationState::Starved));
        assert_eq!(station_state(StationStateMsg::STATE_DOWN as u8), Some(StationState::Idle));
        assert_eq!(station_state(42), None);
        assert_eq!(buffer_cover_s(3, 40.0), 120.0);
    }

    #[test]
    fn zero_stamp_takes_arrival_time() {
        let msg = MachineTelemetry { machine_id: "m".into(), ..Default::default() };
        assert_eq!(telemetry_from_msg(msg, 12.5).stamp_s, 12.5);
        assert_eq!(secs_to_time(f64::NAN), Time::default());
    }
}
