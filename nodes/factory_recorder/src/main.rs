//! factory_recorder: records the run's topics to MCAP and writes the KPI report.
//!
//!   factory_recorder --ros-args -p use_sim_time:=true -p output_dir:=out/main_job
//!
//! For each name in `topics` it waits until the topic appears on the graph (checked
//! every `discovery_period_s`), learns its type, and subscribes to the raw CDR bytes,
//! which go unchanged into `<output_dir>/recording.mcap` (schemas from the ament share
//! directories). The KPI topics among them are also decoded and fed to the report's
//! accumulator. The report (`report.md` + SVG plots) is rewritten every
//! `report_period_s` of ROS time and once more at shutdown, when the MCAP file is
//! finished. The KPI logic lives in the library; this file is wiring. Topics and
//! parameters: README.md.
mod ros_convert;

use factory_node::clock::Clock;
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::params::{check_not_empty, check_range, factory_path, ParamError, Validate};
use factory_node::r2r::qos::ReliabilityPolicy;
use factory_node::r2r::{log_error, log_info, log_warn, QosProfile};
use factory_node::{run_node, NodeContext, NodeError, NodeHandle};
use factory_recorder::accumulator::AccumulatorConfig;
use factory_recorder::{KpiAccumulator, KpiSummary, McapRecorder, MessageDefinitions, Report};
use futures::stream::{BoxStream, SelectAll};
use futures::StreamExt;
use ros_convert::Kind;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs::File;
use std::future::Future;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const RECORDING_FILE: &str = "recording.mcap";
/// Log the first message of a topic that fails to decode or record, then every this many.
const ERROR_LOG_EVERY: u64 = 100;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    output_dir: String,      // recording and report go here; relative to $FACTORY_ROOT
    topics: Vec<String>,     // absolute topic names to record
    factory_file: String, // the twin's layout: station line order and off-peak price ("" = unknown); relative to $FACTORY_ROOT
    record: bool,         // write recording.mcap (false: report only)
    report_period_s: f64, // rewrite the report this often, s of ROS time
    sample_period_s: f64, // time step of the plotted series, s of ROS time
    discovery_period_s: f64, // look for topics not yet seen this often, s (wall clock)
    queue_depth: i64,     // subscription history depth, messages
    robot_max_gap_s: f64, // a robot's state holds at most this long after a heartbeat, s
}

impl Default for Params {
    fn default() -> Self {
        Params {
            output_dir: "out/main_job".into(),
            topics: [
                "/station_states",
                "/energy_state",
                "/factory_kpis",
                "/robot_status",
                "/work_orders",
                "/maintenance_events",
                "/inspection_results",
                "/ground_truth/inspection",
                "/assignments",
                "/machine_health",
                "/diagnostics",
                "/clock",
            ]
            .map(String::from)
            .to_vec(),
            factory_file: "config/factory.yaml".into(),
            record: true,
            report_period_s: 600.0,
            sample_period_s: 60.0,
            discovery_period_s: 0.2,
            queue_depth: 1000,
            robot_max_gap_s: 5.0,
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("output_dir", &self.output_dir)?;
        if self.topics.is_empty() {
            return Err(invalid("topics", "[]", "must name at least one topic"));
        }
        let mut seen = BTreeSet::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let key = format!("topics[{i}]");
            if !topic.starts_with('/') || topic.len() < 2 || topic.contains(char::is_whitespace) {
                return Err(invalid(&key, topic, "must be an absolute topic name such as /station_states"));
            }
            if !seen.insert(topic) {
                return Err(invalid(&key, topic, "is listed twice"));
            }
        }
        check_range("report_period_s", self.report_period_s, 1.0, 86_400.0, "s")?;
        check_range("sample_period_s", self.sample_period_s, 0.1, 86_400.0, "s")?;
        check_range("discovery_period_s", self.discovery_period_s, 0.05, 60.0, "s")?;
        check_range("queue_depth", self.queue_depth, 1, 100_000, "messages")?;
        check_range("robot_max_gap_s", self.robot_max_gap_s, 0.01, 3600.0, "s")
    }
}

fn invalid(key: &str, value: &str, allowed: &str) -> ParamError {
    ParamError::Invalid { key: key.into(), value: value.into(), allowed: allowed.into() }
}

/// What the report needs from the twin's layout.
#[derive(Debug, Clone, PartialEq, Default)]
struct LayoutFacts {
    /// Station ids in line order (`stations: [{id: ...}, ...]`).
    line_order: Vec<String>,
    /// `energy.tariff.offpeak_price_per_kwh` (its default when the layout gives none);
    /// `None` without a layout.
    offpeak_price_per_kwh: Option<f64>,
}

/// Reads the layout with factory_layout (the loader the twin uses: same defaults, same
/// checks) and keeps the line order and the off-peak price.
fn layout_facts(file: &Path) -> Result<LayoutFacts, String> {
    let layout = factory_layout::FactoryConfig::load(file).map_err(|e| e.to_string())?;
    Ok(LayoutFacts {
        line_order: layout.line_order().into_iter().map(String::from).collect(),
        offpeak_price_per_kwh: Some(layout.energy.tariff.offpeak_price_per_kwh),
    })
}

fn main() -> std::process::ExitCode {
    run_node("factory_recorder", setup)
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let output_dir = factory_path(&p.output_dir);
    std::fs::create_dir_all(&output_dir).map_err(|e| {
        NodeError::Params(invalid(
            "output_dir",
            &output_dir.display().to_string(),
            &format!("must be a writable directory: {e}"),
        ))
    })?;
    let layout = if p.factory_file.trim().is_empty() {
        LayoutFacts::default()
    } else {
        let file = factory_path(&p.factory_file);
        layout_facts(&file).map_err(|reason| {
            NodeError::Params(invalid(
                "factory_file",
                &file.display().to_string(),
                &format!("must be a factory layout with a station list: {reason}"),
            ))
        })?
    };
    let mcap_path = output_dir.join(RECORDING_FILE);
    let mcap = if p.record {
        Some(McapRecorder::create(&mcap_path).map_err(|e| {
            NodeError::Params(invalid("output_dir", &output_dir.display().to_string(), &e.to_string()))
        })?)
    } else {
        None
    };
    let logger = ctx.logger().to_string();
    log_info!(
        &logger,
        "recording {} topics to {}; report in {}",
        p.topics.len(),
        if p.record { mcap_path.display().to_string() } else { "(recording off)".into() },
        output_dir.display()
    );
    let config = AccumulatorConfig {
        line_order: layout.line_order,
        robot_max_gap_s: p.robot_max_gap_s,
        stored_energy_price_per_kwh: layout.offpeak_price_per_kwh,
    };
    let mut recorder = Recorder {
        acc: KpiAccumulator::new(config),
        mcap,
        mcap_path,
        output_dir,
        definitions: MessageDefinitions::from_env(),
        topics: p.topics.iter().map(|name| TopicState::new(name)).collect(),
        logger,
        clock: ctx.clock(),
        diagnostics: ctx.diagnostics(),
        report_lock: Arc::new(Mutex::new(())),
        finished: false,
    };
    recorder.report_diagnostics();
    let handle = ctx.handle();
    let clock = ctx.clock();
    let depth = usize::try_from(p.queue_depth).unwrap_or(1);
    let mut report_ticker = clock.ticker(Duration::from_secs_f64(p.report_period_s));
    let mut sample_ticker = clock.ticker(Duration::from_secs_f64(p.sample_period_s));
    // Graph discovery is a middleware matter, not simulated time: poll on the wall clock.
    let mut discovery = tokio::time::interval(Duration::from_secs_f64(p.discovery_period_s));
    // The recorder finishes the MCAP file and writes the final report when it is
    // dropped, which is how run_node ends the main task at shutdown.
    Ok(async move {
        let mut streams: SelectAll<BoxStream<'static, (usize, Vec<u8>)>> = SelectAll::new();
        // Both tickers fire at once on their first call: skip the empty report at t = 0.
        report_ticker.tick().await;
        loop {
            tokio::select! {
                Some((index, bytes)) = streams.next() => recorder.on_message(index, &bytes),
                _ = discovery.tick() => {
                    for stream in recorder.discover(&handle, depth).await? {
                        streams.push(stream);
                    }
                }
                now = sample_ticker.tick() => {
                    recorder.acc.sample(now.as_secs_f64());
                    recorder.report_diagnostics();
                }
                _ = report_ticker.tick() => recorder.write_report_in_background(),
            }
        }
    })
}

/// One topic asked for, and what became of it.
struct TopicState {
    name: String,
    /// "pkg/msg/Type" once the topic was found on the graph.
    type_name: Option<String>,
    kind: Option<Kind>,
    /// Why it cannot be recorded (no retry).
    failed: Option<String>,
    messages: u64,
    errors: u64,
}

impl TopicState {
    fn new(name: &str) -> TopicState {
        TopicState {
            name: name.to_string(),
            type_name: None,
            kind: None,
            failed: None,
            messages: 0,
            errors: 0,
        }
    }
}

type Discovered = (usize, String, usize, Result<BoxStream<'static, (usize, Vec<u8>)>, String>);

struct Recorder {
    acc: KpiAccumulator,
    mcap: Option<McapRecorder<BufWriter<File>>>,
    mcap_path: PathBuf,
    output_dir: PathBuf,
    definitions: MessageDefinitions,
    topics: Vec<TopicState>,
    logger: String,
    clock: Clock,
    diagnostics: Diagnostics,
    /// Held while a report is written, so the periodic and the final one never interleave.
    report_lock: Arc<Mutex<()>>,
    finished: bool,
}

impl Recorder {
    /// Subscribes to the topics that have appeared on the graph since the last look.
    async fn discover(
        &mut self,
        handle: &NodeHandle,
        depth: usize,
    ) -> Result<Vec<BoxStream<'static, (usize, Vec<u8>)>>, NodeError> {
        let pending: Vec<(usize, String)> = self
            .topics
            .iter()
            .enumerate()
            .filter(|(_, t)| t.type_name.is_none() && t.failed.is_none())
            .map(|(i, t)| (i, t.name.clone()))
            .collect();
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Discovered> = handle
            .with_node(move |node| {
                let graph = match node.get_topic_names_and_types() {
                    Ok(g) => g,
                    Err(_) => return Vec::new(), // the graph is not ready yet: look again later
                };
                let mut out = Vec::new();
                for (index, topic) in pending {
                    let Some(type_name) = graph.get(&topic).and_then(|types| types.first()) else { continue };
                    let n_types = graph.get(&topic).map_or(0, Vec::len);
                    let publishers = node.get_publishers_info_by_topic(&topic, false).unwrap_or_default();
                    if publishers.is_empty() {
                        continue; // only subscribers so far: their QoS says nothing about the data
                    }
                    // Reliable only if every publisher offers it (else they would not match);
                    // volatile matches both volatile and transient-local publishers.
                    let reliable =
                        publishers.iter().all(|p| p.qos_profile.reliability == ReliabilityPolicy::Reliable);
                    let qos = QosProfile::default().keep_last(depth).volatile();
                    let qos = if reliable { qos.reliable() } else { qos.best_effort() };
                    let stream = node
                        .subscribe_raw(&topic, type_name, qos)
                        .map(|s| s.map(move |bytes| (index, bytes)).boxed())
                        .map_err(|e| e.to_string());
                    out.push((index, type_name.clone(), n_types, stream));
                }
                out
            })
            .await?;
        let mut streams = Vec::new();
        for (index, type_name, n_types, stream) in found {
            let Some(topic) = self.topics.get_mut(index) else { continue };
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    log_warn!(
                        &self.logger,
                        "{}: cannot subscribe as {type_name}: {e}; not recorded",
                        topic.name
                    );
                    topic.failed = Some(format!("cannot subscribe as {type_name}: {e}"));
                    continue;
                }
            };
            if n_types > 1 {
                log_warn!(
                    &self.logger,
                    "{} has {n_types} types on the graph; recording it as {type_name}",
                    topic.name
                );
            }
            topic.kind = Kind::of(&topic.name, &type_name);
            if let Some(mcap) = self.mcap.as_mut() {
                let definition = match self.definitions.full_definition(&type_name) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        log_warn!(
                            &self.logger,
                            "{}: no message definition ({e}); recorded, but readers without {type_name} cannot decode it",
                            topic.name
                        );
                        None
                    }
                };
                if let Err(e) = mcap.add_topic(&topic.name, &type_name, definition.as_deref()) {
                    log_warn!(&self.logger, "{}: not recorded: {e}", topic.name);
                    topic.failed = Some(e.to_string());
                    continue;
                }
            }
            log_info!(&self.logger, "recording {} ({type_name})", topic.name);
            topic.type_name = Some(type_name);
            streams.push(stream);
        }
        self.report_diagnostics();
        Ok(streams)
    }

    fn on_message(&mut self, index: usize, bytes: &[u8]) {
        let now_ns = u64::try_from(self.clock.now().0.as_nanos()).unwrap_or(u64::MAX);
        let Some(topic) = self.topics.get_mut(index) else { return };
        topic.messages += 1;
        let mut error = None;
        if let Some(mcap) = self.mcap.as_mut() {
            if let Err(e) = mcap.write(&topic.name, now_ns, now_ns, bytes) {
                error = Some(format!("not recorded: {e}"));
            }
        }
        if let Some(kind) = topic.kind {
            if let Err(e) = ros_convert::feed(&mut self.acc, kind, bytes) {
                error = Some(format!("not decoded for the report: {e}"));
            }
        }
        if let Some(e) = error {
            topic.errors += 1;
            if topic.errors % ERROR_LOG_EVERY == 1 {
                log_warn!(
                    &self.logger,
                    "{}: message {e} [{} errors on this topic; logged every {ERROR_LOG_EVERY}th]",
                    topic.name,
                    topic.errors
                );
            }
        }
    }

    fn report(&mut self) -> Report {
        let now_s = self.clock.now().as_secs_f64();
        let mut report = Report::new(KpiSummary::compute(&self.acc, now_s));
        report.recording = self.mcap.as_ref().map(|m| (self.mcap_path.clone(), m.topics()));
        report.topics_not_seen =
            self.topics.iter().filter(|t| t.type_name.is_none()).map(|t| t.name.clone()).collect();
        report
    }

    /// Writes the report off the main loop, so the raw subscriptions keep draining
    /// (r2r drops messages when a subscription's queue to this task is full).
    fn write_report_in_background(&mut self) {
        let report = self.report();
        let dir = self.output_dir.clone();
        let lock = self.report_lock.clone();
        let logger = self.logger.clone();
        tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            match report.write(&dir) {
                Ok(files) => log_info!(&logger, "report updated: {}", files.markdown.display()),
                Err(e) => log_error!(&logger, "report not written: {e}"),
            }
        });
    }

    /// Finishes the MCAP file and writes the final report (once).
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.acc.sample(self.clock.now().as_secs_f64());
        let report = self.report();
        if let Some(mcap) = self.mcap.take() {
            match mcap.finish_file() {
                Ok(topics) => {
                    let messages: u64 = topics.iter().map(|t| t.messages).sum();
                    log_info!(
                        &self.logger,
                        "recording finished: {} ({messages} messages on {} topics)",
                        self.mcap_path.display(),
                        topics.len()
                    );
                }
                Err(e) => {
                    log_error!(&self.logger, "recording {} not finished: {e}", self.mcap_path.display())
                }
            }
        }
        if report.summary.robots.is_empty() {
            log_warn!(
                &self.logger,
                "no robot reported on robot_status during the run: did the executors start?"
            );
        }
        let _guard = self.report_lock.lock().unwrap_or_else(PoisonError::into_inner);
        match report.write(&self.output_dir) {
            Ok(files) => log_info!(
                &self.logger,
                "report written: {} ({} plots)",
                files.markdown.display(),
                files.plots.len()
            ),
            Err(e) => log_error!(&self.logger, "final report not written: {e}"),
        }
    }

    fn report_diagnostics(&self) {
        let waiting: Vec<&str> = self
            .topics
            .iter()
            .filter(|t| t.type_name.is_none() && t.failed.is_none())
            .map(|t| t.name.as_str())
            .collect();
        let failed = self.topics.iter().filter(|t| t.failed.is_some()).count();
        let errors: u64 = self.topics.iter().map(|t| t.errors).sum();
        let level = if failed > 0 || errors > 0 { Level::Warn } else { Level::Ok };
        let mut status = Status::new(level, "recording")
            .with("recorded_topics", self.topics.iter().filter(|t| t.type_name.is_some()).count())
            .with("waiting_for", waiting.join(","))
            .with("failed_topics", failed)
            .with("message_errors", errors);
        for t in &self.topics {
            status = status.with(format!("messages{}", t.name), t.messages);
        }
        self.diagnostics.set("recording", status);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_node::params::{load_params, RosArgs};

    fn load(overrides: &[&str]) -> Result<Params, ParamError> {
        let mut args = vec!["factory_recorder", "--ros-args"];
        for o in overrides {
            args.extend(["-p", o]);
        }
        let args = RosArgs::parse(args).expect("arguments");
        load_params::<Params>("factory_recorder", "", &args, None).map(|l| l.node)
    }

    #[test]
    fn defaults_are_valid_and_bad_values_name_the_key() {
        let p = load(&[]).expect("defaults");
        assert_eq!(p.output_dir, "out/main_job");
        assert!(p.topics.contains(&"/ground_truth/inspection".to_string()));
        let relative = load(&["topics:=[station_states]"]).unwrap_err();
        assert!(matches!(&relative, ParamError::Invalid { key, .. } if key == "topics[0]"), "{relative}");
        let twice = load(&["topics:=[/a, /a]"]).unwrap_err();
        assert!(matches!(&twice, ParamError::Invalid { key, .. } if key == "topics[1]"), "{twice}");
        let period = load(&["report_period_s:=0"]).unwrap_err();
        assert!(matches!(&period, ParamError::Invalid { key, .. } if key == "report_period_s"), "{period}");
    }

    #[test]
    fn the_shipped_layout_gives_the_line_order_and_the_off_peak_price() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/factory.yaml");
        let facts = layout_facts(Path::new(file)).expect("layout");
        assert_eq!(facts.line_order.first().map(String::as_str), Some("cut"));
        assert_eq!(facts.line_order.last().map(String::as_str), Some("pack"));
        assert_eq!(facts.offpeak_price_per_kwh, Some(0.12));
    }

    #[test]
    fn installed_definitions_resolve_with_every_nested_type() {
        // $AMENT_PREFIX_PATH comes from .ros/env.sh, which every `ros` build sources.
        let mut defs = MessageDefinitions::from_env();
        let full =
            defs.full_definition("factory_interfaces/msg/InspectionResult").expect("installed definition");
        for nested in [
            "MSG: std_msgs/Header",
            "MSG: builtin_interfaces/Time",
            "MSG: factory_interfaces/Defect",
            "MSG: sensor_msgs/RegionOfInterest",
        ] {
            assert_eq!(full.matches(nested).count(), 1, "{nested} once in:\n{full}");
        }
        assert!(full.starts_with("# The verdict on one part"), "top-level text first");
    }
}
