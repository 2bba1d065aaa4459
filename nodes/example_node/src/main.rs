//! charge_monitor: the smallest complete factory node, and the one to copy.
//!
//!   charge_monitor --ros-args -r __ns:=/robot_a -p robot_id:=robot_a
//!
//! It stands for one robot's battery: publishes factory_interfaces/RobotStatus on
//! `robot_status`, watches a peer on `peer_status`, and when the peer runs low asks it to
//! charge through the peer's SubmitTask service (`peer_submit_task` here). Its own
//! `submit_task` service accepts charge tasks for its robot and recharges.
use factory_node::params::{check_not_empty, check_range, ParamError, Validate};
use factory_node::r2r::factory_interfaces::msg::{RobotStatus, TaskRequest, TaskStep};
use factory_node::r2r::factory_interfaces::srv::SubmitTask;
use factory_node::r2r::{log_info, log_warn, Client};
use factory_node::{
    diagnostics::Level, diagnostics::Status, header, msg_const, respond, run_node, wait_for_service,
};
use factory_node::{NodeContext, NodeError};
use futures::StreamExt;
use std::{future::Future, sync::Arc, time::Duration};

#[derive(Debug, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
struct Params {
    robot_id: String,         // the robot this node stands for
    low_battery_soc: f64,     // ask a peer to charge below this state of charge, 0..1
    status_rate_hz: f64,      // RobotStatus rate, Hz
    battery_drain_per_s: f64, // fraction of a full battery used per second
}
impl Default for Params {
    fn default() -> Self {
        Params {
            robot_id: "robot_1".into(),
            low_battery_soc: 0.2,
            status_rate_hz: 2.0,
            battery_drain_per_s: 0.01,
        }
    }
}
impl Validate for Params {
    fn validate(&self) -> Result<(), ParamError> {
        check_not_empty("robot_id", &self.robot_id)?;
        check_range("low_battery_soc", self.low_battery_soc, 0.0, 1.0, "")?;
        check_range("status_rate_hz", self.status_rate_hz, 0.1, 100.0, "Hz")?;
        check_range("battery_drain_per_s", self.battery_drain_per_s, 0.0, 1.0, "1/s")
    }
}

fn main() -> std::process::ExitCode {
    run_node("charge_monitor", setup)
}

fn setup(ctx: &mut NodeContext, p: Params) -> Result<impl Future<Output = Result<(), NodeError>>, NodeError> {
    let status_pub = ctx.publisher::<RobotStatus>("robot_status")?;
    let mut peer_status = ctx.subscribe::<RobotStatus>("peer_status")?;
    let mut charge_requests = ctx.service::<SubmitTask::Service>("submit_task")?;
    let peer_submit = Arc::new(ctx.client::<SubmitTask::Service>("peer_submit_task")?);
    let (clock, logger, diagnostics) = (ctx.clock(), ctx.logger().to_string(), ctx.diagnostics());
    let mut ticker = clock.ticker(Duration::from_secs_f64(1.0 / p.status_rate_hz));
    Ok(async move {
        let (mut soc, mut last_tick, mut peer_asked) = (1.0_f64, clock.now(), false);
        loop {
            tokio::select! {
                now = ticker.tick() => {
                    soc = (soc - p.battery_drain_per_s * now.saturating_sub(last_tick).as_secs_f64()).max(0.0);
                    last_tick = now;
                    let msg = RobotStatus { header: header(&clock, "map"), robot_id: p.robot_id.clone(), battery_soc: soc as f32, ..Default::default() };
                    status_pub.publish(&msg)?;
                    let level = if soc < p.low_battery_soc { Level::Warn } else { Level::Ok };
                    diagnostics.set("battery", Status::new(level, "simulated battery").with("soc", format!("{soc:.3}")));
                }
                Some(peer) = peer_status.next() => {
                    let low = f64::from(peer.battery_soc) < p.low_battery_soc;
                    if low && !peer_asked {
                        // Once per low episode, not once per status message.
                        tokio::spawn(ask_to_charge(peer_submit.clone(), peer.robot_id, p.robot_id.clone(), logger.clone()));
                    }
                    peer_asked = low;
                }
                Some(req) = charge_requests.next() => {
                    let reply = answer_charge_request(&req.message.task, &p.robot_id);
                    if reply.accepted { soc = 1.0; }
                    respond(req, reply, &logger);
                }
            }
        }
    })
}

async fn ask_to_charge(client: Arc<Client<SubmitTask::Service>>, peer: String, me: String, logger: String) {
    let charge = || TaskStep { kind: msg_const(TaskStep::CHARGE).into(), ..Default::default() };
    let task = TaskRequest {
        task_type: charge().kind,
        requested_by: me,
        steps: vec![charge()],
        ..Default::default()
    };
    let reply = async {
        wait_for_service(&client).await?;
        Ok::<_, NodeError>(client.request(&SubmitTask::Request { task })?.await?)
    };
    match reply.await {
        Ok(r) => log_info!(&logger, "peer {peer} charge request: accepted={} {}", r.accepted, r.message),
        Err(e) => log_warn!(&logger, "peer {peer} charge request failed: {e}"),
    }
}

fn answer_charge_request(task: &TaskRequest, robot_id: &str) -> SubmitTask::Response {
    let charge = msg_const(TaskStep::CHARGE);
    if !task.steps.is_empty() && task.steps.iter().all(|s| s.kind == charge) {
        let code = SubmitTask::Response::REASON_ACCEPTED as u8;
        SubmitTask::Response {
            accepted: true,
            reason_code: code,
            message: format!("{robot_id} charged"),
            ..Default::default()
        }
    } else {
        let message = "task.steps: only non-empty lists of 'charge' steps are accepted".to_string();
        let code = SubmitTask::Response::REASON_INVALID as u8;
        SubmitTask::Response { accepted: false, reason_code: code, message, ..Default::default() }
    }
}
