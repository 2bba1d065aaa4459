#![doc = include_str!("../README.md")]

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
