//! ROS-free core of the `maintenance_dispatcher` node: bearing envelope diagnostics,
//! thermal / lubrication / fatigue / drag monitors, Bayesian remaining-useful-life
//! forecasting and zero-downtime work-order planning; or, as the baseline to compare
//! against, reactive (run-to-failure) repair orders for machines that broke down.
//!
//! The r2r adapter converts `MachineTelemetry` into [`Telemetry`], calls
//! [`MaintenanceDispatcher::process`], publishes [`MaintenanceDispatcher::machine_health`]
//! periodically, calls [`MaintenanceDispatcher::plan`] with the stations' production
//! forecasts, sends new [`WorkOrder`]s as TaskRequests, and feeds the coordinator's
//! progress back through [`MaintenanceDispatcher::apply_work_order_event`]. Stations
//! reported down go to [`MaintenanceDispatcher::set_machine_down`] (used by the reactive policy).
//! Time is always passed in (message stamps or the node clock).

pub mod bearing;
pub mod condition;
pub mod config;
pub mod diagnosis;
pub mod dispatcher;
pub mod envelope;
pub mod features;
pub mod prognosis;
pub mod scheduler;
pub mod synth;
pub mod telemetry;
pub mod work_order;

pub use bearing::{BearingGeometry, DefectFrequencies, FaultType};
pub use config::{
    AnalysisParams, BearingConfig, ComponentConfig, ComponentKind, ConfigError, DispatcherConfig,
    MachineConfig, MaintenancePolicy, PlanningParams, WorkDurations,
};
pub use diagnosis::{ClassifierParams, Diagnosis};
pub use dispatcher::{
    ChunkOutcome, ComponentHealth, MachineHealth, MachineStatus, MaintenanceDispatcher, WindowAnalysis,
};
pub use prognosis::{DegradationModel, Forecast, Prognoser, PrognosisParams};
pub use scheduler::{ProductionForecast, ProductionSlot, StationState, Window};
pub use telemetry::{Telemetry, TelemetryError};
pub use work_order::{WorkOrder, WorkOrderBook, WorkOrderError, WorkOrderEvent, WorkOrderStatus, WorkType};
