//! Writes one inspection camera frame as PPM/PGM files, to look at the renderer.
//!
//!   cargo run -p factory_twin --example camera_snapshot -- [part_id] [out_dir]
//!
//! Uses the first camera of config/factory.yaml with every defect class injected.

#[cfg(feature = "camera")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use factory_twin::camera::{part_rng, sample_scene, CameraRenderer};
    use std::io::Write;
    let args: Vec<String> = std::env::args().collect();
    let part: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let dir = args.get(2).cloned().unwrap_or_else(|| ".".into());
    let cfg = factory_twin::FactoryConfig::load(format!(
        "{}/../../config/factory.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))?;
    let mut cam = cfg.cameras.first().ok_or("no camera in config/factory.yaml")?.clone();
    cam.defects.scratch.probability = 1.0;
    cam.defects.pit.probability = 1.0;
    cam.defects.contamination.probability = 1.0;
    if let Some(t) = cam.thermal.as_mut() {
        t.hotspot_probability = 1.0;
    }
    let scene = sample_scene(&cam, &mut part_rng(cfg.seed, 0, part), part, "A");
    let f = CameraRenderer::new(&cam, 0, cfg.health.ambient_k, cfg.seed).render(&scene, 0.0)?;
    let mut out = std::fs::File::create(format!("{dir}/camera_{part}.ppm"))?;
    write!(out, "P6\n{} {}\n255\n", f.image.width, f.image.height)?;
    out.write_all(&f.image.data)?;
    if let Some(t) = &f.thermal {
        // PGM stores 16-bit samples big-endian.
        let mut out = std::fs::File::create(format!("{dir}/thermal_{part}.pgm"))?;
        write!(out, "P5\n{} {}\n65535\n", t.width, t.height)?;
        let be: Vec<u8> = t.data.chunks_exact(2).flat_map(|p| [p[1], p[0]]).collect();
        out.write_all(&be)?;
    }
    println!("{:#?}", f.truth);
    Ok(())
}

#[cfg(not(feature = "camera"))]
fn main() {
    eprintln!("built without the `camera` feature");
}
