#![doc = include_str!("../README.md")]

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
