//! Teaches every camera station and part type of a factory layout from clean parts
//! rendered by the digital twin's camera (same seed, so the same part textures the
//! running twin shows) and, at stations that fasten, from good run-downs of the twin's
//! nutrunner, and stores the references under a data directory.
//!
//!   cargo run --release -p factory_integration_tests --example teach_from_twin -- \
//!       config/factory.yaml data/quality_inspector [parts per type, default 8]
//!
//! It lives with the integration tests because it needs both the inspector and the
//! twin's renderer, and the inspector does not depend on the twin.

use factory_layout::{FactoryConfig, FasteningConfig};
use factory_twin::camera::{part_rng, sample_scene, CameraRenderer};
use factory_twin::fastening::{run_down, sample};
use quality_inspector::config::{stations_from_layout, StationTemplate};
use quality_inspector::{ImageView, Teacher, TorqueTrace};

/// Good run-downs per part type for the fastening envelope (its final-angle mean and
/// per-angle spread want more samples than the image statistics).
const TEACH_TRACES: u64 = 40;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(layout), Some(data_dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: teach_from_twin <factory.yaml> <data dir> [parts per type]");
        return std::process::ExitCode::FAILURE;
    };
    let parts: u64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(8);
    match run(layout, data_dir, parts) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn view(b: &factory_twin::ImageBuffer) -> ImageView<'_> {
    ImageView {
        encoding: b.encoding.as_str(),
        width: b.width,
        height: b.height,
        step: b.step,
        is_bigendian: false,
        data: &b.data,
    }
}

fn run(layout: &str, data_dir: &str, parts: u64) -> Result<(), String> {
    let twin = FactoryConfig::load(layout).map_err(|e| e.to_string())?;
    let stations = stations_from_layout(&twin, &StationTemplate::default()).map_err(|e| e.to_string())?;
    for (i, cam) in twin.cameras.iter().enumerate() {
        let Some(station) = stations.iter().find(|s| s.id == cam.station) else { continue };
        let mut renderer = CameraRenderer::new(cam, i, twin.health.ambient_k, twin.texture_seed());
        for part_type in &station.part_types {
            let mut teacher = Teacher::new(station, part_type).map_err(|e| e.to_string())?;
            for k in 0..parts {
                // Part ids far from the twin's own, with the twin's pose and lighting spread.
                let id = u64::MAX - 1000 - k;
                let mut scene = sample_scene(cam, &mut part_rng(twin.seed, i, id), id, part_type);
                scene.defects.clear();
                scene.hotspots.clear();
                let f = renderer.render(&scene, 0.0).map_err(|e| e.to_string())?;
                let th = f.thermal.as_ref().map(view);
                teacher.add_part(&view(&f.image), th.as_ref(), None).map_err(|e| e.to_string())?;
            }
            if let Some(f) = &cam.fastening {
                let good = FasteningConfig { fault_probability: 0.0, ..f.clone() };
                for k in 0..TEACH_TRACES {
                    let mut rng = part_rng(twin.seed, i, u64::MAX - 2000 - k);
                    let t = run_down(&good, &sample(&good, &mut rng));
                    let trace = TorqueTrace { angle_deg: t.angle_deg, torque_nm: t.torque_nm };
                    teacher.add_torque_trace(&trace).map_err(|e| e.to_string())?;
                }
            }
            let r = teacher.finish().map_err(|e| e.to_string())?;
            let path = r.save(std::path::Path::new(data_dir)).map_err(|e| e.to_string())?;
            println!("{}/{part_type}: {} parts -> {}", station.id, parts, path.display());
        }
    }
    Ok(())
}
