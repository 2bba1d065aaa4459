//! Configuration errors: every one names the key, the value found and what is allowed.

use std::fmt;

/// One problem in the configuration: `key = value: reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigIssue {
    /// Path of the offending key, e.g. `stations[2].cycle_time_s`.
    pub key: String,
    /// The value found, as written.
    pub value: String,
    /// What is allowed.
    pub reason: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.key, self.value, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read factory config {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// YAML syntax, unknown keys or wrong types (serde_yaml names the key path).
    #[error("factory config does not parse: {0}")]
    Parse(String),
    #[error("factory config is invalid: {}", join_issues(.0))]
    Invalid(Vec<ConfigIssue>),
}

impl ConfigError {
    /// The individual problems (empty for I/O and parse errors).
    pub fn issues(&self) -> &[ConfigIssue] {
        match self {
            ConfigError::Invalid(v) => v,
            _ => &[],
        }
    }
}

fn join_issues(v: &[ConfigIssue]) -> String {
    v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")
}
