//! Every robot description in urdf/ is valid for `check_urdf` (liburdfdom-tools, which
//! scripts/bootstrap.sh installs), the parser ROS itself uses.

use factory_integration_tests::repo_root;
use std::process::Command;

#[test]
fn every_urdf_passes_check_urdf() {
    let dir = repo_root().join("urdf");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("urdf/ readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "urdf"))
        .collect();
    files.sort();
    let names: Vec<String> =
        files.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    assert!(
        names.contains(&"optimus.urdf".to_string()) && names.contains(&"station_arm.urdf".to_string()),
        "{names:?}"
    );
    for file in &files {
        let out = Command::new("check_urdf").arg(file).output().expect("check_urdf runs (liburdfdom-tools)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{} rejected:\n{text}", file.display());
        assert!(text.contains("Successfully Parsed XML"), "{}:\n{text}", file.display());
    }
}
