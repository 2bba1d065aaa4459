//! The r2r adapter every factory node runs in: one call, [`run_node`], does the rest.
//!
//! It loads and validates the node's parameters before touching ROS (a bad value exits
//! with code 2 and one clear line, no panic), creates the node, lets the node's `setup`
//! create its publishers, subscriptions, services and clients, then moves the r2r node
//! into a dedicated spin thread. Node tasks own plain handles (publishers, streams,
//! clients, the clock), so no `Arc<Mutex<Node>>` is passed around. Around the node it
//! serves the lifecycle_msgs services, follows /clock when `use_sim_time` is set,
//! publishes /diagnostics, and shuts down cleanly on SIGINT or SIGTERM.

use crate::clock::{Clock, DrivenTime, Stamp};
use crate::diagnostics::{Diagnostics, Level, Status};
use crate::lifecycle::{HookOutcome, Lifecycle, State, Transition};
use crate::param_services::ParamServices;
use crate::param_table::ParamTable;
use crate::params::{load_params, CommonParams, ParamError, RosArgs, Validate};
use futures::{FutureExt, Stream, StreamExt};
use r2r::{QosProfile, WrappedActionTypeSupport, WrappedServiceTypeSupport, WrappedTypesupport};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Exit code of a node whose parameters or arguments are invalid.
pub const EXIT_BAD_PARAMETERS: u8 = 2;
/// Exit code of a node that failed while running.
pub const EXIT_FAILURE: u8 = 1;

/// How long the node's main task may take to wind down after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// How long a stopped node waits for blocking jobs (e.g. a motion plan) before it exits.
const BLOCKING_WORK_GRACE: Duration = Duration::from_millis(500);
/// How long the middleware teardown may take once the node has stopped (the lifecycle
/// shutdown transition gets 1 s of it). With SHUTDOWN_GRACE before it, well inside the
/// launch runner's 10 s from SIGINT to SIGKILL.
const TEARDOWN_LIMIT: Duration = Duration::from_millis(2500);
/// How long one spin of the r2r node may block: the latency of shutdown and of jobs
/// sent to the node (NodeHandle) while no message arrives. A message ends the spin at
/// once. At 10 ms an idle node (a robot waiting for work) used 1.3 % of a core just
/// spinning; at 100 ms, 0.3 %.
const SPIN_TIMEOUT: Duration = Duration::from_millis(100);

/// Something that stops a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("ROS error: {0}")]
    Ros(#[from] r2r::Error),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error("{0}")]
    Failed(String),
}

impl NodeError {
    pub fn failed(reason: impl Into<String>) -> NodeError {
        NodeError::Failed(reason.into())
    }
}

/// A transition callback: the node's say in configure/activate/deactivate/cleanup/shutdown.
pub type TransitionHook = Box<dyn FnMut(Transition, State) -> HookOutcome + Send>;

/// Set once when the node is asked to stop; every task can wait on it.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when shutdown has been requested.
    pub async fn requested(&self) {
        let mut receiver = self.0.clone();
        // An error means the sender is gone, which only happens as the process ends.
        let _ = receiver.wait_for(|stop| *stop).await;
    }
}

/// A lifecycle publisher, as rclcpp_lifecycle's: messages go out only while the node
/// is active, so an inactive node is silent without every call site checking.
pub struct Publisher<T: WrappedTypesupport> {
    inner: r2r::Publisher<T>,
    lifecycle: watch::Receiver<State>,
}

impl<T: WrappedTypesupport + 'static> Publisher<T> {
    /// Publishes `msg` if the node is active; returns whether it was sent.
    pub fn publish(&self, msg: &T) -> Result<bool, NodeError> {
        if *self.lifecycle.borrow() != State::Active {
            return Ok(false);
        }
        self.inner.publish(msg)?;
        Ok(true)
    }

    /// Whether another process subscribes: a publisher of costly, optional output (a
    /// map for visualisers) can skip making it. True when the count is not available.
    pub fn has_subscribers(&self) -> bool {
        self.inner.get_inter_process_subscription_count().map_or(true, |n| n > 0)
    }
}

/// Work for the spin thread: something to do with the r2r node between two spins.
type NodeJob = Box<dyn FnOnce(&mut r2r::Node) + Send>;

/// Reaches the r2r node after it has moved to its spin thread, e.g. to create an action
/// client for a robot that appeared at run time. Cheap to clone.
#[derive(Clone)]
pub struct NodeHandle {
    jobs: std::sync::mpsc::Sender<NodeJob>,
}

impl NodeHandle {
    /// Runs `f` on the node in the spin thread, between two spins, and returns its result.
    pub async fn with_node<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut r2r::Node) -> R + Send + 'static,
    ) -> Result<R, NodeError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: NodeJob = Box::new(move |node| {
            let _ = tx.send(f(node));
        });
        self.jobs.send(job).map_err(|_| NodeError::failed("the node has stopped"))?;
        rx.await.map_err(|_| NodeError::failed("the node has stopped"))
    }
}

/// What a node's `setup` gets: the r2r node to create endpoints on, and the shared
/// services of the support crate.
pub struct NodeContext {
    node: r2r::Node,
    logger: String,
    clock: Clock,
    diagnostics: Diagnostics,
    shutdown: Shutdown,
    lifecycle: watch::Receiver<State>,
    transition_hook: Option<TransitionHook>,
    jobs: (std::sync::mpsc::Sender<NodeJob>, std::sync::mpsc::Receiver<NodeJob>),
    /// What the parameter services serve.
    param_table: ParamTable,
}

impl NodeContext {
    /// A handle to the node for the running node's tasks (see [`NodeHandle`]).
    pub fn handle(&self) -> NodeHandle {
        NodeHandle { jobs: self.jobs.0.clone() }
    }

    /// Lifecycle publisher on a topic name relative to the node's namespace (remappable).
    pub fn publisher<T: WrappedTypesupport>(&mut self, topic: &str) -> Result<Publisher<T>, NodeError> {
        self.publisher_with_qos(topic, QosProfile::default())
    }

    pub fn publisher_with_qos<T: WrappedTypesupport>(
        &mut self,
        topic: &str,
        qos: QosProfile,
    ) -> Result<Publisher<T>, NodeError> {
        Ok(Publisher {
            inner: self.node.create_publisher::<T>(topic, qos)?,
            lifecycle: self.lifecycle.clone(),
        })
    }

    /// Subscription stream (reliable, depth 10).
    pub fn subscribe<T: WrappedTypesupport + Send + 'static>(
        &mut self,
        topic: &str,
    ) -> Result<impl Stream<Item = T> + Unpin + Send, NodeError> {
        Ok(self.node.subscribe::<T>(topic, QosProfile::default())?)
    }

    pub fn subscribe_with_qos<T: WrappedTypesupport + Send + 'static>(
        &mut self,
        topic: &str,
        qos: QosProfile,
    ) -> Result<impl Stream<Item = T> + Unpin + Send, NodeError> {
        Ok(self.node.subscribe::<T>(topic, qos)?)
    }

    /// Stream of requests to a service this node serves.
    pub fn service<T: WrappedServiceTypeSupport + 'static>(
        &mut self,
        name: &str,
    ) -> Result<impl Stream<Item = r2r::ServiceRequest<T>> + Unpin + Send, NodeError> {
        Ok(self.node.create_service::<T>(name, QosProfile::services_default())?)
    }

    /// Client of another node's service. Wait with [`wait_for_service`] before calling.
    pub fn client<T: WrappedServiceTypeSupport + 'static>(
        &mut self,
        name: &str,
    ) -> Result<r2r::Client<T>, NodeError> {
        Ok(self.node.create_client::<T>(name, QosProfile::services_default())?)
    }

    pub fn action_server<T: WrappedActionTypeSupport + 'static>(
        &mut self,
        name: &str,
    ) -> Result<impl Stream<Item = r2r::ActionServerGoalRequest<T>> + Unpin + Send, NodeError> {
        Ok(self.node.create_action_server::<T>(name)?)
    }

    pub fn action_client<T: WrappedActionTypeSupport + 'static>(
        &mut self,
        name: &str,
    ) -> Result<r2r::ActionClient<T>, NodeError> {
        Ok(self.node.create_action_client::<T>(name)?)
    }

    /// The r2r node itself, for what the helpers above do not cover.
    pub fn node_mut(&mut self) -> &mut r2r::Node {
        &mut self.node
    }

    /// Logger name for r2r's `log_info!` and friends (shows in rosout).
    pub fn logger(&self) -> &str {
        &self.logger
    }

    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn diagnostics(&self) -> Diagnostics {
        self.diagnostics.clone()
    }

    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The node's lifecycle state; changes as lifecycle_msgs/ChangeState is called.
    pub fn lifecycle(&self) -> watch::Receiver<State> {
        self.lifecycle.clone()
    }

    /// Lets the node accept or decline lifecycle transitions (default: accept all).
    pub fn on_transition(&mut self, hook: TransitionHook) {
        self.transition_hook = Some(hook);
    }
}

/// Waits until `client`'s server is up; the spin thread must be running, so call this
/// from the node's main task, not from `setup`.
pub async fn wait_for_service<T: WrappedServiceTypeSupport + 'static>(
    client: &r2r::Client<T>,
) -> Result<(), NodeError> {
    Ok(r2r::Node::is_available(client)?.await?)
}

/// Resolves when the lifecycle reaches `Active` (at once if it is already).
pub async fn wait_until_active(lifecycle: &mut watch::Receiver<State>) {
    let _ = lifecycle.wait_for(|s| *s == State::Active).await;
}

/// A string constant of a generated message (r2r gives them as NUL-terminated bytes),
/// e.g. `msg_const(TaskStep::CHARGE)` is "charge".
pub fn msg_const(bytes: &'static [u8]) -> &'static str {
    std::str::from_utf8(bytes.strip_suffix(&[0]).unwrap_or(bytes)).unwrap_or_default()
}

/// builtin_interfaces/Time of a stamp.
pub fn to_time_msg(stamp: Stamp) -> r2r::builtin_interfaces::msg::Time {
    let (sec, nanosec) = stamp.sec_nanosec();
    r2r::builtin_interfaces::msg::Time { sec, nanosec }
}

pub fn from_time_msg(time: &r2r::builtin_interfaces::msg::Time) -> Stamp {
    Stamp::from_sec_nanosec(time.sec, time.nanosec)
}

/// A std_msgs/Header stamped now on `clock`.
pub fn header(clock: &Clock, frame_id: &str) -> r2r::std_msgs::msg::Header {
    r2r::std_msgs::msg::Header { stamp: to_time_msg(clock.now()), frame_id: frame_id.to_string() }
}

/// Where `config/<node>.yaml` is looked for when no `--params-file` is given:
/// `$FACTORY_CONFIG_DIR`, else `$FACTORY_ROOT/config`, else `./config`.
fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FACTORY_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(root) = std::env::var_os("FACTORY_ROOT") {
        return PathBuf::from(root).join("config");
    }
    PathBuf::from("config")
}

/// Runs a node named `default_name` (remappable with `-r __node:=...`) whose
/// parameters are `P`. `setup` creates the node's endpoints and returns its main task,
/// which runs until it returns or the process is asked to stop.
pub fn run_node<P, F, Fut>(default_name: &str, setup: F) -> ExitCode
where
    P: DeserializeOwned + Serialize + Validate,
    F: FnOnce(&mut NodeContext, P) -> Result<Fut, NodeError>,
    Fut: Future<Output = Result<(), NodeError>> + Send + 'static,
{
    let args: Vec<String> = std::env::args().collect();
    let ros_args = match RosArgs::parse(&args) {
        Ok(a) => a,
        Err(e) => return startup_failure(default_name, &e.to_string()),
    };
    let name = ros_args.node_name.clone().unwrap_or_else(|| default_name.to_string());
    let namespace = ros_args.namespace.clone().unwrap_or_default();
    let fallback = config_dir().join(format!("{default_name}.yaml"));
    let params = match load_params::<P>(&name, &namespace, &ros_args, Some(&fallback)) {
        Ok(p) => p,
        Err(e) => return startup_failure(&name, &format!("invalid parameters: {e}")),
    };
    // What the parameter services show: the values the node runs with, defaults included.
    let table = match serde_yaml::to_value(&params.node) {
        Ok(values) => ParamTable::new(&values, &params.common),
        Err(e) => return startup_failure(&name, &format!("cannot list the parameters: {e}")),
    };
    // One worker: a node's tasks are message handlers that wait far more than they
    // compute (heavy work goes to spawn_blocking), and with a second worker a message
    // often woke a thread on the other core too. With the clock set by the spin thread
    // (below), the factory of 24 nodes on 2 cores ran 600 simulated s in 27 s, not 31.
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return startup_failure(&name, &format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(run_async(&name, params.common, table, params.node, setup));
    // Dropping a runtime waits for every spawn_blocking job without limit: a motion plan
    // in progress (seconds of wall-clock budget) would hold the process past the launch
    // runner's SIGINT grace. The node has stopped; unfinished blocking work is abandoned.
    runtime.shutdown_timeout(BLOCKING_WORK_GRACE);
    code
}

fn startup_failure(name: &str, reason: &str) -> ExitCode {
    // The ROS logger does not exist yet; this is the one line the operator needs.
    eprintln!("[FATAL] [{name}]: {reason}");
    ExitCode::from(EXIT_BAD_PARAMETERS)
}

/// r2r panics when rcl_init rejects the command line; turn that into an error.
fn create_context() -> Result<r2r::Context, String> {
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(r2r::Context::create);
    std::panic::set_hook(previous_hook);
    match result {
        Ok(Ok(ctx)) => Ok(ctx),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "rcl_init failed".to_string())),
    }
}

async fn run_async<P, F, Fut>(
    name: &str,
    common: CommonParams,
    table: ParamTable,
    params: P,
    setup: F,
) -> ExitCode
where
    F: FnOnce(&mut NodeContext, P) -> Result<Fut, NodeError>,
    Fut: Future<Output = Result<(), NodeError>> + Send + 'static,
{
    let ctx = match create_context() {
        Ok(ctx) => ctx,
        Err(e) => return startup_failure(name, &format!("ROS 2 rejected the command line: {e}")),
    };
    let node = match r2r::Node::create(ctx, name, "") {
        Ok(n) => n,
        Err(e) => return startup_failure(name, &format!("cannot create the node: {e}")),
    };
    let logger = node.logger().to_string();

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (lifecycle_tx, lifecycle_rx) = watch::channel(State::Unconfigured);
    let (sim_time, clock) = if common.use_sim_time {
        let (time, clock) = DrivenTime::new();
        (Some(time), clock)
    } else {
        (None, Clock::System)
    };
    let context = NodeContext {
        node,
        logger: logger.clone(),
        clock,
        diagnostics: Diagnostics::default(),
        shutdown: Shutdown(shutdown_rx),
        lifecycle: lifecycle_rx,
        transition_hook: None,
        jobs: std::sync::mpsc::channel(),
        param_table: table,
    };

    match wire_and_run(context, common, sim_time, lifecycle_tx, &shutdown_tx, params, setup).await {
        Ok(code) => code,
        // A setup that finds a bad parameter (e.g. an invalid file it names) is a start-up failure.
        Err(NodeError::Params(e)) => startup_failure(name, &format!("invalid parameters: {e}")),
        Err(e) => {
            r2r::log_error!(&logger, "{e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn wire_and_run<P, F, Fut>(
    mut context: NodeContext,
    common: CommonParams,
    sim_time: Option<DrivenTime>,
    lifecycle_tx: watch::Sender<State>,
    shutdown_tx: &watch::Sender<bool>,
    params: P,
    setup: F,
) -> Result<ExitCode, NodeError>
where
    F: FnOnce(&mut NodeContext, P) -> Result<Fut, NodeError>,
    Fut: Future<Output = Result<(), NodeError>> + Send + 'static,
{
    let main_task = setup(&mut context, params)?;
    let NodeContext {
        mut node,
        logger,
        clock,
        diagnostics,
        shutdown,
        lifecycle: lifecycle_rx,
        transition_hook: mut hook,
        jobs: (_, jobs),
        param_table,
    } = context;

    // Infrastructure endpoints, created before the node moves to its spin thread.
    let lifecycle_endpoints = LifecycleEndpoints::create(&mut node)?;
    let param_services = ParamServices::create(&mut node)?;
    let node_fqn = node.fully_qualified_name()?;
    let diagnostics_pub = node.create_publisher::<r2r::diagnostic_msgs::msg::DiagnosticArray>(
        "/diagnostics",
        QosProfile::default(),
    )?;
    // With use_sim_time the spin thread sets the time as soon as it takes a /clock
    // message, not an async task: the node's async worker may be held by a long handler
    // (a map fusion, a plan), and time must not wait for it (the mapper then dropped
    // scans as stamped in the future).
    let mut clock_feed = match sim_time {
        // Best effort matches both best-effort and reliable /clock publishers.
        Some(time) => Some((
            node.subscribe::<r2r::rosgraph_msgs::msg::Clock>("/clock", QosProfile::sensor_data())?,
            time,
        )),
        None => None,
    };

    let mut lifecycle = Lifecycle::default();
    if common.autostart {
        for t in [Transition::Configure, Transition::Activate] {
            if let Err(e) = lifecycle.apply(t, |t, from| call_hook(&mut hook, t, from)) {
                return Err(NodeError::failed(format!("autostart: {e}")));
            }
        }
    }
    lifecycle_tx.send_replace(lifecycle.state());

    // From here on the node belongs to the spin thread.
    let stop_spinning = Arc::new(AtomicBool::new(false));
    let spin_thread = {
        let stop = stop_spinning.clone();
        std::thread::Builder::new()
            .name("ros-spin".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    while let Ok(job) = jobs.try_recv() {
                        job(&mut node);
                    }
                    node.spin_once(SPIN_TIMEOUT);
                    if let Some((clock_stream, time)) = clock_feed.as_mut() {
                        while let Some(Some(msg)) = clock_stream.next().now_or_never() {
                            time.set(from_time_msg(&msg.clock));
                        }
                    }
                }
                drop(node);
            })
            .map_err(|e| NodeError::failed(format!("cannot start the spin thread: {e}")))?
    };

    let lifecycle_task = tokio::spawn(serve_lifecycle(
        lifecycle_endpoints,
        lifecycle,
        hook,
        lifecycle_tx,
        clock.clone(),
        shutdown.clone(),
        logger.clone(),
    ));
    let param_task = tokio::spawn(crate::param_services::serve(
        param_services,
        param_table,
        node_fqn,
        to_time_msg(clock.now()),
        shutdown.clone(),
        logger.clone(),
    ));
    let shutdown_watch = shutdown;
    let diagnostics_task = tokio::spawn(publish_diagnostics(
        diagnostics_pub,
        diagnostics,
        lifecycle_rx,
        clock,
        Duration::from_secs_f64(common.diagnostics_period_s),
        logger.clone(),
    ));

    // At shutdown the main task is dropped at its next await point, like any cancelled
    // future; clean-up belongs in Drop impls or the lifecycle shutdown hook.
    let main_shutdown = shutdown_watch.clone();
    let mut main_handle = tokio::spawn(async move {
        tokio::select! {
            result = main_task => result,
            _ = main_shutdown.requested() => Ok(()),
        }
    });
    let status: u8 = tokio::select! {
        signal = wait_for_signal() => {
            r2r::log_info!(&logger, "{signal} received: shutting down");
            shutdown_tx.send_replace(true);
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut main_handle).await {
                Ok(Ok(Err(e))) => { r2r::log_error!(&logger, "while stopping: {e}"); EXIT_FAILURE }
                Ok(_) => 0,
                Err(_) => {
                    // Only a task that blocks without awaiting gets here.
                    r2r::log_warn!(&logger, "main task did not stop within {SHUTDOWN_GRACE:?}; aborting it");
                    main_handle.abort();
                    0
                }
            }
        }
        finished = &mut main_handle => {
            shutdown_tx.send_replace(true);
            match finished {
                Ok(Ok(())) => 0,
                Ok(Err(e)) => { r2r::log_error!(&logger, "{e}"); EXIT_FAILURE }
                Err(e) => { r2r::log_error!(&logger, "main task ended abnormally: {e}"); EXIT_FAILURE }
            }
        }
    };
    exit_if_teardown_hangs(status, &logger);
    let exit = ExitCode::from(status);
    // Let the lifecycle run its shutdown transition, then stop spinning.
    let _ = tokio::time::timeout(Duration::from_secs(1), lifecycle_task).await;
    diagnostics_task.abort();
    param_task.abort();
    stop_spinning.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || spin_thread.join()).await;
    Ok(exit)
}

/// The node has stopped; what is left is tearing down the middleware (the lifecycle's
/// shutdown transition, the r2r node, the rcl context, the DDS participant). A hang
/// there (seen once: an executor of the nine-robot main job logged `finalized` and was
/// still alive ten seconds later, killed by the launch runner) must not outlive the
/// runner's patience: after `TEARDOWN_LIMIT` the process ends with `status` anyway.
fn exit_if_teardown_hangs(status: u8, logger: &str) {
    let name = logger.to_string();
    let watchdog = std::thread::Builder::new().name("teardown-watchdog".into()).spawn(move || {
        std::thread::sleep(TEARDOWN_LIMIT);
        eprintln!("[WARN] [{name}]: middleware teardown took over {TEARDOWN_LIMIT:?}: exiting without it");
        // SAFETY: _exit ends the process at once; no Rust state is touched after it.
        // Not std::process::exit: it runs atexit handlers and C++ static destructors
        // (the DDS library's), which may be what hangs.
        unsafe { libc::_exit(i32::from(status)) }
    });
    if let Err(e) = watchdog {
        eprintln!("[WARN] [{logger}]: no teardown watchdog: {e}");
    }
}

fn call_hook(hook: &mut Option<TransitionHook>, t: Transition, from: State) -> HookOutcome {
    match hook {
        Some(h) => h(t, from),
        None => HookOutcome::Success,
    }
}

async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        // Without signal handlers the process still stops on SIGINT, just not cleanly.
        std::future::pending::<()>().await;
        return "";
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

async fn publish_diagnostics(
    publisher: r2r::Publisher<r2r::diagnostic_msgs::msg::DiagnosticArray>,
    diagnostics: Diagnostics,
    lifecycle: watch::Receiver<State>,
    clock: Clock,
    period: Duration,
    logger: String,
) {
    use r2r::diagnostic_msgs::msg::{DiagnosticArray, DiagnosticStatus, KeyValue};
    // Wall-clock period: diagnostics load stays bounded however fast sim time runs.
    let mut interval = tokio::time::interval(period);
    let node_name = logger.rsplit('.').next().unwrap_or(&logger).to_string();
    loop {
        interval.tick().await;
        let state = *lifecycle.borrow();
        let lifecycle_level = if state == State::Active { Level::Ok } else { Level::Warn };
        let mut statuses =
            vec![Status { name: "lifecycle".into(), ..Status::new(lifecycle_level, state.label()) }];
        statuses.extend(diagnostics.snapshot());
        let msg = DiagnosticArray {
            header: header(&clock, ""),
            status: statuses
                .into_iter()
                .map(|s| DiagnosticStatus {
                    level: s.level.as_byte(),
                    name: format!("{node_name}: {}", s.name),
                    message: s.message,
                    hardware_id: node_name.clone(),
                    values: s.values.into_iter().map(|(key, value)| KeyValue { key, value }).collect(),
                })
                .collect(),
        };
        if let Err(e) = publisher.publish(&msg) {
            r2r::log_warn!(&logger, "cannot publish diagnostics: {e}");
        }
    }
}

/// The standard lifecycle_msgs interface of a managed node, under the node's name.
struct LifecycleEndpoints {
    change_state: Box<
        dyn Stream<Item = r2r::ServiceRequest<r2r::lifecycle_msgs::srv::ChangeState::Service>> + Unpin + Send,
    >,
    get_state: Box<
        dyn Stream<Item = r2r::ServiceRequest<r2r::lifecycle_msgs::srv::GetState::Service>> + Unpin + Send,
    >,
    get_available_states: Box<
        dyn Stream<Item = r2r::ServiceRequest<r2r::lifecycle_msgs::srv::GetAvailableStates::Service>>
            + Unpin
            + Send,
    >,
    get_available_transitions: Box<
        dyn Stream<Item = r2r::ServiceRequest<r2r::lifecycle_msgs::srv::GetAvailableTransitions::Service>>
            + Unpin
            + Send,
    >,
    transition_event: r2r::Publisher<r2r::lifecycle_msgs::msg::TransitionEvent>,
}

impl LifecycleEndpoints {
    fn create(node: &mut r2r::Node) -> Result<LifecycleEndpoints, NodeError> {
        use r2r::lifecycle_msgs::{msg, srv};
        let qos = QosProfile::services_default;
        Ok(LifecycleEndpoints {
            change_state: Box::new(
                node.create_service::<srv::ChangeState::Service>("~/change_state", qos())?,
            ),
            get_state: Box::new(node.create_service::<srv::GetState::Service>("~/get_state", qos())?),
            get_available_states: Box::new(
                node.create_service::<srv::GetAvailableStates::Service>("~/get_available_states", qos())?,
            ),
            get_available_transitions: Box::new(
                node.create_service::<srv::GetAvailableTransitions::Service>(
                    "~/get_available_transitions",
                    qos(),
                )?,
            ),
            transition_event: node
                .create_publisher::<msg::TransitionEvent>("~/transition_event", QosProfile::default())?,
        })
    }
}

fn state_msg(state: State) -> r2r::lifecycle_msgs::msg::State {
    r2r::lifecycle_msgs::msg::State { id: state.id(), label: state.label().to_string() }
}

fn transition_msg(t: Transition, from: State) -> r2r::lifecycle_msgs::msg::Transition {
    r2r::lifecycle_msgs::msg::Transition { id: t.id_from(from), label: t.label().to_string() }
}

async fn serve_lifecycle(
    endpoints: LifecycleEndpoints,
    mut lifecycle: Lifecycle,
    mut hook: Option<TransitionHook>,
    state_tx: watch::Sender<State>,
    clock: Clock,
    shutdown: Shutdown,
    logger: String,
) {
    use r2r::lifecycle_msgs::{msg, srv};
    let transition_event = endpoints.transition_event;
    let logger_for_requests = logger.clone();
    let mut run = move |lifecycle: &mut Lifecycle, transition: Transition| -> bool {
        let from = lifecycle.state();
        let result = lifecycle.apply(transition, |t, from| call_hook(&mut hook, t, from));
        let goal = lifecycle.state();
        state_tx.send_replace(goal);
        let event = msg::TransitionEvent {
            timestamp: clock.now().0.as_nanos().min(u64::MAX as u128) as u64,
            transition: transition_msg(transition, from),
            start_state: state_msg(from),
            goal_state: state_msg(goal),
        };
        if let Err(e) = transition_event.publish(&event) {
            r2r::log_warn!(&logger, "cannot publish transition event: {e}");
        }
        match result {
            Ok(state) => {
                r2r::log_info!(&logger, "lifecycle: {transition} -> {state}");
                true
            }
            Err(e) => {
                r2r::log_warn!(&logger, "lifecycle: {e}");
                false
            }
        }
    };
    let logger = logger_for_requests;
    let LifecycleEndpoints {
        mut change_state,
        mut get_state,
        mut get_available_states,
        mut get_available_transitions,
        ..
    } = endpoints;
    loop {
        tokio::select! {
            _ = shutdown.requested() => {
                if lifecycle.available_transitions().contains(&Transition::Shutdown) {
                    run(&mut lifecycle, Transition::Shutdown);
                }
                return;
            }
            Some(req) = change_state.next() => {
                let t = &req.message.transition;
                let success = match Transition::from_request(t.id, &t.label) {
                    Some(transition) => run(&mut lifecycle, transition),
                    None => {
                        r2r::log_warn!(&logger, "lifecycle: unknown transition id {} label '{}'", t.id, t.label);
                        false
                    }
                };
                respond(req, srv::ChangeState::Response { success }, &logger);
            }
            Some(req) = get_state.next() => {
                let current_state = state_msg(lifecycle.state());
                respond(req, srv::GetState::Response { current_state }, &logger);
            }
            Some(req) = get_available_states.next() => {
                let available_states = State::ALL.iter().map(|s| state_msg(*s)).collect();
                respond(req, srv::GetAvailableStates::Response { available_states }, &logger);
            }
            Some(req) = get_available_transitions.next() => {
                let from = lifecycle.state();
                let available_transitions = lifecycle
                    .available_transitions()
                    .into_iter()
                    .filter_map(|t| {
                        Some(msg::TransitionDescription {
                            transition: transition_msg(t, from),
                            start_state: state_msg(from),
                            goal_state: state_msg(t.goal_from(from)?),
                        })
                    })
                    .collect();
                respond(req, srv::GetAvailableTransitions::Response { available_transitions }, &logger);
            }
        }
    }
}

/// Sends a service response; a client that went away is logged, not fatal.
pub fn respond<T: WrappedServiceTypeSupport + 'static>(
    req: r2r::ServiceRequest<T>,
    response: T::Response,
    logger: &str,
) {
    if let Err(e) = req.respond(response) {
        r2r::log_warn!(logger, "cannot send service response: {e}");
    }
}
