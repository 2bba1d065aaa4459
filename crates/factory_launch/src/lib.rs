//! factory_launch: runs ROS 2 XML launch files where `ros2 launch` is not installed.
//!
//! The same launch files serve `ros2 launch` on a robot and this runner on a laptop or
//! CI machine, so the list of nodes lives in one place. [`launch_file`] resolves a file
//! into node processes; [`supervisor`] starts, watches and stops them. ROS-free: the
//! runner only builds command lines (`--ros-args -r __ns:=... -p ...`).

pub mod launch_file;
pub mod substitution;
pub mod supervisor;
