//! Reads ROS 2 XML launch files into the list of node processes they describe.
//!
//! Supported, as `ros2 launch` reads them: `<arg>`, `<let>`, `<node>` (pkg, exec, name,
//! namespace, args, launch-prefix, output, respawn, respawn_delay, on_exit="shutdown") with `<param name value>`,
//! `<param from>`, `<remap>` and `<env>` children, `<group>` (scoped) with
//! `<push-ros-namespace>` / `<push_ros_namespace>`, `<set_env>` / `<set-env>`,
//! `<include file>` with `<arg>` children, and `if` / `unless` on every element.
//! Anything else is an error naming the element and the file, so a launch file never
//! half-runs.

use crate::substitution::{parse_bool, substitute, Scope, SubstitutionError};
use std::path::{Path, PathBuf};

/// Where a node's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// lines prefixed with the node name on the runner's stdout
    Screen,
    /// a file per node in the log directory
    Log,
}

/// One parameter source of a node, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamSource {
    File(PathBuf),
    Value { name: String, value: String },
}

/// One node process to run.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub package: String,
    pub executable: String,
    /// `name` attribute (the node name inside the process), if given
    pub name: Option<String>,
    /// fully qualified namespace, "" or "/a/b"
    pub namespace: String,
    pub params: Vec<ParamSource>,
    pub remaps: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    /// extra command-line arguments before `--ros-args`
    pub args: Vec<String>,
    /// `launch-prefix`: a command the executable runs under (e.g. `nice -n 10`)
    pub launch_prefix: Vec<String>,
    pub output: Output,
    pub respawn: bool,
    pub respawn_delay_s: f64,
    /// `on_exit="shutdown"`: when this node ends, the whole launch stops
    pub shutdown_on_exit: bool,
}

impl NodeSpec {
    /// How the runner names this node in its reports: "/ns/name" (or the executable).
    pub fn label(&self) -> String {
        let name = self.name.clone().unwrap_or_else(|| self.executable.clone());
        format!("{}/{}", self.namespace, name)
    }

    /// The `--ros-args ...` part of the command line, with the parameters passed as
    /// launch_ros passes them: each `<param from>` file as `--params-file`, and each run
    /// of consecutive `<param name value>`s as one params file written into `params_dir`
    /// (see [`NodeSpec::inline_params_yaml`]). A node thus reads the same files under
    /// this runner as under `ros2 launch`.
    pub fn ros_args(&self, params_dir: &Path) -> std::io::Result<Vec<String>> {
        let mut out = vec!["--ros-args".to_string()];
        if let Some(name) = &self.name {
            out.extend(["-r".into(), format!("__node:={name}")]);
        }
        if !self.namespace.is_empty() {
            out.extend(["-r".into(), format!("__ns:={}", self.namespace)]);
        }
        let mut inline_files = 0;
        let mut params = self.params.as_slice();
        while let Some(first) = params.first() {
            match first {
                ParamSource::File(path) => {
                    out.extend(["--params-file".into(), path.to_string_lossy().into()]);
                    params = &params[1..];
                }
                ParamSource::Value { .. } => {
                    let run = params.iter().take_while(|p| matches!(p, ParamSource::Value { .. })).count();
                    let (values, rest) = params.split_at(run);
                    std::fs::create_dir_all(params_dir)?;
                    let file = params_dir.join(format!("{}_{inline_files}.yaml", self.file_stem()));
                    std::fs::write(&file, self.inline_params_yaml(values))?;
                    out.extend(["--params-file".into(), file.to_string_lossy().into()]);
                    inline_files += 1;
                    params = rest;
                }
            }
        }
        for (from, to) in &self.remaps {
            out.extend(["-r".into(), format!("{from}:={to}")]);
        }
        Ok(out)
    }

    /// The params file launch_ros writes for `<param name value>`s: keyed by the node's
    /// fully qualified name when the node is named (else `/**`), the names as given
    /// (`arm.group` stays a flat dotted key, which rcl nests), each value read as YAML
    /// (`[a, b]` is a list, `true` a bool, an empty value the empty string).
    pub fn inline_params_yaml(&self, values: &[ParamSource]) -> String {
        use serde_yaml::{Mapping, Value};
        let mut params = Mapping::new();
        for source in values {
            if let ParamSource::Value { name, value } = source {
                let typed = if value.is_empty() {
                    Value::String(String::new())
                } else {
                    serde_yaml::from_str(value).unwrap_or_else(|_| Value::String(value.clone()))
                };
                params.insert(Value::String(name.clone()), typed);
            }
        }
        let key = match &self.name {
            Some(name) => format!("{}/{name}", self.namespace),
            None => "/**".to_string(),
        };
        let mut entry = Mapping::new();
        entry.insert("ros__parameters".into(), Value::Mapping(params));
        let mut root = Mapping::new();
        root.insert(Value::String(key), Value::Mapping(entry));
        // Serialising plain YAML values cannot fail.
        serde_yaml::to_string(&Value::Mapping(root)).unwrap_or_default()
    }

    /// The node's label as a file name: `/robot_1/executor` -> `robot_1_executor`.
    fn file_stem(&self) -> String {
        self.label().trim_start_matches('/').replace('/', "_")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot read launch file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: not valid XML: {reason}")]
    Xml { path: PathBuf, reason: String },
    #[error("{path}: <{element}>: {reason}")]
    Element { path: PathBuf, element: String, reason: String },
    #[error("{path}: <{element}>: {source}")]
    Substitution { path: PathBuf, element: String, source: SubstitutionError },
    #[error("{path}: includes itself (through {chain})")]
    IncludeCycle { path: PathBuf, chain: String },
}

/// Resolves `path` with launch arguments `args` (`name:=value` on the command line).
pub fn load(path: &Path, args: &[(String, String)]) -> Result<Vec<NodeSpec>, LaunchError> {
    let mut scope = Scope::default();
    scope.vars.extend(args.iter().cloned());
    let mut nodes = Vec::new();
    read_file(path, scope, &mut nodes, &mut Vec::new())?;
    Ok(nodes)
}

/// Reads one file; `given` holds the values passed in (command line or `<include>`).
fn read_file(
    path: &Path,
    mut scope: Scope,
    nodes: &mut Vec<NodeSpec>,
    chain: &mut Vec<PathBuf>,
) -> Result<(), LaunchError> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if chain.contains(&canonical) {
        let chain_text = chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> ");
        return Err(LaunchError::IncludeCycle { path: path.to_path_buf(), chain: chain_text });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| LaunchError::Unreadable { path: path.to_path_buf(), reason: e.to_string() })?;
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| LaunchError::Xml { path: path.to_path_buf(), reason: e.to_string() })?;
    let root = doc.root_element();
    let reader = Reader { path: path.to_path_buf() };
    if root.tag_name().name() != "launch" {
        return Err(reader.error(root, "the root element must be <launch>"));
    }
    scope.dir = canonical.parent().map(Path::to_path_buf).unwrap_or_default();
    chain.push(canonical);
    let result = reader.read_children(root, &mut scope, nodes, chain);
    chain.pop();
    result
}

struct Reader {
    path: PathBuf,
}

impl Reader {
    fn error(&self, element: roxmltree::Node, reason: impl Into<String>) -> LaunchError {
        LaunchError::Element {
            path: self.path.clone(),
            element: element.tag_name().name().to_string(),
            reason: reason.into(),
        }
    }

    /// An attribute with substitutions applied, if present.
    fn attr(&self, el: roxmltree::Node, name: &str, scope: &Scope) -> Result<Option<String>, LaunchError> {
        el.attribute(name)
            .map(|raw| {
                substitute(raw, scope).map_err(|source| LaunchError::Substitution {
                    path: self.path.clone(),
                    element: el.tag_name().name().to_string(),
                    source,
                })
            })
            .transpose()
    }

    fn required(&self, el: roxmltree::Node, name: &str, scope: &Scope) -> Result<String, LaunchError> {
        self.attr(el, name, scope)?.ok_or_else(|| self.error(el, format!("attribute '{name}' is required")))
    }

    /// Applies `if` / `unless`; true when the element takes part.
    fn enabled(&self, el: roxmltree::Node, scope: &Scope) -> Result<bool, LaunchError> {
        for (attr, want) in [("if", true), ("unless", false)] {
            if let Some(text) = self.attr(el, attr, scope)? {
                let value = parse_bool(&text)
                    .ok_or_else(|| self.error(el, format!("'{attr}=\"{text}\"' is not true/false")))?;
                if value != want {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn read_children(
        &self,
        parent: roxmltree::Node,
        scope: &mut Scope,
        nodes: &mut Vec<NodeSpec>,
        chain: &mut Vec<PathBuf>,
    ) -> Result<(), LaunchError> {
        for el in parent.children().filter(|n| n.is_element()) {
            if !self.enabled(el, scope)? {
                continue;
            }
            match el.tag_name().name() {
                "arg" => {
                    let name = self.required(el, "name", scope)?;
                    if !scope.vars.contains_key(&name) {
                        let default = self.attr(el, "default", scope)?.ok_or_else(|| {
                            self.error(el, format!("argument '{name}' has no value and no default"))
                        })?;
                        scope.vars.insert(name, default);
                    }
                }
                "let" => {
                    let name = self.required(el, "name", scope)?;
                    let value = self.required(el, "value", scope)?;
                    scope.vars.insert(name, value);
                }
                "set_env" | "set-env" => {
                    let name = self.required(el, "name", scope)?;
                    let value = self.required(el, "value", scope)?;
                    scope.env.push((name, value));
                }
                "push-ros-namespace" | "push_ros_namespace" => {
                    let ns = self.required(el, "namespace", scope)?;
                    scope.namespace = join_namespace(&scope.namespace, &ns);
                }
                "group" => {
                    // Groups are scoped: what they declare stays inside.
                    let mut inner = scope.clone();
                    if let Some(ns) = self.attr(el, "ns", scope)? {
                        inner.namespace = join_namespace(&inner.namespace, &ns);
                    }
                    self.read_children(el, &mut inner, nodes, chain)?;
                }
                "include" => {
                    let file = self.required(el, "file", scope)?;
                    let file = scope.dir.join(file);
                    let mut inner = scope.clone();
                    for arg in el.children().filter(|n| n.is_element()) {
                        if arg.tag_name().name() != "arg" {
                            return Err(self.error(arg, "only <arg name value> may appear inside <include>"));
                        }
                        let name = self.required(arg, "name", scope)?;
                        let value = self.required(arg, "value", scope)?;
                        inner.vars.insert(name, value);
                    }
                    read_file(&file, inner, nodes, chain)?;
                }
                "node" => nodes.push(self.read_node(el, scope)?),
                other => return Err(self.error(el, format!("<{other}> is not supported by factory_launch"))),
            }
        }
        Ok(())
    }

    fn read_node(&self, el: roxmltree::Node, scope: &Scope) -> Result<NodeSpec, LaunchError> {
        let mut spec = NodeSpec {
            package: self.required(el, "pkg", scope)?,
            executable: self.required(el, "exec", scope)?,
            name: self.attr(el, "name", scope)?,
            namespace: scope.namespace.clone(),
            params: Vec::new(),
            remaps: Vec::new(),
            env: scope.env.clone(),
            args: Vec::new(),
            launch_prefix: Vec::new(),
            output: Output::Screen,
            respawn: false,
            respawn_delay_s: 0.0,
            shutdown_on_exit: false,
        };
        if let Some(ns) = self.attr(el, "namespace", scope)? {
            spec.namespace = join_namespace(&scope.namespace, &ns);
        }
        if let Some(args) = self.attr(el, "args", scope)? {
            spec.args = args.split_whitespace().map(str::to_string).collect();
        }
        if let Some(prefix) = self.attr(el, "launch-prefix", scope)? {
            spec.launch_prefix = prefix.split_whitespace().map(str::to_string).collect();
        }
        if let Some(output) = self.attr(el, "output", scope)? {
            spec.output = match output.as_str() {
                "screen" | "both" => Output::Screen,
                "log" => Output::Log,
                other => {
                    return Err(self.error(el, format!("output=\"{other}\": expected screen, log or both")))
                }
            };
        }
        if let Some(respawn) = self.attr(el, "respawn", scope)? {
            spec.respawn = parse_bool(&respawn)
                .ok_or_else(|| self.error(el, format!("respawn=\"{respawn}\" is not true/false")))?;
        }
        if let Some(on_exit) = self.attr(el, "on_exit", scope)? {
            spec.shutdown_on_exit = match on_exit.as_str() {
                "shutdown" => true,
                other => {
                    return Err(self.error(el, format!("on_exit=\"{other}\": only \"shutdown\" is supported")))
                }
            };
        }
        if let Some(delay) = self.attr(el, "respawn_delay", scope)? {
            spec.respawn_delay_s =
                delay.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0).ok_or_else(|| {
                    self.error(el, format!("respawn_delay=\"{delay}\": expected seconds >= 0"))
                })?;
        }
        for child in el.children().filter(|n| n.is_element()) {
            if !self.enabled(child, scope)? {
                continue;
            }
            match child.tag_name().name() {
                "param" => match self.attr(child, "from", scope)? {
                    Some(file) => spec.params.push(ParamSource::File(scope.dir.join(file))),
                    None => spec.params.push(ParamSource::Value {
                        name: self.required(child, "name", scope)?,
                        value: self.required(child, "value", scope)?,
                    }),
                },
                "remap" => spec
                    .remaps
                    .push((self.required(child, "from", scope)?, self.required(child, "to", scope)?)),
                "env" => spec
                    .env
                    .push((self.required(child, "name", scope)?, self.required(child, "value", scope)?)),
                other => {
                    return Err(self.error(child, format!("<{other}> is not supported inside <node>")));
                }
            }
        }
        Ok(spec)
    }
}

/// Joins a pushed namespace onto the current one; an absolute one replaces it.
fn join_namespace(current: &str, pushed: &str) -> String {
    let pushed = pushed.trim_end_matches('/');
    if pushed.is_empty() {
        current.to_string()
    } else if pushed.starts_with('/') {
        pushed.to_string()
    } else {
        format!("{}/{}", current.trim_end_matches('/'), pushed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn temp_dir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("factory_launch_{tag}_{}", std::process::id()))
    }

    #[test]
    fn groups_includes_params_remaps_and_conditions_resolve() {
        let dir = temp_dir("resolve");
        write(
            &dir,
            "robot.launch.xml",
            r#"<launch>
                 <arg name="robot_id"/>
                 <arg name="with_planner" default="false"/>
                 <group>
                   <push-ros-namespace namespace="$(var robot_id)"/>
                   <node pkg="executor" exec="optimus_executor" name="executor">
                     <param from="../config/executor.yaml"/>
                     <param name="robot_id" value="$(var robot_id)"/>
                     <remap from="plan" to="/mapper/plan"/>
                   </node>
                   <node pkg="planner" exec="arm_planner" if="$(var with_planner)"/>
                 </group>
               </launch>"#,
        );
        let main = write(
            &dir,
            "main.launch.xml",
            r#"<launch>
                 <arg name="sim" default="true"/>
                 <let name="rate" value="10"/>
                 <set_env name="RCUTILS_COLORIZED_OUTPUT" value="0"/>
                 <node pkg="twin" exec="factory_twin" output="log" respawn="true" respawn_delay="2.5" on_exit="shutdown">
                   <param name="use_sim_time" value="$(var sim)"/>
                   <param name="rate_hz" value="$(var rate)"/>
                 </node>
                 <include file="robot.launch.xml"><arg name="robot_id" value="robot_1"/></include>
                 <include file="robot.launch.xml">
                   <arg name="robot_id" value="robot_2"/><arg name="with_planner" value="true"/>
                 </include>
                 <node pkg="x" exec="never" unless="$(var sim)"/>
               </launch>"#,
        );
        let nodes = load(&main, &[("sim".into(), "false".into())]).unwrap();
        let labels: Vec<String> = nodes.iter().map(NodeSpec::label).collect();
        assert_eq!(
            labels,
            vec!["/factory_twin", "/robot_1/executor", "/robot_2/executor", "/robot_2/arm_planner", "/never"]
        );
        let twin = &nodes[0];
        assert_eq!(twin.output, Output::Log);
        assert!(twin.respawn);
        assert_eq!(twin.respawn_delay_s, 2.5);
        assert!(twin.shutdown_on_exit && !nodes[1].shutdown_on_exit);
        assert_eq!(twin.env, vec![("RCUTILS_COLORIZED_OUTPUT".to_string(), "0".to_string())]);
        let params_dir = dir.join("params");
        let twin_file = params_dir.join("factory_twin_0.yaml");
        assert_eq!(
            twin.ros_args(&params_dir).unwrap(),
            vec!["--ros-args", "--params-file", twin_file.to_str().unwrap()]
        );
        assert_eq!(
            std::fs::read_to_string(&twin_file).unwrap(),
            "/**:\n  ros__parameters:\n    use_sim_time: false\n    rate_hz: 10\n"
        );
        let exec = &nodes[2];
        let canonical_dir = dir.canonicalize().unwrap();
        let exec_file = params_dir.join("robot_2_executor_0.yaml");
        assert_eq!(
            exec.ros_args(&params_dir).unwrap(),
            vec![
                "--ros-args".to_string(),
                "-r".into(),
                "__node:=executor".into(),
                "-r".into(),
                "__ns:=/robot_2".into(),
                "--params-file".into(),
                canonical_dir.join("../config/executor.yaml").to_string_lossy().into_owned(),
                "--params-file".into(),
                exec_file.to_string_lossy().into_owned(),
                "-r".into(),
                "plan:=/mapper/plan".into(),
            ]
        );
        assert_eq!(
            std::fs::read_to_string(&exec_file).unwrap(),
            "/robot_2/executor:\n  ros__parameters:\n    robot_id: robot_2\n"
        );
    }

    #[test]
    fn inline_params_are_written_as_launch_ros_writes_them() {
        let dir = temp_dir("inline");
        let main = write(
            &dir,
            "main.launch.xml",
            r#"<launch>
                 <node pkg="p" exec="exec">
                   <param name="arm.group" value="left_arm"/>
                   <param name="arm.stow_positions" value="[0.0, 0.3]"/>
                   <param name="enabled" value="true"/>
                   <param from="a.yaml"/>
                   <param name="note" value="m/c ball: [unclosed"/>
                 </node>
               </launch>"#,
        );
        let nodes = load(&main, &[]).unwrap();
        let params_dir = dir.join("params");
        let args = nodes[0].ros_args(&params_dir).unwrap();
        let files: Vec<&String> =
            args.iter().skip_while(|a| *a != "--params-file").filter(|a| *a != "--params-file").collect();
        assert_eq!(files.len(), 3, "{args:?}");
        assert!(files[1].ends_with("a.yaml"), "the file stays where it was in the order");
        assert_eq!(
            std::fs::read_to_string(files[0]).unwrap(),
            "/**:\n  ros__parameters:\n    arm.group: left_arm\n    arm.stow_positions:\n    - 0.0\n    - 0.3\n    enabled: true\n"
        );
        assert_eq!(
            std::fs::read_to_string(files[2]).unwrap(),
            "/**:\n  ros__parameters:\n    note: 'm/c ball: [unclosed'\n",
            "text that is not YAML stays a string"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_file_element_and_reason() {
        let dir = temp_dir("errors");
        let missing_arg = write(&dir, "a.launch.xml", r#"<launch><arg name="robots"/></launch>"#);
        let err = load(&missing_arg, &[]).unwrap_err().to_string();
        assert!(err.contains("a.launch.xml") && err.contains("'robots' has no value"), "{err}");

        let unknown = write(&dir, "b.launch.xml", r#"<launch><timer period="1"/></launch>"#);
        let err = load(&unknown, &[]).unwrap_err().to_string();
        assert!(err.contains("<timer> is not supported"), "{err}");

        let bad_var = write(&dir, "c.launch.xml", r#"<launch><node pkg="p" exec="$(var nope)"/></launch>"#);
        let err = load(&bad_var, &[]).unwrap_err().to_string();
        assert!(err.contains("<node>") && err.contains("unknown launch argument 'nope'"), "{err}");

        let cycle = write(&dir, "d.launch.xml", r#"<launch><include file="d.launch.xml"/></launch>"#);
        assert!(matches!(load(&cycle, &[]), Err(LaunchError::IncludeCycle { .. })));

        let broken = write(&dir, "e.launch.xml", "<launch><node pkg='p' exec='e'></launch>");
        assert!(matches!(load(&broken, &[]), Err(LaunchError::Xml { .. })));
    }

    #[test]
    fn an_empty_param_value_is_written_as_yamls_empty_string() {
        let dir = temp_dir("empty");
        let main = write(
            &dir,
            "main.launch.xml",
            r#"<launch><arg name="faults" default=""/>
                 <node pkg="p" exec="twin"><param name="inject_faults" value="$(var faults)"/></node>
               </launch>"#,
        );
        let nodes = load(&main, &[]).unwrap();
        assert_eq!(
            nodes[0].inline_params_yaml(&nodes[0].params),
            "/**:\n  ros__parameters:\n    inject_faults: ''\n"
        );
        let nodes = load(&main, &[("faults".into(), "m/c ball".into())]).unwrap();
        assert_eq!(
            nodes[0].inline_params_yaml(&nodes[0].params),
            "/**:\n  ros__parameters:\n    inject_faults: m/c ball\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn namespaces_join_and_absolute_ones_replace() {
        assert_eq!(join_namespace("", "robot_1"), "/robot_1");
        assert_eq!(join_namespace("/site", "robot_1/"), "/site/robot_1");
        assert_eq!(join_namespace("/site", "/other"), "/other");
        assert_eq!(join_namespace("/site", ""), "/site");
    }
}
