//! Task model. [`TaskRequest`] mirrors the TaskRequest message field for field (strings
//! and raw codes, as received); validation turns it into a typed [`TaskSpec`].

use crate::layout::Pose2;

/// One kind of step (TaskStep.kind): the factory's one definition (factory_types).
pub use factory_types::StepKind;

/// TaskRequest.task_type: a step kind, or a composite sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskType {
    Single(StepKind),
    Sequence,
}

impl TaskType {
    pub const SEQUENCE: &'static str = "sequence";

    pub fn parse(s: &str) -> Option<Self> {
        if s == Self::SEQUENCE {
            Some(TaskType::Sequence)
        } else {
            StepKind::parse(s).map(TaskType::Single)
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TaskType::Single(k) => k.as_str(),
            TaskType::Sequence => Self::SEQUENCE,
        }
    }
}

/// TaskRequest.PRIORITY_*; ordered so that `Urgent > Low`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    Low = 0,
    Normal = 1,
    High = 2,
    Urgent = 3,
}

impl Priority {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Priority::Low),
            1 => Some(Priority::Normal),
            2 => Some(Priority::High),
            3 => Some(Priority::Urgent),
            _ => None,
        }
    }

    pub fn as_u8(&self) -> u8 {
        *self as u8
    }
}

/// TaskRequest.ORIGIN_*, plus the coordinator itself (charge tasks it inserts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Operator,
    Maintenance,
    Quality,
    Production,
    Coordinator,
}

impl Origin {
    /// "" defaults to operator (a hand-typed request); anything else must be known.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "operator" => Some(Origin::Operator),
            "maintenance" => Some(Origin::Maintenance),
            "quality" => Some(Origin::Quality),
            "production" => Some(Origin::Production),
            "coordinator" => Some(Origin::Coordinator),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Origin::Operator => "operator",
            Origin::Maintenance => "maintenance",
            Origin::Quality => "quality",
            Origin::Production => "production",
            Origin::Coordinator => "coordinator",
        }
    }
}

/// TaskStep as received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepRequest {
    pub kind: String,
    /// "" = use `target_pose`.
    pub location_id: String,
    pub target_pose: Pose2,
    pub machine_id: String,
    pub component_id: String,
    /// Seconds at the location; 0 = unknown.
    pub expected_duration_s: f64,
    pub parameters: Vec<(String, String)>,
}

impl StepRequest {
    pub fn at(kind: &str, location_id: &str, expected_duration_s: f64) -> Self {
        Self {
            kind: kind.to_string(),
            location_id: location_id.to_string(),
            expected_duration_s,
            ..Default::default()
        }
    }
}

/// TaskRequest as received (the adapter converts builtin Time to seconds and the
/// quaternion to yaw; a zero deadline becomes `None`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskRequest {
    /// "" lets the coordinator assign one.
    pub task_id: String,
    pub task_type: String,
    pub priority: u8,
    pub deadline_s: Option<f64>,
    pub steps: Vec<StepRequest>,
    pub required_capabilities: Vec<String>,
    pub depends_on: Vec<String>,
    pub origin: String,
    pub requested_by: String,
}

impl TaskRequest {
    /// A one-step task of `kind` at `location_id` (tests, tools, the dispatcher).
    pub fn single(task_id: &str, kind: &str, location_id: &str, duration_s: f64) -> Self {
        Self {
            task_id: task_id.to_string(),
            task_type: kind.to_string(),
            priority: Priority::Normal.as_u8(),
            steps: vec![StepRequest::at(kind, location_id, duration_s)],
            ..Default::default()
        }
    }

    pub fn with_priority(mut self, p: Priority) -> Self {
        self.priority = p.as_u8();
        self
    }

    pub fn with_deadline(mut self, deadline_s: f64) -> Self {
        self.deadline_s = Some(deadline_s);
        self
    }

    pub fn with_capabilities(mut self, caps: &[&str]) -> Self {
        self.required_capabilities = caps.iter().map(|c| c.to_string()).collect();
        self
    }

    pub fn with_deps(mut self, deps: &[&str]) -> Self {
        self.depends_on = deps.iter().map(|c| c.to_string()).collect();
        self
    }
}

/// Where a validated step happens.
#[derive(Debug, Clone, PartialEq)]
pub enum StepTarget {
    Location(String),
    Pose(Pose2),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskStep {
    pub kind: StepKind,
    pub target: StepTarget,
    /// Resolved map pose (the location's pose, or the explicit target).
    pub pose: Pose2,
    pub machine_id: String,
    pub component_id: String,
    /// 0 = unknown (the planner then uses its default step duration).
    pub expected_duration_s: f64,
    pub parameters: Vec<(String, String)>,
}

/// A validated task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    pub id: String,
    pub task_type: TaskType,
    pub priority: Priority,
    pub deadline_s: Option<f64>,
    pub steps: Vec<TaskStep>,
    pub required_capabilities: Vec<String>,
    pub depends_on: Vec<String>,
    pub origin: Origin,
    pub requested_by: String,
}

impl TaskSpec {
    pub fn is_charge(&self) -> bool {
        self.task_type == TaskType::Single(StepKind::Charge)
    }

    /// Back to the wire form, e.g. to send coordinator-made charge tasks as ExecuteTask goals.
    pub fn to_request(&self) -> TaskRequest {
        TaskRequest {
            task_id: self.id.clone(),
            task_type: self.task_type.as_str().to_string(),
            priority: self.priority.as_u8(),
            deadline_s: self.deadline_s,
            steps: self
                .steps
                .iter()
                .map(|s| StepRequest {
                    kind: s.kind.as_str().to_string(),
                    location_id: match &s.target {
                        StepTarget::Location(id) => id.clone(),
                        StepTarget::Pose(_) => String::new(),
                    },
                    target_pose: s.pose,
                    machine_id: s.machine_id.clone(),
                    component_id: s.component_id.clone(),
                    expected_duration_s: s.expected_duration_s,
                    parameters: s.parameters.clone(),
                })
                .collect(),
            required_capabilities: self.required_capabilities.clone(),
            depends_on: self.depends_on.clone(),
            origin: self.origin.as_str().to_string(),
            requested_by: self.requested_by.clone(),
        }
    }
}
