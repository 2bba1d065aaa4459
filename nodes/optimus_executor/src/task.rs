//! The task as the executor receives it (mirroring TaskRequest/TaskStep after the
//! adapter has resolved location ids to poses) and its validated form.

use serde::{Deserialize, Serialize};

use crate::geometry::Pose2;

/// TaskStep kinds: the factory's one definition (factory_types).
pub use factory_types::StepKind;

/// One TaskStep as handed over by the adapter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StepSpec {
    /// TaskStep.kind, unparsed: the executor rejects unknown kinds with a reason.
    pub kind: String,
    /// TaskStep.location_id, kept for rejection messages.
    pub location_id: String,
    /// The resolved goal pose in the map frame: the location's pose, or target_pose
    /// when location_id is "". `None` when the adapter could not resolve the location.
    pub goal: Option<Pose2>,
    pub machine_id: String,
    pub component_id: String,
    /// Time at the location once there, s (0 = unknown / none).
    pub expected_duration_s: f64,
    /// Charge steps only: the soc to charge to (TaskStep parameter `target_soc`);
    /// `None` uses the policy default.
    pub charge_target_soc: Option<f64>,
}

/// An ExecuteTask goal as handed over by the adapter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskSpec {
    pub task_id: String,
    /// ExecuteTask.robot_id; "" skips the check.
    pub robot_id: String,
    pub steps: Vec<StepSpec>,
}

/// A validated step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub goal: Pose2,
    pub machine_id: String,
    pub component_id: String,
    pub expected_duration_s: f64,
    pub charge_target_soc: Option<f64>,
}

/// Why a task was refused at validation, with the index of the offending step.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub step: u32,
    pub reason: String,
}

/// Bounds on one task, so that a goal from anywhere on the graph costs bounded memory and
/// time (a 1e300 s step kept the robot dwelling for ever).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskLimits {
    /// Longest task id, characters.
    pub max_task_id_chars: usize,
    /// Most steps in one task.
    pub max_steps: usize,
    /// Longest expected duration of one step, s.
    pub max_step_duration_s: f64,
}

impl Default for TaskLimits {
    fn default() -> Self {
        TaskLimits { max_task_id_chars: 128, max_steps: 64, max_step_duration_s: 28_800.0 }
    }
}

/// Validates a task; the reason names the offending field as in the message
/// (`steps[1].machine_id`), so the caller can fix exactly that.
pub fn validate(spec: &TaskSpec, robot_id: &str, limits: &TaskLimits) -> Result<Vec<Step>, Invalid> {
    let invalid =
        |step: usize, reason: String| Invalid { step: u32::try_from(step).unwrap_or(u32::MAX), reason };
    let id_chars = spec.task_id.chars().count();
    if id_chars > limits.max_task_id_chars {
        return Err(invalid(
            0,
            format!("task_id: {id_chars} characters, at most {} allowed", limits.max_task_id_chars),
        ));
    }
    if spec.steps.len() > limits.max_steps {
        return Err(invalid(
            0,
            format!("steps: {} steps, at most {} allowed", spec.steps.len(), limits.max_steps),
        ));
    }
    if !spec.robot_id.is_empty() && spec.robot_id != robot_id {
        return Err(invalid(
            0,
            format!("robot_id: goal is for \"{}\", this is \"{robot_id}\"", spec.robot_id),
        ));
    }
    if spec.steps.is_empty() {
        return Err(invalid(0, "steps: at least one step is required".into()));
    }
    let mut steps = Vec::with_capacity(spec.steps.len());
    for (i, s) in spec.steps.iter().enumerate() {
        let kind = StepKind::parse(&s.kind)
            .ok_or_else(|| invalid(i, format!("steps[{i}].kind: unknown kind \"{}\"", s.kind)))?;
        let goal = match s.goal {
            None => {
                return Err(invalid(
                    i,
                    format!("steps[{i}].location_id: \"{}\" does not resolve to a pose", s.location_id),
                ))
            }
            Some(g) if !g.is_finite() => {
                let field = if s.location_id.is_empty() { "target_pose" } else { "location_id" };
                return Err(invalid(i, format!("steps[{i}].{field}: pose is not finite")));
            }
            Some(g) => g,
        };
        if !(s.expected_duration_s.is_finite()
            && s.expected_duration_s >= 0.0
            && s.expected_duration_s <= limits.max_step_duration_s)
        {
            return Err(invalid(
                i,
                format!(
                    "steps[{i}].expected_duration_s: {} must be within [0, {}] s",
                    s.expected_duration_s, limits.max_step_duration_s
                ),
            ));
        }
        if kind.maintenance_action().is_some() {
            if s.machine_id.is_empty() {
                return Err(invalid(i, format!("steps[{i}].machine_id: required for {}", kind.as_str())));
            }
            if s.component_id.is_empty() {
                return Err(invalid(i, format!("steps[{i}].component_id: required for {}", kind.as_str())));
            }
        }
        if let Some(t) = s.charge_target_soc {
            if !(t.is_finite() && t > 0.0 && t <= 1.0) {
                return Err(invalid(i, format!("steps[{i}].parameters.target_soc: {t} must be in (0, 1]")));
            }
        }
        steps.push(Step {
            kind,
            goal,
            machine_id: s.machine_id.clone(),
            component_id: s.component_id.clone(),
            expected_duration_s: s.expected_duration_s,
            charge_target_soc: s.charge_target_soc,
        });
    }
    Ok(steps)
}

/// A task that gets the robot to a charger: its first step that is not a plain
/// `navigate` is `charge`. Only these are accepted on a critical battery.
pub fn is_charge_task(steps: &[Step]) -> bool {
    steps.iter().find(|s| s.kind != StepKind::Navigate).is_some_and(|s| s.kind == StepKind::Charge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_bound_id_steps_and_durations() {
        let limits = TaskLimits { max_task_id_chars: 4, max_steps: 2, max_step_duration_s: 60.0 };
        let mut spec =
            TaskSpec { task_id: "t1".into(), robot_id: String::new(), steps: vec![step("navigate")] };
        assert!(validate(&spec, "r", &limits).is_ok());
        spec.steps[0].expected_duration_s = 61.0;
        let e = validate(&spec, "r", &limits).unwrap_err();
        assert!(e.reason.starts_with("steps[0].expected_duration_s: 61 must be within [0, 60] s"), "{e:?}");
        spec.steps = vec![step("navigate"); 3];
        assert_eq!(validate(&spec, "r", &limits).unwrap_err().reason, "steps: 3 steps, at most 2 allowed");
        spec.task_id = "t12345".into();
        assert!(validate(&spec, "r", &limits).unwrap_err().reason.starts_with("task_id: 6 characters"));
    }

    fn step(kind: &str) -> StepSpec {
        StepSpec {
            kind: kind.into(),
            goal: Some(Pose2::new(1.0, 2.0, 0.0)),
            machine_id: "cnc_1".into(),
            component_id: "spindle_bearing".into(),
            ..StepSpec::default()
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in StepKind::ALL {
            assert_eq!(StepKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(StepKind::parse("weld"), None);
    }

    #[test]
    fn rejections_name_the_field() {
        let t = |steps: Vec<StepSpec>| TaskSpec { task_id: "t".into(), robot_id: String::new(), steps };
        let reason = |spec: &TaskSpec| {
            validate(spec, "optimus_1", &TaskLimits::default()).err().map(|e| (e.step, e.reason))
        };
        assert!(reason(&t(vec![])).is_some_and(|r| r.1.starts_with("steps:")));
        assert!(reason(&t(vec![step("inspect"), step("weld")]))
            .is_some_and(|r| r.0 == 1 && r.1.contains("steps[1].kind")));
        let mut s = step("inspect");
        s.goal = None;
        s.location_id = "dock_9".into();
        assert!(reason(&t(vec![s]))
            .is_some_and(|r| r.1.contains("steps[0].location_id") && r.1.contains("dock_9")));
        let mut s = step("inspect");
        s.goal = Some(Pose2::new(f64::NAN, 0.0, 0.0));
        assert!(reason(&t(vec![s])).is_some_and(|r| r.1.contains("steps[0].target_pose")));
        let mut s = step("repair");
        s.machine_id.clear();
        assert!(reason(&t(vec![s])).is_some_and(|r| r.1.contains("steps[0].machine_id")));
        let mut s = step("inspect");
        s.expected_duration_s = -1.0;
        assert!(reason(&t(vec![s])).is_some_and(|r| r.1.contains("expected_duration_s")));
        let mut spec = t(vec![step("inspect")]);
        spec.robot_id = "optimus_2".into();
        assert!(reason(&spec).is_some_and(|r| r.1.starts_with("robot_id")));
    }

    #[test]
    fn charge_task_detection() {
        let spec =
            TaskSpec { steps: vec![step("navigate"), step("charge"), step("repair")], ..TaskSpec::default() };
        assert!(validate(&spec, "r", &TaskLimits::default()).is_ok_and(|s| is_charge_task(&s)));
        let spec = TaskSpec { steps: vec![step("repair"), step("charge")], ..TaskSpec::default() };
        assert!(validate(&spec, "r", &TaskLimits::default()).is_ok_and(|s| !is_charge_task(&s)));
    }
}
