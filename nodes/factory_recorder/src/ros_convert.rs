//! From the recorded CDR bytes of the KPI topics to the library's input structs.

use factory_node::r2r::builtin_interfaces::msg::Time;
use factory_node::r2r::factory_interfaces::msg::{
    EnergyState, FactoryKpis, InspectionResult, MaintenanceEvent, RobotStatus, StationState, WorkOrder,
};
use factory_node::r2r::WrappedTypesupport;
use factory_recorder::inputs::{
    EnergyInput, FactoryKpisInput, InspectionInput, InspectionSource, MaintenanceInput, RobotInput,
    StationInput, WorkOrderInput,
};
use factory_recorder::KpiAccumulator;

/// What a recorded topic contributes to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Station,
    Energy,
    Kpis,
    Robot,
    Inspection(InspectionSource),
    WorkOrder,
    Maintenance,
}

impl Kind {
    /// By type; an InspectionResult topic whose name contains "ground_truth" is the
    /// twin's truth, any other is an inspector's verdicts.
    pub fn of(topic: &str, type_name: &str) -> Option<Kind> {
        let kind = match type_name {
            "factory_interfaces/msg/StationState" => Kind::Station,
            "factory_interfaces/msg/EnergyState" => Kind::Energy,
            "factory_interfaces/msg/FactoryKpis" => Kind::Kpis,
            "factory_interfaces/msg/RobotStatus" => Kind::Robot,
            "factory_interfaces/msg/InspectionResult" if topic.contains("ground_truth") => {
                Kind::Inspection(InspectionSource::GroundTruth)
            }
            "factory_interfaces/msg/InspectionResult" => Kind::Inspection(InspectionSource::Inspector),
            "factory_interfaces/msg/WorkOrder" => Kind::WorkOrder,
            "factory_interfaces/msg/MaintenanceEvent" => Kind::Maintenance,
            _ => return None,
        };
        Some(kind)
    }
}

fn secs(t: &Time) -> f64 {
    f64::from(t.sec) + f64::from(t.nanosec) * 1e-9
}

fn nanos(t: &Time) -> u64 {
    // Negative times (before the epoch) do not occur in stamps from a clock; clamp.
    u64::try_from(t.sec).unwrap_or(0) * 1_000_000_000 + u64::from(t.nanosec)
}

/// Decodes one message of `kind` and feeds it to the accumulator.
pub fn feed(acc: &mut KpiAccumulator, kind: Kind, cdr: &[u8]) -> Result<(), factory_node::r2r::Error> {
    match kind {
        Kind::Station => {
            let m = StationState::from_serialized_bytes(cdr)?;
            acc.on_station(StationInput {
                stamp_s: secs(&m.header.stamp),
                station_id: m.station_id,
                machine_id: m.machine_id,
                state: m.state,
                parts_completed: m.parts_completed,
                busy_s: m.busy_s,
                blocked_s: m.blocked_s,
                starved_s: m.starved_s,
                down_s: m.down_s,
            });
        }
        Kind::Energy => {
            let m = EnergyState::from_serialized_bytes(cdr)?;
            acc.on_energy(EnergyInput {
                stamp_s: secs(&m.header.stamp),
                load_kwh: m.load_kwh,
                solar_kwh: m.solar_kwh,
                import_peak_kwh: m.import_peak_kwh,
                import_offpeak_kwh: m.import_offpeak_kwh,
                export_kwh: m.export_kwh,
                cost: m.cost,
                storage_kwh: m.storage_kwh,
            });
        }
        Kind::Kpis => {
            let m = FactoryKpis::from_serialized_bytes(cdr)?;
            acc.on_factory_kpis(FactoryKpisInput {
                stamp_s: secs(&m.header.stamp),
                window_s: m.window_s,
                parts_completed: m.parts_completed,
                throughput_per_hour: m.throughput_per_hour,
                mean_cycle_time_s: m.mean_cycle_time_s,
                tasks_completed: m.tasks_completed,
                tasks_failed: m.tasks_failed,
                tasks_waiting: m.tasks_waiting,
                mean_task_wait_s: m.mean_task_wait_s,
                robot_utilisation: f64::from(m.robot_utilisation),
                manual_interventions: m.manual_interventions,
            });
        }
        Kind::Robot => {
            let m = RobotStatus::from_serialized_bytes(cdr)?;
            acc.on_robot(RobotInput {
                stamp_s: secs(&m.header.stamp),
                robot_id: m.robot_id,
                state: m.state,
                battery_soc: f64::from(m.battery_soc),
            });
        }
        Kind::Inspection(source) => {
            let m = InspectionResult::from_serialized_bytes(cdr)?;
            acc.on_inspection(
                source,
                InspectionInput {
                    stamp_ns: nanos(&m.header.stamp),
                    station_id: m.station_id,
                    part_id: m.part_id,
                    passed: m.passed,
                    defect_classes: m.defects.iter().map(|d| d.defect_class).collect(),
                },
            );
        }
        Kind::WorkOrder => {
            let m = WorkOrder::from_serialized_bytes(cdr)?;
            acc.on_work_order(WorkOrderInput {
                stamp_s: secs(&m.header.stamp),
                work_order_id: m.work_order_id,
                machine_id: m.machine_id,
                work_type: m.work_type,
                status: m.status,
            });
        }
        Kind::Maintenance => {
            let m = MaintenanceEvent::from_serialized_bytes(cdr)?;
            acc.on_maintenance(MaintenanceInput {
                stamp_s: secs(&m.header.stamp),
                robot_id: m.robot_id,
                machine_id: m.machine_id,
                component_id: m.component_id,
                action: m.action,
                event: m.event,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_recorder::inputs::{maintenance_event, robot_state, station_state, work_order_status};

    #[test]
    fn library_constants_match_the_messages() {
        assert_eq!(station_state::DOWN, StationState::STATE_DOWN as u8);
        assert_eq!(station_state::BLOCKED, StationState::STATE_BLOCKED as u8);
        assert_eq!(robot_state::WORKING, RobotStatus::STATE_WORKING as u8);
        assert_eq!(robot_state::OFFLINE, RobotStatus::STATE_OFFLINE as u8);
        assert_eq!(work_order_status::DONE, WorkOrder::STATUS_DONE as u8);
        assert_eq!(work_order_status::CANCELLED, WorkOrder::STATUS_CANCELLED as u8);
        assert_eq!(maintenance_event::DONE, MaintenanceEvent::EVENT_DONE as u8);
        assert_eq!(maintenance_event::FAILED, MaintenanceEvent::EVENT_FAILED as u8);
    }

    #[test]
    fn cdr_bytes_round_trip_into_the_accumulator() {
        let msg = StationState {
            station_id: "pack".into(),
            machine_id: "pack_1".into(),
            state: StationState::STATE_BUSY as u8,
            parts_completed: 7,
            busy_s: 12.5,
            header: factory_node::r2r::std_msgs::msg::Header {
                stamp: Time { sec: 3, nanosec: 500_000_000 },
                frame_id: String::new(),
            },
            ..Default::default()
        };
        let cdr = msg.to_serialized_bytes().expect("serialise");
        let mut acc = KpiAccumulator::default();
        feed(&mut acc, Kind::Station, &cdr).expect("decode");
        let track = &acc.stations["pack"];
        assert_eq!((track.last.parts_completed, track.last.busy_s, track.last.stamp_s), (7, 12.5, 3.5));
        assert!(feed(&mut acc, Kind::Energy, &[0, 1, 0]).is_err(), "truncated CDR is an error, not a panic");
        assert_eq!(
            Kind::of("/ground_truth/inspection", "factory_interfaces/msg/InspectionResult"),
            Some(Kind::Inspection(InspectionSource::GroundTruth))
        );
        assert_eq!(Kind::of("/clock", "rosgraph_msgs/msg/Clock"), None);
    }
}
