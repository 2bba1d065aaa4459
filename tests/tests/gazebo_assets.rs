//! The Gazebo assets are valid for sdformat and the world matches the twin's layout.
//!
//! `ign sdf` comes from Debian's ignition-tools + libsdformat-dev (its `sdf` command),
//! which scripts/bootstrap.sh installs.

use factory_integration_tests::{bin_dir, repo_root};
use std::process::Command;

/// Runs `ign sdf <flag> <file>` and returns (success, stdout + stderr).
fn ign_sdf(flag: &str, file: &std::path::Path) -> (bool, String) {
    let out =
        Command::new("ign").args(["sdf", flag]).arg(file).output().expect("`ign` runs (ignition-tools)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn the_world_is_generated_from_the_twin_layout_and_up_to_date() {
    let root = repo_root();
    let out = Command::new(bin_dir().join("examples").join("export_sdf"))
        .current_dir(&root)
        .args(["config/factory.yaml", "-"])
        .output()
        .expect("export_sdf built (cargo build --examples)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let generated = String::from_utf8_lossy(&out.stdout);
    let committed = std::fs::read_to_string(root.join("worlds/factory.sdf")).expect("worlds/factory.sdf");
    assert!(
        generated == committed,
        "worlds/factory.sdf is stale: run `cargo run -p factory_twin --example export_sdf -- config/factory.yaml worlds/factory.sdf`"
    );
    // Every machine of the layout is in the world.
    for machine in ["cnc_1", "press_1", "weld_1", "paint_1", "inspect_1", "pack_1"] {
        assert!(committed.contains(&format!("<model name=\"{machine}\">")), "{machine} missing");
    }
}

#[test]
fn worlds_and_robots_are_valid_sdformat() {
    let root = repo_root();
    let (ok, text) = ign_sdf("-k", &root.join("worlds/factory.sdf"));
    assert!(ok && text.contains("Valid."), "worlds/factory.sdf:\n{text}");
    for urdf in ["optimus.urdf", "station_arm.urdf"] {
        let file = root.join("urdf").join(urdf);
        let (ok, text) = ign_sdf("-k", &file);
        assert!(ok && text.contains("Valid."), "{urdf}:\n{text}");
        // URDF -> SDF conversion keeps the gz sensors and systems.
        let (ok, sdf) = ign_sdf("-p", &file);
        assert!(ok && sdf.contains("<sdf"), "{urdf} did not convert:\n{sdf}");
        assert!(sdf.contains("gz::sim::systems::JointStatePublisher"), "{urdf}: joint state publisher lost");
        assert!(
            sdf.contains("gz::sim::systems::JointTrajectoryController"),
            "{urdf}: trajectory controller lost"
        );
    }
    let (_, optimus) = ign_sdf("-p", &root.join("urdf/optimus.urdf"));
    for tag in [
        "type='gpu_lidar'",
        "type='camera'",
        "gz::sim::systems::VelocityControl",
        "gz::sim::systems::OdometryPublisher",
    ] {
        assert!(optimus.contains(tag), "optimus.urdf -> SDF lacks {tag}");
    }
}
