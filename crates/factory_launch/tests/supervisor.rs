//! The runner against small shell-script "nodes": clean stops, deaths reported,
//! respawns, and nodes that ignore SIGINT/SIGTERM. No ROS needed.

use factory_launch::launch_file;
use factory_launch::supervisor::{run, RunOptions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn setup(tag: &str, launch: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("factory_launch_sup_{tag}_{}", std::process::id()));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let scripts = [
        // Records its arguments, then runs until SIGINT and exits 0, as a ROS node does.
        ("well_behaved", "echo \"$@\" > \"$(dirname \"$0\")/../args_$$\"\ntrap 'exit 0' INT\nwhile true; do sleep 0.05; done"),
        ("crasher", "sleep 0.2\nexit 3"),
        ("stubborn", "trap '' INT TERM\nwhile true; do sleep 0.05; done"),
        // Records the niceness it runs at, then runs until SIGINT.
        ("report_nice", "nice > \"$(dirname \"$0\")/../nice_$$\"\ntrap 'exit 0' INT\nwhile true; do sleep 0.05; done"),
    ];
    for (name, body) in scripts {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let file = dir.join("test.launch.xml");
    std::fs::write(&file, launch).unwrap();
    (dir, file)
}

fn options(dir: &Path, duration_s: f64, grace_s: f64) -> RunOptions {
    RunOptions {
        bin_dirs: vec![dir.join("bin")],
        log_dir: dir.join("log"),
        duration: Some(Duration::from_secs_f64(duration_s)),
        grace: Duration::from_secs_f64(grace_s),
    }
}

#[test]
fn nodes_get_their_ros_args_and_stop_cleanly_on_sigint() {
    let (dir, file) = setup(
        "clean",
        r#"<launch>
             <group><push-ros-namespace namespace="robot_1"/>
               <node pkg="p" exec="well_behaved" name="exec"><param name="robot_id" value="robot_1"/></node>
             </group>
             <node pkg="p" exec="well_behaved" name="other"/>
           </launch>"#,
    );
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let report = run(nodes, &options(&dir, 1.0, 3.0), Arc::new(AtomicBool::new(false))).unwrap();
    assert!(report.success(), "{report:?}");
    assert!(report.nodes.iter().all(|n| n.final_code == Some(0) && n.unexpected_exits == 0));
    let recorded: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("args_"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(recorded.len(), 2, "both nodes started once");
    let params_file = dir.join("log/params/robot_1_exec_0.yaml");
    let expected =
        format!("--ros-args -r __node:=exec -r __ns:=/robot_1 --params-file {}", params_file.display());
    assert!(recorded.iter().any(|a| a.trim() == expected), "{recorded:?}");
    assert_eq!(
        std::fs::read_to_string(&params_file).unwrap(),
        "/robot_1/exec:\n  ros__parameters:\n    robot_id: robot_1\n"
    );
}

#[test]
fn a_launch_prefix_runs_the_node_under_it() {
    let (dir, file) = setup(
        "prefix",
        r#"<launch>
             <arg name="niceness" default="7"/>
             <node pkg="p" exec="report_nice" launch-prefix="nice -n $(var niceness)"/>
             <node pkg="p" exec="report_nice"/>
           </launch>"#,
    );
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let report = run(nodes, &options(&dir, 1.0, 3.0), Arc::new(AtomicBool::new(false))).unwrap();
    assert!(report.success(), "{report:?}");
    let mut recorded: Vec<i32> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("nice_"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap().trim().parse().unwrap())
        .collect();
    recorded.sort();
    // The runner's own niceness, which the plain node inherits.
    let own: i32 = String::from_utf8(std::process::Command::new("nice").output().unwrap().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(recorded, vec![own, (own + 7).min(19)], "niceness of the plain and the prefixed node");
}

#[test]
fn a_dying_node_is_reported_and_ends_the_launch_when_alone() {
    let (dir, file) = setup("crash", r#"<launch><node pkg="p" exec="crasher"/></launch>"#);
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let started = Instant::now();
    let report = run(nodes, &options(&dir, 30.0, 1.0), Arc::new(AtomicBool::new(false))).unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "the launch ended when its only node died");
    assert!(!report.success());
    assert_eq!(report.nodes[0].unexpected_exits, 1);
    assert_eq!(report.nodes[0].final_code, Some(3));
}

#[test]
fn respawn_restarts_a_dying_node() {
    let (dir, file) = setup(
        "respawn",
        r#"<launch><node pkg="p" exec="crasher" respawn="true" respawn_delay="0.1"/></launch>"#,
    );
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let report = run(nodes, &options(&dir, 2.0, 1.0), Arc::new(AtomicBool::new(false))).unwrap();
    let node = &report.nodes[0];
    assert!(node.respawns >= 2, "{node:?}");
    assert!(node.unexpected_exits >= node.respawns, "{node:?}");
}

#[test]
fn a_node_ignoring_sigint_and_sigterm_is_killed() {
    let (dir, file) = setup(
        "stubborn",
        r#"<launch><node pkg="p" exec="stubborn"/><node pkg="p" exec="well_behaved"/></launch>"#,
    );
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let report = run(nodes, &options(&dir, 0.5, 0.3), Arc::new(AtomicBool::new(false))).unwrap();
    assert!(!report.success());
    assert!(report.nodes[0].killed, "{:?}", report.nodes[0]);
    assert!(!report.nodes[1].killed && report.nodes[1].final_code == Some(0), "{:?}", report.nodes[1]);
}

#[test]
fn a_missing_executable_fails_before_anything_starts() {
    let (dir, file) = setup(
        "missing",
        r#"<launch><node pkg="p" exec="well_behaved"/><node pkg="p" exec="nope"/></launch>"#,
    );
    let nodes = launch_file::load(&file, &[]).unwrap();
    let err = run(nodes, &options(&dir, 1.0, 1.0), Arc::new(AtomicBool::new(false))).unwrap_err();
    assert!(err.to_string().contains("'nope'"), "{err}");
    let started = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("args_"));
    assert!(!started, "no node may start when one executable is missing");
}

#[test]
fn a_node_with_on_exit_shutdown_ends_the_launch_cleanly() {
    let (dir, file) = setup(
        "on_exit",
        r#"<launch><node pkg="p" exec="finisher" on_exit="shutdown"/><node pkg="p" exec="well_behaved"/></launch>"#,
    );
    let finisher = dir.join("bin/finisher");
    std::fs::write(&finisher, "#!/usr/bin/env bash\nsleep 0.3\nexit 0\n").unwrap();
    std::fs::set_permissions(&finisher, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(dir.join("log")).unwrap();
    let nodes = launch_file::load(&file, &[]).unwrap();
    let started = Instant::now();
    let report = run(nodes, &options(&dir, 30.0, 3.0), Arc::new(AtomicBool::new(false))).unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "the launch ended with its finisher");
    assert!(report.success(), "{report:?}");
    assert_eq!(report.nodes[1].final_code, Some(0), "the other node was stopped with SIGINT");
}
