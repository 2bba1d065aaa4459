//! Launch substitutions: `$(var x)`, `$(env NAME)`, `$(env NAME default)`, `$(dirname)`,
//! `$(find-pkg-share pkg)`, and `$(eval 'a OP b')` for a numeric comparison (OP one of
//! `< <= > >= == !=`; ros2 launch evaluates any Python there, this runner only these,
//! enough for `if="$(eval '$(var robot_count) >= 3')"`). Substitutions nest; anything
//! else is an error naming it, never passed through.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What substitutions can see while one launch file is read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// launch arguments and `let` values
    pub vars: HashMap<String, String>,
    /// directory of the launch file being read
    pub dir: PathBuf,
    /// ROS namespace pushed by enclosing groups ("" or "/a/b")
    pub namespace: String,
    /// environment set by `set_env` in enclosing groups
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubstitutionError {
    #[error("unknown launch argument '{0}' in $(var {0})")]
    UnknownVar(String),
    #[error("environment variable '{0}' is not set and $(env {0}) has no default")]
    UnsetEnv(String),
    #[error(
        "package '{0}' not found by $(find-pkg-share {0}) (searched AMENT_PREFIX_PATH and the repository)"
    )]
    UnknownPackage(String),
    #[error("unsupported substitution $({0})")]
    Unsupported(String),
    #[error("unterminated substitution in '{0}'")]
    Unterminated(String),
}

/// Replaces every `$(...)` in `text`, innermost first.
pub fn substitute(text: &str, scope: &Scope) -> Result<String, SubstitutionError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = closing_paren(after).ok_or_else(|| SubstitutionError::Unterminated(text.to_string()))?;
        let inner = substitute(&after[..end], scope)?;
        out.push_str(&evaluate(inner.trim(), scope)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Index of the `)` that closes a substitution whose text starts at `text`, skipping
/// nested `$(...)`.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b')' if depth == 0 => return Some(i),
            b')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `a OP b` with numbers a, b (quotes around the whole expression allowed): "true" or
/// "false".
fn eval_comparison(expr: &str) -> Option<String> {
    let expr = expr.trim().trim_matches(|c| c == '\'' || c == '"').trim();
    for op in ["<=", ">=", "==", "!=", "<", ">"] {
        if let Some((a, b)) = expr.split_once(op) {
            let (a, b) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
            let value = match op {
                "<=" => a <= b,
                ">=" => a >= b,
                "==" => a == b,
                "!=" => a != b,
                "<" => a < b,
                _ => a > b,
            };
            return Some(value.to_string());
        }
    }
    None
}

fn evaluate(expr: &str, scope: &Scope) -> Result<String, SubstitutionError> {
    let mut words = expr.split_whitespace();
    let kind = words.next().unwrap_or_default();
    let first = words.next();
    let rest: Vec<&str> = words.collect();
    match (kind, first) {
        ("var", Some(name)) => {
            scope.vars.get(name).cloned().ok_or_else(|| SubstitutionError::UnknownVar(name.to_string()))
        }
        ("env", Some(name)) => match std::env::var(name) {
            Ok(v) => Ok(v),
            Err(_) if !rest.is_empty() => Ok(rest.join(" ")),
            Err(_) => Err(SubstitutionError::UnsetEnv(name.to_string())),
        },
        ("optenv", Some(name)) => Ok(std::env::var(name).unwrap_or_else(|_| rest.join(" "))),
        ("eval", Some(_)) => {
            let body = expr.trim_start_matches("eval").trim();
            eval_comparison(body).ok_or_else(|| SubstitutionError::Unsupported(expr.to_string()))
        }
        ("dirname", None) => Ok(scope.dir.to_string_lossy().into_owned()),
        ("find-pkg-share", Some(pkg)) => find_pkg_share(pkg, &scope.dir)
            .map(|p| p.to_string_lossy().into_owned())
            .ok_or_else(|| SubstitutionError::UnknownPackage(pkg.to_string())),
        _ => Err(SubstitutionError::Unsupported(expr.to_string())),
    }
}

/// `<prefix>/share/<pkg>` from AMENT_PREFIX_PATH, else the repository root when `pkg`
/// is one of its crates (nodes/<pkg>), so launch files work uninstalled.
fn find_pkg_share(pkg: &str, launch_dir: &Path) -> Option<PathBuf> {
    let prefixes = std::env::var("AMENT_PREFIX_PATH").unwrap_or_default();
    for prefix in prefixes.split(':').filter(|p| !p.is_empty()) {
        let share = Path::new(prefix).join("share").join(pkg);
        if share.is_dir() {
            return Some(share);
        }
    }
    launch_dir.ancestors().find(|dir| dir.join("nodes").join(pkg).is_dir()).map(Path::to_path_buf)
}

/// Reads a launch boolean ("true"/"false", "1"/"0", any case).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut s = Scope { dir: PathBuf::from("/srv/launch"), ..Scope::default() };
        s.vars.insert("robots".into(), "3".into());
        s
    }

    #[test]
    fn substitutes_vars_dirname_and_env_defaults() {
        let s = scope();
        assert_eq!(substitute("n=$(var robots)", &s).unwrap(), "n=3");
        assert_eq!(substitute("$(dirname)/../config", &s).unwrap(), "/srv/launch/../config");
        assert_eq!(
            substitute("$(env FACTORY_LAUNCH_SURELY_UNSET fallback value)", &s).unwrap(),
            "fallback value"
        );
        assert_eq!(substitute("plain", &s).unwrap(), "plain");
    }

    #[test]
    fn nested_substitutions_and_numeric_comparisons() {
        let s = scope();
        assert_eq!(substitute("$(eval '$(var robots) >= 3')", &s).unwrap(), "true");
        assert_eq!(substitute("$(eval \"$(var robots) >= 4\")", &s).unwrap(), "false");
        assert_eq!(substitute("$(eval 2.5 < $(var robots))", &s).unwrap(), "true");
        assert_eq!(substitute("$(eval $(var robots) != 3)", &s).unwrap(), "false");
        assert_eq!(substitute("a $(var robots) b $(dirname)", &s).unwrap(), "a 3 b /srv/launch");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let s = scope();
        assert_eq!(substitute("$(var nope)", &s), Err(SubstitutionError::UnknownVar("nope".into())));
        assert_eq!(
            substitute("$(env FACTORY_LAUNCH_SURELY_UNSET)", &s),
            Err(SubstitutionError::UnsetEnv("FACTORY_LAUNCH_SURELY_UNSET".into()))
        );
        assert_eq!(substitute("$(eval 1+1)", &s), Err(SubstitutionError::Unsupported("eval 1+1".into())));
        assert_eq!(
            substitute("$(eval '$(var robots) >= x')", &s),
            Err(SubstitutionError::Unsupported("eval '3 >= x'".into()))
        );
        assert!(matches!(substitute("$(var robots", &s), Err(SubstitutionError::Unterminated(_))));
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
