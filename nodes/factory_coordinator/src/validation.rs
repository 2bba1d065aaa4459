//! Request validation: each rejection carries a SubmitTask.srv reason code and a
//! message naming the field and the value.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::RequestLimits;
use crate::layout::Layout;
use crate::task::{Origin, Priority, StepKind, StepTarget, TaskRequest, TaskSpec, TaskStep, TaskType};

/// SubmitTask.srv REASON_* codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    Accepted = 0,
    UnknownLocation = 1,
    DeadlineInPast = 2,
    DependencyCycle = 3,
    UnknownCapability = 4,
    UnknownDependency = 5,
    DuplicateId = 6,
    Invalid = 7,
}

impl ReasonCode {
    pub fn as_u8(&self) -> u8 {
        *self as u8
    }
}

/// A refused request: the code for `reason_code`, the text for `message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub code: ReasonCode,
    pub message: String,
}

impl Rejection {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(ReasonCode::Invalid, message)
    }
}

/// At most `max_chars` characters of `text` for a log line or a reply: a request may
/// carry a very long id, which must not be echoed in full.
pub fn shorten(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        text.to_string()
    } else {
        let head: String = text.chars().take(max_chars).collect();
        format!("{head}… ({count} characters)")
    }
}

/// The request's size against `limits`: checked before anything else, so that an
/// oversized request costs no more than this look at it.
pub fn check_limits(req: &TaskRequest, limits: &RequestLimits) -> Result<(), Rejection> {
    let text = |field: String, value: &str| -> Result<(), Rejection> {
        let n = value.chars().count();
        if n > limits.max_text_chars {
            return Err(Rejection::invalid(format!(
                "{field}: {n} characters, at most {} allowed (limits.max_text_chars)",
                limits.max_text_chars
            )));
        }
        Ok(())
    };
    let count = |field: &str, n: usize, max: usize, limit: &str| -> Result<(), Rejection> {
        if n > max {
            return Err(Rejection::invalid(format!("{field}: {n} entries, at most {max} allowed ({limit})")));
        }
        Ok(())
    };
    text("task_id".into(), &req.task_id)?;
    text("task_type".into(), &req.task_type)?;
    text("origin".into(), &req.origin)?;
    text("requested_by".into(), &req.requested_by)?;
    count("steps", req.steps.len(), limits.max_steps, "limits.max_steps")?;
    count("depends_on", req.depends_on.len(), limits.max_list_items, "limits.max_list_items")?;
    count(
        "required_capabilities",
        req.required_capabilities.len(),
        limits.max_list_items,
        "limits.max_list_items",
    )?;
    for (i, dep) in req.depends_on.iter().enumerate() {
        text(format!("depends_on[{i}]"), dep)?;
    }
    for (i, cap) in req.required_capabilities.iter().enumerate() {
        text(format!("required_capabilities[{i}]"), cap)?;
    }
    for (i, s) in req.steps.iter().enumerate() {
        text(format!("steps[{i}].kind"), &s.kind)?;
        text(format!("steps[{i}].location_id"), &s.location_id)?;
        text(format!("steps[{i}].machine_id"), &s.machine_id)?;
        text(format!("steps[{i}].component_id"), &s.component_id)?;
        count(
            &format!("steps[{i}].parameters"),
            s.parameters.len(),
            limits.max_list_items,
            "limits.max_list_items",
        )?;
        for (key, value) in &s.parameters {
            text(format!("steps[{i}].parameters key"), key)?;
            text(format!("steps[{i}].parameters['{}']", shorten(key, 32)), value)?;
        }
        if s.expected_duration_s > limits.max_step_duration_s {
            return Err(Rejection::invalid(format!(
                "steps[{i}].expected_duration_s: {} s, at most {} s allowed (limits.max_step_duration_s)",
                s.expected_duration_s, limits.max_step_duration_s
            )));
        }
    }
    Ok(())
}

/// Checks everything that depends on the request alone plus the layout, the clock and
/// the known capabilities. Id uniqueness and dependencies need the whole queue and are
/// checked by the coordinator (see [`find_cycle`]). `id` is the id to give the task
/// (the request's own, or one the coordinator made up for an empty id).
pub fn validate_request(
    req: &TaskRequest,
    id: &str,
    layout: &Layout,
    known_capabilities: &BTreeSet<String>,
    now_s: f64,
) -> Result<TaskSpec, Rejection> {
    // Malformed fields first: the later checks assume well-formed values.
    let task_type = TaskType::parse(&req.task_type).ok_or_else(|| {
        Rejection::invalid(format!("task_type: '{}' is not a step kind or 'sequence'", req.task_type))
    })?;
    let priority = Priority::from_u8(req.priority)
        .ok_or_else(|| Rejection::invalid(format!("priority: {} is not 0..3", req.priority)))?;
    let origin = Origin::parse(&req.origin)
        .ok_or_else(|| Rejection::invalid(format!("origin: '{}' is not a known origin", req.origin)))?;
    if req.steps.is_empty() {
        return Err(Rejection::invalid("steps: at least one step is required"));
    }
    if let TaskType::Single(kind) = task_type {
        if req.steps.len() != 1 {
            return Err(Rejection::invalid(format!(
                "steps: task_type '{}' takes exactly one step, got {} (use 'sequence')",
                kind.as_str(),
                req.steps.len()
            )));
        }
    }
    if let Some(d) = req.deadline_s {
        if !d.is_finite() {
            return Err(Rejection::invalid(format!("deadline: {d} is not a finite time")));
        }
    }

    let mut steps = Vec::with_capacity(req.steps.len());
    for (i, s) in req.steps.iter().enumerate() {
        let kind = StepKind::parse(&s.kind)
            .ok_or_else(|| Rejection::invalid(format!("steps[{i}].kind: '{}' is not a step kind", s.kind)))?;
        if let TaskType::Single(k) = task_type {
            if k != kind {
                return Err(Rejection::invalid(format!(
                    "steps[{i}].kind: '{}' does not match task_type '{}'",
                    s.kind, req.task_type
                )));
            }
        }
        if !(s.expected_duration_s.is_finite() && s.expected_duration_s >= 0.0) {
            return Err(Rejection::invalid(format!(
                "steps[{i}].expected_duration_s: {} must be a finite number ≥ 0",
                s.expected_duration_s
            )));
        }
        let (target, pose) = if s.location_id.is_empty() {
            if !s.target_pose.is_finite() {
                return Err(Rejection::invalid(format!(
                    "steps[{i}].target_pose: ({}, {}, {}) is not finite",
                    s.target_pose.x, s.target_pose.y, s.target_pose.yaw
                )));
            }
            layout
                .check_free_point(s.target_pose.x, s.target_pose.y)
                .map_err(|reason| Rejection::invalid(format!("steps[{i}].target_pose: {reason}")))?;
            (StepTarget::Pose(s.target_pose), s.target_pose)
        } else {
            let loc = layout.get(&s.location_id).ok_or_else(|| {
                Rejection::new(
                    ReasonCode::UnknownLocation,
                    format!("steps[{i}].location_id: '{}' is not in the factory layout", s.location_id),
                )
            })?;
            (StepTarget::Location(s.location_id.clone()), loc.pose)
        };
        if !s.machine_id.is_empty() && !layout.contains(&s.machine_id) {
            return Err(Rejection::new(
                ReasonCode::UnknownLocation,
                format!("steps[{i}].machine_id: '{}' is not in the factory layout", s.machine_id),
            ));
        }
        steps.push(TaskStep {
            kind,
            target,
            pose,
            machine_id: s.machine_id.clone(),
            component_id: s.component_id.clone(),
            expected_duration_s: s.expected_duration_s,
            parameters: s.parameters.clone(),
        });
    }

    if let Some(d) = req.deadline_s {
        if d < now_s {
            return Err(Rejection::new(
                ReasonCode::DeadlineInPast,
                format!("deadline: {d:.3} s is before now ({now_s:.3} s)"),
            ));
        }
    }
    for cap in &req.required_capabilities {
        if !known_capabilities.contains(cap) {
            return Err(Rejection::new(
                ReasonCode::UnknownCapability,
                format!("required_capabilities: no robot offers '{cap}'"),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for dep in &req.depends_on {
        if dep == id {
            return Err(Rejection::new(
                ReasonCode::DependencyCycle,
                format!("depends_on: task '{id}' depends on itself"),
            ));
        }
        if !seen.insert(dep.as_str()) {
            return Err(Rejection::invalid(format!("depends_on: '{dep}' listed twice")));
        }
    }

    Ok(TaskSpec {
        id: id.to_string(),
        task_type,
        priority,
        deadline_s: req.deadline_s,
        steps,
        required_capabilities: req.required_capabilities.clone(),
        depends_on: req.depends_on.clone(),
        origin,
        requested_by: req.requested_by.clone(),
    })
}

/// Finds a dependency cycle in `graph` (task id → ids it depends on), returning the ids
/// on the cycle in order, first id repeated at the end. Edges to ids not in the graph
/// are ignored. Iterative DFS with three colours, so deep chains cannot overflow the stack.
pub fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: BTreeMap<&str, Colour> = graph.keys().map(|k| (k.as_str(), Colour::White)).collect();
    for start in graph.keys() {
        if colour.get(start.as_str()) != Some(&Colour::White) {
            continue;
        }
        // Stack of (node, index of next edge to explore); the stack is the current path.
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        colour.insert(start.as_str(), Colour::Grey);
        while let Some((node, next)) = stack.last().copied() {
            let edges = graph.get(node).map(|v| v.as_slice()).unwrap_or(&[]);
            if next < edges.len() {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let dep = edges[next].as_str();
                match colour.get(dep) {
                    Some(Colour::White) => {
                        colour.insert(dep, Colour::Grey);
                        stack.push((dep, 0));
                    }
                    Some(Colour::Grey) => {
                        // Back edge: the cycle is the path from `dep` to `node`, then `dep`.
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[pos..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(dep.to_string());
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                colour.insert(node, Colour::Black);
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect()
    }

    #[test]
    fn limits_name_the_field_and_shorten_keeps_logs_small() {
        let limits =
            RequestLimits { max_text_chars: 8, max_steps: 2, max_list_items: 1, max_step_duration_s: 60.0 };
        let ok = TaskRequest::single("t1", "inspect", "s1", 10.0);
        assert_eq!(check_limits(&ok, &limits), Ok(()));
        let long_id = TaskRequest::single("t123456789", "inspect", "s1", 10.0);
        assert!(check_limits(&long_id, &limits).unwrap_err().message.starts_with("task_id: 10 characters"));
        let slow = TaskRequest::single("t1", "inspect", "s1", 61.0);
        assert!(check_limits(&slow, &limits)
            .unwrap_err()
            .message
            .starts_with("steps[0].expected_duration_s"));
        let mut deps = ok.clone();
        deps.depends_on = vec!["a".into(), "b".into()];
        assert!(check_limits(&deps, &limits).unwrap_err().message.starts_with("depends_on: 2 entries"));
        let mut params = ok.clone();
        params.steps[0].parameters = vec![("k".into(), "a very long value".into())];
        assert!(check_limits(&params, &limits).unwrap_err().message.starts_with("steps[0].parameters['k']"));
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcdef", 3), "abc… (6 characters)");
    }

    #[test]
    fn cycles_found_and_dags_pass() {
        assert_eq!(find_cycle(&g(&[("a", &["b"]), ("b", &["c"]), ("c", &[])])), None);
        assert_eq!(find_cycle(&g(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])])), None);
        let c = find_cycle(&g(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]));
        assert_eq!(c.map(|c| c.len()), Some(4));
        assert!(find_cycle(&g(&[("x", &["x"])])).is_some());
    }
}
