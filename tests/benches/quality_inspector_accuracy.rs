//! Accuracy on generated parts: the twin's renderer with its own random pose, lighting
//! and noise; half the parts carry defects (each class with probability 1/2, sizes
//! at least 0.3 mm, at least one per defective part). Prints part-level recall and
//! precision, per-class detection, classification and size errors, and the misalignment error.
//!
//!   cargo bench -p factory_integration_tests --bench quality_inspector_accuracy
//!   (QI_PARTS=2000 for more parts)

#[path = "../tests/inspector_twin/mod.rs"]
mod inspector_twin;

use factory_layout::CameraConfig;
use factory_twin::camera::{part_rng, sample_scene, DefectClass as TwinClass};
use inspector_twin::*;
use quality_inspector::{DefectClass, Inspector, PartInput};

fn to_ours(c: TwinClass) -> DefectClass {
    match c {
        TwinClass::Scratch => DefectClass::Scratch,
        TwinClass::Pit => DefectClass::Pit,
        TwinClass::Contamination => DefectClass::Contamination,
    }
}

fn main() {
    let parts: u64 = std::env::var("QI_PARTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let _ = opencv::core::set_num_threads(1);
    let mut r = renderer();
    let mut inspector = match Inspector::new(&station_config()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    for t in ["A", "B", "C"] {
        if let Err(e) = inspector.add_reference(teach(&mut r, t, 8)) {
            eprintln!("{e}");
            return;
        }
    }
    // Defective parts: each class with probability 1/2 (redrawn until at least one),
    // pits from 0.3 mm.
    let mut defect_cfg: CameraConfig = camera_config();
    defect_cfg.defects.scratch.probability = 0.5;
    defect_cfg.defects.pit.probability = 0.5;
    defect_cfg.defects.pit.diameter_mm = [0.3, 1.5];
    defect_cfg.defects.contamination.probability = 0.5;
    let types = ["A", "B", "C"];
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    let (mut d_total, mut d_found, mut d_class_ok) = (0u64, 0u64, 0u64);
    let mut per_class = [(0u64, 0u64); 3];
    let mut size_err: Vec<f64> = Vec::new();
    let mut pos_err: Vec<f64> = Vec::new();
    let mut false_defects = 0u64;
    let (mut off_err, mut rot_err) = (Vec::new(), Vec::new());
    let mut errors = 0;
    for id in 0..parts {
        let part_type = types[(id % 3) as usize];
        let defective = id % 2 == 1;
        let scene = if defective {
            let mut k = 0;
            loop {
                let mut rng = part_rng(SEED ^ 0xACC, 0, id * 64 + k);
                let mut s = sample_scene(&defect_cfg, &mut rng, id, part_type);
                s.hotspots.clear();
                k += 1;
                if !s.defects.is_empty() {
                    break s;
                }
            }
        } else {
            clean_scene(2_000_000 + id, part_type)
        };
        let f = render(&mut r, &scene);
        let res = match inspector.inspect(&PartInput {
            visible: view(&f.image),
            thermal: None,
            torque: None,
            part_type: None,
        }) {
            Ok(res) => res,
            Err(e) => {
                eprintln!("part {id}: {e}");
                errors += 1;
                continue;
            }
        };
        let t = &f.truth;
        let p = res.registration.pose;
        off_err.push((p.dx_mm - t.offset_x_mm).hypot(p.dy_mm - t.offset_y_mm));
        rot_err.push((p.rotation_deg - t.rotation_deg).abs());
        let visual: Vec<_> = res
            .findings
            .iter()
            .filter(|d| {
                matches!(d.class, DefectClass::Scratch | DefectClass::Pit | DefectClass::Contamination)
            })
            .collect();
        let flagged = !visual.is_empty();
        match (defective, flagged) {
            (true, true) => tp += 1,
            (true, false) => fn_ += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
        }
        let mut matched = vec![false; visual.len()];
        for d in &t.defects {
            d_total += 1;
            let ci = to_ours(d.class) as usize;
            per_class[ci].0 += 1;
            let hit = visual.iter().enumerate().find(|(_, v)| {
                (v.center_mm.0 - d.center_x_mm).hypot(v.center_mm.1 - d.center_y_mm) < d.length_mm / 2.0 + 1.0
            });
            if let Some((k, v)) = hit {
                matched[k] = true;
                d_found += 1;
                per_class[ci].1 += 1;
                if v.class == to_ours(d.class) {
                    d_class_ok += 1;
                    size_err.push(v.length_mm - d.length_mm);
                }
                pos_err.push((v.center_mm.0 - d.center_x_mm).hypot(v.center_mm.1 - d.center_y_mm));
            } else if std::env::var("QI_VERBOSE").is_ok() {
                eprintln!("part {id} ({part_type}): missed {d:?}");
            }
        }
        false_defects += matched.iter().filter(|m| !**m).count() as u64;
        if std::env::var("QI_VERBOSE").is_ok() && (defective != flagged || matched.iter().any(|m| !m)) {
            eprintln!("part {id} ({part_type}): truth {:?}\n  found {:?}", t.defects, visual);
        }
    }
    let stat = |v: &[f64]| {
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let max = v.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        (mean, max)
    };
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    println!(
        "parts {parts} (defective {}), part types A/B/C identified from the image, errors {errors}",
        parts / 2
    );
    println!(
        "part level: TP {tp} FN {fn_} FP {fp} TN {tn}  recall {:.2} %  precision {:.2} %",
        100.0 * recall,
        100.0 * precision
    );
    println!(
        "defects: {d_total} injected, found {d_found} ({:.2} %), class right {d_class_ok} ({:.2} % of found), unmatched findings {false_defects}",
        100.0 * d_found as f64 / d_total.max(1) as f64,
        100.0 * d_class_ok as f64 / d_found.max(1) as f64
    );
    for (k, name) in ["scratch", "pit", "contamination"].iter().enumerate() {
        println!("  {name:<14} found {}/{}", per_class[k].1, per_class[k].0);
    }
    let (se_mean, se_max) = stat(&size_err.iter().map(|e| e.abs()).collect::<Vec<_>>());
    let bias = size_err.iter().sum::<f64>() / size_err.len().max(1) as f64;
    let (pe_mean, pe_max) = stat(&pos_err);
    println!("  length error |mean| {se_mean:.3} mm (bias {bias:+.3}), max {se_max:.3} mm; position error mean {pe_mean:.3} mm, max {pe_max:.3} mm");
    let (om, ox) = stat(&off_err);
    let (rm, rx) = stat(&rot_err);
    println!("misalignment error: offset mean {om:.4} mm max {ox:.4} mm; rotation mean {rm:.4} deg max {rx:.4} deg");
}
