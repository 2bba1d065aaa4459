//! Placements are checked against the twin's occupancy grid when the world is built.
//! The layout's own checks (keys, values, references) are factory_layout's tests.

mod common;

use factory_twin::World;

#[test]
fn placements_are_checked_against_the_grid() {
    // service_1 inside m1's footprint; runner fleet row through the pillar.
    let mut cfg = common::small_config();
    cfg.robots.list[0].start.y = 7.8;
    if let Some(f) = &mut cfg.robots.fleet {
        f.first.x = 6.0;
        f.first.y = 3.3;
    }
    let e = World::new(cfg).unwrap_err().to_string();
    assert!(e.contains("robots.list[0].start = (6, 7.8): robot \"service_1\""), "{e}");
    assert!(e.contains("robots.fleet (robot #4).start = (9.6, 3.3)"), "{e}");
    // Two robots on top of each other.
    let mut cfg = common::small_config();
    cfg.robots.list[1].start = cfg.robots.list[0].start;
    let e = World::new(cfg).unwrap_err().to_string();
    assert!(e.contains("robots.list[1].start") && e.contains("overlaps robot \"service_1\""), "{e}");
}
