//! factory_recorder: records a factory run to MCAP and writes its KPI report.
//!
//! The ROS-free core (this library) builds and tests without ROS 2:
//! `cargo test -p factory_recorder --no-default-features`.
//!
//! - [`inputs`]: plain mirrors of the messages the report reads;
//! - [`accumulator`]: [`KpiAccumulator`], fed with those, keeps what the report needs;
//! - [`report`]: [`KpiSummary`] (the figures) and [`Report`] (Markdown + SVG plots);
//! - [`plots`]: the SVG plots (plotters);
//! - [`compare`]: each run's headline figures (`kpis.yaml`) and the autonomy against
//!   baseline comparison over seeds (`compare_runs`);
//! - [`definitions`]: [`MessageDefinitions`], complete `ros2msg` definitions from the
//!   ament share directories, for MCAP schemas;
//! - [`recording`]: [`McapRecorder`], raw CDR messages to an MCAP file that rosbag2 and
//!   Foxglove open.
//!
//! The r2r node (`src/main.rs`, feature `ros`) converts messages and drives these.

pub mod accumulator;
pub mod compare;
pub mod definitions;
pub mod inputs;
pub mod plots;
pub mod recording;
pub mod report;

pub use accumulator::{AccumulatorConfig, KpiAccumulator};
pub use definitions::{DefinitionError, MessageDefinitions};
pub use recording::{McapRecorder, RecordError, TopicSummary};
pub use report::{KpiSummary, Report, ReportError, ReportFiles};
