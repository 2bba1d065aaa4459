//! factory_launch [OPTIONS] FILE.launch.xml [name:=value ...]
//!
//!   --duration S     stop the launch after S seconds (default: run until Ctrl-C)
//!   --grace S        seconds between SIGINT, SIGTERM and SIGKILL at shutdown (default 5)
//!   --log-dir DIR    where output="log" nodes write (default: a new temp dir)
//!   --bin-dir DIR    where node executables are (repeatable; default: target/release,
//!                    then target/debug of the repository, then AMENT_PREFIX_PATH)
//!   --print          print the resolved command lines and exit
//!
//! Exit code 0 when every node ran until asked to stop and then stopped cleanly; 1 when
//! a node died or had to be killed; 2 for a bad launch file or command line.

use factory_launch::launch_file;
use factory_launch::supervisor::{self, RunOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(message) => {
            eprintln!("[factory_launch] error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let mut file = None;
    let mut launch_args = Vec::new();
    let mut bin_dirs = Vec::new();
    let mut options = RunOptions {
        bin_dirs: Vec::new(),
        log_dir: PathBuf::new(),
        duration: None,
        grace: Duration::from_secs(5),
    };
    let mut print_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} expects a value"));
        match arg.as_str() {
            "--duration" => options.duration = Some(seconds("--duration", &value("--duration")?)?),
            "--grace" => options.grace = seconds("--grace", &value("--grace")?)?,
            "--log-dir" => options.log_dir = PathBuf::from(value("--log-dir")?),
            "--bin-dir" => bin_dirs.push(PathBuf::from(value("--bin-dir")?)),
            "--print" => print_only = true,
            "-h" | "--help" => {
                println!(
                    "{}",
                    include_str!("main.rs")
                        .lines()
                        .take(12)
                        .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
                return Ok(ExitCode::SUCCESS);
            }
            a if a.contains(":=") => {
                let (name, v) = a.split_once(":=").unwrap_or_default();
                launch_args.push((name.to_string(), v.to_string()));
            }
            a if file.is_none() && !a.starts_with('-') => file = Some(PathBuf::from(a)),
            a => return Err(format!("unexpected argument '{a}' (see --help)")),
        }
    }
    let file = file.ok_or("no launch file given (see --help)")?;
    let nodes = launch_file::load(&file, &launch_args).map_err(|e| e.to_string())?;
    if bin_dirs.is_empty() {
        // The repository that holds the launch file: its target/release, then target/debug.
        let launch_dir =
            file.canonicalize().ok().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_default();
        if let Some(root) = launch_dir.ancestors().find(|d| d.join("Cargo.toml").is_file()) {
            bin_dirs = vec![root.join("target/release"), root.join("target/debug")];
        }
    }
    options.bin_dirs = bin_dirs;
    if print_only {
        // The params files the command lines name, so that they can be run as printed.
        let params_dir = std::env::temp_dir().join(format!("factory_launch_print_{}", std::process::id()));
        for node in &nodes {
            let path = supervisor::find_executable(node, &options.bin_dirs).map_err(|e| e.to_string())?;
            let env: Vec<String> = node.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let ros_args = node
                .ros_args(&params_dir)
                .map_err(|e| format!("cannot write params files into {}: {e}", params_dir.display()))?;
            let command: Vec<String> = node.args.iter().cloned().chain(ros_args).collect();
            let prefix: String = node.launch_prefix.iter().map(|w| format!("{w} ")).collect();
            println!(
                "{}{prefix}{} {}",
                if env.is_empty() { String::new() } else { env.join(" ") + " " },
                path.display(),
                command.join(" ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if options.log_dir.as_os_str().is_empty() {
        options.log_dir = std::env::temp_dir().join(format!("factory_launch_{}", std::process::id()));
    }
    std::fs::create_dir_all(&options.log_dir)
        .map_err(|e| format!("cannot create {}: {e}", options.log_dir.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .map_err(|e| format!("cannot handle signals: {e}"))?;
    }
    let report = supervisor::run(nodes, &options, stop).map_err(|e| e.to_string())?;
    for node in &report.nodes {
        eprintln!(
            "[factory_launch] {}: exit {:?}, {} unexpected exit(s), {} respawn(s){}",
            node.label,
            node.final_code,
            node.unexpected_exits,
            node.respawns,
            if node.killed { ", killed" } else { "" }
        );
    }
    Ok(if report.success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{flag} {text}: expected seconds >= 0"))
}
