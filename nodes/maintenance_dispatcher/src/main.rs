//! maintenance_dispatcher: predictive maintenance from machine telemetry to work orders.
//!
//!   maintenance_dispatcher --ros-args --params-file config/maintenance_dispatcher.yaml
//!
//! Reads the machines, bearings and stations from the twin's layout (`factory_file`),
//! diagnoses every `machine_telemetry` chunk (factory_interfaces/MachineTelemetry),
//! forecasts each station's production from `station_states`, publishes
//! `machine_health` (MachineHealth per machine) every `health_period_s`, plans work
//! orders every `plan_period_s` and publishes them on `work_orders`, and submits each
//! one as a TaskRequest on `task_requests` when its window comes near. With
//! `policy: reactive` (the run-to-failure baseline) orders come only for machines whose
//! station reports them DOWN with a failed component. The algorithms live in the library
//! crate; this file is wiring. Topics and parameters: README.md.
mod ros_convert;

use factory_node::clock::Clock;
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::params::{
    check_not_empty, check_range, factory_path, strict_section, ParamError, Validate,
};
use factory_node::r2r::factory_interfaces::msg::{
    MachineHealth as MachineHealthMsg, MachineTelemetry, MaintenanceEvent, StationState as StationStateMsg,
    TaskRequest, WorkOrder as WorkOrderMsg,
};
use factory_node::r2r::{log_info, log_warn, QosProfile};
use factory_node::{header, run_node, NodeContext, NodeError, Publisher};
use futures::StreamExt;
use maintenance_dispatcher::{
    AnalysisParams, ClassifierParams, DispatcherConfig, MachineStatus, MaintenanceDispatcher,
    MaintenancePolicy, PlanningParams, ProductionForecast, ProductionSlot, PrognosisParams, WorkOrder,
    WorkOrderEvent, WorkOrderStatus,
};
use ros_convert::{Layout, StationTable};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// Log the first chunk rejected for a reason, then every this many of them.
const REJECT_LOG_EVERY: u64 = 100;
/// Telemetry queue depth: the twin sends one chunk per component per period, in bursts.
const TELEMETRY_DEPTH: usize = 100;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    factory_file: String, // the twin's layout (machines, bearings, stations); relative to $FACTORY_ROOT
    policy: String,       // "predictive" | "reactive" (run to failure: repair only machines that broke down)
    health_period_s: f64, // machine_health period, s of ROS time
    plan_period_s: f64,   // work-order planning period, s of ROS time
    request_lead_s: f64,  // submit the TaskRequest this long before the window starts, s
    station_hold_s: f64,  // a station is forecast to stay in its reported state this long, s
    station_timeout_s: f64, // a station state older than this is ignored (forecast: producing), s
    #[serde(deserialize_with = "strict_section")]
    analysis: AnalysisParams,
    #[serde(deserialize_with = "strict_section")]
    classifier: ClassifierParams,
    #[serde(deserialize_with = "strict_section")]
    prognosis: PrognosisParams,
    #[serde(deserialize_with = "strict_section")]
    planning: PlanningParams,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            factory_file: "config/factory.yaml".into(),
            policy: MaintenancePolicy::default().as_str().into(),
            health_period_s: 5.0,
            plan_period_s: 10.0,
            request_lead_s: 1800.0,
            station_hold_s: 600.0,
            station_timeout_s: 60.0,
            analysis: AnalysisParams::default(),
            classifier: ClassifierParams::default(),
            prognosis: PrognosisParams::default(),
            planning: PlanningParams::default(),
        }
    }
}

impl Params {
    fn core_config(&self) -> DispatcherConfig {
        DispatcherConfig {
            // An unknown name is refused by `validate`, which runs before the config is used.
            policy: MaintenancePolicy::parse(&self.policy).unwrap_or_default(),
            machines: Vec::new(),
            analysis: self.analysis.clone(),
            classifier: self.classifier,
            prognosis: self.prognosis,
            planning: self.planning.clone(),
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("factory_file", &self.factory_file)?;
        if MaintenancePolicy::parse(&self.policy).is_none() {
            let allowed = format!("must be one of {}", MaintenancePolicy::NAMES.join(", "));
            return Err(invalid("policy", &self.policy, &allowed));
        }
        check_range("health_period_s", self.health_period_s, 0.01, 3600.0, "s")?;
        check_range("plan_period_s", self.plan_period_s, 0.01, 3600.0, "s")?;
        check_range("request_lead_s", self.request_lead_s, 0.0, 30.0 * 86_400.0, "s")?;
        check_range("station_hold_s", self.station_hold_s, 0.0, 86_400.0, "s")?;
        check_range("station_timeout_s", self.station_timeout_s, 0.1, 86_400.0, "s")?;
        // The core validates its sections; its error path is the parameter key.
        self.core_config().validate().map_err(|e| {
            let root = serde_yaml::to_value(self.core_config()).unwrap_or_default();
            invalid(&e.path, &render(value_at(&root, &e.path)), &e.reason)
        })
    }
}

fn invalid(key: &str, value: &str, allowed: &str) -> ParamError {
    ParamError::Invalid { key: key.into(), value: value.into(), allowed: allowed.into() }
}

fn render(v: Option<&serde_yaml::Value>) -> String {
    v.and_then(|v| serde_yaml::to_string(v).ok()).map(|s| s.trim_end().to_string()).unwrap_or_default()
}

/// The value at a dotted path with optional `[i]` indices ("analysis.bands_hz[2]").
fn value_at<'a>(root: &'a serde_yaml::Value, path: &str) -> Option<&'a serde_yaml::Value> {
    let mut v = root;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        v = v.get(name)?;
        if let Some(i) = index {
            v = v.get(i)?;
        }
    }
    Some(v)
}

fn main() -> std::process::ExitCode {
    run_node("maintenance_dispatcher", setup)
}

enum Input {
    Telemetry(MachineTelemetry),
    Station(StationStateMsg),
    Maintenance(MaintenanceEvent),
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let file = factory_path(&p.factory_file);
    let bad_file = |reason: String| {
        NodeError::Params(invalid(
            "factory_file",
            &file.display().to_string(),
            &format!("must be a valid factory layout: {reason}"),
        ))
    };
    let layout = ros_convert::load_layout(&file).map_err(bad_file)?;
    let config = DispatcherConfig { machines: layout.machines.clone(), ..p.core_config() };
    let core = MaintenanceDispatcher::new(config).map_err(|e| bad_file(e.to_string()))?;

    let health_pub = ctx.publisher::<MachineHealthMsg>("machine_health")?;
    let orders_pub = ctx.publisher::<WorkOrderMsg>("work_orders")?;
    let tasks_pub = ctx.publisher::<TaskRequest>("task_requests")?;
    let telemetry_qos = QosProfile::default().keep_last(TELEMETRY_DEPTH);
    let telemetry = ctx.subscribe_with_qos::<MachineTelemetry>("machine_telemetry", telemetry_qos)?;
    let stations = ctx.subscribe::<StationStateMsg>("station_states")?;
    let maintenance = ctx.subscribe::<MaintenanceEvent>("maintenance_events")?;
    let mut inputs = futures::stream::select_all([
        telemetry.map(Input::Telemetry).boxed(),
        stations.map(Input::Station).boxed(),
        maintenance.map(Input::Maintenance).boxed(),
    ]);

    let clock = ctx.clock();
    let logger = ctx.logger().to_string();
    let node_name = logger.rsplit('.').next().unwrap_or(&logger).to_string();
    log_info!(
        &logger,
        "monitoring {} machines, {} components from {}; {} maintenance",
        layout.machines.len(),
        layout.machines.iter().map(|m| m.components.len()).sum::<usize>(),
        file.display(),
        core.config().policy.as_str()
    );
    let mut node = Dispatcher {
        core,
        layout,
        stations: StationTable::new(),
        counters: Counters::default(),
        station_hold_s: p.station_hold_s,
        station_timeout_s: p.station_timeout_s,
        request_lead_s: p.request_lead_s,
        node_name,
        logger,
        diagnostics: ctx.diagnostics(),
        clock: clock.clone(),
        orders_pub,
        tasks_pub,
    };
    node.report_diagnostics();
    let mut health_ticker = clock.ticker(Duration::from_secs_f64(p.health_period_s));
    let mut plan_ticker = clock.ticker(Duration::from_secs_f64(p.plan_period_s));
    Ok(async move {
        loop {
            tokio::select! {
                Some(input) = inputs.next() => match input {
                    Input::Telemetry(msg) => node.on_telemetry(msg),
                    Input::Station(msg) => node.on_station(msg),
                    Input::Maintenance(msg) => node.on_maintenance(&msg)?,
                },
                _ = health_ticker.tick() => node.publish_health(&health_pub)?,
                _ = plan_ticker.tick() => node.plan()?,
            }
        }
    })
}

#[derive(Debug, Default)]
struct Counters {
    processed: u64,
    windows: u64,
    rejected: u64,
    rejected_by_field: BTreeMap<&'static str, u64>,
    rejected_at_last_report: u64,
    tasks_submitted: u64,
}

struct Dispatcher {
    core: MaintenanceDispatcher,
    layout: Layout,
    stations: StationTable,
    counters: Counters,
    station_hold_s: f64,
    station_timeout_s: f64,
    request_lead_s: f64,
    node_name: String,
    logger: String,
    diagnostics: Diagnostics,
    clock: Clock,
    orders_pub: Publisher<WorkOrderMsg>,
    tasks_pub: Publisher<TaskRequest>,
}

impl Dispatcher {
    fn now_s(&self) -> f64 {
        self.clock.now().as_secs_f64()
    }

    fn on_telemetry(&mut self, msg: MachineTelemetry) {
        let chunk = ros_convert::telemetry_from_msg(msg, self.now_s());
        match self.core.process(&chunk) {
            Ok(outcome) => {
                self.counters.processed += 1;
                self.counters.windows += u64::from(outcome.window.is_some());
            }
            Err(e) => {
                let field = e.field();
                self.counters.rejected += 1;
                let count = self.counters.rejected_by_field.entry(field).or_default();
                *count += 1;
                // Per field, so a flood of one kind does not hide the first of another.
                if *count % REJECT_LOG_EVERY == 1 {
                    log_warn!(
                        &self.logger,
                        "machine_telemetry {}/{} rejected ({field}): {e} [{count} rejected for `{field}` so far; logged every {REJECT_LOG_EVERY}th]",
                        chunk.machine_id,
                        chunk.component_id,
                    );
                }
            }
        }
    }

    fn on_station(&mut self, msg: StationStateMsg) {
        if msg.machine_id.is_empty() {
            return;
        }
        // The reactive policy repairs machines that stopped; a station of a machine not
        // monitored here is ignored by the core (it returns false).
        self.core.set_machine_down(&msg.machine_id, msg.state == StationStateMsg::STATE_DOWN as u8);
        self.stations.insert(msg.machine_id.clone(), msg);
    }

    /// Each machine's production forecast from its station's latest state: the state
    /// holds for `station_hold_s` from now (idle/starved/blocked/down: free to stop;
    /// busy: producing, less the next station's input buffer × its cycle time); after
    /// that, or without a recent state, the scheduler assumes production.
    fn forecasts(&self, now_s: f64) -> BTreeMap<String, ProductionForecast> {
        let mut out = BTreeMap::new();
        for (machine_id, msg) in &self.stations {
            let age = now_s - ros_convert::time_to_secs(&msg.header.stamp);
            let Some(state) = ros_convert::station_state(msg.state) else { continue };
            if age > self.station_timeout_s || self.station_hold_s <= 0.0 {
                continue;
            }
            let buffer_cover_s = self
                .layout
                .next_station(&msg.station_id)
                .and_then(|next| {
                    let queued = self.stations.get(&next.machine_id)?.buffer_len;
                    Some(ros_convert::buffer_cover_s(queued, next.cycle_time_s))
                })
                .unwrap_or(0.0);
            let slot = ProductionSlot {
                start_s: now_s,
                end_s: now_s + self.station_hold_s,
                state,
                buffer_cover_s,
                critical: false,
            };
            out.insert(machine_id.clone(), ProductionForecast { slots: vec![slot] });
        }
        out
    }

    fn publish_health(&mut self, publisher: &Publisher<MachineHealthMsg>) -> Result<(), NodeError> {
        let now_s = self.now_s();
        let all = self.core.all_health(now_s);
        let mut by_status = [0usize; 4];
        for h in &all {
            by_status[h.status as usize] += 1;
            publisher.publish(&ros_convert::machine_health_msg(h, header(&self.clock, &h.machine_id)))?;
        }
        let level = match all.iter().map(|h| h.status).max() {
            None | Some(MachineStatus::Ok) => Level::Ok,
            Some(MachineStatus::Warn) => Level::Warn,
            Some(MachineStatus::Critical | MachineStatus::Failed) => Level::Error,
        };
        self.diagnostics.set(
            "machines",
            Status::new(level, "machine status")
                .with("ok", by_status[0])
                .with("warn", by_status[1])
                .with("critical", by_status[2])
                .with("failed", by_status[3]),
        );
        self.report_diagnostics();
        Ok(())
    }

    /// Follows the work at the machine (the twin's or a station's maintenance_events): the
    /// open order of that component goes in progress on STARTED and is done on DONE, which
    /// resets the component's model. CANCELLED and FAILED leave it open: the coordinator
    /// retries the task, and a new STARTED follows.
    fn on_maintenance(&mut self, msg: &MaintenanceEvent) -> Result<(), NodeError> {
        let event = match msg.event {
            e if e == MaintenanceEvent::EVENT_STARTED as u8 => WorkOrderEvent::Started,
            e if e == MaintenanceEvent::EVENT_DONE as u8 => WorkOrderEvent::Done,
            _ => return Ok(()),
        };
        let Some(open) = self.core.work_orders().open_for(&msg.machine_id, &msg.component_id) else {
            return Ok(()); // work nobody here ordered (an operator's, or another dispatcher's)
        };
        let id = open.id.clone();
        match self.core.apply_work_order_event(&id, event, self.now_s()) {
            Ok(order) => {
                log_info!(
                    &self.logger,
                    "work order {id} {:?} ({} by {})",
                    order.status,
                    msg.action,
                    msg.robot_id
                );
                self.publish_order(&order)?;
            }
            // A second STARTED after a requeue finds the order already in progress.
            Err(e) => log_info!(&self.logger, "work order {id}: {e}"),
        }
        Ok(())
    }

    fn publish_order(&self, order: &WorkOrder) -> Result<(), NodeError> {
        let msg = ros_convert::work_order_msg(order, header(&self.clock, "map"));
        self.orders_pub.publish(&msg)?;
        Ok(())
    }

    /// Plans (new and re-planned orders go out on `work_orders`), then submits every
    /// planned order whose window starts within `request_lead_s` and marks it requested.
    fn plan(&mut self) -> Result<(), NodeError> {
        let now_s = self.now_s();
        let forecasts = self.forecasts(now_s);
        for order in self.core.plan(now_s, &forecasts) {
            log_info!(
                &self.logger,
                "work order {} planned: {} of {}/{}, window {:.0}..{:.0} s (cost {:.0} s), deadline {:.0} s: {}",
                order.id,
                order.work_type.as_str(),
                order.machine_id,
                order.component_id,
                order.window_start_s,
                order.window_end_s,
                order.production_cost_s,
                order.deadline_s,
                order.reason
            );
            self.publish_order(&order)?;
        }
        let due: Vec<WorkOrder> = self
            .core
            .work_orders()
            .all()
            .filter(|o| {
                o.status == WorkOrderStatus::Planned && o.window_start_s - self.request_lead_s <= now_s
            })
            .cloned()
            .collect();
        for order in due {
            let location = self
                .layout
                .station_of(&order.machine_id)
                .map_or(order.machine_id.as_str(), |s| s.id.as_str());
            let task = ros_convert::task_request(
                &order,
                location,
                &self.node_name,
                header(&self.clock, "map"),
                now_s,
            );
            // Only a task that went out marks the order requested (an inactive node
            // sends nothing and tries again at the next planning tick).
            if !self.tasks_pub.publish(&task)? {
                continue;
            }
            self.counters.tasks_submitted += 1;
            let event = WorkOrderEvent::Requested { task_id: task.task_id.clone() };
            match self.core.apply_work_order_event(&order.id, event, now_s) {
                Ok(updated) => {
                    log_info!(
                        &self.logger,
                        "work order {} requested as task {}",
                        updated.id,
                        updated.task_id
                    );
                    self.publish_order(&updated)?;
                }
                Err(e) => log_warn!(&self.logger, "work order {}: {e}", order.id),
            }
        }
        self.report_diagnostics();
        Ok(())
    }

    /// Chunks processed and rejected (by field), and the work-order book.
    fn report_diagnostics(&mut self) {
        let c = &mut self.counters;
        let rejecting = c.rejected > c.rejected_at_last_report;
        c.rejected_at_last_report = c.rejected;
        let (level, message) = if rejecting {
            (Level::Warn, "rejecting telemetry")
        } else {
            (Level::Ok, "processing telemetry")
        };
        let mut status = Status::new(level, message)
            .with("chunks_processed", c.processed)
            .with("chunks_rejected", c.rejected)
            .with("windows_analysed", c.windows);
        for (field, n) in &c.rejected_by_field {
            status = status.with(format!("rejected.{field}"), n);
        }
        self.diagnostics.set("telemetry", status);
        let book = self.core.work_orders();
        let open = book.all().filter(|o| o.status.is_open()).count();
        let requested = book.all().filter(|o| o.status == WorkOrderStatus::Requested).count();
        self.diagnostics.set(
            "work_orders",
            Status::new(Level::Ok, "work orders")
                .with("open", open)
                .with("requested", requested)
                .with("total", book.all().count())
                .with("tasks_submitted", c.tasks_submitted),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::params::{load_params, RosArgs};

    fn load(overrides: &[&str]) -> Result<Params, ParamError> {
        let mut args = vec!["maintenance_dispatcher", "--ros-args"];
        for o in overrides {
            args.extend(["-p", o]);
        }
        let args = RosArgs::parse(args).expect("arguments");
        load_params::<Params>("maintenance_dispatcher", "", &args, None).map(|l| l.node)
    }

    #[test]
    fn sections_take_overrides_and_errors_name_the_key() {
        let p = load(&["analysis.window_s:=2.0", "planning.durations_s.part_swap:=1200"]).expect("valid");
        assert_eq!(p.analysis.window_s, 2.0);
        assert_eq!(p.planning.durations_s.part_swap, 1200.0);
        assert_eq!(p.classifier, ClassifierParams::default());
        let unknown = load(&["analysis.window:=1.0"]).unwrap_err();
        assert!(matches!(&unknown, ParamError::Unknown { key, .. } if key == "analysis.window"), "{unknown}");
        let bad = load(&["analysis.window_s:=-1.0"]).unwrap_err();
        assert!(
            matches!(&bad, ParamError::Invalid { key, value, .. } if key == "analysis.window_s" && value == "-1.0"),
            "{bad}"
        );
        let nested = load(&["planning.durations_s.lubrication:=0.0"]).unwrap_err();
        assert!(
            matches!(&nested, ParamError::Invalid { key, .. } if key == "planning.durations_s.lubrication"),
            "{nested}"
        );
        let reactive = load(&["policy:=reactive"]).expect("valid");
        assert_eq!(reactive.core_config().policy, MaintenancePolicy::Reactive);
        assert_eq!(load(&[]).expect("defaults").core_config().policy, MaintenancePolicy::Predictive);
        let policy = load(&["policy:=run_to_failure"]).unwrap_err();
        assert!(matches!(&policy, ParamError::Invalid { key, .. } if key == "policy"), "{policy}");
        let period = load(&["health_period_s:=0"]).unwrap_err();
        assert!(matches!(&period, ParamError::Invalid { key, .. } if key == "health_period_s"), "{period}");
    }

    #[test]
    fn shipped_params_file_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/maintenance_dispatcher.yaml");
        let args = RosArgs::parse(["maintenance_dispatcher", "--ros-args", "--params-file", path])
            .expect("arguments");
        let p = load_params::<Params>("maintenance_dispatcher", "", &args, None)
            .expect("config/maintenance_dispatcher.yaml")
            .node;
        assert_eq!(p.factory_file, "config/factory.yaml");
        assert_eq!(p.health_period_s, 5.0);
    }
}
