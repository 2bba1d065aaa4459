//! Inspection cameras: deterministic renders, defects where the truth says, fiducials
//! moved by the misalignment, thermal hotspots at their true peak, and frames from the
//! world at the camera rate. (Camera config errors: factory_layout's tests.)
#![cfg(feature = "camera")]

mod common;

use factory_twin::camera::{
    fiducials_mm, part_rng, sample_scene, truth, CameraGeometry, CameraRenderer, DefectClass, DefectSpec,
    HotspotSpec, PartScene,
};
use factory_twin::{CameraConfig, Encoding, World};

const CAMERA: &str = r#"
station: s2
thermal: { hotspot_probability: 0.0 }
"#;

fn camera(extra: &str) -> CameraConfig {
    match serde_yaml::from_str(&format!("{CAMERA}{extra}")) {
        Ok(c) => c,
        Err(e) => panic!("camera config: {e}"),
    }
}

/// A quiet camera: no sensor noise, no lighting variation.
fn quiet() -> CameraConfig {
    camera("lighting: { gain_std: 0.0, gradient: 0.0, noise_std: 0.0 }\n")
}

fn scene(defects: Vec<DefectSpec>, hotspots: Vec<HotspotSpec>) -> PartScene {
    PartScene {
        part_id: 1,
        part_type: "A".into(),
        offset_x_mm: 0.0,
        offset_y_mm: 0.0,
        rotation_deg: 0.0,
        gain: 1.0,
        gradient: (0.0, 0.0),
        defects,
        hotspots,
        fastening: None,
    }
}

fn one_of_each() -> Vec<DefectSpec> {
    vec![
        DefectSpec {
            class: DefectClass::Scratch,
            center_mm: (-40.0, 20.0),
            length_mm: 10.0,
            width_mm: 0.3,
            angle_deg: 30.0,
        },
        DefectSpec {
            class: DefectClass::Pit,
            center_mm: (30.0, -25.0),
            length_mm: 1.2,
            width_mm: 1.2,
            angle_deg: 0.0,
        },
        DefectSpec {
            class: DefectClass::Contamination,
            center_mm: (45.0, 35.0),
            length_mm: 6.0,
            width_mm: 4.0,
            angle_deg: 60.0,
        },
    ]
}

fn render(cfg: &CameraConfig, seed: u64, s: &PartScene) -> factory_twin::CameraFrame {
    match CameraRenderer::new(cfg, 0, 295.15, seed).render(s, 0.0) {
        Ok(f) => f,
        Err(e) => panic!("render: {e}"),
    }
}

#[test]
fn rendering_is_deterministic_per_seed() {
    let cfg = camera("");
    let s = sample_scene(&cfg, &mut part_rng(5, 0, 17), 17, "A");
    assert_eq!(s, sample_scene(&cfg, &mut part_rng(5, 0, 17), 17, "A"));
    assert_ne!(s, sample_scene(&cfg, &mut part_rng(5, 0, 18), 18, "A"));
    let (a, b, c) = (render(&cfg, 5, &s), render(&cfg, 5, &s), render(&cfg, 6, &s));
    assert!(a.image.data == b.image.data, "same seed, different pixels");
    assert!(a.image.data != c.image.data, "another seed gives the same sensor noise");
    assert_eq!(a.thermal, b.thermal);
    assert_eq!((a.image.width, a.image.height, a.image.step), (1280, 1024, 3 * 1280));
    assert_eq!(a.image.encoding, Encoding::Rgb8);
    assert_eq!(a.image.data.len(), 1280 * 1024 * 3);
    let t = a.thermal.as_ref().map(|t| (t.encoding, t.width, t.height, t.step, t.data.len()));
    assert_eq!(t, Some((Encoding::Mono16, 320, 256, 640, 320 * 256 * 2)));
}

#[test]
fn injected_defects_appear_inside_their_boxes() {
    let cfg = camera("");
    let mut dirty = scene(one_of_each(), vec![]);
    dirty.rotation_deg = 0.7;
    dirty.offset_x_mm = 0.4;
    let mut clean = dirty.clone();
    clean.defects.clear();
    let (d, c) = (render(&cfg, 3, &dirty), render(&cfg, 3, &clean));
    let boxes: Vec<_> = d.truth.defects.iter().map(|t| t.bbox).collect();
    assert_eq!(boxes.len(), 3);
    let mut inside = vec![0u32; boxes.len()];
    let mut outside = 0u32;
    for y in 0..d.image.height {
        for x in 0..d.image.width {
            let (p, q) = (d.image.rgb(x, y).unwrap_or_default(), c.image.rgb(x, y).unwrap_or_default());
            let diff = p.iter().zip(q).map(|(a, b)| (i32::from(*a) - i32::from(b)).abs()).max().unwrap_or(0);
            if diff > 0 {
                match boxes.iter().position(|b| b.contains(x, y)) {
                    Some(i) if diff > 20 => inside[i] += 1,
                    Some(_) => {}
                    None => outside += 1,
                }
            }
        }
    }
    assert_eq!(outside, 0, "pixels changed outside every defect box");
    for (i, n) in inside.iter().enumerate() {
        assert!(*n >= 3, "defect {:?} barely visible: {n} pixels", d.truth.defects[i].class);
    }
    // Contamination is a colour anomaly: red above blue at its centre.
    let g = CameraGeometry::visible(&cfg);
    let (u, v) = g.part_to_px(&dirty, (45.0, 35.0));
    let px = d.image.rgb(u.round() as u32, v.round() as u32).unwrap_or_default();
    assert!(px[0] > px[2] + 30, "contamination not coloured: {px:?}");
    assert!(!d.truth.passed() && c.truth.passed());
}

/// Darkness-weighted centroid of a fiducial disc around `guess`.
fn centroid(img: &factory_twin::ImageBuffer, guess: (f64, f64), r: f64) -> (f64, f64) {
    let (mut sw, mut sx, mut sy) = (0.0, 0.0, 0.0);
    let reach = (r + 4.0) as i64;
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let (x, y) = (guess.0.round() as i64 + dx, guess.1.round() as i64 + dy);
            let v = img.rgb(x as u32, y as u32).map_or(255.0, |p| f64::from(p[0]));
            let w = (100.0 - v).max(0.0);
            sw += w;
            sx += w * x as f64;
            sy += w * y as f64;
        }
    }
    (sx / sw, sy / sw)
}

#[test]
fn misalignment_moves_the_fiducials_by_the_right_pixels() {
    let cfg = quiet();
    let g = CameraGeometry::visible(&cfg);
    let r = 0.5 * cfg.part.fiducial_diameter_mm * g.px_per_mm;
    let nominal = scene(vec![], vec![]);
    let mut moved = nominal.clone();
    (moved.offset_x_mm, moved.offset_y_mm, moved.rotation_deg) = (1.3, -0.7, 1.5);
    let (a, b) = (render(&cfg, 1, &nominal), render(&cfg, 1, &moved));
    for f in &fiducials_mm(&cfg)[..4] {
        let (pa, pb) = (g.part_to_px(&nominal, *f), g.part_to_px(&moved, *f));
        let (ca, cb) = (centroid(&a.image, pa, r), centroid(&b.image, pb, r));
        for (c, p) in [(ca, pa), (cb, pb)] {
            let err = (c.0 - p.0).hypot(c.1 - p.1);
            assert!(err < 0.2, "fiducial {f:?} at {c:?}, expected {p:?} ({err:.3} px)");
        }
        // The shift alone, as an inspector measuring against a reference would see it.
        let (shift, want) = ((cb.0 - ca.0, cb.1 - ca.1), (pb.0 - pa.0, pb.1 - pa.1));
        assert!((shift.0 - want.0).hypot(shift.1 - want.1) < 0.2, "{shift:?} vs {want:?}");
    }
    let t = &b.truth;
    assert_eq!((t.offset_x_mm, t.offset_y_mm, t.rotation_deg), (1.3, -0.7, 1.5));
}

#[test]
fn thermal_hotspot_peak_matches_the_truth() {
    let cfg = camera("");
    let mut s = scene(vec![], vec![HotspotSpec { center_mm: (25.0, -10.0), radius_mm: 4.0, delta_k: 22.0 }]);
    s.rotation_deg = -0.8;
    let f = render(&cfg, 9, &s);
    let th = f.thermal.as_ref().unwrap_or_else(|| panic!("no thermal image"));
    let mut best = (0u16, 0, 0);
    for y in 0..th.height {
        for x in 0..th.width {
            let v = th.mono16(x, y).unwrap_or(0);
            if v > best.0 {
                best = (v, x, y);
            }
        }
    }
    let h = &f.truth.hotspots[0];
    let peak = f64::from(best.0) / 100.0;
    assert!((peak - h.peak_k).abs() < 1.0, "peak {peak} K, truth {} K", h.peak_k);
    assert!((h.peak_k - (303.15 + 22.0)).abs() < 1e-9);
    assert!(h.bbox.contains(best.1, best.2), "peak at ({}, {}) outside {:?}", best.1, best.2, h.bbox);
    // The background is ambient, the part at its baseline.
    let corner = f64::from(th.mono16(0, 0).unwrap_or(0)) / 100.0;
    assert!((corner - 295.15).abs() < 0.5, "background {corner} K");
    assert!(!f.truth.passed());
    assert!((f.truth.max_temperature_k - h.peak_k).abs() < 1e-9);
}

#[test]
fn a_part_without_defects_is_labelled_passed() {
    let cfg = camera(
        "defects: { scratch: { probability: 0.0 }, pit: { probability: 0.0 }, contamination: { probability: 0.0 } }\n",
    );
    for part in 1..20 {
        let s = sample_scene(&cfg, &mut part_rng(2, 0, part), part, "B");
        let t = truth(&cfg, "s2", &s);
        assert!(t.passed() && t.defects.is_empty() && t.hotspots.is_empty(), "{t:?}");
    }
    // With certain defects every class is placed on the part, clear of the fiducials.
    let cfg = camera(
        "defects: { scratch: { probability: 1.0 }, pit: { probability: 1.0 }, contamination: { probability: 1.0 } }\n",
    );
    for part in 1..20 {
        let s = sample_scene(&cfg, &mut part_rng(2, 0, part), part, "B");
        assert_eq!(s.defects.len(), 3, "{s:?}");
        for d in &s.defects {
            assert!(d.center_mm.0.abs() < 100.0 && d.center_mm.1.abs() < 80.0);
        }
        assert!(!truth(&cfg, "s2", &s).passed());
    }
}

fn world_with_camera(extra: &str) -> World {
    let yaml = format!(
        "{}cameras:\n  - station: s2\n    rate_hz: 2.0\n    thermal: {{}}\n{extra}",
        common::SMALL_FACTORY
    );
    match World::from_yaml_str(&yaml) {
        Ok(w) => w,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_world_images_the_part_at_the_station_at_the_camera_rate() {
    let mut w = world_with_camera("");
    let mut frames = Vec::new();
    for _ in 0..(90.0 / 0.05) as usize {
        let out = w.step(0.05).unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.events.iter().any(|e| matches!(e, factory_twin::Event::CameraError { .. })), "{out:?}");
        frames.extend(out.frames);
    }
    assert!(frames.len() > 20, "{} frames in 90 s", frames.len());
    for pair in frames.windows(2) {
        let dt = pair[1].stamp_s - pair[0].stamp_s;
        assert!(dt > 0.0 && (pair[1].seq == pair[0].seq + 1));
        if pair[0].truth.part_id == pair[1].truth.part_id {
            assert!((dt - 0.5).abs() < 0.051, "frames {dt} s apart at 2 Hz");
        }
    }
    let parts: std::collections::BTreeSet<u64> = frames.iter().map(|f| f.truth.part_id).collect();
    assert!(parts.len() >= 2, "{parts:?}");
    let f = &frames[0];
    assert_eq!((f.image.width, f.image.height, f.image.step), (1280, 1024, 3840));
    assert_eq!(f.station_id, "s2");
    assert!(f.thermal.is_some());
    // Same config, same frames.
    let mut again = world_with_camera("");
    let mut first = None;
    while first.is_none() {
        first = again.step(0.05).unwrap_or_else(|e| panic!("{e}")).frames.into_iter().next();
    }
    assert_eq!(first.as_ref(), Some(f));
}

#[test]
fn a_triggered_camera_takes_its_frames_per_part_at_the_rate_then_stops() {
    let mut w = world_with_camera("    frames_per_part: 2\n");
    let mut frames = Vec::new();
    for _ in 0..(90.0 / 0.05) as usize {
        frames.extend(w.step(0.05).unwrap_or_else(|e| panic!("{e}")).frames);
    }
    let mut per_part: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for f in &frames {
        per_part.entry(f.truth.part_id).or_default().push(f.stamp_s);
    }
    // The part still at the station when the run ends may have had one frame only.
    assert!(per_part.len() >= 2, "{per_part:?}");
    let finished: Vec<_> = per_part.values().take(per_part.len() - 1).collect();
    for stamps in finished {
        assert_eq!(stamps.len(), 2, "two frames per part: {per_part:?}");
        assert!((stamps[1] - stamps[0] - 0.5).abs() < 0.051, "at 2 Hz: {stamps:?}");
    }
}

#[test]
fn a_fastening_station_uploads_each_parts_trace_before_its_first_image() {
    let mut w = world_with_camera("    fastening: { fault_probability: 0.5 }\n");
    let (mut frames, mut records) = (Vec::new(), Vec::new());
    for _ in 0..(120.0 / 0.05) as usize {
        let out = w.step(0.05).unwrap_or_else(|e| panic!("{e}"));
        frames.extend(out.frames);
        records.extend(out.fastenings);
    }
    let parts: std::collections::BTreeSet<u64> = frames.iter().map(|f| f.truth.part_id).collect();
    assert!(parts.len() >= 2, "{parts:?}");
    // One trace per imaged part, stamped before the part's first frame.
    assert_eq!(records.iter().map(|r| r.part_id).collect::<std::collections::BTreeSet<_>>(), parts);
    assert_eq!(records.len(), parts.len(), "one trace per part");
    for r in &records {
        let first = frames.iter().find(|f| f.truth.part_id == r.part_id).expect("a frame of the part");
        assert!(r.stamp_s < first.stamp_s, "trace at {} s, first image at {} s", r.stamp_s, first.stamp_s);
        assert_eq!((r.station_id.as_str(), r.part_type.as_str()), ("s2", first.truth.part_type.as_str()));
        assert!(r.trace.angle_deg.len() > 10 && r.trace.angle_deg.len() == r.trace.torque_nm.len());
        // The truth of the part's frames knows whether its fastening was good, and a
        // faulty one fails the part.
        let fault = first.truth.fastening_fault;
        let peak = r.trace.torque_nm.iter().copied().fold(f64::MIN, f64::max);
        if fault.is_none() {
            assert!(peak > 11.5, "a good run-down reaches the 12 N m target: {peak}");
        } else {
            assert!(!first.truth.passed());
        }
    }
}

#[test]
fn without_cameras_no_frames() {
    let mut w = common::world(common::small_config());
    for _ in 0..600 {
        assert!(w.step(0.1).unwrap_or_else(|e| panic!("{e}")).frames.is_empty());
    }
}

#[test]
fn sensor_threads_give_the_same_bytes_as_one_thread() {
    // Two cameras and three moving robots with lasers; scans and frames taken on a
    // pool of three threads must equal the single-thread run, frame for frame.
    let run = |threads: usize| {
        let mut w = world_with_camera("  - station: s3\n    rate_hz: 4.0\n    thermal: {}\n");
        w.set_sensor_threads(threads).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<String> = w.robots().iter().map(|r| r.id().to_string()).collect();
        let mut outs = Vec::new();
        for k in 0..(60.0 / 0.05) as usize {
            if k % 40 == 0 {
                let turn = if k % 80 == 0 { 0.4 } else { -0.4 };
                for id in &ids {
                    let t = factory_twin::Twist2::new(0.3, 0.0, turn);
                    w.set_cmd_vel(id, t).unwrap_or_else(|e| panic!("{e}"));
                }
            }
            outs.push(w.step(0.05).unwrap_or_else(|e| panic!("{e}")));
        }
        outs
    };
    let (one, pooled) = (run(1), run(3));
    let frames: usize = one.iter().map(|o| o.frames.len()).sum();
    let scans: usize = one.iter().map(|o| o.scans.len()).sum();
    assert!(frames > 20 && scans > 1000, "{frames} frames, {scans} scans");
    assert!(one.iter().flat_map(|o| &o.frames).any(|f| f.station_id == "s3"));
    assert_eq!(one.len(), pooled.len());
    for (k, (a, b)) in one.iter().zip(&pooled).enumerate() {
        assert!(a == b, "step {k} differs with three sensor threads");
    }
}
