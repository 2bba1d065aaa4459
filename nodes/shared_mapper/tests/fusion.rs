//! Scan fusion, decay, export and scan validation, with a simulated lidar.

use shared_mapper::scenario::{cast_scan, paint, truth_from_layout};
use shared_mapper::{
    CellState, FusionParams, GridSpec, LaserScan, Layout, OccupancyMap, Point2, Pose2D, RectObstacle,
    RobotBody, ScanError,
};

const RES: f64 = 0.1;

/// 10 m x 10 m room with walls, robot in the middle.
fn room() -> (GridSpec, Layout) {
    let spec = GridSpec::new(0.0, 0.0, RES, 100, 100).unwrap();
    let layout = Layout {
        obstacles: vec![
            RectObstacle::new(0.0, 0.0, 10.0, 0.2),
            RectObstacle::new(0.0, 9.8, 10.0, 10.0),
            RectObstacle::new(0.0, 0.0, 0.2, 10.0),
            RectObstacle::new(9.8, 0.0, 10.0, 10.0),
        ],
        ..Default::default()
    };
    (spec, layout)
}

fn box_cells() -> (shared_mapper::Cell, shared_mapper::Cell) {
    // A 0.4 m pallet 2 m in front (+X) of the robot.
    (shared_mapper::Cell::new(70, 48), shared_mapper::Cell::new(73, 51))
}

fn state_of_box_face(map: &OccupancyMap, now: f64) -> CellState {
    // The face towards the robot is what the laser sees.
    map.cell_state(shared_mapper::Cell::new(70, 50), now).unwrap()
}

#[test]
fn obstacle_appears_then_decays_when_removed() {
    let (spec, layout) = room();
    let mut map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let pose = Pose2D::new(5.05, 5.05, 0.0);
    let mut truth = truth_from_layout(&layout, &spec);
    let (lo, hi) = box_cells();
    assert_eq!(state_of_box_face(&map, 0.0), CellState::Free, "prior is free");
    let _ = map.take_update(0.0);

    paint(&mut truth, &spec, lo, hi, true);
    let mut t = 0.0;
    for _ in 0..5 {
        t += 0.1;
        let scan = cast_scan(&truth, &spec, &pose, 360, 8.0, t);
        map.fuse_scan(&scan, &pose, t).unwrap();
    }
    assert_eq!(state_of_box_face(&map, t), CellState::Occupied, "pallet seen after 5 scans");
    let upd = map.take_update(t).expect("changes since last update");
    assert!(upd.region.contains(shared_mapper::Cell::new(70, 50)));
    assert_eq!(upd.data.len(), (upd.region.width() * upd.region.height()) as usize);
    // Walls stay occupied, free space near the robot stays free.
    assert_eq!(map.cell_state(shared_mapper::Cell::new(99, 50), t), Some(CellState::Occupied));
    assert_eq!(map.cell_state(shared_mapper::Cell::new(60, 50), t), Some(CellState::Free));

    // Pallet taken away: the rays now pass through and clear it.
    paint(&mut truth, &spec, lo, hi, false);
    for _ in 0..5 {
        t += 0.1;
        let scan = cast_scan(&truth, &spec, &pose, 360, 8.0, t);
        map.fuse_scan(&scan, &pose, t).unwrap();
    }
    assert_eq!(state_of_box_face(&map, t), CellState::Free, "cleared by misses");
}

#[test]
fn unobserved_obstacle_decays_back_to_prior_over_time() {
    let (spec, layout) = room();
    let params = FusionParams::default();
    let mut map = OccupancyMap::new(spec, &layout, params.clone()).unwrap();
    let pose = Pose2D::new(5.05, 5.05, 0.0);
    let mut truth = truth_from_layout(&layout, &spec);
    let (lo, hi) = box_cells();
    paint(&mut truth, &spec, lo, hi, true);
    let i = spec.index(shared_mapper::Cell::new(70, 50)).unwrap();
    let prior_value = map.occupancy_value(i, 0.0);
    for k in 1..=10 {
        let t = 0.1 * f64::from(k);
        map.fuse_scan(&cast_scan(&truth, &spec, &pose, 360, 8.0, t), &pose, t).unwrap();
    }
    assert_eq!(state_of_box_face(&map, 1.0), CellState::Occupied);
    // Nobody looks any more; evidence decays at decay_rate_per_s toward the prior.
    let full = f64::from(params.l_max - params.l_min) / f64::from(params.decay_rate_per_s);
    assert_eq!(state_of_box_face(&map, 1.5), CellState::Occupied, "still there shortly after");
    assert_eq!(map.occupancy_value(i, 1.0 + full + 0.1), prior_value, "back to the prior");
    // The decaying cells are still reported in updates until they have settled.
    let upd = map.take_update(3.0).expect("decaying region is published");
    assert!(upd.region.contains(shared_mapper::Cell::new(70, 50)));
    assert!(map.take_update(1.0 + full + 1.0).is_some());
    assert!(map.take_update(1.0 + full + 2.0).is_none(), "nothing changes once settled");
}

#[test]
fn occupancy_grid_export_convention() {
    let spec = GridSpec::new(-1.0, -2.0, 0.5, 4, 3).unwrap();
    let layout = Layout {
        obstacles: vec![RectObstacle::new(-1.0, -2.0, -0.5, -1.5)],
        free_space_known: false,
        ..Default::default()
    };
    let map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let data = map.to_occupancy_grid(0.0);
    assert_eq!(data.len(), 12);
    // Row-major from the origin: index 0 is the cell at the origin (the obstacle).
    assert!(data[0] >= 95, "obstacle at origin: {}", data[0]);
    assert!(data[1..].iter().all(|&v| v == -1), "rest unknown: {data:?}");
}

fn good_scan(stamp: f64) -> LaserScan {
    LaserScan {
        stamp_s: stamp,
        angle_min: -1.0,
        angle_max: 1.0,
        angle_increment: 0.5,
        range_min: 0.1,
        range_max: 5.0,
        ranges: vec![1.0, 2.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
    }
}

#[test]
fn bad_scans_are_rejected_naming_the_field() {
    let (spec, layout) = room();
    let mut map = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let pose = Pose2D::new(5.0, 5.0, 0.3);
    let now = 100.0;

    // Baseline: one NaN (skipped), +inf (clears), -inf (too close, skipped) is fine.
    let r = map.fuse_scan(&good_scan(now), &pose, now).unwrap();
    assert_eq!((r.rays_hit, r.rays_no_return, r.rays_skipped), (2, 1, 2));

    let field = |map: &mut OccupancyMap, scan: LaserScan, pose: Pose2D| -> &'static str {
        map.fuse_scan(&scan, &pose, now).unwrap_err().field()
    };
    let mut s = good_scan(now);
    s.ranges.truncate(2);
    assert_eq!(field(&mut map, s, pose), "ranges");
    let mut s = good_scan(now);
    s.ranges.extend([1.0; 10]);
    assert!(matches!(
        map.fuse_scan(&s, &pose, now),
        Err(ScanError::RayCountMismatch { expected: 5, got: 15 })
    ));
    let mut s = good_scan(now);
    s.ranges = vec![f32::NAN, f32::NAN, f32::NAN, 1.0, 1.0];
    assert!(matches!(
        map.fuse_scan(&s, &pose, now),
        Err(ScanError::TooManyInvalidRanges { invalid: 3, total: 5, .. })
    ));
    assert_eq!(field(&mut map, good_scan(now + 5.0), pose), "stamp");
    assert!(matches!(map.fuse_scan(&good_scan(now + 5.0), &pose, now), Err(ScanError::StampInFuture { .. })));
    assert_eq!(field(&mut map, good_scan(now - 60.0), pose), "stamp");
    let mut s = good_scan(now);
    s.angle_increment = f32::NAN;
    assert_eq!(field(&mut map, s, pose), "angle_increment");
    let mut s = good_scan(now);
    s.angle_increment = 0.0;
    assert_eq!(field(&mut map, s, pose), "angle_increment");
    let mut s = good_scan(now);
    s.range_max = 0.05;
    assert_eq!(field(&mut map, s, pose), "range_max");
    assert_eq!(field(&mut map, good_scan(now), Pose2D::new(f64::NAN, 5.0, 0.0)), "pose.x");
    assert_eq!(field(&mut map, good_scan(now), Pose2D::new(5.0, 5.0, f64::INFINITY)), "pose.theta");
    assert_eq!(field(&mut map, good_scan(now), Pose2D::new(50.0, 5.0, 0.0)), "pose");
    // The error text names the field too, for the rejection log.
    let e = map.fuse_scan(&good_scan(now + 5.0), &pose, now).unwrap_err();
    assert!(e.to_string().contains("stamp"), "{e}");
}

#[test]
fn world_to_cell_rejects_off_map() {
    let (spec, _) = room();
    assert!(spec.world_to_cell(Point2::new(10.01, 5.0)).is_err());
    assert!(spec.world_to_cell(Point2::new(9.99, 5.0)).is_ok());
}

#[test]
fn an_update_region_taken_without_values_is_the_box_take_update_gives() {
    let (spec, layout) = room();
    let pose = Pose2D::new(5.05, 5.05, 0.0);
    let truth = truth_from_layout(&layout, &spec);
    let mut twins = [(); 2].map(|_| OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap());
    for map in &mut twins {
        let _ = map.take_update(0.0);
        map.fuse_scan(&cast_scan(&truth, &spec, &pose, 360, 8.0, 0.1), &pose, 0.1).unwrap();
    }
    let [with_values, region_only] = &mut twins;
    let full = with_values.take_update(0.2).expect("the scan changed cells");
    assert_eq!(region_only.take_update_region(0.2), Some(full.region));
    // Both reset the written-cells box alike: what is left is the same decaying box.
    assert_eq!(region_only.dirty_region(), with_values.dirty_region());
}

#[test]
fn returns_on_another_robot_clear_up_to_it_and_mark_nothing() {
    // A robot (a 0.4 m disc) stands 2 m in front of the sensor; the lidar sees its near side.
    let (spec, layout) = room();
    let pose = Pose2D::new(5.05, 5.05, 0.0);
    let body = RobotBody { centre: Point2::new(7.25, 5.05), radius_m: 0.4 };
    let mut truth = truth_from_layout(&layout, &spec);
    paint(&mut truth, &spec, shared_mapper::Cell::new(69, 48), shared_mapper::Cell::new(75, 52), true);
    let face = shared_mapper::Cell::new(69, 50);
    let in_front = shared_mapper::Cell::new(66, 50);

    let mut ignoring = OccupancyMap::new(spec, &layout, FusionParams::default()).unwrap();
    let mut plain = ignoring.clone();
    let mut t = 0.0;
    let mut on_robots = 0;
    for _ in 0..5 {
        t += 0.1;
        let scan = cast_scan(&truth, &spec, &pose, 360, 8.0, t);
        on_robots += ignoring.fuse_scan_ignoring(&scan, &pose, t, &[body]).unwrap().rays_on_robots;
        let report = plain.fuse_scan(&scan, &pose, t).unwrap();
        assert_eq!(report.rays_on_robots, 0, "no bodies given, none ignored");
    }
    // Fused plainly, the robot is mapped; ignored, its cells keep the prior (free) ...
    assert_eq!(plain.cell_state(face, t), Some(CellState::Occupied));
    assert_eq!(ignoring.cell_state(face, t), Some(CellState::Free));
    let i = spec.index(face).unwrap();
    assert!(ignoring.log_odds_at(i, t) <= FusionParams::default().prior_free, "no hit evidence on the body");
    // ... the rays still clear the floor in front of it, and the walls are still seen.
    assert_eq!(ignoring.cell_state(in_front, t), Some(CellState::Free));
    let j = spec.index(in_front).unwrap();
    assert!(ignoring.log_odds_at(j, t) < FusionParams::default().prior_free, "misses fused before the body");
    assert_eq!(ignoring.cell_state(shared_mapper::Cell::new(50, 99), t), Some(CellState::Occupied));
    // The body subtends about 2 * asin(0.4 / 2.2) = 21 degrees: that many rays of 360.
    assert!((15..=25).contains(&(on_robots / 5)), "{} rays per scan on the robot", on_robots / 5);
}
