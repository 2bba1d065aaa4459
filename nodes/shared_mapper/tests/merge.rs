//! Merging a robot's offline patch into the shared map.

use shared_mapper::{
    Cell, CellState, FusionParams, GridSpec, LaserScan, Layout, LocalPatch, MergeError, OccupancyMap, Pose2D,
};

fn map() -> OccupancyMap {
    let spec = GridSpec::new(0.0, 0.0, 0.1, 50, 50).unwrap();
    OccupancyMap::new(spec, &Layout::default(), FusionParams::default()).unwrap()
}

fn patch(stamp: f64, value: f32) -> LocalPatch {
    LocalPatch {
        resolution: 0.1,
        offset: Cell::new(10, 20),
        width: 3,
        height: 2,
        stamp_s: stamp,
        log_odds: vec![value; 6],
    }
}

#[test]
fn merge_adds_patch_log_odds_with_clamping() {
    let mut m = map();
    let p = FusionParams::default();
    let i = m.spec().index(Cell::new(11, 21)).unwrap();
    let before = m.log_odds_at(i, 10.0);
    let r = m.merge_patch(&patch(10.0, 2.5), 10.0).unwrap();
    assert_eq!(r.cells_merged, 6);
    let r = r.region.unwrap();
    assert_eq!((r.min, r.max), (Cell::new(10, 20), Cell::new(12, 21)));
    assert!((m.log_odds_at(i, 10.0) - (before + 2.5)).abs() < 1e-6);
    assert_eq!(m.cell_state(Cell::new(11, 21), 10.0), Some(CellState::Occupied));
    assert_eq!(m.cell_state(Cell::new(13, 21), 10.0), Some(CellState::Free), "outside the patch");
    // Adding again clamps at l_max.
    m.merge_patch(&patch(10.0, 2.5), 10.0).unwrap();
    assert_eq!(m.log_odds_at(i, 10.0), p.l_max);
    assert!(m.take_update(10.0).is_some(), "merge is published as an update");
}

#[test]
fn newer_shared_observation_wins_over_stale_patch() {
    let mut m = map();
    // A scan at t=17 observes cells along +X from (1.05, 2.05): row y=20, x=10..
    let scan = LaserScan {
        stamp_s: 17.0,
        angle_min: 0.0,
        angle_max: 0.0,
        angle_increment: 0.1,
        range_min: 0.05,
        range_max: 4.0,
        ranges: vec![f32::INFINITY],
    };
    m.fuse_scan(&scan, &Pose2D::new(1.05, 2.05, 0.0), 17.0).unwrap();
    // Patch recorded offline at t=16, uploaded at t=17.5.
    let r = m.merge_patch(&patch(16.0, 3.0), 17.5).unwrap();
    assert_eq!(r.cells_stale, 3, "row y=20 was seen after the patch");
    assert_eq!(r.cells_merged, 3, "row y=21 was not");
    assert_eq!(m.cell_state(Cell::new(11, 20), 17.5), Some(CellState::Free));
    assert_eq!(m.cell_state(Cell::new(11, 21), 17.5), Some(CellState::Occupied));
}

#[test]
fn old_patch_evidence_has_aged() {
    let mut m = map();
    let p = FusionParams::default();
    // Evidence older than it takes to decay completely adds nothing.
    let age = f64::from(3.0 / p.decay_rate_per_s) + 1.0;
    let r = m.merge_patch(&patch(0.0, 3.0), age).unwrap();
    assert_eq!(r.cells_merged, 0);
}

#[test]
fn malformed_patches_are_rejected() {
    let mut m = map();
    let mut p = patch(1.0, 1.0);
    p.log_odds.pop();
    assert_eq!(m.merge_patch(&p, 1.0), Err(MergeError::SizeMismatch { expected: 6, got: 5 }));
    let mut p = patch(1.0, 1.0);
    p.resolution = 0.05;
    assert!(matches!(m.merge_patch(&p, 1.0), Err(MergeError::ResolutionMismatch { .. })));
    let mut p = patch(1.0, 1.0);
    p.log_odds[2] = f32::NAN;
    assert_eq!(m.merge_patch(&p, 1.0), Err(MergeError::NonFinite { field: "log_odds" }));
    assert!(matches!(m.merge_patch(&patch(10.0, 1.0), 1.0), Err(MergeError::StampInFuture { .. })));
    // Partly off the map: clipped, not rejected.
    let mut p = patch(1.0, 1.0);
    p.offset = Cell::new(48, 49);
    let r = m.merge_patch(&p, 1.0).unwrap();
    assert_eq!((r.cells_merged, r.cells_clipped), (2, 4));
}
