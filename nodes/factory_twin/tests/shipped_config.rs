//! The shipped `config/factory.yaml` loads, builds and runs.

use factory_twin::World;

fn shipped() -> String {
    format!("{}/../../config/factory.yaml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_config_builds_and_runs_half_an_hour() {
    let mut w = match World::load(shipped()) {
        Ok(w) => w,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(w.robots().len(), 9);
    let mut parts = 0;
    for _ in 0..1800 {
        let out = w.step(1.0).unwrap();
        parts += out.events.iter().filter(|e| matches!(e, factory_twin::Event::PartFinished { .. })).count();
    }
    let c = w.line_counters();
    assert_eq!(c.parts_in, c.parts_out + c.wip);
    assert_eq!(parts as u64, c.parts_out);
    assert!(c.parts_out > 10, "{c:?}");
    assert!(w.energy().load_kwh > 0.0);
}
