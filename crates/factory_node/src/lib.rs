//! What every node of the autonomous factory shares, so that no node re-does it:
//!
//! - [`param_table`]: the parameters as the ROS 2 parameter services show them;
//! - [`params`]: typed parameters from ROS params files and `-p` overrides, validated
//!   with errors that name the key, the value and the allowed range;
//! - [`lifecycle`]: the ROS 2 managed-node state machine;
//! - [`clock`]: injected time (system, /clock, or driven by a test);
//! - [`diagnostics`]: named statuses for /diagnostics;
//! - `ros` (feature `ros`, on by default): the r2r adapter, [`run_node`], which wires
//!   all of the above to a real ROS 2 node with clean shutdown on SIGINT/SIGTERM.
//!
//! Everything but the adapter builds and tests without a ROS installation:
//! `cargo test -p factory_node --no-default-features`.

pub mod clock;
pub mod diagnostics;
pub mod lifecycle;
pub mod param_table;
pub mod params;
#[cfg(feature = "ros")]
mod param_services;
#[cfg(feature = "ros")]
mod ros;

#[cfg(feature = "ros")]
pub use r2r;
#[cfg(feature = "ros")]
pub use ros::*;
