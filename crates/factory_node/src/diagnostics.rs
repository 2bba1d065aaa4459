//! Diagnostics a node reports about itself, published on /diagnostics by the adapter.
//!
//! Node code updates named statuses whenever it learns something (a frame dropped, a
//! task rejected); the adapter publishes a snapshot at a fixed period, as
//! diagnostic_updater does in C++. ROS-free.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// diagnostic_msgs/DiagnosticStatus levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Error,
    Stale,
}

impl Level {
    /// The byte diagnostic_msgs/DiagnosticStatus uses.
    pub fn as_byte(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Warn => 1,
            Level::Error => 2,
            Level::Stale => 3,
        }
    }
}

/// One status line: what it is about, how it is, and key/value details.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub name: String,
    pub level: Level,
    pub message: String,
    pub values: Vec<(String, String)>,
}

impl Status {
    pub fn new(level: Level, message: impl Into<String>) -> Status {
        Status { name: String::new(), level, message: message.into(), values: Vec::new() }
    }

    pub fn with(mut self, key: impl Into<String>, value: impl ToString) -> Status {
        self.values.push((key.into(), value.to_string()));
        self
    }
}

/// A node's diagnostics. Cloning shares the same statuses.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    statuses: Arc<Mutex<BTreeMap<String, Status>>>,
}

impl Diagnostics {
    /// Sets (or replaces) the status called `name`.
    pub fn set(&self, name: &str, mut status: Status) {
        status.name = name.to_string();
        // A panic elsewhere while holding the lock leaves the map usable: keep reporting.
        let mut map = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(name.to_string(), status);
    }

    pub fn remove(&self, name: &str) {
        let mut map = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
        map.remove(name);
    }

    /// All statuses, sorted by name.
    pub fn snapshot(&self) -> Vec<Status> {
        let map = self.statuses.lock().unwrap_or_else(PoisonError::into_inner);
        map.values().cloned().collect()
    }

    /// The worst level reported.
    pub fn worst_level(&self) -> Level {
        self.snapshot().iter().map(|s| s.level).max().unwrap_or(Level::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_replaced_by_name_and_shared_by_clones() {
        let diagnostics = Diagnostics::default();
        let writer = diagnostics.clone();
        writer.set("camera", Status::new(Level::Ok, "streaming").with("fps", 30));
        writer.set("camera", Status::new(Level::Warn, "dropping frames").with("dropped", 4));
        writer.set("arm", Status::new(Level::Ok, "idle"));
        let snap = diagnostics.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].name, "arm");
        assert_eq!(snap[1].message, "dropping frames");
        assert_eq!(snap[1].values, vec![("dropped".to_string(), "4".to_string())]);
        assert_eq!(diagnostics.worst_level(), Level::Warn);
        writer.remove("camera");
        assert_eq!(diagnostics.worst_level(), Level::Ok);
    }
}
