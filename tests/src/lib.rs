//! Helpers for tests that start real node processes on a real ROS 2 graph.
//!
//! Each test file is its own test binary, hence its own process: r2r keeps one ROS
//! context per process, and the context reads ROS_DOMAIN_ID once. So every file picks a
//! domain of its own with [`isolate_domain`] before it touches ROS, and hands the same
//! domain to the node processes it starts.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Picks a ROS_DOMAIN_ID for this test process (from its pid, so test binaries running
/// side by side rarely meet) and sets it in this process's environment.
pub fn isolate_domain() -> u32 {
    // Fast DDS on Linux accepts 0..=101 with default ports; keep clear of 0, the default.
    let domain = 1 + std::process::id() % 100;
    std::env::set_var("ROS_DOMAIN_ID", domain.to_string());
    domain
}

/// The directory cargo put the workspace's binaries in (target/debug).
pub fn bin_dir() -> PathBuf {
    // Test binaries live in target/<profile>/deps.
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()
}

/// The repository root (for config/ and tests/python/).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A node process that is interrupted (SIGINT) and reaped when dropped.
pub struct NodeProcess {
    pub name: String,
    child: Child,
    log_path: PathBuf,
}

impl NodeProcess {
    /// Starts workspace binary `bin` with `args`, logging stdout and stderr to a file.
    pub fn start(name: &str, bin: &str, args: &[&str]) -> NodeProcess {
        let path = bin_dir().join(bin);
        assert!(path.exists(), "{} not built: run `cargo build --workspace --bins` first", path.display());
        // Tests of one binary run in parallel: each process gets a log file of its own.
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let log_path =
            std::env::temp_dir().join(format!("factory_test_{}_{n}_{name}.log", std::process::id()));
        let log = std::fs::File::create(&log_path).expect("create node log file");
        let err_log = log.try_clone().expect("clone log handle");
        let child = Command::new(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log)
            .spawn()
            .expect("start node process");
        NodeProcess { name: name.to_string(), child, log_path }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the node has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Sends `signal` (e.g. "INT") and waits up to `timeout` for the process to exit.
    pub fn stop_with(&mut self, signal: &str, timeout: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if self.is_running() && self.stop_with("INT", Duration::from_secs(3)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the rclpy peer `tests/python/<script>` with `args` and asserts that it printed
/// `expected_checks` check lines ("ok ..." or "FAIL ..."), all "ok", and exited 0;
/// `node` is the Rust node under test, whose log goes into the failure message.
pub fn run_rclpy_peer(script: &str, args: &[&str], expected_checks: usize, node: &NodeProcess) {
    let script = repo_root().join("tests/python").join(script);
    // `python3` of the ROS prefix (first on PATH after sourcing .ros/env.sh) has rclpy.
    let out = Command::new("python3").arg(&script).args(args).output().expect("run the rclpy peer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let checks: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ")).collect();
    assert_eq!(
        checks.len(),
        expected_checks,
        "the peer ran every check:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
    assert!(
        out.status.success() && checks.iter().all(|l| l.starts_with("ok ")),
        "rclpy peer failed:\n{stdout}\n{stderr}\nnode log:\n{}",
        node.log()
    );
}

/// Runs a workspace binary to completion (for start-up failures), returning its exit
/// status and everything it printed.
pub fn run_to_exit(bin: &str, args: &[&str], timeout: Duration) -> (Option<i32>, String) {
    // The log is named after the file, so `examples/x` works too.
    let name = Path::new(bin).file_name().and_then(|n| n.to_str()).unwrap_or("process");
    let mut node = NodeProcess::start(name, bin, args);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = status.and_then(|s| s.code());
    (code, node.log())
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
pub async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// The test's own r2r node, on the domain chosen by [`isolate_domain`].
pub fn observer_node(name: &str) -> factory_node::r2r::Node {
    let ctx = factory_node::r2r::Context::create().expect("ROS context");
    factory_node::r2r::Node::create(ctx, name, "").expect("observer node")
}

/// Spins an r2r node on its own thread until dropped, so the test's async code can
/// await its subscriptions and service calls.
pub struct Spinner {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    /// Create every subscription, publisher and client before this: the node moves here.
    pub fn start(mut node: factory_node::r2r::Node) -> Spinner {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                node.spin_once(Duration::from_millis(5));
            }
        });
        Spinner { stop, thread: Some(thread) }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Keeps the latest message of a stream (spawned on the test's tokio runtime).
pub fn latest<T: Send + 'static>(
    stream: impl futures::Stream<Item = T> + Unpin + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<Option<T>>> {
    use futures::StreamExt;
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let writer = slot.clone();
    tokio::spawn(async move {
        let mut stream = stream;
        while let Some(msg) = stream.next().await {
            *writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(msg);
        }
    });
    slot
}

/// Keeps every message of a stream that passes `keep`.
pub fn collect<T: Send + 'static>(
    stream: impl futures::Stream<Item = T> + Unpin + Send + 'static,
    keep: impl Fn(&T) -> bool + Send + 'static,
) -> std::sync::Arc<std::sync::Mutex<Vec<T>>> {
    use futures::StreamExt;
    let all = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = all.clone();
    tokio::spawn(async move {
        let mut stream = stream;
        while let Some(msg) = stream.next().await {
            if keep(&msg) {
                writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(msg);
            }
        }
    });
    all
}
