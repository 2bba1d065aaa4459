//! The prior comes from the same layout file the twin reads (through factory_layout):
//! its obstacles and machine footprints must give a plannable floor.

use factory_layout::FactoryConfig;
use shared_mapper::Point2;
use shared_mapper::{
    Algorithm, CostMap, FusionParams, GridPlanner, GridSpec, InflationParams, Layout, OccupancyMap,
};

#[test]
fn twin_layout_file_builds_a_plannable_prior() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/factory.yaml");
    let cfg = FactoryConfig::load(path).unwrap();
    assert!(!cfg.obstacles.is_empty());
    let f = &cfg.floor;
    let spec = GridSpec::new(
        0.0,
        0.0,
        f.resolution_m,
        (f.width_m / f.resolution_m).round() as u32,
        (f.height_m / f.resolution_m).round() as u32,
    )
    .unwrap();
    let layout = Layout::from_factory(&cfg);
    let map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let cm = CostMap::build(&map, InflationParams::default(), 0.0).unwrap();
    let mut p = GridPlanner::new(&cm);
    // Corner to corner across the floor, 1 m in from the edges.
    let path = p
        .plan(Point2::new(1.0, 1.0), Point2::new(f.width_m - 1.0, f.height_m - 1.0), Algorithm::AnyAngle)
        .unwrap();
    assert!(
        path.length_m
            >= Point2::new(1.0, 1.0).distance(&Point2::new(f.width_m - 1.0, f.height_m - 1.0)) - 0.1
    );
}
