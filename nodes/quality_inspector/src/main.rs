//! quality_inspector: classical machine-vision inspection of the part at each camera
//! station.
//!
//!   quality_inspector --ros-args --params-file config/quality_inspector.yaml
//!
//! Stations (image size, scale, part outline, part types, thermal camera) come from the
//! `cameras:` section of the twin's layout (`factory_file`). Per station it subscribes
//! `<station>/camera/image_raw` (rgb8/bgr8/mono8) and `<station>/thermal/image_raw`
//! (mono16, centi-kelvin; the one of the same capture, nearest within
//! `thermal_max_age_s`: a visible frame waits for it), `<station>/fastening/torque_trace` at stations whose layout entry
//! has a `fastening:` section (the part's torque-angle trace, checked against the
//! taught envelope as part of the same verdict), and `station_states` for the part at
//! the station (`current_part_id`, variant; without an id, parts are named
//! `<station>-<n>` from the part counter). Publishes `inspection_results`
//! (InspectionResult per frame), the annotated `<station>/inspection/debug_image`, and
//! one correction TaskRequest on `task_requests` the first time a part fails. The
//! algorithms live in the library crate; this file is wiring.

use std::future::Future;
use std::time::Instant;

use factory_layout::{ConfigError as LayoutError, FactoryConfig};
use factory_node::clock::Clock;
use factory_node::diagnostics::{Diagnostics, Level, Status};
use factory_node::params::{
    check_not_empty, check_range, factory_path, strict_section, ParamError, Validate,
};
use factory_node::r2r::diagnostic_msgs::msg::KeyValue;
use factory_node::r2r::factory_interfaces::msg::{
    Defect as DefectMsg, InspectionResult, StationState as StationStateMsg, TaskRequest, TaskStep,
    TorqueTrace as TorqueTraceMsg,
};
use factory_node::r2r::sensor_msgs::msg::{Image, RegionOfInterest};
use factory_node::r2r::{log_info, log_warn, QosProfile};
use factory_node::{header, msg_const, run_node, NodeContext, NodeError, Publisher};
use futures::StreamExt;
use quality_inspector::config::{stations_from_layout, StationTemplate};
use quality_inspector::debug::render;
use quality_inspector::frame::validate_thermal;
use quality_inspector::inspector::reason;
use quality_inspector::{Correction, ImageView, Inspection, Inspector, PartInput, PartTimeline, TorqueTrace};
use serde::Deserialize;

/// Log the first input dropped for a reason, then every this many of them.
const DROP_LOG_EVERY: u64 = 100;
/// Image queue depth. A triggered camera sends a part's frames as a burst (3 frames
/// 0.5 s apart, 25 ms of wall time when the factory's twin runs 20 times faster than
/// real time); with a depth of 2, a burst that came while the node waited for a core
/// lost its first frame (17 of 90 frames in a half hour of the main job on a loaded
/// host). Every frame is a part's image and worth inspecting.
const IMAGE_DEPTH: usize = 10;
/// Fastening traces kept per station (a part's frames come after its trace).
const TRACES_KEPT: usize = 4;
/// Thermal frames kept per station, to pair each visible frame with its own capture's.
/// A visible frame (3.9 MB, many fragments) can arrive well after the thermal frames
/// (160 KB) of the next parts: in two simulated hours of the main job, 10 visible frames
/// came after 4 newer thermal frames, 50 to 100 simulated s late, and were judged without
/// theirs. 32 frames are about ten parts, 5 MB.
const THERMALS_KEPT: usize = 32;

#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    factory_file: String,      // the twin's layout (cameras:); relative to $FACTORY_ROOT
    data_dir: String, // taught references (<data_dir>/<station>/<type>.qiref); relative to $FACTORY_ROOT
    thermal_max_age_s: f64, // a thermal frame this much older than the visible one is not used, s
    publish_debug_image: bool, // annotated image per inspected frame
    image_reliable: bool, // reliable image subscriptions (false: best effort, for best-effort cameras)
    sample_every_n_parts: u32, // inspect every part (1) or one part in n (sampled inspection, the baseline)
    #[serde(deserialize_with = "strict_section")]
    inspection: StationTemplate,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            factory_file: "config/factory.yaml".into(),
            data_dir: "data/quality_inspector".into(),
            thermal_max_age_s: 0.25,
            // A 1280x1024 rgb8 frame is 3.9 MB: over best effort, losing one of its
            // UDP fragments loses the frame, and a loaded host loses most of them.
            image_reliable: true,
            publish_debug_image: true,
            sample_every_n_parts: 1,
            inspection: StationTemplate::default(),
        }
    }
}

impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("factory_file", &self.factory_file)?;
        check_not_empty("data_dir", &self.data_dir)?;
        check_range("thermal_max_age_s", self.thermal_max_age_s, 0.0, 60.0, "s")?;
        check_range("sample_every_n_parts", f64::from(self.sample_every_n_parts), 1.0, 1000.0, "parts")?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    run_node("quality_inspector", setup)
}

enum Input {
    Visible(usize, Image),
    Thermal(usize, Image),
    Torque(usize, TorqueTraceMsg),
    Station(StationStateMsg),
}

struct Station {
    inspector: Inspector,
    debug_pub: Option<Publisher<Image>>,
    /// the latest valid thermal frames, oldest first
    thermals: std::collections::VecDeque<Image>,
    /// visible frames waiting for the thermal frame of their capture, oldest first: the
    /// twin (and a real station) sends the thermal frame just after the visible one, on
    /// another topic, so it often arrives second (judged without it, 925 of 1388 frames
    /// of an 8-hour shift missed their thermal image, and with it 4 hotspots)
    waiting_for_thermal: std::collections::VecDeque<Image>,
    /// valid thermal frames received, and visible frames judged without theirs
    thermal_frames: u64,
    frames_without_thermal: u64,
    /// part variant and parts completed, from station_states
    variant: String,
    parts_completed: u64,
    /// which part was at the station when (station_states and fastening traces)
    parts: PartTimeline,
    /// the latest fastening traces and their parts
    traces: std::collections::VecDeque<(String, TorqueTrace)>,
    traces_received: u64,
    /// frames inspected together with their part's trace
    frames_with_trace: u64,
    /// sampled inspection: distinct parts seen, the latest part and whether it is inspected
    parts_seen: u64,
    sampled_part: Option<(String, bool)>,
    frames_not_sampled: u64,
    /// last part a correction was requested for
    corrected_part: Option<String>,
    frames: u64,
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let file = factory_path(&p.factory_file);
    let bad = |key: &str, value: String, reason: String| {
        NodeError::Params(ParamError::Invalid { key: key.into(), value, allowed: reason })
    };
    let layout = FactoryConfig::load(&file).map_err(|e| {
        let reason = match e {
            LayoutError::Io { .. } => format!("must be readable: {e}"),
            _ => format!("must be a valid layout: {e}"),
        };
        bad("factory_file", file.display().to_string(), reason)
    })?;
    let configs = stations_from_layout(&layout, &p.inspection).map_err(|e| {
        bad("factory_file", file.display().to_string(), format!("must be a valid layout: {e}"))
    })?;
    let data_dir = factory_path(&p.data_dir);
    let logger = ctx.logger().to_string();
    let mut stations = Vec::new();
    let mut streams = Vec::new();
    for (i, cfg) in configs.iter().enumerate() {
        let mut inspector =
            Inspector::new(cfg).map_err(|e| bad("inspection", cfg.id.clone(), e.to_string()))?;
        for (t, e) in inspector.load_references(&data_dir) {
            log_warn!(&logger, "{}: no reference for part type {t}: {e} (teach it first)", cfg.id);
        }
        let qos = if p.image_reliable { QosProfile::default() } else { QosProfile::sensor_data() };
        let qos = qos.keep_last(IMAGE_DEPTH);
        let vis = ctx.subscribe_with_qos::<Image>(&format!("{}/camera/image_raw", cfg.id), qos.clone())?;
        streams.push(vis.map(move |m| Input::Visible(i, m)).boxed());
        if cfg.thermal.is_some() {
            let th = ctx.subscribe_with_qos::<Image>(&format!("{}/thermal/image_raw", cfg.id), qos)?;
            streams.push(th.map(move |m| Input::Thermal(i, m)).boxed());
        }
        if cfg.torque.is_some() {
            // One trace per part: keep every one (default depth 10, reliable).
            let tr = ctx.subscribe::<TorqueTraceMsg>(&format!("{}/fastening/torque_trace", cfg.id))?;
            streams.push(tr.map(move |m| Input::Torque(i, m)).boxed());
        }
        let debug_pub = if p.publish_debug_image {
            Some(ctx.publisher::<Image>(&format!("{}/inspection/debug_image", cfg.id))?)
        } else {
            None
        };
        log_info!(
            &logger,
            "{}: part types {:?}, taught {:?}",
            cfg.id,
            cfg.part_types,
            inspector.taught_types()
        );
        stations.push(Station {
            inspector,
            debug_pub,
            thermals: std::collections::VecDeque::new(),
            waiting_for_thermal: std::collections::VecDeque::new(),
            thermal_frames: 0,
            frames_without_thermal: 0,
            variant: String::new(),
            parts_completed: 0,
            parts: PartTimeline::default(),
            traces: std::collections::VecDeque::new(),
            traces_received: 0,
            frames_with_trace: 0,
            parts_seen: 0,
            sampled_part: None,
            frames_not_sampled: 0,
            corrected_part: None,
            frames: 0,
        });
    }
    streams.push(ctx.subscribe::<StationStateMsg>("station_states")?.map(Input::Station).boxed());
    let mut inputs = futures::stream::select_all(streams);
    let mut node = Node {
        stations,
        results_pub: ctx.publisher::<InspectionResult>("inspection_results")?,
        tasks_pub: ctx.publisher::<TaskRequest>("task_requests")?,
        diagnostics: ctx.diagnostics(),
        clock: ctx.clock(),
        node_name: logger.rsplit('.').next().unwrap_or(&logger).to_string(),
        logger,
        thermal_max_age_s: p.thermal_max_age_s,
        sample_every_n_parts: u64::from(p.sample_every_n_parts),
        tasks_submitted: 0,
    };
    node.report_diagnostics();
    Ok(async move {
        while let Some(input) = inputs.next().await {
            match input {
                Input::Visible(i, msg) => node.on_visible(i, msg)?,
                Input::Thermal(i, msg) => node.on_thermal(i, msg)?,
                Input::Torque(i, msg) => node.on_torque(i, msg),
                Input::Station(msg) => node.on_station(&msg),
            }
        }
        Ok(())
    })
}

struct Node {
    stations: Vec<Station>,
    results_pub: Publisher<InspectionResult>,
    tasks_pub: Publisher<TaskRequest>,
    diagnostics: Diagnostics,
    clock: Clock,
    node_name: String,
    logger: String,
    thermal_max_age_s: f64,
    sample_every_n_parts: u64,
    tasks_submitted: u64,
}

fn seconds(stamp: &factory_node::r2r::builtin_interfaces::msg::Time) -> f64 {
    f64::from(stamp.sec) + 1e-9 * f64::from(stamp.nanosec)
}

fn stamp_s(msg: &Image) -> f64 {
    seconds(&msg.header.stamp)
}

fn view(msg: &Image) -> ImageView<'_> {
    ImageView {
        encoding: &msg.encoding,
        width: msg.width,
        height: msg.height,
        step: msg.step,
        is_bigendian: msg.is_bigendian != 0,
        data: &msg.data,
    }
}

impl Node {
    fn dropped(&mut self, i: usize, what: &str, code: &str, detail: &str) {
        let Some(s) = self.stations.get_mut(i) else { return };
        let count = s.inspector.stats().dropped.get(code).copied().unwrap_or(0);
        if count % DROP_LOG_EVERY == 1 {
            log_warn!(
                &self.logger,
                "{}: {what} dropped ({code}): {detail} [{count} so far; logged every {DROP_LOG_EVERY}th]",
                s.inspector.config().id
            );
        }
    }

    /// A thermal frame: checked on arrival (so a bad one never holds back a visible
    /// frame), kept, and the visible frames it completes are inspected.
    fn on_thermal(&mut self, i: usize, msg: Image) -> Result<(), NodeError> {
        let Some(s) = self.stations.get_mut(i) else { return Ok(()) };
        let Some(t) = s.inspector.config().thermal.clone() else { return Ok(()) };
        match validate_thermal(&view(&msg), t.width_px, t.height_px) {
            Ok(_) => {
                s.thermal_frames += 1;
                s.thermals.push_back(msg);
                while s.thermals.len() > THERMALS_KEPT {
                    s.thermals.pop_front();
                }
            }
            Err(e) => {
                let code = format!("thermal_{}", e.reason());
                s.inspector.count_drop(&code);
                self.dropped(i, "thermal frame", &code, &e.to_string());
            }
        }
        self.inspect_waiting(i)
    }

    /// The kept thermal frame nearest in time to `visible`, if within
    /// `thermal_max_age_s`.
    fn thermal_for(&self, i: usize, visible: &Image) -> Option<&Image> {
        let s = self.stations.get(i)?;
        let dt = |t: &Image| (stamp_s(t) - stamp_s(visible)).abs();
        s.thermals.iter().filter(|t| dt(t) <= self.thermal_max_age_s).min_by(|a, b| dt(a).total_cmp(&dt(b)))
    }

    /// Whether the thermal frame for `visible` may still come: the station has a
    /// thermal camera, none kept matches, and none newer than the match window has
    /// arrived yet (frames of one topic arrive in order).
    fn thermal_may_come(&self, i: usize, visible: &Image) -> bool {
        let Some(s) = self.stations.get(i) else { return false };
        s.inspector.config().thermal.is_some()
            && self.thermal_for(i, visible).is_none()
            && s.thermals.back().map_or(true, |t| stamp_s(t) <= stamp_s(visible) + self.thermal_max_age_s)
    }

    /// Inspects the waiting visible frames, oldest first, as long as each has its
    /// thermal frame or can no longer get one.
    fn inspect_waiting(&mut self, i: usize) -> Result<(), NodeError> {
        loop {
            let Some(s) = self.stations.get(i) else { return Ok(()) };
            let Some(next) = s.waiting_for_thermal.front() else { return Ok(()) };
            if self.thermal_may_come(i, next) {
                return Ok(());
            }
            let Some(msg) = self.stations[i].waiting_for_thermal.pop_front() else { return Ok(()) };
            let thermal = self.thermal_for(i, &msg).cloned();
            self.inspect_frame(i, &msg, thermal.as_ref())?;
        }
    }

    /// A part's fastening trace: checked on arrival (a malformed one is dropped with
    /// its reason), kept for the frames of that part; it also says which part is at
    /// the station now, possibly before station_states does.
    fn on_torque(&mut self, i: usize, msg: TorqueTraceMsg) {
        let Some(s) = self.stations.get_mut(i) else { return };
        let trace = TorqueTrace { angle_deg: msg.angle_deg, torque_nm: msg.torque_nm };
        let problem = if msg.part_id.is_empty() {
            Some("part_id is empty".to_string())
        } else {
            trace.validate().err().map(|e| e.to_string())
        };
        if let Some(detail) = problem {
            s.inspector.count_drop("bad_torque_trace");
            self.dropped(i, "torque trace", "bad_torque_trace", &format!("part '{}': {detail}", msg.part_id));
            return;
        }
        s.traces_received += 1;
        s.parts.observe(seconds(&msg.header.stamp), &msg.part_id);
        s.parts.observe_variant(&msg.part_id, &msg.part_type);
        s.traces.push_back((msg.part_id, trace));
        while s.traces.len() > TRACES_KEPT {
            s.traces.pop_front();
        }
    }

    fn on_station(&mut self, msg: &StationStateMsg) {
        let stamp = seconds(&msg.header.stamp);
        for s in self.stations.iter_mut().filter(|s| s.inspector.config().id == msg.station_id) {
            s.variant = msg.current_variant.clone();
            s.parts_completed = msg.parts_completed;
            s.parts.observe(stamp, &msg.current_part_id);
            s.parts.observe_variant(&msg.current_part_id, &msg.current_variant);
        }
    }

    /// A visible frame: inspected with its capture's thermal frame, which may still be
    /// on its way (then the frame waits for it, behind any older waiting frames).
    fn on_visible(&mut self, i: usize, msg: Image) -> Result<(), NodeError> {
        let Some(s) = self.stations.get(i) else { return Ok(()) };
        if !s.waiting_for_thermal.is_empty() || self.thermal_may_come(i, &msg) {
            let s = &mut self.stations[i];
            s.waiting_for_thermal.push_back(msg);
            // A thermal camera that went silent must not hold frames back for good.
            if s.waiting_for_thermal.len() > IMAGE_DEPTH {
                if let Some(oldest) = s.waiting_for_thermal.pop_front() {
                    let thermal = self.thermal_for(i, &oldest).cloned();
                    self.inspect_frame(i, &oldest, thermal.as_ref())?;
                }
            }
            return self.inspect_waiting(i);
        }
        let thermal = self.thermal_for(i, &msg).cloned();
        self.inspect_frame(i, &msg, thermal.as_ref())
    }

    fn inspect_frame(&mut self, i: usize, msg: &Image, thermal: Option<&Image>) -> Result<(), NodeError> {
        let t0 = Instant::now();
        let Some(s) = self.stations.get_mut(i) else { return Ok(()) };
        // The part at the station at capture, and its variant (from station_states or
        // its fastening trace): a frame is often judged after the next part has arrived.
        // Without ids from the line, the part after the last completed, and the variant
        // at the station now.
        let (part_id, variant) = match s.parts.part_at(stamp_s(msg)) {
            Some(p) => (p.to_string(), s.parts.variant_of(p).unwrap_or_default().to_string()),
            None => (format!("{}-{}", s.inspector.config().id, s.parts_completed + 1), s.variant.clone()),
        };
        // A variant we know picks the reference; else the part is identified from the image.
        let known = s.inspector.taught_types().contains(&variant.as_str());
        // Sampled inspection: the first part, then one in n; the others pass unseen.
        if s.sampled_part.as_ref().map_or(true, |(p, _)| *p != part_id) {
            let inspect = s.parts_seen % self.sample_every_n_parts == 0;
            s.parts_seen += 1;
            s.sampled_part = Some((part_id.clone(), inspect));
        }
        if s.sampled_part.as_ref().is_some_and(|(_, inspect)| !inspect) {
            s.frames_not_sampled += 1;
            return Ok(());
        }
        // Only this part's own trace belongs in its verdict.
        let torque = s.traces.iter().rev().find(|(p, _)| *p == part_id).map(|(_, t)| t);
        let input = PartInput {
            visible: view(msg),
            thermal: thermal.map(view),
            torque,
            part_type: known.then_some(variant.as_str()),
        };
        let with_trace = torque.is_some();
        if s.inspector.config().thermal.is_some() && thermal.is_none() {
            s.frames_without_thermal += 1;
            let kept: Vec<String> = s.thermals.iter().map(|t| format!("{:.2}", stamp_s(t))).collect();
            log_warn!(
                &self.logger,
                "{part_id}: frame of {:.2} s judged without its thermal frame (thermal frames kept: [{}])",
                stamp_s(msg),
                kept.join(", ")
            );
        }
        let result = s.inspector.inspect(&input);
        s.frames += 1;
        s.frames_with_trace += u64::from(with_trace);
        let res = match result {
            Ok(r) => r,
            Err(e) => {
                let code = reason(&e);
                self.dropped(i, "frame", code, &e.to_string());
                self.report_diagnostics();
                return Ok(());
            }
        };
        let elapsed_ms = t0.elapsed().as_secs_f64() * 1e3;
        let s = &self.stations[i.min(self.stations.len() - 1)];
        let mut out = result_msg(&res, msg, &part_id, elapsed_ms, &self.node_name);
        out.header.stamp = msg.header.stamp.clone();
        self.results_pub.publish(&out)?;
        if let Some(p) = &s.debug_pub {
            let cfg = s.inspector.config();
            let thermal_scale =
                cfg.camera.px_per_mm / cfg.thermal_px_per_mm().unwrap_or(cfg.camera.px_per_mm);
            let rendered = quality_inspector::frame::validate_visible(&view(msg), msg.width, msg.height)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    render(&f, s.inspector.geometry(), &res, thermal_scale).map_err(|e| e.to_string())
                });
            match rendered {
                Ok(img) => {
                    p.publish(&Image {
                        header: msg.header.clone(),
                        height: img.height,
                        width: img.width,
                        encoding: "rgb8".into(),
                        is_bigendian: 0,
                        step: 3 * img.width,
                        data: img.data,
                    })?;
                }
                Err(e) => log_warn!(&self.logger, "debug image: {e}"),
            }
        }
        if !res.passed && s.corrected_part.as_deref() != Some(part_id.as_str()) {
            let task = task_msg(&res, &part_id, &self.node_name, header(&self.clock, "map"));
            if self.tasks_pub.publish(&task)? {
                self.tasks_submitted += 1;
            }
            if let Some(s) = self.stations.get_mut(i) {
                s.corrected_part = Some(part_id.clone());
            }
            log_info!(
                &self.logger,
                "{part_id} failed ({}): requested {}",
                res.findings.iter().map(|f| f.class.as_str()).collect::<Vec<_>>().join(", "),
                res.corrections.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" + ")
            );
        }
        self.report_diagnostics();
        Ok(())
    }

    fn report_diagnostics(&mut self) {
        for s in &self.stations {
            let st = s.inspector.stats();
            let dropped: u64 = st.dropped.values().sum();
            let (level, message) = if s.inspector.taught_types().is_empty() {
                (Level::Warn, "no taught reference")
            } else if dropped > 0 && dropped * 10 > s.frames {
                (Level::Warn, "dropping frames")
            } else {
                (Level::Ok, "inspecting")
            };
            let mut status = Status::new(level, message)
                .with("inspected", st.inspected)
                .with("passed", st.passed)
                .with("pass_rate", st.pass_rate().map_or("n/a".to_string(), |r| format!("{r:.4}")))
                .with("dropped", dropped)
                .with("torque_traces", s.traces_received)
                .with("frames_with_torque_trace", s.frames_with_trace)
                .with("frames_not_sampled", s.frames_not_sampled)
                .with("thermal_frames", s.thermal_frames)
                .with("frames_without_thermal", s.frames_without_thermal)
                .with("tasks_submitted", self.tasks_submitted);
            for code in quality_inspector::FrameError::REASONS.iter().copied().chain([
                "registration_failed",
                "unknown_part_type",
                "bad_torque_trace",
            ]) {
                status = status.with(format!("dropped.{code}"), st.dropped.get(code).copied().unwrap_or(0));
            }
            for (code, n) in st.dropped.iter().filter(|(c, _)| c.starts_with("thermal_")) {
                status = status.with(format!("dropped.{code}"), n);
            }
            for (class, n) in &st.failures {
                status = status.with(format!("failures.{class}"), n);
            }
            self.diagnostics.set(&format!("station {}", s.inspector.config().id), status);
        }
    }
}

fn result_msg(res: &Inspection, img: &Image, part_id: &str, elapsed_ms: f64, node: &str) -> InspectionResult {
    let pose = res.registration.pose;
    InspectionResult {
        header: img.header.clone(),
        inspection_id: format!(
            "{node}/{}/{}.{:09}",
            res.station_id, img.header.stamp.sec, img.header.stamp.nanosec
        ),
        station_id: res.station_id.clone(),
        part_id: part_id.to_string(),
        part_type: res.part_type.clone(),
        passed: res.passed,
        defects: res
            .findings
            .iter()
            .map(|f| DefectMsg {
                defect_class: f.class.code(),
                bbox: RegionOfInterest {
                    x_offset: f.bbox.x,
                    y_offset: f.bbox.y,
                    width: f.bbox.width,
                    height: f.bbox.height,
                    do_rectify: false,
                },
                center_x_mm: f.center_mm.0 as f32,
                center_y_mm: f.center_mm.1 as f32,
                length_mm: f.length_mm as f32,
                width_mm: f.width_mm as f32,
                area_mm2: f.area_mm2 as f32,
                peak_temperature_k: f.peak_temperature_k as f32,
                severity: f.severity as f32,
                confidence: f.confidence as f32,
            })
            .collect(),
        offset_x_mm: pose.dx_mm as f32,
        offset_y_mm: pose.dy_mm as f32,
        rotation_deg: pose.rotation_deg as f32,
        max_temperature_k: res.max_temperature_k as f32,
        processing_time_ms: elapsed_ms as f32,
    }
}

/// Time at the station to take a failed part off for cleaning or rework, s.
const PART_OFF_S: f64 = 30.0;
/// Time at the station to check and recalibrate its camera, s.
const RECALIBRATE_VISIT_S: f64 = 120.0;

/// One task with a step per correction, in order (clean, rework, recalibrate).
fn task_msg(
    res: &Inspection,
    part_id: &str,
    node: &str,
    header: factory_node::r2r::std_msgs::msg::Header,
) -> TaskRequest {
    let kv = |k: &str, v: &str| KeyValue { key: k.into(), value: v.into() };
    let steps: Vec<TaskStep> = res
        .corrections
        .iter()
        .map(|c| {
            // The part is taken off the station for cleaning or rework (an
            // unload_station step); the camera check is a visit to the station (an
            // inspect step). `repair`/`recalibrate` steps are machine maintenance in the
            // executor and need a machine component, which a camera or a part is not.
            let (kind, duration_s) = match c {
                Correction::RecalibrateStation => (msg_const(TaskStep::INSPECT), RECALIBRATE_VISIT_S),
                Correction::Clean | Correction::Rework => (msg_const(TaskStep::UNLOAD_STATION), PART_OFF_S),
            };
            TaskStep {
                kind: kind.to_string(),
                location_id: res.station_id.clone(),
                expected_duration_s: duration_s,
                parameters: vec![
                    kv("action", c.as_str()),
                    kv("part_id", part_id),
                    kv("part_type", &res.part_type),
                    kv(
                        "findings",
                        &res.findings.iter().map(|f| f.class.as_str()).collect::<Vec<_>>().join(","),
                    ),
                ],
                ..Default::default()
            }
        })
        .collect();
    let task_type = match steps.as_slice() {
        [one] => one.kind.clone(),
        _ => "sequence".to_string(),
    };
    let urgent = res.corrections.contains(&Correction::RecalibrateStation);
    TaskRequest {
        header,
        task_id: String::new(),
        task_type,
        priority: if urgent { TaskRequest::PRIORITY_HIGH as u8 } else { TaskRequest::PRIORITY_NORMAL as u8 },
        steps,
        required_capabilities: vec!["manipulation".into()],
        origin: msg_const(TaskRequest::ORIGIN_QUALITY).to_string(),
        requested_by: node.to_string(),
        ..Default::default()
    }
}
