#![doc = include_str!("../README.md")]

pub mod clock;
pub mod diagnostics;
pub mod lifecycle;
#[cfg(feature = "ros")]
mod param_services;
pub mod param_table;
pub mod params;
#[cfg(feature = "ros")]
mod ros;

#[cfg(feature = "ros")]
pub use r2r;
#[cfg(feature = "ros")]
pub use ros::*;
