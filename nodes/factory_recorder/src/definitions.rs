//! Complete message definitions for MCAP schemas, from the `.msg` files of the ament
//! share directories, in rosbag2's `ros2msg` form.
//!
//! A reader that does not know a type (Foxglove, `mcap cat`, a laptop without the
//! factory's packages) decodes CDR from the schema alone, so the schema must hold the
//! type's definition and every nested type's. rosbag2 writes the top-level `.msg` text
//! first, then for each dependency (depth first, each once, in sorted order) a line of
//! 80 `=`, a line `MSG: pkg/Type` and that type's text; this module writes the same.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// rosbag2's separator line between definitions.
pub const SEPARATOR: &str =
    "================================================================================";
/// Deeper nesting than this is taken as a cycle (rosbag2 stops at 50 too).
const MAX_DEPTH: usize = 50;

const PRIMITIVES: [&str; 15] = [
    "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32",
    "int64", "uint64", "string", "wstring",
];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DefinitionError {
    #[error("'{0}' is not a message type name (expected pkg/msg/Type or pkg/Type)")]
    BadTypeName(String),
    #[error("no definition of {type_name}: looked for {searched:?}")]
    NotFound { type_name: String, searched: Vec<PathBuf> },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("definition of {0} nests deeper than {MAX_DEPTH} levels (a cycle?)")]
    TooDeep(String),
}

/// A message type name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypeName {
    pub package: String,
    /// "msg" for messages.
    pub namespace: String,
    pub name: String,
}

impl TypeName {
    /// Parses "pkg/msg/Type" (how ROS 2 graphs name types) or "pkg/Type" (how .msg
    /// files name field types).
    pub fn parse(text: &str) -> Result<TypeName, DefinitionError> {
        let parts: Vec<&str> = text.split('/').collect();
        let valid = |s: &str| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let (package, namespace, name) = match parts.as_slice() {
            [p, n] => (*p, "msg", *n),
            [p, ns, n] => (*p, *ns, *n),
            _ => return Err(DefinitionError::BadTypeName(text.to_string())),
        };
        if !(valid(package) && valid(namespace) && valid(name)) {
            return Err(DefinitionError::BadTypeName(text.to_string()));
        }
        Ok(TypeName { package: package.into(), namespace: namespace.into(), name: name.into() })
    }

    /// "pkg/msg/Type".
    pub fn full(&self) -> String {
        format!("{}/{}/{}", self.package, self.namespace, self.name)
    }
}

/// The non-primitive field types of a `.msg` text, as written there, with types of the
/// same package (written without one) prefixed by `package`: "std_msgs/Header",
/// "factory_interfaces/Defect".
pub fn nested_types(text: &str, package: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        // The type is the first token; comments and constant values come after it.
        let line = line.trim_start();
        if line.starts_with('#') {
            continue;
        }
        let Some(token) = line.split_whitespace().next() else { continue };
        // "float64[]", "int32[3]", "Defect[<=4]": the element type.
        let element = token.split('[').next().unwrap_or(token);
        // "string<=10": a bounded string is a string.
        let element = element.split("<=").next().unwrap_or(element);
        if element.is_empty() || PRIMITIVES.contains(&element) {
            continue;
        }
        if element.contains('/') {
            out.insert(element.to_string());
        } else {
            out.insert(format!("{package}/{element}"));
        }
    }
    out
}

/// Finds and caches `.msg` texts under `<prefix>/share/<pkg>/<namespace>/<Type>.msg`.
#[derive(Debug, Clone, Default)]
pub struct MessageDefinitions {
    prefixes: Vec<PathBuf>,
    texts: BTreeMap<TypeName, String>,
}

impl MessageDefinitions {
    /// Searches the given install prefixes, first match wins (as ament does).
    pub fn new(prefixes: impl IntoIterator<Item = PathBuf>) -> MessageDefinitions {
        MessageDefinitions { prefixes: prefixes.into_iter().collect(), texts: BTreeMap::new() }
    }

    /// Searches the prefixes of `$AMENT_PREFIX_PATH` (none if it is unset).
    pub fn from_env() -> MessageDefinitions {
        let prefixes: Vec<PathBuf> = std::env::var_os("AMENT_PREFIX_PATH")
            .map(|paths| std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()).collect())
            .unwrap_or_default();
        MessageDefinitions::new(prefixes)
    }

    pub fn prefixes(&self) -> &[PathBuf] {
        &self.prefixes
    }

    /// The `.msg` text of one type.
    pub fn text(&mut self, type_name: &TypeName) -> Result<String, DefinitionError> {
        if let Some(text) = self.texts.get(type_name) {
            return Ok(text.clone());
        }
        let candidates: Vec<PathBuf> = self.prefixes.iter().map(|p| msg_path(p, type_name)).collect();
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            return Err(DefinitionError::NotFound { type_name: type_name.full(), searched: candidates });
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| DefinitionError::Unreadable { path: path.clone(), reason: e.to_string() })?;
        self.texts.insert(type_name.clone(), text.clone());
        Ok(text)
    }

    /// The complete `ros2msg` definition of `type_name` ("pkg/msg/Type"), nested types
    /// included, as rosbag2 writes it into MCAP schemas.
    pub fn full_definition(&mut self, type_name: &str) -> Result<String, DefinitionError> {
        let root = TypeName::parse(type_name)?;
        let mut seen = BTreeSet::new();
        self.append(&root, &mut seen, MAX_DEPTH)
    }

    fn append(
        &mut self,
        type_name: &TypeName,
        seen: &mut BTreeSet<String>,
        depth: usize,
    ) -> Result<String, DefinitionError> {
        if depth == 0 {
            return Err(DefinitionError::TooDeep(type_name.full()));
        }
        let mut result = self.text(type_name)?;
        for dependency in nested_types(&result.clone(), &type_name.package) {
            if !seen.insert(dependency.clone()) {
                continue;
            }
            let nested = TypeName::parse(&dependency)?;
            result.push('\n');
            result.push_str(SEPARATOR);
            result.push_str("\nMSG: ");
            result.push_str(&dependency);
            result.push('\n');
            result.push_str(&self.append(&nested, seen, depth - 1)?);
        }
        Ok(result)
    }
}

fn msg_path(prefix: &Path, t: &TypeName) -> PathBuf {
    prefix.join("share").join(&t.package).join(&t.namespace).join(format!("{}.msg", t.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, package: &str, name: &str, text: &str) {
        let dir = root.join("share").join(package).join("msg");
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join(format!("{name}.msg")), text).expect("temp file");
    }

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("factory_recorder_defs_{tag}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn field_types_skip_primitives_comments_constants_and_bounds() {
        let text = "# a comment with Fake/Type in it\n\
                    uint8 STATE_IDLE = 0  # constant\n\
                    string NAME = \"x # y\"\n\
                    std_msgs/Header header\n\
                    string<=10 short_name\n\
                    float64[] values\n\
                    Defect[<=4] defects   # same package\n\
                    geometry_msgs/Pose[3] poses\n\
                    \n\
                    wstring w\n";
        let types: Vec<String> = nested_types(text, "factory_interfaces").into_iter().collect();
        assert_eq!(types, vec!["factory_interfaces/Defect", "geometry_msgs/Pose", "std_msgs/Header"]);
    }

    #[test]
    fn type_names_parse_both_forms_and_reject_garbage() {
        assert_eq!(
            TypeName::parse("std_msgs/msg/Header").map(|t| t.full()),
            Ok("std_msgs/msg/Header".into())
        );
        assert_eq!(TypeName::parse("std_msgs/Header").map(|t| t.full()), Ok("std_msgs/msg/Header".into()));
        assert!(TypeName::parse("Header").is_err());
        assert!(TypeName::parse("a/b/c/d").is_err());
        assert!(TypeName::parse("std_msgs/../Header").is_err());
    }

    #[test]
    fn nested_definitions_are_collected_once_in_rosbag2_order() {
        let base = temp_root("nested");
        let core = base.join("core");
        let ours = base.join("ours");
        write(&core, "builtin_interfaces", "Time", "int32 sec\nuint32 nanosec\n");
        write(&core, "std_msgs", "Header", "builtin_interfaces/Time stamp\nstring frame_id\n");
        write(&ours, "fake_pkg", "Inner", "std_msgs/Header header\nfloat32 value\n");
        write(
            &ours,
            "fake_pkg",
            "Outer",
            "# top\nstd_msgs/Header header\nInner[] inners\nuint8 MODE_A = 1\nuint8 mode\n",
        );
        let mut defs = MessageDefinitions::new([ours.clone(), core.clone()]);
        let full = defs.full_definition("fake_pkg/msg/Outer").expect("definition");
        let sep = SEPARATOR;
        let expected = format!(
            "# top\nstd_msgs/Header header\nInner[] inners\nuint8 MODE_A = 1\nuint8 mode\n\
             \n{sep}\nMSG: fake_pkg/Inner\nstd_msgs/Header header\nfloat32 value\n\
             \n{sep}\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n\
             \n{sep}\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n"
        );
        assert_eq!(full, expected);
        // Each nested type appears once although two types use std_msgs/Header.
        assert_eq!(full.matches("MSG: std_msgs/Header").count(), 1);

        let missing = defs.full_definition("fake_pkg/msg/Missing").unwrap_err();
        assert!(
            matches!(&missing, DefinitionError::NotFound { type_name, searched }
                if type_name == "fake_pkg/msg/Missing" && searched.len() == 2),
            "{missing}"
        );
        // A nested type nobody installed names that type.
        write(&ours, "fake_pkg", "Broken", "other_pkg/Gone g\n");
        let broken = defs.full_definition("fake_pkg/msg/Broken").unwrap_err();
        assert!(
            matches!(&broken, DefinitionError::NotFound { type_name, .. } if type_name == "other_pkg/msg/Gone")
        );
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_cycle_of_types_ends() {
        let base = temp_root("cycle");
        write(&base, "loop_pkg", "A", "B b\n");
        write(&base, "loop_pkg", "B", "A a\n");
        // rosbag2 lists each dependency once, so a two-type cycle ends after one pass.
        let mut defs = MessageDefinitions::new([base.clone()]);
        let full = defs.full_definition("loop_pkg/msg/A").expect("definition");
        assert_eq!(full.matches("MSG: ").count(), 2);
        let _ = std::fs::remove_dir_all(&base);
    }
}
