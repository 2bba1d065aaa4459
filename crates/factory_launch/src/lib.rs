#![doc = include_str!("../README.md")]

pub mod launch_file;
pub mod substitution;
pub mod supervisor;
