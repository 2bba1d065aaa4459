//! Starts the node processes of a launch, reports a death at once, respawns the nodes
//! that ask for it, and stops everything cleanly: SIGINT, then SIGTERM, then SIGKILL.
//!
//! Each node runs in its own process group, so a Ctrl-C in the terminal reaches only
//! the runner, which then stops the nodes in order instead of racing them.

use crate::launch_file::{NodeSpec, Output};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the runner finds and runs node executables.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// directories searched for `exec`, in order (e.g. target/release, target/debug)
    pub bin_dirs: Vec<PathBuf>,
    /// where `output="log"` nodes write `<label>.log`, and `params/` the params files
    /// of `<param name value>`s (as launch_ros writes them)
    pub log_dir: PathBuf,
    /// stop after this long (None: until signalled or every node has ended)
    pub duration: Option<Duration>,
    /// time between SIGINT and SIGTERM, and between SIGTERM and SIGKILL
    pub grace: Duration,
}

/// How one node ended.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOutcome {
    pub label: String,
    /// deaths while the launch was running (not counting the final stop)
    pub unexpected_exits: u32,
    pub respawns: u32,
    /// exit code at the end (None: killed by a signal or never started)
    pub final_code: Option<i32>,
    /// whether it needed SIGKILL to stop
    pub killed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub nodes: Vec<NodeOutcome>,
}

impl RunReport {
    /// A launch succeeded if no node died on its own and all stopped when asked.
    pub fn success(&self) -> bool {
        self.nodes.iter().all(|n| n.unexpected_exits == 0 && !n.killed && n.final_code == Some(0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    #[error("node {label}: executable '{exec}' of package '{package}' not found in {dirs}")]
    NotFound { label: String, exec: String, package: String, dirs: String },
    #[error("node {label}: cannot start {path}: {reason}")]
    Spawn { label: String, path: PathBuf, reason: String },
}

struct Supervised {
    spec: NodeSpec,
    path: PathBuf,
    child: Option<Child>,
    outcome: NodeOutcome,
    restart_at: Option<Instant>,
}

/// Finds `exec` for a node: the bin dirs first, then `<prefix>/lib/<pkg>/<exec>` of
/// every AMENT_PREFIX_PATH entry (where ROS 2 installs node executables).
pub fn find_executable(spec: &NodeSpec, bin_dirs: &[PathBuf]) -> Result<PathBuf, SuperviseError> {
    let mut candidates: Vec<PathBuf> = bin_dirs.iter().map(|d| d.join(&spec.executable)).collect();
    let prefixes = std::env::var("AMENT_PREFIX_PATH").unwrap_or_default();
    for prefix in prefixes.split(':').filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(prefix).join("lib").join(&spec.package).join(&spec.executable));
    }
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| SuperviseError::NotFound {
        label: spec.label(),
        exec: spec.executable.clone(),
        package: spec.package.clone(),
        dirs: candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

/// Runs the nodes until `stop` is set, `options.duration` passes, or every node has ended
/// for good; then stops the rest and reports.
pub fn run(
    specs: Vec<NodeSpec>,
    options: &RunOptions,
    stop: Arc<AtomicBool>,
) -> Result<RunReport, SuperviseError> {
    // Resolve every executable before starting anything: a typo fails the whole launch.
    let mut nodes = Vec::with_capacity(specs.len());
    for spec in specs {
        let path = find_executable(&spec, &options.bin_dirs)?;
        let outcome = NodeOutcome {
            label: spec.label(),
            unexpected_exits: 0,
            respawns: 0,
            final_code: None,
            killed: false,
        };
        nodes.push(Supervised { spec, path, child: None, outcome, restart_at: None });
    }
    let started = Instant::now();
    for node in &mut nodes {
        start(node, options)?;
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            report("stop requested: shutting down");
            break;
        }
        if options.duration.is_some_and(|d| started.elapsed() >= d) {
            report("launch duration reached: shutting down");
            break;
        }
        let mut ended_launch = None;
        for node in &mut nodes {
            if watch(node, options)? && node.spec.shutdown_on_exit {
                ended_launch = Some(node.outcome.label.clone());
            }
        }
        if let Some(label) = ended_launch {
            report(&format!("{label} ended and has on_exit=\"shutdown\": shutting down"));
            break;
        }
        if nodes.iter().all(|n| n.child.is_none() && n.restart_at.is_none()) {
            report("every node has ended");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop_all(&mut nodes, options.grace);
    Ok(RunReport { nodes: nodes.into_iter().map(|n| n.outcome).collect() })
}

fn report(message: &str) {
    eprintln!("[factory_launch] {message}");
}

fn start(node: &mut Supervised, options: &RunOptions) -> Result<(), SuperviseError> {
    let spec = &node.spec;
    let mut command = match spec.launch_prefix.split_first() {
        Some((program, prefix_args)) => {
            let mut c = Command::new(program);
            c.args(prefix_args).arg(&node.path);
            c
        }
        None => Command::new(&node.path),
    };
    let ros_args = spec.ros_args(&options.log_dir.join("params")).map_err(|e| SuperviseError::Spawn {
        label: spec.label(),
        path: options.log_dir.join("params"),
        reason: format!("cannot write the node's params file: {e}"),
    })?;
    command.args(&spec.args).args(ros_args).stdin(Stdio::null()).process_group(0);
    command.envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    // A runner started in the background by a non-interactive shell inherits SIGINT and
    // SIGQUIT ignored, and so would every node: a node that relies on the default
    // action or on a shell `trap` could then not be stopped with SIGINT. Nodes start
    // with the default dispositions, as from a terminal.
    // SAFETY: between fork and exec only async-signal-safe calls are allowed; signal(2)
    // is one, and nothing else is touched.
    unsafe {
        command.pre_exec(|| {
            for signal in [libc::SIGINT, libc::SIGQUIT] {
                if libc::signal(signal, libc::SIG_DFL) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| SuperviseError::Spawn {
        label: spec.label(),
        // A prefix that does not start names the prefix's program, not the node's.
        path: spec.launch_prefix.first().map_or_else(|| node.path.clone(), PathBuf::from),
        reason: e.to_string(),
    })?;
    let label = spec.label();
    let sink = match spec.output {
        Output::Screen => Sink::Screen(label.clone()),
        Output::Log => {
            let file_name = format!("{}.log", label.trim_start_matches('/').replace('/', "__"));
            Sink::File(options.log_dir.join(file_name))
        }
    };
    if let Some(out) = child.stdout.take() {
        forward(out, sink.clone());
    }
    if let Some(err) = child.stderr.take() {
        forward(err, sink);
    }
    report(&format!("started {label} (pid {})", child.id()));
    node.child = Some(child);
    Ok(())
}

#[derive(Clone)]
enum Sink {
    Screen(String),
    File(PathBuf),
}

/// Copies a node's output line by line, so lines of different nodes never interleave.
fn forward(stream: impl std::io::Read + Send + 'static, sink: Sink) {
    std::thread::spawn(move || {
        let mut file = match &sink {
            Sink::File(path) => std::fs::OpenOptions::new().create(true).append(true).open(path).ok(),
            Sink::Screen(_) => None,
        };
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            match (&sink, file.as_mut()) {
                (Sink::Screen(label), _) => println!("[{label}] {line}"),
                (Sink::File(_), Some(f)) => {
                    let _ = writeln!(f, "{line}");
                }
                (Sink::File(_), None) => {}
            }
        }
    });
}

/// Polls one node; returns true when it has just ended.
fn watch(node: &mut Supervised, options: &RunOptions) -> Result<bool, SuperviseError> {
    if let Some(at) = node.restart_at {
        if Instant::now() >= at {
            node.restart_at = None;
            node.outcome.respawns += 1;
            report(&format!("respawning {}", node.outcome.label));
            start(node, options)?;
        }
        return Ok(false);
    }
    let Some(child) = node.child.as_mut() else { return Ok(false) };
    let status = match child.try_wait() {
        Ok(Some(status)) => status,
        Ok(None) => return Ok(false),
        Err(e) => {
            report(&format!("cannot poll {}: {e}", node.outcome.label));
            return Ok(false);
        }
    };
    node.child = None;
    node.outcome.final_code = status.code();
    if node.spec.shutdown_on_exit && status.success() {
        // A node that ends the launch (a simulation of fixed length) finished its job.
        report(&format!("{} finished", node.outcome.label));
        return Ok(true);
    }
    node.outcome.unexpected_exits += 1;
    report(&format!("ERROR: node {} died: {}", node.outcome.label, describe(status)));
    if node.spec.respawn && !node.spec.shutdown_on_exit {
        node.restart_at = Some(Instant::now() + Duration::from_secs_f64(node.spec.respawn_delay_s));
    }
    Ok(true)
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "unknown status".to_string(),
    }
}

fn send(child: &Child, signal: libc::c_int) {
    // pid comes from a child we spawned and have not reaped, so it still names it.
    let pid = child.id() as libc::pid_t;
    unsafe {
        libc::kill(pid, signal);
    }
}

/// SIGINT to every running node, then SIGTERM, then SIGKILL, each after `grace`.
fn stop_all(nodes: &mut [Supervised], grace: Duration) {
    for node in nodes.iter_mut() {
        node.restart_at = None;
    }
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM"), (libc::SIGKILL, "SIGKILL")] {
        let running: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].child.is_some()).collect();
        if running.is_empty() {
            return;
        }
        for &i in &running {
            if let Some(child) = &nodes[i].child {
                if signal == libc::SIGKILL {
                    report(&format!("{} ignored SIGINT and SIGTERM: killing it", nodes[i].outcome.label));
                    nodes[i].outcome.killed = true;
                }
                send(child, signal);
            }
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && nodes.iter().any(|n| n.child.is_some()) {
            for node in nodes.iter_mut() {
                if let Some(child) = node.child.as_mut() {
                    if let Ok(Some(status)) = child.try_wait() {
                        node.outcome.final_code = status.code();
                        report(&format!("{} stopped after {name}: {}", node.outcome.label, describe(status)));
                        node.child = None;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
