//! Collects what the KPI report needs from the run's messages, in constant memory per
//! station, robot, work order and inspected frame.
//!
//! Cumulative sources (station counters, energy totals) keep their first and latest
//! message, so the report can state values over the recorded span. Robot heartbeats are
//! integrated into time per state. Inspection verdicts are kept per frame so the
//! inspector's verdicts can be paired with the twin's ground truth whichever arrives
//! first. [`KpiAccumulator::sample`] takes a point of the time series the plots draw.

use crate::inputs::{
    maintenance_event, robot_state, station_state, EnergyInput, FactoryKpisInput, InspectionInput,
    InspectionSource, MaintenanceInput, RobotInput, StationInput, WorkOrderInput,
};
use std::collections::BTreeMap;

/// Label of downtime when the station's machine had no maintenance in progress.
pub const CAUSE_UNPLANNED: &str = "stopped, no maintenance in progress (failure or waiting for repair)";

/// How the accumulator interprets its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AccumulatorConfig {
    /// Station ids in line order; the last one's parts_completed are the parts out.
    /// Empty: the station with the fewest parts completed is taken as the last.
    pub line_order: Vec<String>,
    /// A robot's state holds at most this long after its heartbeat, s; the rest of a
    /// longer gap counts as "no heartbeat".
    pub robot_max_gap_s: f64,
    /// Price a change of the site's stored energy is valued at (currency per kWh): the
    /// layout's off-peak import price, what refilling the storage costs. None: unknown,
    /// the report gives no cost net of storage.
    pub stored_energy_price_per_kwh: Option<f64>,
}

impl Default for AccumulatorConfig {
    fn default() -> Self {
        AccumulatorConfig { line_order: Vec::new(), robot_max_gap_s: 5.0, stored_energy_price_per_kwh: None }
    }
}

/// A station's first and latest report, and its downtime split by cause.
#[derive(Debug, Clone, PartialEq)]
pub struct StationTrack {
    pub first: StationInput,
    pub last: StationInput,
    /// Seconds of downtime (increase of down_s) by cause, over the recorded span.
    pub downtime_by_cause: BTreeMap<String, f64>,
    pub messages: u64,
}

/// A robot's time per state, from its heartbeats.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotTrack {
    pub last_stamp_s: f64,
    pub last_state: u8,
    /// Seconds per `robot_state::*` value.
    pub time_by_state: BTreeMap<u8, f64>,
    /// Seconds of heartbeat gaps beyond `robot_max_gap_s`.
    pub no_heartbeat_s: f64,
    pub messages: u64,
}

/// One inspected frame's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub part_id: String,
    pub passed: bool,
    pub defect_classes: Vec<u8>,
}

/// The key pairing an inspector verdict with the truth of the same image.
pub type FrameKey = (String, u64);

/// Maintenance events of one action, by event.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MaintenanceCounts {
    pub started: u64,
    pub done: u64,
    pub cancelled: u64,
    pub failed: u64,
    /// Events with an EVENT_* value the message does not define.
    pub unknown: u64,
}

/// One point of the plotted time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub t_s: f64,
    /// Parts out of the line so far (None before any station reported).
    pub parts_out: Option<u64>,
    /// Energy totals so far (None before any energy_state).
    pub energy: Option<EnergyInput>,
    /// Busy fraction of the fleet's heartbeat time since the previous sample.
    pub fleet_utilisation: Option<f64>,
    /// The coordinator's latest robot_utilisation (over its window).
    pub coordinator_utilisation: Option<f64>,
}

/// Everything received, reduced to what the report needs.
#[derive(Debug, Clone, Default)]
pub struct KpiAccumulator {
    pub config: AccumulatorConfig,
    pub stations: BTreeMap<String, StationTrack>,
    pub energy_first: Option<EnergyInput>,
    pub energy_last: Option<EnergyInput>,
    pub energy_messages: u64,
    pub kpis_last: Option<FactoryKpisInput>,
    pub kpis_messages: u64,
    /// Highest tasks_failed the coordinator reported in any window.
    pub kpis_max_tasks_failed: u32,
    pub robots: BTreeMap<String, RobotTrack>,
    pub inspector: BTreeMap<FrameKey, Verdict>,
    pub truth: BTreeMap<FrameKey, Verdict>,
    pub inspector_messages: u64,
    pub truth_messages: u64,
    /// Latest message of each work order.
    pub work_orders: BTreeMap<String, WorkOrderInput>,
    pub work_order_messages: u64,
    pub maintenance: BTreeMap<String, MaintenanceCounts>,
    pub maintenance_messages: u64,
    /// Maintenance in progress: (machine, component) -> action.
    open_maintenance: BTreeMap<(String, String), String>,
    pub samples: Vec<Sample>,
    /// Fleet busy and heartbeat-covered seconds at the previous sample.
    fleet_at_last_sample: (f64, f64),
}

impl KpiAccumulator {
    pub fn new(config: AccumulatorConfig) -> KpiAccumulator {
        KpiAccumulator { config, ..KpiAccumulator::default() }
    }

    pub fn on_station(&mut self, msg: StationInput) {
        let cause = self.downtime_cause(&msg.machine_id);
        match self.stations.get_mut(&msg.station_id) {
            None => {
                let track = StationTrack {
                    first: msg.clone(),
                    last: msg.clone(),
                    downtime_by_cause: BTreeMap::new(),
                    messages: 1,
                };
                self.stations.insert(msg.station_id.clone(), track);
            }
            Some(track) => {
                track.messages += 1;
                // Counters are cumulative: a message older than the latest (reordered
                // delivery) adds nothing new.
                if msg.stamp_s < track.last.stamp_s {
                    return;
                }
                let down = msg.down_s - track.last.down_s;
                if down > 0.0 {
                    *track.downtime_by_cause.entry(cause).or_default() += down;
                }
                track.last = msg;
            }
        }
    }

    /// Why a machine is down now: the maintenance in progress on it, if any.
    fn downtime_cause(&self, machine_id: &str) -> String {
        let actions: Vec<&str> = self
            .open_maintenance
            .iter()
            .filter(|((machine, _), _)| machine == machine_id)
            .map(|(_, action)| action.as_str())
            .collect();
        if actions.is_empty() {
            CAUSE_UNPLANNED.to_string()
        } else {
            format!("maintenance: {}", actions.join(" + "))
        }
    }

    pub fn on_energy(&mut self, msg: EnergyInput) {
        self.energy_messages += 1;
        if self.energy_first.is_none() {
            self.energy_first = Some(msg.clone());
        }
        if self.energy_last.as_ref().map_or(true, |last| msg.stamp_s >= last.stamp_s) {
            self.energy_last = Some(msg);
        }
    }

    pub fn on_factory_kpis(&mut self, msg: FactoryKpisInput) {
        self.kpis_messages += 1;
        self.kpis_max_tasks_failed = self.kpis_max_tasks_failed.max(msg.tasks_failed);
        if self.kpis_last.as_ref().map_or(true, |last| msg.stamp_s >= last.stamp_s) {
            self.kpis_last = Some(msg);
        }
    }

    pub fn on_robot(&mut self, msg: RobotInput) {
        let max_gap = self.config.robot_max_gap_s;
        let Some(track) = self.robots.get_mut(&msg.robot_id) else {
            let track = RobotTrack {
                last_stamp_s: msg.stamp_s,
                last_state: msg.state,
                time_by_state: BTreeMap::new(),
                no_heartbeat_s: 0.0,
                messages: 1,
            };
            self.robots.insert(msg.robot_id, track);
            return;
        };
        track.messages += 1;
        let dt = msg.stamp_s - track.last_stamp_s;
        if dt < 0.0 {
            return; // reordered heartbeat: its interval is already counted
        }
        // The previous state holds until this heartbeat, up to the gap a live robot
        // could leave; beyond that nobody knows what the robot did.
        let held = dt.min(max_gap);
        *track.time_by_state.entry(track.last_state).or_default() += held;
        track.no_heartbeat_s += dt - held;
        track.last_stamp_s = msg.stamp_s;
        track.last_state = msg.state;
    }

    pub fn on_inspection(&mut self, source: InspectionSource, msg: InspectionInput) {
        let key = (msg.station_id, msg.stamp_ns);
        let verdict =
            Verdict { part_id: msg.part_id, passed: msg.passed, defect_classes: msg.defect_classes };
        match source {
            InspectionSource::Inspector => {
                self.inspector_messages += 1;
                self.inspector.insert(key, verdict);
            }
            InspectionSource::GroundTruth => {
                self.truth_messages += 1;
                self.truth.insert(key, verdict);
            }
        }
    }

    pub fn on_work_order(&mut self, msg: WorkOrderInput) {
        self.work_order_messages += 1;
        let newer = self.work_orders.get(&msg.work_order_id).map_or(true, |old| msg.stamp_s >= old.stamp_s);
        if newer {
            self.work_orders.insert(msg.work_order_id.clone(), msg);
        }
    }

    pub fn on_maintenance(&mut self, msg: MaintenanceInput) {
        self.maintenance_messages += 1;
        let counts = self.maintenance.entry(msg.action.clone()).or_default();
        let key = (msg.machine_id, msg.component_id);
        match msg.event {
            maintenance_event::STARTED => {
                counts.started += 1;
                self.open_maintenance.insert(key, msg.action);
            }
            maintenance_event::DONE => {
                counts.done += 1;
                self.open_maintenance.remove(&key);
            }
            maintenance_event::CANCELLED => {
                counts.cancelled += 1;
                self.open_maintenance.remove(&key);
            }
            maintenance_event::FAILED => {
                counts.failed += 1;
                self.open_maintenance.remove(&key);
            }
            _ => counts.unknown += 1,
        }
    }

    /// The station whose parts_completed are the line's parts out, and whether it is
    /// known from the line order (true) or guessed as the one with the fewest parts.
    pub fn final_station(&self) -> Option<(&StationTrack, bool)> {
        if let Some(track) = self.config.line_order.last().and_then(|id| self.stations.get(id)) {
            return Some((track, true));
        }
        self.stations.values().min_by_key(|t| t.last.parts_completed).map(|t| (t, false))
    }

    /// Fleet seconds in busy states and seconds covered by heartbeats, all robots.
    pub fn fleet_time(&self) -> (f64, f64) {
        let mut busy = 0.0;
        let mut covered = 0.0;
        for track in self.robots.values() {
            for (&state, &seconds) in &track.time_by_state {
                covered += seconds;
                if robot_state::is_busy(state) {
                    busy += seconds;
                }
            }
        }
        (busy, covered)
    }

    /// Adds a point of the time series at `t_s` (sim time, seconds).
    pub fn sample(&mut self, t_s: f64) {
        let (busy, covered) = self.fleet_time();
        let (busy_before, covered_before) = self.fleet_at_last_sample;
        let d_covered = covered - covered_before;
        let fleet_utilisation = (d_covered > 0.0).then(|| (busy - busy_before) / d_covered);
        self.fleet_at_last_sample = (busy, covered);
        let sample = Sample {
            t_s,
            parts_out: self.final_station().map(|(t, _)| t.last.parts_completed),
            energy: self.energy_last.clone(),
            fleet_utilisation,
            coordinator_utilisation: self.kpis_last.as_ref().map(|k| k.robot_utilisation),
        };
        self.samples.push(sample);
    }

    /// Latest sim time any input carried, seconds (0 if nothing arrived).
    pub fn latest_stamp_s(&self) -> f64 {
        let stations = self.stations.values().map(|t| t.last.stamp_s);
        let robots = self.robots.values().map(|t| t.last_stamp_s);
        let energy = self.energy_last.iter().map(|e| e.stamp_s);
        let kpis = self.kpis_last.iter().map(|k| k.stamp_s);
        stations.chain(robots).chain(energy).chain(kpis).fold(0.0, f64::max)
    }

    /// Whether the station is down in its latest report.
    pub fn is_down(&self, station_id: &str) -> bool {
        self.stations.get(station_id).is_some_and(|t| t.last.state == station_state::DOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::work_order_status;

    fn station(t: f64, id: &str, parts: u64, busy: f64, down: f64) -> StationInput {
        StationInput {
            stamp_s: t,
            station_id: id.into(),
            machine_id: format!("{id}_machine"),
            state: station_state::BUSY,
            parts_completed: parts,
            busy_s: busy,
            blocked_s: 0.0,
            starved_s: 0.0,
            down_s: down,
        }
    }

    fn robot(t: f64, id: &str, state: u8) -> RobotInput {
        RobotInput { stamp_s: t, robot_id: id.into(), state, battery_soc: 0.8 }
    }

    #[test]
    fn robot_states_are_integrated_and_long_gaps_are_no_heartbeat() {
        let mut acc = KpiAccumulator::new(AccumulatorConfig { robot_max_gap_s: 5.0, ..Default::default() });
        acc.on_robot(robot(0.0, "r1", robot_state::IDLE));
        acc.on_robot(robot(2.0, "r1", robot_state::NAVIGATING));
        acc.on_robot(robot(4.0, "r1", robot_state::WORKING));
        // 20 s silence: 5 s of working, 15 s unknown.
        acc.on_robot(robot(24.0, "r1", robot_state::IDLE));
        // A reordered heartbeat changes nothing.
        acc.on_robot(robot(23.0, "r1", robot_state::ERROR));
        let t = &acc.robots["r1"].time_by_state;
        assert_eq!(t[&robot_state::IDLE], 2.0);
        assert_eq!(t[&robot_state::NAVIGATING], 2.0);
        assert_eq!(t[&robot_state::WORKING], 5.0);
        assert_eq!(acc.robots["r1"].no_heartbeat_s, 15.0);
        assert!(!t.contains_key(&robot_state::ERROR));
        assert_eq!(acc.fleet_time(), (7.0, 9.0));
    }

    #[test]
    fn downtime_is_attributed_to_the_maintenance_in_progress() {
        let mut acc = KpiAccumulator::default();
        acc.on_station(station(0.0, "weld", 0, 0.0, 0.0));
        acc.on_station(station(10.0, "weld", 1, 10.0, 0.0));
        acc.on_maintenance(MaintenanceInput {
            stamp_s: 10.0,
            machine_id: "weld_machine".into(),
            component_id: "spindle".into(),
            action: "lubricate".into(),
            event: maintenance_event::STARTED,
            ..Default::default()
        });
        acc.on_station(station(40.0, "weld", 1, 10.0, 30.0));
        acc.on_maintenance(MaintenanceInput {
            stamp_s: 40.0,
            machine_id: "weld_machine".into(),
            component_id: "spindle".into(),
            action: "lubricate".into(),
            event: maintenance_event::DONE,
            ..Default::default()
        });
        acc.on_station(station(50.0, "weld", 1, 10.0, 38.0));
        let causes = &acc.stations["weld"].downtime_by_cause;
        assert_eq!(causes["maintenance: lubricate"], 30.0);
        assert_eq!(causes[CAUSE_UNPLANNED], 8.0);
        assert_eq!(
            acc.maintenance["lubricate"],
            MaintenanceCounts { started: 1, done: 1, ..Default::default() }
        );
    }

    #[test]
    fn parts_out_come_from_the_last_station_of_the_line() {
        let mut acc = KpiAccumulator::new(AccumulatorConfig {
            line_order: vec!["cut".into(), "pack".into()],
            ..Default::default()
        });
        acc.on_station(station(5.0, "cut", 9, 0.0, 0.0));
        acc.on_station(station(5.0, "pack", 7, 0.0, 0.0));
        let (track, known) = acc.final_station().expect("stations reported");
        assert!(known);
        assert_eq!(track.last.parts_completed, 7);
        // Without a line order: the station with the fewest parts, flagged as a guess.
        let mut guess = KpiAccumulator::default();
        guess.on_station(station(5.0, "a", 9, 0.0, 0.0));
        guess.on_station(station(5.0, "b", 4, 0.0, 0.0));
        let (track, known) = guess.final_station().expect("stations reported");
        assert!(!known);
        assert_eq!(track.station_id_for_test(), "b");
    }

    impl StationTrack {
        fn station_id_for_test(&self) -> &str {
            &self.last.station_id
        }
    }

    #[test]
    fn samples_report_fleet_utilisation_per_period() {
        let mut acc = KpiAccumulator::default();
        acc.on_robot(robot(0.0, "r1", robot_state::WORKING));
        acc.on_robot(robot(4.0, "r1", robot_state::IDLE));
        acc.sample(4.0);
        acc.on_robot(robot(8.0, "r1", robot_state::IDLE));
        acc.sample(8.0);
        acc.sample(9.0); // no heartbeat time since: no utilisation figure
        let u: Vec<Option<f64>> = acc.samples.iter().map(|s| s.fleet_utilisation).collect();
        assert_eq!(u, vec![Some(1.0), Some(0.0), None]);
    }

    #[test]
    fn work_orders_keep_their_latest_status() {
        let mut acc = KpiAccumulator::default();
        for (t, status) in [(1.0, work_order_status::PLANNED), (3.0, work_order_status::DONE)] {
            acc.on_work_order(WorkOrderInput {
                stamp_s: t,
                work_order_id: "wo-1".into(),
                status,
                ..Default::default()
            });
        }
        // An older update delivered late does not undo DONE.
        acc.on_work_order(WorkOrderInput {
            stamp_s: 2.0,
            work_order_id: "wo-1".into(),
            status: work_order_status::REQUESTED,
            ..Default::default()
        });
        assert_eq!(acc.work_orders["wo-1"].status, work_order_status::DONE);
        assert_eq!(acc.work_order_messages, 3);
    }
}
