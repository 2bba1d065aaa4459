//! Work orders and their life: planned → requested → in progress → done / failed
//! (or cancelled). Invalid transitions are rejected, not applied, so a duplicated or
//! out-of-order coordinator message cannot corrupt the book.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Kind of maintenance; string forms match `WorkOrder.TYPE_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkType {
    MicroRepair,
    PartSwap,
    Recalibration,
    Lubrication,
    SensorRealignment,
}

impl WorkType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MicroRepair => "micro_repair",
            Self::PartSwap => "part_swap",
            Self::Recalibration => "recalibration",
            Self::Lubrication => "lubrication",
            Self::SensorRealignment => "sensor_realignment",
        }
    }
}

/// Status; numeric values match `WorkOrder.STATUS_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    Planned = 0,
    Requested = 1,
    InProgress = 2,
    Done = 3,
    Failed = 4,
    Cancelled = 5,
}

impl WorkOrderStatus {
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::Requested | Self::InProgress)
    }
}

/// A maintenance work order. Times in seconds (ROS time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    pub id: String,
    pub machine_id: String,
    pub component_id: String,
    pub work_type: WorkType,
    /// The diagnosis behind it, e.g. "outer_race fault, confidence 0.86".
    pub reason: String,
    pub deadline_s: f64,
    pub window_start_s: f64,
    pub window_end_s: f64,
    pub estimated_duration_s: f64,
    pub production_cost_s: f64,
    pub parts_needed: Vec<String>,
    pub skills_needed: Vec<String>,
    pub status: WorkOrderStatus,
    /// Coordinator task carrying it out ("" until requested).
    pub task_id: String,
    /// Time of the last status change, s.
    pub updated_s: f64,
}

/// Events that move a work order along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkOrderEvent {
    /// The TaskRequest was sent; the coordinator's task id.
    Requested {
        task_id: String,
    },
    Started,
    Done,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkOrderError {
    #[error("unknown work order '{0}'")]
    Unknown(String),
    #[error("work order '{id}' cannot go from {from:?} on {event}")]
    InvalidTransition { id: String, from: WorkOrderStatus, event: &'static str },
}

/// All work orders, keyed by id (ordered, so listings are deterministic).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkOrderBook {
    orders: BTreeMap<String, WorkOrder>,
    next_seq: u64,
}

impl WorkOrderBook {
    /// A fresh id: `wo-<machine>-<component>-<seq>`.
    pub fn next_id(&mut self, machine_id: &str, component_id: &str) -> String {
        self.next_seq += 1;
        format!("wo-{machine_id}-{component_id}-{}", self.next_seq)
    }

    pub fn insert(&mut self, order: WorkOrder) {
        self.orders.insert(order.id.clone(), order);
    }

    pub fn get(&self, id: &str) -> Option<&WorkOrder> {
        self.orders.get(id)
    }

    pub fn all(&self) -> impl Iterator<Item = &WorkOrder> {
        self.orders.values()
    }

    /// The open order for a component, if any (at most one is kept open).
    pub fn open_for(&self, machine_id: &str, component_id: &str) -> Option<&WorkOrder> {
        self.orders
            .values()
            .find(|o| o.status.is_open() && o.machine_id == machine_id && o.component_id == component_id)
    }

    /// Mutable access to a planned order so the dispatcher can re-plan it.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut WorkOrder> {
        self.orders.get_mut(id)
    }

    /// Applies an event; returns the updated order.
    pub fn apply(
        &mut self,
        id: &str,
        event: WorkOrderEvent,
        now_s: f64,
    ) -> Result<&WorkOrder, WorkOrderError> {
        use WorkOrderStatus as S;
        let order = self.orders.get_mut(id).ok_or_else(|| WorkOrderError::Unknown(id.to_string()))?;
        let (name, next) = match (&event, order.status) {
            (WorkOrderEvent::Requested { .. }, S::Planned) => ("requested", S::Requested),
            (WorkOrderEvent::Started, S::Requested) => ("started", S::InProgress),
            (WorkOrderEvent::Done, S::InProgress | S::Requested) => ("done", S::Done),
            (WorkOrderEvent::Failed, S::Requested | S::InProgress) => ("failed", S::Failed),
            (WorkOrderEvent::Cancelled, S::Planned | S::Requested) => ("cancelled", S::Cancelled),
            (e, from) => {
                return Err(WorkOrderError::InvalidTransition {
                    id: id.to_string(),
                    from,
                    event: match e {
                        WorkOrderEvent::Requested { .. } => "requested",
                        WorkOrderEvent::Started => "started",
                        WorkOrderEvent::Done => "done",
                        WorkOrderEvent::Failed => "failed",
                        WorkOrderEvent::Cancelled => "cancelled",
                    },
                })
            }
        };
        let _ = name;
        if let WorkOrderEvent::Requested { task_id } = event {
            order.task_id = task_id;
        }
        order.status = next;
        order.updated_s = now_s;
        Ok(order)
    }
}
