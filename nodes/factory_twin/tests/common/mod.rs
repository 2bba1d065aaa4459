//! A small test factory: three machines in a row, a 3-station line, a few robots.
#![allow(dead_code)]

use factory_twin::{Event, FactoryConfig, World};

// The test factory is factory_layout's fixture, shared with the layout's own tests.
pub use factory_layout::fixtures::SMALL_FACTORY;

pub fn small_config() -> FactoryConfig {
    match FactoryConfig::from_yaml_str(SMALL_FACTORY) {
        Ok(c) => c,
        Err(e) => panic!("test factory does not load: {e}"),
    }
}

pub fn world(cfg: FactoryConfig) -> World {
    match World::new(cfg) {
        Ok(w) => w,
        Err(e) => panic!("test factory does not build: {e}"),
    }
}

pub fn count<F: Fn(&Event) -> bool>(events: &[Event], f: F) -> usize {
    events.iter().filter(|e| f(e)).count()
}
