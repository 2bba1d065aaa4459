//! The quality inspector's core on frames rendered by the digital twin with known
//! defects, offsets and hotspots. One reference is taught per test binary and shared.
//! (Here, not in quality_inspector: the renderer is the twin's.)

mod inspector_twin;

use std::sync::OnceLock;

use inspector_twin::*;
use quality_inspector::{
    Correction, DefectClass, FrameError, ImageView, InspectError, Inspection, Inspector, Method, PartInput,
    Reference,
};

const TEACH_PARTS: u64 = 8;

fn reference_a() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| teach(&mut renderer(), "A", TEACH_PARTS))
}

fn inspector() -> Inspector {
    let mut i = Inspector::new(&station_config()).expect("inspector");
    i.add_reference(reference_a().clone()).expect("reference");
    i
}

fn inspect(i: &mut Inspector, f: &factory_twin::CameraFrame) -> Inspection {
    let th = f.thermal.as_ref().map(view);
    i.inspect(&PartInput { visible: view(&f.image), thermal: th, torque: None, part_type: Some("A") })
        .expect("inspection")
}

#[test]
fn clean_parts_pass_and_their_pose_is_measured() {
    let mut r = renderer();
    let mut i = inspector();
    for id in 0..6 {
        let f = render(&mut r, &clean_scene(id, "A"));
        let res = inspect(&mut i, &f);
        let t = &f.truth;
        let p = res.registration.pose;
        println!(
            "part {id}: err dx {:.4} dy {:.4} mm rot {:.4} deg, findings {:?}",
            p.dx_mm - t.offset_x_mm,
            p.dy_mm - t.offset_y_mm,
            p.rotation_deg - t.rotation_deg,
            res.findings
        );
        assert!(res.passed, "clean part {id} failed: {:?}", res.findings);
        assert_eq!(res.registration.method, Method::Fiducials);
        assert!((p.dx_mm - t.offset_x_mm).abs() < 0.05, "dx {p:?} vs {t:?}");
        assert!((p.dy_mm - t.offset_y_mm).abs() < 0.05, "dy {p:?} vs {t:?}");
        assert!((p.rotation_deg - t.rotation_deg).abs() < 0.05, "rot {p:?} vs {t:?}");
        assert!(res.corrections.is_empty());
    }
    assert_eq!(i.stats().inspected, 6);
    assert_eq!(i.stats().pass_rate(), Some(1.0));
}

#[test]
fn each_defect_class_is_found_with_position_and_size() {
    let mut r = renderer();
    let mut i = inspector();
    let mut scene = clean_scene(100, "A");
    scene.defects = vec![
        scratch((-50.0, -30.0), 8.0, 0.3, 25.0),
        pit((40.0, 35.0), 0.8),
        contamination((30.0, -40.0), 6.0, 4.0, 60.0),
    ];
    let f = render(&mut r, &scene);
    let res = inspect(&mut i, &f);
    for d in &res.findings {
        println!("{d:?}");
    }
    assert!(!res.passed);
    assert_eq!(res.findings.len(), 3, "{:?}", res.findings);
    for (truth, class) in
        f.truth.defects.iter().zip([DefectClass::Scratch, DefectClass::Pit, DefectClass::Contamination])
    {
        let found = res
            .findings
            .iter()
            .find(|d| (d.center_mm.0 - truth.center_x_mm).hypot(d.center_mm.1 - truth.center_y_mm) < 0.5)
            .unwrap_or_else(|| {
                panic!("{class:?} at ({}, {}) not found", truth.center_x_mm, truth.center_y_mm)
            });
        assert_eq!(found.class, class);
        let err = (found.length_mm - truth.length_mm).abs();
        assert!(
            err < 0.2 || err < 0.15 * truth.length_mm,
            "{class:?} length {} vs {}",
            found.length_mm,
            truth.length_mm
        );
        // The reported box lies within the truth box grown by 2 px.
        let (b, t) = (found.bbox, truth.bbox);
        assert!(b.x + 2 >= t.x && b.y + 2 >= t.y, "{b:?} vs {t:?}");
        assert!(b.x + b.width <= t.x + t.width + 2 && b.y + b.height <= t.y + t.height + 2, "{b:?} vs {t:?}");
        assert!(found.confidence > 0.5);
    }
    assert_eq!(res.corrections, vec![Correction::Clean, Correction::Rework]);
}

#[test]
fn small_defects_down_to_0_3_mm_are_found() {
    let mut r = renderer();
    let mut i = inspector();
    let mut scene = clean_scene(200, "A");
    scene.defects = vec![pit((-60.0, 40.0), 0.3), scratch((55.0, -20.0), 2.0, 0.15, 100.0)];
    let f = render(&mut r, &scene);
    let res = inspect(&mut i, &f);
    println!("{:?}", res.findings);
    assert_eq!(res.findings.len(), 2, "{:?}", res.findings);
    for t in &f.truth.defects {
        assert!(res
            .findings
            .iter()
            .any(|d| (d.center_mm.0 - t.center_x_mm).hypot(d.center_mm.1 - t.center_y_mm) < 0.5));
    }
}

#[test]
fn hotspot_is_found_with_peak_and_position() {
    let mut r = renderer();
    let mut i = inspector();
    let mut scene = clean_scene(300, "A");
    scene.hotspots = vec![hotspot((-40.0, 20.0), 6.0, 15.0)];
    let f = render(&mut r, &scene);
    let res = inspect(&mut i, &f);
    let t = f.truth.hotspots.first().expect("truth hotspot");
    let h: Vec<_> = res.findings.iter().filter(|d| d.class == DefectClass::Hotspot).collect();
    println!("{h:?} truth {t:?}");
    assert_eq!(h.len(), 1, "{:?}", res.findings);
    let h = h[0];
    assert!((h.center_mm.0 - t.center_x_mm).hypot(h.center_mm.1 - t.center_y_mm) < 1.0);
    assert!((h.peak_temperature_k - t.peak_k).abs() < 0.5, "{} vs {}", h.peak_temperature_k, t.peak_k);
    assert!(h.area_mm2 > 50.0);
    assert!((res.max_temperature_k - t.peak_k).abs() < 0.5);
    assert_eq!(res.corrections, vec![Correction::RecalibrateStation]);
}

#[test]
fn misalignment_beyond_tolerance_is_flagged() {
    let mut r = renderer();
    let mut i = inspector();
    let mut scene = clean_scene(400, "A");
    scene.offset_x_mm = 2.2;
    scene.offset_y_mm = -1.4;
    scene.rotation_deg = 1.5;
    let f = render(&mut r, &scene);
    let res = inspect(&mut i, &f);
    let p = res.registration.pose;
    assert!(
        (p.dx_mm - 2.2).abs() < 0.05 && (p.dy_mm + 1.4).abs() < 0.05 && (p.rotation_deg - 1.5).abs() < 0.05
    );
    let m: Vec<_> = res.findings.iter().filter(|d| d.class == DefectClass::Misalignment).collect();
    assert_eq!(m.len(), 1, "{:?}", res.findings);
    assert_eq!(res.findings.len(), 1, "only the misalignment: {:?}", res.findings);
    assert_eq!(res.corrections, vec![Correction::RecalibrateStation]);
}

#[test]
fn a_covered_fiducial_falls_back_to_ecc() {
    let mut r = renderer();
    let mut i = inspector();
    let f = render(&mut r, &clean_scene(500, "A"));
    // Paint the top-left fiducial over with plate grey.
    let mut img = f.image.clone();
    let (cx, cy) = (639.5 - 5.0 * 88.0, 511.5 - 5.0 * 68.0);
    for y in (cy as i32 - 25)..(cy as i32 + 25) {
        for x in (cx as i32 - 25)..(cx as i32 + 25) {
            let k = (y as usize) * img.step as usize + 3 * x as usize;
            img.data[k..k + 3].copy_from_slice(&[150, 150, 150]);
        }
    }
    let res = i
        .inspect(&PartInput { visible: view(&img), thermal: None, torque: None, part_type: Some("A") })
        .expect("inspection");
    let (p, t) = (res.registration.pose, &f.truth);
    println!("ecc {p:?} truth {} {} {}", t.offset_x_mm, t.offset_y_mm, t.rotation_deg);
    assert_eq!(res.registration.method, Method::Ecc);
    assert!((p.dx_mm - t.offset_x_mm).abs() < 0.2 && (p.dy_mm - t.offset_y_mm).abs() < 0.2);
    assert!((p.rotation_deg - t.rotation_deg).abs() < 0.2);
}

#[test]
fn bgr8_and_mono8_frames_are_inspected() {
    let mut r = renderer();
    let mut i = inspector();
    let mut scene = clean_scene(600, "A");
    scene.defects = vec![scratch((-30.0, 30.0), 6.0, 0.3, 45.0), pit((50.0, -30.0), 1.0)];
    let f = render(&mut r, &scene);
    let mut bgr = f.image.clone();
    for p in bgr.data.chunks_exact_mut(3) {
        p.swap(0, 2);
    }
    let bgr_view = ImageView { encoding: "bgr8", ..view(&bgr) };
    let res = i
        .inspect(&PartInput { visible: bgr_view, thermal: None, torque: None, part_type: Some("A") })
        .expect("bgr");
    assert_eq!(res.findings.len(), 2, "{:?}", res.findings);
    let mono: Vec<u8> = f.image.data.chunks_exact(3).map(|p| p[1]).collect();
    let mono_view = ImageView {
        encoding: "mono8",
        width: 1280,
        height: 1024,
        step: 1280,
        is_bigendian: false,
        data: &mono,
    };
    let res = i
        .inspect(&PartInput { visible: mono_view, thermal: None, torque: None, part_type: Some("A") })
        .expect("mono");
    let mut classes: Vec<_> = res.findings.iter().map(|d| d.class).collect();
    classes.sort();
    assert_eq!(classes, vec![DefectClass::Scratch, DefectClass::Pit]);
}

#[test]
fn bad_frames_are_dropped_with_a_reason_and_counted() {
    let mut r = renderer();
    let mut i = inspector();
    let f = render(&mut r, &clean_scene(700, "A"));
    let good = view(&f.image);
    let half = &f.image.data[..f.image.data.len() / 2];
    let cases: Vec<(ImageView<'_>, &str)> = vec![
        (ImageView { encoding: "yuv422", ..good }, "wrong_encoding"),
        (ImageView { width: 640, ..good }, "wrong_size"),
        (ImageView { step: 1000, ..good }, "step_mismatch"),
        (ImageView { data: half, ..good }, "step_mismatch"),
        (ImageView { data: &[], ..good }, "empty_data"),
    ];
    for (v, want) in &cases {
        let e = i.inspect(&PartInput { visible: *v, thermal: None, torque: None, part_type: Some("A") });
        match e {
            Err(InspectError::Frame(fe)) => assert_eq!(fe.reason(), *want, "{fe}"),
            other => panic!("expected {want}, got {other:?}"),
        }
    }
    // A thermal frame of the wrong encoding is refused as well.
    let th = ImageView { encoding: "mono8", ..view(f.thermal.as_ref().expect("thermal")) };
    let e = i.inspect(&PartInput { visible: good, thermal: Some(th), torque: None, part_type: Some("A") });
    assert!(matches!(e, Err(InspectError::Frame(FrameError::WrongEncoding { .. }))));
    let s = i.stats();
    assert_eq!(s.inspected, 0);
    assert_eq!(s.dropped.get("wrong_encoding"), Some(&2));
    assert_eq!(s.dropped.get("wrong_size"), Some(&1));
    assert_eq!(s.dropped.get("step_mismatch"), Some(&2));
    assert_eq!(s.dropped.get("empty_data"), Some(&1));
    // An unknown part type is a drop too, not a crash.
    let e = i.inspect(&PartInput { visible: good, thermal: None, torque: None, part_type: Some("Z") });
    assert!(matches!(e, Err(InspectError::NoReference { .. })));
}

#[test]
fn references_survive_save_and_load() {
    let dir = std::env::temp_dir().join(format!("qi-ref-{}", std::process::id()));
    let r = reference_a();
    let path = r.save(&dir).expect("save");
    assert!(path.ends_with("inspect/A.qiref"));
    let cfg = station_config();
    let back = Reference::load(&dir, &cfg, "A").expect("load");
    assert_eq!(&back, r);
    let mut i = Inspector::new(&cfg).expect("inspector");
    let missing = i.load_references(&dir);
    assert_eq!(missing.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), vec!["B", "C"]);
    assert_eq!(i.taught_types(), vec!["A"]);
    // A corrupted file is refused with a reason.
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.truncate(bytes.len() - 4);
    std::fs::write(&path, &bytes).expect("write");
    assert!(matches!(Reference::load(&dir, &cfg, "A"), Err(InspectError::Storage { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_part_type_is_identified_from_the_texture() {
    let mut r = renderer();
    let mut i = inspector();
    i.add_reference(teach(&mut r, "B", TEACH_PARTS)).expect("reference B");
    for (id, t) in [(800, "A"), (801, "B")] {
        let f = render(&mut r, &clean_scene(id, t));
        let res = i
            .inspect(&PartInput { visible: view(&f.image), thermal: None, torque: None, part_type: None })
            .expect("inspection");
        assert_eq!(res.part_type, t);
        assert!(res.passed, "{:?}", res.findings);
    }
}
