//! Typed node parameters from ROS 2 params files and `--ros-args -p` overrides.
//!
//! A node declares one struct of parameters (serde, with defaults) and a [`Validate`]
//! impl. [`load_params`] builds it the way rclcpp would: every `--params-file` in order
//! (entries keyed by node-name patterns such as `/**`, `/**/name` or `/ns/name`, each
//! holding `ros__parameters`), then every `-p name:=value` override. Values are parsed as
//! YAML, as rcl does, and dotted names address nested maps (`limits.max_speed`).
//!
//! Errors name the key, the bad value and what is allowed, so a roboticist can fix a
//! launch file without reading the source. This module needs no ROS installation.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserializer, Serialize};
use serde_yaml::{Mapping, Value};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

/// A path parameter as a path: relative paths are taken from `$FACTORY_ROOT` when it
/// is set (the launch files set it to the checkout), else from the working directory.
pub fn factory_path(path: &str) -> PathBuf {
    let path = PathBuf::from(path);
    match std::env::var_os("FACTORY_ROOT") {
        Some(root) if path.is_relative() => PathBuf::from(root).join(path),
        _ => path,
    }
}

/// Why the parameters of a node could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("cannot read params file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("params file {path} is not valid YAML: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("params file {path}: {reason}")]
    Layout { path: PathBuf, reason: String },
    #[error("bad command-line argument '{arg}': {reason}")]
    BadArgument { arg: String, reason: String },
    #[error("parameter '{key}' = {value} has the wrong type: {reason}")]
    WrongType { key: String, value: String, reason: String },
    #[error("unknown parameter '{key}' for node '{node}' (known: {known})")]
    Unknown { node: String, key: String, known: String },
    #[error("parameter '{key}' = {value} is not allowed: {allowed}")]
    Invalid { key: String, value: String, allowed: String },
}

/// Checks a node's parameters after loading; the node refuses to start otherwise.
pub trait Validate {
    fn validate(&self) -> Result<(), ParamError>;
}

/// `key` must lie in `[min, max]` (inclusive); `unit` is printed in the error.
pub fn check_range<T>(key: &str, value: T, min: T, max: T, unit: &str) -> Result<(), ParamError>
where
    T: PartialOrd + fmt::Display + Copy,
{
    // Written so that NaN fails too: NaN is neither >= min nor <= max.
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(ParamError::Invalid {
            key: key.to_string(),
            value: value.to_string(),
            allowed: format!("must be within [{min}, {max}] {unit}").trim_end().to_string(),
        })
    }
}

/// `key` must not be empty.
pub fn check_not_empty(key: &str, value: &str) -> Result<(), ParamError> {
    if value.trim().is_empty() {
        Err(ParamError::Invalid {
            key: key.to_string(),
            value: format!("{value:?}"),
            allowed: "must not be empty".to_string(),
        })
    } else {
        Ok(())
    }
}

/// What the ROS arguments of a process say about parameters and naming.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosArgs {
    /// `--params-file PATH`, in the order given.
    pub params_files: Vec<PathBuf>,
    /// `-p name:=value`, in the order given (value still as text).
    pub overrides: Vec<(String, String)>,
    /// `-r __node:=NAME`, if given.
    pub node_name: Option<String>,
    /// `-r __ns:=/NAMESPACE`, if given.
    pub namespace: Option<String>,
}

impl RosArgs {
    /// Reads the `--ros-args ... [--]` sections of a command line (program name first).
    pub fn parse<I, S>(args: I) -> Result<RosArgs, ParamError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_string()).collect();
        let mut parsed = RosArgs::default();
        let mut in_ros_args = false;
        let mut i = 1; // skip the program name
        while i < args.len() {
            let arg = args[i].as_str();
            i += 1;
            if arg == "--ros-args" {
                in_ros_args = true;
                continue;
            }
            if !in_ros_args {
                continue;
            }
            if arg == "--" {
                in_ros_args = false;
                continue;
            }
            // Flags that take a value as the next argument.
            let takes_value = matches!(
                arg,
                "-p" | "--param" | "--params-file" | "-r" | "--remap" | "--log-level" | "-e" | "--enclave"
            );
            if !takes_value {
                continue; // e.g. --disable-rosout-logs: for rcl, not for us
            }
            let Some(value) = args.get(i) else {
                return Err(ParamError::BadArgument {
                    arg: arg.to_string(),
                    reason: "expects a value after it".to_string(),
                });
            };
            i += 1;
            match arg {
                "--params-file" => parsed.params_files.push(PathBuf::from(value)),
                "-p" | "--param" => {
                    let (name, text) = split_assignment(value)?;
                    parsed.overrides.push((name, text));
                }
                "-r" | "--remap" => {
                    let (from, to) = split_assignment(value)?;
                    // Only node-wide remaps matter here; topic remaps are rcl's business.
                    match from.as_str() {
                        "__node" | "__name" => parsed.node_name = Some(to),
                        "__ns" => parsed.namespace = Some(to),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Ok(parsed)
    }
}

fn split_assignment(text: &str) -> Result<(String, String), ParamError> {
    match text.split_once(":=") {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => {
            Err(ParamError::BadArgument { arg: text.to_string(), reason: "expected NAME:=VALUE".to_string() })
        }
    }
}

/// Parameters every factory node understands, besides its own.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonParams {
    /// Follow /clock instead of the system clock.
    pub use_sim_time: bool,
    /// Configure and activate the lifecycle at start-up (no lifecycle manager needed).
    pub autostart: bool,
    /// Seconds between two /diagnostics messages.
    pub diagnostics_period_s: f64,
}

impl Default for CommonParams {
    fn default() -> Self {
        CommonParams { use_sim_time: false, autostart: true, diagnostics_period_s: 1.0 }
    }
}

/// A node's own parameters together with the common ones.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedParams<P> {
    pub node: P,
    pub common: CommonParams,
}

/// Builds the parameters of node `node_name` (in `namespace`) from params files and
/// overrides. `fallback_file` is read when no `--params-file` was given and it exists,
/// so `config/<node>.yaml` applies without a launch file.
pub fn load_params<P>(
    node_name: &str,
    namespace: &str,
    ros_args: &RosArgs,
    fallback_file: Option<&Path>,
) -> Result<LoadedParams<P>, ParamError>
where
    P: DeserializeOwned + Validate,
{
    let mut merged = Mapping::new();
    let files: Vec<PathBuf> = if ros_args.params_files.is_empty() {
        fallback_file.filter(|p| p.exists()).map(|p| vec![p.to_path_buf()]).unwrap_or_default()
    } else {
        ros_args.params_files.clone()
    };
    for path in &files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ParamError::Unreadable { path: path.clone(), reason: e.to_string() })?;
        merge_params_file(&mut merged, &text, path, node_name, namespace)?;
    }
    for (name, text) in &ros_args.overrides {
        // rcl parses override values as YAML too: "3" is an integer, "true" a bool.
        // `name:=` with nothing after it means the empty string, not YAML's null.
        let value: Value = if text.is_empty() {
            Value::String(String::new())
        } else {
            serde_yaml::from_str(text).map_err(|e| ParamError::BadArgument {
                arg: format!("{name}:={text}"),
                reason: e.to_string(),
            })?
        };
        set_dotted(&mut merged, name, value);
    }

    let common = take_common(&mut merged)?;
    let node: P = deserialize_params(node_name, merged)?;
    node.validate()?;
    Ok(LoadedParams { node, common })
}

/// Merges the entries of one params file that apply to this node into `merged`, as
/// rclcpp does with the files rcl parses:
/// - an entry's key is a node name pattern; a key without a leading `/` is taken from
///   the root (`mover` is `/mover`), `*` stands for one name token and `**` for any
///   number of them (`/**` matches every node, `/**/mover` a `mover` in any namespace);
/// - entries may nest namespaces as maps (`robot_2: {mover: {ros__parameters: ...}}` is
///   `/robot_2/mover`);
/// - under `ros__parameters`, nested maps and dotted keys are the same parameter
///   (`a: {b: 1}` and `a.b: 1`), which is how launch_ros writes `<param name="a.b">`.
///
/// Entries with wildcards apply first, then exact names, each group in file order, so
/// a node's own entry wins over a wildcard one.
fn merge_params_file(
    merged: &mut Mapping,
    text: &str,
    path: &Path,
    node_name: &str,
    namespace: &str,
) -> Result<(), ParamError> {
    let root: Value = serde_yaml::from_str(text)
        .map_err(|e| ParamError::Malformed { path: path.to_path_buf(), reason: e.to_string() })?;
    let layout_error = |reason: String| ParamError::Layout { path: path.to_path_buf(), reason };
    let entries = match root {
        Value::Mapping(m) => m,
        Value::Null => return Ok(()), // an empty file sets nothing
        other => {
            return Err(layout_error(format!(
                "the top level must map node names to ros__parameters, found {}",
                describe(&other)
            )))
        }
    };
    let mut node_entries = Vec::new();
    collect_node_entries(entries, "", &mut node_entries).map_err(layout_error)?;
    let fully_qualified = fully_qualified_name(namespace, node_name);
    let mut matching: Vec<(bool, Mapping)> = node_entries
        .into_iter()
        .filter(|(pattern, _)| node_pattern_matches(pattern, &fully_qualified))
        .map(|(pattern, params)| (!pattern.contains('*'), params))
        .collect();
    // Stable: file order within each group.
    matching.sort_by_key(|(exact, _)| *exact);
    for (_, params) in matching {
        merge_maps(merged, expand_dotted_keys(params));
    }
    Ok(())
}

/// Walks the node entries of a params file: a map holding `ros__parameters` is a node's
/// entry; any other map nests a namespace. Collects `(node name pattern, parameters)`.
fn collect_node_entries(
    entries: Mapping,
    prefix: &str,
    into: &mut Vec<(String, Mapping)>,
) -> Result<(), String> {
    for (key, value) in entries {
        let key = match key {
            Value::String(k) => k,
            other => return Err(format!("node names must be strings, found {}", describe(&other))),
        };
        let name =
            if prefix.is_empty() { key.clone() } else { format!("{prefix}/{}", key.trim_start_matches('/')) };
        let Value::Mapping(mut entry) = value else {
            return Err(format!(
                "entry '{name}' must be a map holding ros__parameters, found {}",
                describe(&value)
            ));
        };
        match entry.remove("ros__parameters") {
            Some(Value::Mapping(params)) => into.push((name.clone(), params)),
            Some(Value::Null) => into.push((name.clone(), Mapping::new())),
            Some(other) => {
                return Err(format!("'{name}.ros__parameters' must be a map, found {}", describe(&other)))
            }
            None if entry.is_empty() || !entry.values().all(Value::is_mapping) => {
                return Err(format!("entry '{name}' has no 'ros__parameters' key"))
            }
            None => {}
        }
        // What is left nests further namespaces under this one.
        if !entry.is_empty() {
            collect_node_entries(entry, &name, into)?;
        }
    }
    Ok(())
}

/// Whether a params-file node name pattern names the node `fully_qualified` (`/ns/name`):
/// `*` matches one token, `**` any number of tokens (none included).
fn node_pattern_matches(pattern: &str, fully_qualified: &str) -> bool {
    fn matches(pattern: &[&str], name: &[&str]) -> bool {
        match pattern.split_first() {
            None => name.is_empty(),
            Some((&"**", rest)) => (0..=name.len()).any(|skip| matches(rest, &name[skip..])),
            Some((token, rest)) => match name.split_first() {
                Some((first, name_rest)) => (*token == "*" || token == first) && matches(rest, name_rest),
                None => false,
            },
        }
    }
    let tokens = |text: &str| -> Vec<String> {
        text.split('/').filter(|t| !t.is_empty()).map(str::to_string).collect()
    };
    let pattern = tokens(pattern);
    let name = tokens(fully_qualified);
    let pattern: Vec<&str> = pattern.iter().map(String::as_str).collect();
    let name: Vec<&str> = name.iter().map(String::as_str).collect();
    matches(&pattern, &name)
}

/// `a.b: 1` becomes `a: {b: 1}` at every level, merged with what `a` already holds.
fn expand_dotted_keys(params: Mapping) -> Mapping {
    let mut expanded = Mapping::new();
    for (key, value) in params {
        let value = match value {
            Value::Mapping(inner) => Value::Mapping(expand_dotted_keys(inner)),
            other => other,
        };
        match key {
            Value::String(name) if name.contains('.') => {
                let mut nested = value;
                for part in name.rsplit('.') {
                    let mut level = Mapping::new();
                    level.insert(Value::String(part.to_string()), nested);
                    nested = Value::Mapping(level);
                }
                if let Value::Mapping(nested) = nested {
                    merge_maps(&mut expanded, nested);
                }
            }
            key => merge_maps(&mut expanded, Mapping::from_iter([(key, value)])),
        }
    }
    expanded
}

fn fully_qualified_name(namespace: &str, node_name: &str) -> String {
    let ns = namespace.trim_end_matches('/');
    if ns.is_empty() {
        format!("/{node_name}")
    } else if ns.starts_with('/') {
        format!("{ns}/{node_name}")
    } else {
        format!("/{ns}/{node_name}")
    }
}

/// Deep merge: maps merge key by key, anything else is replaced.
fn merge_maps(into: &mut Mapping, from: Mapping) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Mapping(existing)), Value::Mapping(incoming)) => merge_maps(existing, incoming),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

fn set_dotted(root: &mut Mapping, dotted: &str, value: Value) {
    let mut parts: Vec<&str> = dotted.split('.').collect();
    let last = parts.pop().unwrap_or(dotted);
    let mut map = root;
    for part in parts {
        let key = Value::String(part.to_string());
        if !matches!(map.get(&key), Some(Value::Mapping(_))) {
            map.insert(key.clone(), Value::Mapping(Mapping::new()));
        }
        map = match map.get_mut(&key) {
            Some(Value::Mapping(m)) => m,
            _ => return, // unreachable: inserted just above
        };
    }
    map.insert(Value::String(last.to_string()), value);
}

fn take_common(merged: &mut Mapping) -> Result<CommonParams, ParamError> {
    let mut common = CommonParams::default();
    if let Some(v) = merged.remove("use_sim_time") {
        common.use_sim_time = expect_bool("use_sim_time", &v)?;
    }
    if let Some(v) = merged.remove("autostart") {
        common.autostart = expect_bool("autostart", &v)?;
    }
    if let Some(v) = merged.remove("diagnostics_period_s") {
        let period = v.as_f64().ok_or_else(|| ParamError::WrongType {
            key: "diagnostics_period_s".into(),
            value: render(&v),
            reason: "expected a number of seconds".into(),
        })?;
        check_range("diagnostics_period_s", period, 0.05, 60.0, "s")?;
        common.diagnostics_period_s = period;
    }
    Ok(common)
}

fn expect_bool(key: &str, v: &Value) -> Result<bool, ParamError> {
    v.as_bool().ok_or_else(|| ParamError::WrongType {
        key: key.into(),
        value: render(v),
        reason: "expected true or false".into(),
    })
}

/// Turns the merged map into the node's struct, translating serde's complaints into
/// errors that name the parameter (the path comes from serde_path_to_error).
fn deserialize_params<P: DeserializeOwned>(node_name: &str, merged: Mapping) -> Result<P, ParamError> {
    let value = Value::Mapping(merged.clone());
    serde_path_to_error::deserialize::<_, P>(value).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            let field = rest.split('`').next().unwrap_or(rest);
            // The path points at the unknown field itself.
            let key = if path == "." || path.is_empty() { field.to_string() } else { path };
            let known = rest.split_once("expected ").map(|(_, k)| k.replace('`', "")).unwrap_or_default();
            return ParamError::Unknown { node: node_name.to_string(), key, known };
        }
        let value = lookup_dotted(&merged, &path).map(render).unwrap_or_default();
        ParamError::WrongType { key: path, value, reason: msg }
    })
}

fn lookup_dotted<'a>(map: &'a Mapping, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let mut current = map.get(parts.next()?)?;
    for part in parts {
        current = current.as_mapping()?.get(part)?;
    }
    Some(current)
}

fn render(v: &Value) -> String {
    serde_yaml::to_string(v).map(|s| s.trim_end().to_string()).unwrap_or_else(|_| format!("{v:?}"))
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// For a nested parameter section whose type comes from an algorithm core (serde
/// `default` but not `deny_unknown_fields`): `#[serde(deserialize_with = "strict_section")]`
/// refuses a misspelt key (`fusion.l_hitt`) instead of silently using the default. It
/// deserialises in place, so errors carry the full key and [`load_params`] reports an
/// unknown one as an unknown parameter.
pub fn strict_section<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Serialize + Default,
{
    struct SectionVisitor<T>(PhantomData<T>);
    impl<'de, T: DeserializeOwned + Serialize + Default> Visitor<'de> for SectionVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of parameters")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let known = match serde_yaml::to_value(T::default()) {
                Ok(serde_yaml::Value::Mapping(m)) => {
                    m.keys().filter_map(|k| k.as_str().map(String::from)).collect()
                }
                _ => Vec::new(),
            };
            T::deserialize(MapAccessDeserializer::new(KnownKeys { inner: map, known, unknown: None }))
        }
    }
    d.deserialize_map(SectionVisitor(PhantomData))
}

/// A map whose keys must be among `known`; an unknown key fails as its value is read, so
/// the error's path names it.
struct KnownKeys<A> {
    inner: A,
    known: Vec<String>,
    unknown: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KnownKeys<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key::<String>()? else { return Ok(None) };
        if !self.known.contains(&key) {
            self.unknown = Some(key.clone());
        }
        seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(key)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.unknown.take() {
            None => self.inner.next_value_seed(seed),
            Some(key) => {
                let expected: Vec<String> = self.known.iter().map(|k| format!("`{k}`")).collect();
                // serde's own wording, which the support crate turns into "unknown parameter".
                let message = format!("unknown field `{key}`, expected one of {}", expected.join(", "));
                self.inner.next_value_seed(Reject::<V::Value>(message, PhantomData))
            }
        }
    }
}

struct Reject<T>(String, PhantomData<T>);
impl<'de, T> DeserializeSeed<'de> for Reject<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<T, D::Error> {
        Err(serde::de::Error::custom(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Limits {
        max_speed_mps: f64,
    }
    impl Default for Limits {
        fn default() -> Self {
            Limits { max_speed_mps: 1.0 }
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Example {
        rate_hz: f64,
        robot_id: String,
        limits: Limits,
    }
    impl Default for Example {
        fn default() -> Self {
            Example { rate_hz: 10.0, robot_id: "r1".into(), limits: Limits::default() }
        }
    }
    impl Validate for Example {
        fn validate(&self) -> Result<(), ParamError> {
            check_range("rate_hz", self.rate_hz, 0.1, 1000.0, "Hz")?;
            check_not_empty("robot_id", &self.robot_id)?;
            check_range("limits.max_speed_mps", self.limits.max_speed_mps, 0.0, 3.0, "m/s")
        }
    }

    fn write_temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("factory_node_params_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write temp file");
        path
    }

    fn args(list: &[&str]) -> RosArgs {
        let mut all = vec!["prog"];
        all.extend_from_slice(list);
        RosArgs::parse(all).expect("valid arguments")
    }

    #[test]
    fn defaults_apply_without_any_source() {
        let loaded: LoadedParams<Example> = load_params("n", "", &RosArgs::default(), None).unwrap();
        assert_eq!(loaded.node, Example::default());
        assert_eq!(loaded.common, CommonParams::default());
    }

    #[test]
    fn node_entry_overrides_wildcard_and_overrides_win_last() {
        let file = write_temp(
            "layers.yaml",
            "/**:\n  ros__parameters:\n    rate_hz: 5.0\n    use_sim_time: true\n\
             other_node:\n  ros__parameters:\n    rate_hz: 99.0\n\
             mover:\n  ros__parameters:\n    rate_hz: 20.0\n    limits:\n      max_speed_mps: 2.0\n",
        );
        let a =
            args(&["--ros-args", "--params-file", file.to_str().unwrap(), "-p", "limits.max_speed_mps:=0.5"]);
        let loaded: LoadedParams<Example> = load_params("mover", "", &a, None).unwrap();
        assert_eq!(loaded.node.rate_hz, 20.0);
        assert_eq!(loaded.node.limits.max_speed_mps, 0.5);
        assert!(loaded.common.use_sim_time);
    }

    #[test]
    fn fully_qualified_entry_matches_namespaced_node() {
        let file = write_temp("fq.yaml", "/robot_2/mover:\n  ros__parameters:\n    robot_id: robot_2\n");
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let loaded: LoadedParams<Example> = load_params("mover", "/robot_2", &a, None).unwrap();
        assert_eq!(loaded.node.robot_id, "robot_2");
        let elsewhere: LoadedParams<Example> = load_params("mover", "/robot_3", &a, None).unwrap();
        assert_eq!(elsewhere.node.robot_id, "r1");
    }

    #[test]
    fn launch_ros_params_file_with_dotted_keys_sets_nested_parameters() {
        // What launch_ros writes for <param name="limits.max_speed_mps" value="2.5"/>.
        let file = write_temp(
            "launch_ros.yaml",
            "/**:\n  ros__parameters:\n    limits.max_speed_mps: 2.5\n    rate_hz: 3.0\n",
        );
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let loaded: LoadedParams<Example> = load_params("mover", "/robot_2", &a, None).unwrap();
        assert_eq!(loaded.node.limits.max_speed_mps, 2.5);
        assert_eq!(loaded.node.rate_hz, 3.0);
    }

    #[test]
    fn dotted_and_nested_keys_are_the_same_parameter() {
        let file = write_temp(
            "mixed.yaml",
            "/**/mover:\n  ros__parameters:\n    limits:\n      max_speed_mps: 1.5\n\
             /robot_2/mover:\n  ros__parameters:\n    limits.max_speed_mps: 2.0\n",
        );
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let loaded: LoadedParams<Example> = load_params("mover", "/robot_2", &a, None).unwrap();
        assert_eq!(loaded.node.limits.max_speed_mps, 2.0, "the node's own entry wins over the wildcard");
        let loaded: LoadedParams<Example> = load_params("mover", "/robot_3", &a, None).unwrap();
        assert_eq!(loaded.node.limits.max_speed_mps, 1.5);
    }

    #[test]
    fn node_names_match_as_rclcpp_matches_them() {
        for (pattern, name, expected) in [
            ("/**", "/mover", true),
            ("/**", "/robot_2/mover", true),
            ("/**/mover", "/mover", true),
            ("/**/mover", "/a/b/mover", true),
            ("/*/mover", "/robot_2/mover", true),
            ("/*/mover", "/mover", false),
            ("mover", "/mover", true),
            ("mover", "/robot_2/mover", false),
            ("/robot_2/mover", "/robot_2/mover", true),
            ("robot_2/mover", "/robot_2/mover", true),
            ("/robot_2/mover", "/robot_3/mover", false),
            ("/**/mover", "/robot_2/movers", false),
        ] {
            assert_eq!(node_pattern_matches(pattern, name), expected, "{pattern} vs {name}");
        }
    }

    #[test]
    fn namespaces_may_nest_as_maps() {
        let file = write_temp(
            "nested.yaml",
            "robot_2:\n  mover:\n    ros__parameters:\n      robot_id: robot_2\n\
             robot_3:\n  mover:\n    ros__parameters:\n      robot_id: robot_3\n",
        );
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let loaded: LoadedParams<Example> = load_params("mover", "/robot_3", &a, None).unwrap();
        assert_eq!(loaded.node.robot_id, "robot_3");
        let loaded: LoadedParams<Example> = load_params("mover", "", &a, None).unwrap();
        assert_eq!(loaded.node.robot_id, "r1", "no entry for /mover");
    }

    #[test]
    fn shipped_params_files_apply_to_their_node_in_any_namespace() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        let entries = std::fs::read_dir(&config).expect("config/");
        let mut checked = 0;
        for entry in entries {
            let path = entry.expect("entry").path();
            let Some(node) = path.file_stem().and_then(|s| s.to_str()) else { continue };
            let text = std::fs::read_to_string(&path).expect("read");
            if path.extension().and_then(|e| e.to_str()) != Some("yaml") || !text.contains("ros__parameters")
            {
                continue; // the factory layout, not a params file
            }
            let root: Value = serde_yaml::from_str(&text).expect("yaml");
            let mut found = Vec::new();
            collect_node_entries(root.as_mapping().cloned().unwrap_or_default(), "", &mut found)
                .expect("layout");
            for namespace in ["", "/optimus_3"] {
                let fqn = fully_qualified_name(namespace, node);
                assert!(
                    found.iter().any(|(pattern, _)| node_pattern_matches(pattern, &fqn)),
                    "{} has no entry for {fqn}",
                    path.display()
                );
            }
            checked += 1;
        }
        assert!(checked >= 9, "only {checked} params files found");
    }

    #[test]
    fn out_of_range_value_names_key_value_and_range() {
        let a = args(&["--ros-args", "-p", "rate_hz:=-5.0"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert_eq!(
            err,
            ParamError::Invalid {
                key: "rate_hz".into(),
                value: "-5".into(),
                allowed: "must be within [0.1, 1000] Hz".into()
            }
        );
        assert!(err.to_string().contains("'rate_hz' = -5"), "{err}");
    }

    #[test]
    fn nan_is_rejected_by_range_checks() {
        let a = args(&["--ros-args", "-p", "rate_hz:=.nan"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert!(matches!(err, ParamError::Invalid { ref key, .. } if key == "rate_hz"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_nested_key() {
        let a = args(&["--ros-args", "-p", "limits.max_speed_mps:=fast"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        match err {
            ParamError::WrongType { key, value, .. } => {
                assert_eq!(key, "limits.max_speed_mps");
                assert_eq!(value, "fast");
            }
            other => panic!("expected WrongType, got {other}"),
        }
    }

    #[test]
    fn unknown_parameter_is_named_with_known_ones() {
        let a = args(&["--ros-args", "-p", "rate_hzz:=3.0"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        match &err {
            ParamError::Unknown { key, known, .. } => {
                assert_eq!(key, "rate_hzz");
                assert!(known.contains("rate_hz"), "{known}");
            }
            other => panic!("expected Unknown, got {other}"),
        }
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let file = write_temp("broken.yaml", "mover:\n  ros__parameters:\n    rate_hz: [1, 2\n");
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert!(matches!(err, ParamError::Malformed { ref path, .. } if path == &file), "{err}");
    }

    #[test]
    fn entry_without_ros_parameters_is_a_layout_error() {
        let file = write_temp("layout.yaml", "mover:\n  rate_hz: 3.0\n");
        let a = args(&["--ros-args", "--params-file", file.to_str().unwrap()]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert!(err.to_string().contains("no 'ros__parameters'"), "{err}");
    }

    #[test]
    fn fallback_file_is_used_only_without_params_files() {
        let fallback = write_temp("fallback.yaml", "mover:\n  ros__parameters:\n    rate_hz: 42.0\n");
        let loaded: LoadedParams<Example> =
            load_params("mover", "", &RosArgs::default(), Some(&fallback)).unwrap();
        assert_eq!(loaded.node.rate_hz, 42.0);
        let other = write_temp("other.yaml", "mover:\n  ros__parameters:\n    rate_hz: 7.0\n");
        let a = args(&["--ros-args", "--params-file", other.to_str().unwrap()]);
        let loaded: LoadedParams<Example> = load_params("mover", "", &a, Some(&fallback)).unwrap();
        assert_eq!(loaded.node.rate_hz, 7.0);
    }

    #[test]
    fn ros_args_parse_remaps_and_reject_broken_assignments() {
        let a = args(&[
            "pos",
            "--ros-args",
            "-r",
            "__node:=m2",
            "-r",
            "__ns:=/r2",
            "-r",
            "scan:=lidar",
            "--",
            "-p",
        ]);
        assert_eq!(a.node_name.as_deref(), Some("m2"));
        assert_eq!(a.namespace.as_deref(), Some("/r2"));
        assert!(a.overrides.is_empty(), "-p after -- belongs to the program");
        let err = RosArgs::parse(["prog", "--ros-args", "-p", "rate_hz=3"]).unwrap_err();
        assert!(matches!(err, ParamError::BadArgument { .. }), "{err}");
        let err = RosArgs::parse(["prog", "--ros-args", "-p"]).unwrap_err();
        assert!(err.to_string().contains("expects a value"), "{err}");
    }

    #[test]
    fn common_params_are_checked() {
        let a = args(&["--ros-args", "-p", "use_sim_time:=yes please"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert!(matches!(err, ParamError::WrongType { ref key, .. } if key == "use_sim_time"), "{err}");
        let a = args(&["--ros-args", "-p", "diagnostics_period_s:=0"]);
        let err = load_params::<Example>("mover", "", &a, None).unwrap_err();
        assert!(matches!(err, ParamError::Invalid { ref key, .. } if key == "diagnostics_period_s"), "{err}");
    }
}
