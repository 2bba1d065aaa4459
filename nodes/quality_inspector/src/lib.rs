#![doc = include_str!("../README.md")]

pub mod config;
pub mod debug;
pub mod defects;
pub mod error;
pub mod finding;
pub mod frame;
pub mod geometry;
pub mod image;
pub mod inspector;
pub mod parts;
pub mod reference;
pub mod register;
pub mod thermal;
pub mod torque;

pub use config::{InspectorConfig, StationConfig};
pub use error::{ConfigError, InspectError};
pub use finding::{Correction, DefectClass, Finding};
pub use frame::{Encoding, FrameError, ImageView};
pub use geometry::{BBox, Geometry, Pose};
pub use inspector::{Inspection, Inspector, PartInput, StationStats};
pub use parts::PartTimeline;
pub use reference::{Reference, Teacher};
pub use register::Method;
pub use torque::{TorqueEnvelope, TorqueTrace};
