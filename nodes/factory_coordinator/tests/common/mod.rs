//! Shared helpers for the integration tests: the real factory layout and a few robots.
#![allow(dead_code)]

use std::path::PathBuf;

use factory_coordinator::{
    Coordinator, CoordinatorConfig, FactorySetup, Pose2, RobotHeartbeat, RobotStateKind,
};

pub const ALL_CAPS: &[&str] = &["navigation", "manipulation", "inspection", "maintenance"];

pub fn factory_yaml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/factory.yaml")
}

pub fn setup() -> FactorySetup {
    match FactorySetup::load(&factory_yaml()) {
        Ok(s) => s,
        Err(e) => panic!("config/factory.yaml must load: {e}"),
    }
}

pub fn coordinator(config: CoordinatorConfig) -> Coordinator {
    match Coordinator::from_setup(config, &setup()) {
        Ok(c) => c,
        Err(e) => panic!("valid config expected: {e}"),
    }
}

pub fn idle(id: &str, x: f64, y: f64, soc: f64, caps: &[&str]) -> RobotHeartbeat {
    RobotHeartbeat::idle(id, Pose2::new(x, y, 0.0), soc, caps)
}

pub fn busy(id: &str, x: f64, y: f64, soc: f64, caps: &[&str], task: &str) -> RobotHeartbeat {
    RobotHeartbeat {
        state: RobotStateKind::Working,
        current_task_id: task.to_string(),
        ..RobotHeartbeat::idle(id, Pose2::new(x, y, 0.0), soc, caps)
    }
}

pub fn beat(c: &mut Coordinator, hb: &RobotHeartbeat, now: f64) {
    if let Err(e) = c.on_heartbeat(hb, now) {
        panic!("heartbeat rejected: {e}");
    }
}
