//! A node's parameters as the ROS 2 parameter services show them: flat dotted names
//! (`follower.lookahead_m`) with typed values, built from the values the node actually
//! runs with (params files, overrides and defaults, after validation).
//!
//! The parameter services (`ros2 param list/get/describe/dump`, rqt_reconfigure,
//! Foxglove's parameter panel) read this table; [`ParamTable::refuse_set`] says why a
//! change at run time is refused. ROS-free, so it is tested without a ROS installation.

use crate::params::CommonParams;
use serde_yaml::Value;
use std::collections::BTreeMap;

/// One parameter's value, in the types of `rcl_interfaces/ParameterValue`.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// YAML's null (an optional parameter left empty).
    NotSet,
    Bool(bool),
    Integer(i64),
    Double(f64),
    String(String),
    BoolArray(Vec<bool>),
    IntegerArray(Vec<i64>),
    DoubleArray(Vec<f64>),
    StringArray(Vec<String>),
}

impl ParamValue {
    /// ROS parameters have no type for lists of maps or of mixed values: such a value is
    /// shown as its YAML text.
    fn from_yaml(value: &Value) -> ParamValue {
        match value {
            Value::Null => ParamValue::NotSet,
            Value::Bool(b) => ParamValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => ParamValue::Integer(i),
                None => ParamValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => ParamValue::String(s.clone()),
            Value::Sequence(items) => {
                Self::array(items).unwrap_or_else(|| ParamValue::String(yaml_text(value)))
            }
            Value::Mapping(_) | Value::Tagged(_) => ParamValue::String(yaml_text(value)),
        }
    }

    /// A homogeneous list as a typed array (integers and floats mixed make doubles; an
    /// empty list is an empty string array, as `ros2 param` shows `[]`).
    fn array(items: &[Value]) -> Option<ParamValue> {
        if items.iter().all(Value::is_bool) {
            if items.is_empty() {
                return Some(ParamValue::StringArray(Vec::new()));
            }
            return Some(ParamValue::BoolArray(items.iter().filter_map(Value::as_bool).collect()));
        }
        if items.iter().all(Value::is_i64) {
            return Some(ParamValue::IntegerArray(items.iter().filter_map(Value::as_i64).collect()));
        }
        if items.iter().all(Value::is_number) {
            return Some(ParamValue::DoubleArray(items.iter().filter_map(Value::as_f64).collect()));
        }
        if items.iter().all(Value::is_string) {
            return Some(ParamValue::StringArray(
                items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            ));
        }
        None
    }
}

fn yaml_text(value: &Value) -> String {
    serde_yaml::to_string(value).map(|s| s.trim_end().to_string()).unwrap_or_default()
}

/// Every parameter of a node by its dotted name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamTable {
    values: BTreeMap<String, ParamValue>,
}

impl ParamTable {
    /// The table of a node whose own parameters serialise to `node` (a map), plus the
    /// parameters every factory node has.
    pub fn new(node: &Value, common: &CommonParams) -> ParamTable {
        let mut values = BTreeMap::new();
        flatten("", node, &mut values);
        values.insert("use_sim_time".into(), ParamValue::Bool(common.use_sim_time));
        values.insert("autostart".into(), ParamValue::Bool(common.autostart));
        values.insert("diagnostics_period_s".into(), ParamValue::Double(common.diagnostics_period_s));
        ParamTable { values }
    }

    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// `rcl_interfaces/ListParameters`: the names under any of `prefixes` (all names when
    /// there is none) at most `depth` levels below it (0: any depth), and the prefixes of
    /// the names returned.
    pub fn list(&self, prefixes: &[String], depth: u64) -> (Vec<String>, Vec<String>) {
        let within_depth = |rest: &str| depth == 0 || (rest.matches('.').count() as u64) < depth;
        let mut names = Vec::new();
        let mut found_prefixes: Vec<String> = Vec::new();
        for name in self.values.keys() {
            let selected = if prefixes.is_empty() {
                within_depth(name)
            } else {
                prefixes.iter().any(|prefix| {
                    name == prefix
                        || name
                            .strip_prefix(prefix.as_str())
                            .and_then(|rest| rest.strip_prefix('.'))
                            .is_some_and(within_depth)
                })
            };
            if !selected {
                continue;
            }
            names.push(name.clone());
            if let Some((prefix, _)) = name.rsplit_once('.') {
                if !found_prefixes.iter().any(|p| p == prefix) {
                    found_prefixes.push(prefix.to_string());
                }
            }
        }
        (names, found_prefixes)
    }

    /// Why setting `name` at run time is refused. No parameter of the factory's nodes is
    /// changeable while the node runs yet: a node reads its parameters once, validates
    /// them together and builds its core from them, so a new value needs a restart.
    pub fn refuse_set(&self, name: &str) -> String {
        if self.values.contains_key(name) {
            format!("parameter '{name}' cannot change while the node runs: restart the node with -p {name}:=VALUE")
        } else {
            format!("unknown parameter '{name}'")
        }
    }
}

/// Nested maps become dotted names; anything else is a leaf.
fn flatten(prefix: &str, value: &Value, into: &mut BTreeMap<String, ParamValue>) {
    match value {
        Value::Mapping(map) => {
            for (key, inner) in map {
                let key = match key {
                    Value::String(s) => s.clone(),
                    other => yaml_text(other),
                };
                let name = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
                flatten(&name, inner, into);
            }
        }
        leaf if !prefix.is_empty() => {
            into.insert(prefix.to_string(), ParamValue::from_yaml(leaf));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ParamTable {
        let node: Value = serde_yaml::from_str(
            "robot_id: r1\nrate_hz: 10.5\nretries: 3\nfollower:\n  lookahead_m: 0.6\n  limits:\n    v: 1\n\
             joints: [a, b]\npositions: [0, 0.5]\nempty: []\nfaults: null\n",
        )
        .unwrap();
        ParamTable::new(&node, &CommonParams::default())
    }

    #[test]
    fn nested_parameters_get_dotted_names_and_ros_types() {
        let t = table();
        assert_eq!(t.get("robot_id"), Some(&ParamValue::String("r1".into())));
        assert_eq!(t.get("rate_hz"), Some(&ParamValue::Double(10.5)));
        assert_eq!(t.get("retries"), Some(&ParamValue::Integer(3)));
        assert_eq!(t.get("follower.lookahead_m"), Some(&ParamValue::Double(0.6)));
        assert_eq!(t.get("follower.limits.v"), Some(&ParamValue::Integer(1)));
        assert_eq!(t.get("joints"), Some(&ParamValue::StringArray(vec!["a".into(), "b".into()])));
        assert_eq!(t.get("positions"), Some(&ParamValue::DoubleArray(vec![0.0, 0.5])));
        assert_eq!(t.get("empty"), Some(&ParamValue::StringArray(vec![])));
        assert_eq!(t.get("faults"), Some(&ParamValue::NotSet));
        assert_eq!(t.get("use_sim_time"), Some(&ParamValue::Bool(false)));
        assert_eq!(t.get("follower"), None, "a section is not a parameter");
    }

    #[test]
    fn listing_follows_prefixes_and_depth_as_rclcpp() {
        let t = table();
        let (all, prefixes) = t.list(&[], 0);
        assert_eq!(all.len(), t.names().count());
        assert_eq!(prefixes, vec!["follower.limits".to_string(), "follower".to_string()]);
        let (top, _) = t.list(&[], 1);
        assert!(top.contains(&"robot_id".to_string()) && !top.iter().any(|n| n.contains('.')), "{top:?}");
        let (follower, _) = t.list(&["follower".into()], 1);
        assert_eq!(follower, vec!["follower.lookahead_m".to_string()]);
        let (deep, _) = t.list(&["follower".into()], 0);
        assert_eq!(deep, vec!["follower.limits.v".to_string(), "follower.lookahead_m".to_string()]);
        let (none, _) = t.list(&["follow".into()], 0);
        assert!(none.is_empty(), "a prefix matches whole name parts only: {none:?}");
    }

    #[test]
    fn a_change_at_run_time_is_refused_with_the_reason() {
        let t = table();
        assert!(t.refuse_set("rate_hz").contains("cannot change while the node runs"));
        assert!(t.refuse_set("rate_hz").contains("-p rate_hz:=VALUE"));
        assert_eq!(t.refuse_set("nope"), "unknown parameter 'nope'");
    }
}
