//! Changes to a loaded layout for another run of the same scenario: another seed,
//! fewer robots, injected faults. Each keeps the layout valid or says why not.

use crate::error::{ConfigError, ConfigIssue};
use crate::layout::FactoryConfig;
use crate::simulation::FaultModeConfig;

impl FactoryConfig {
    /// The seed of the part textures (see `texture_seed`).
    pub fn texture_seed(&self) -> u64 {
        self.texture_seed.unwrap_or(self.seed)
    }

    /// Another run of the same scenario: every random draw from `seed`, the part
    /// textures kept.
    pub fn reseed(&mut self, seed: u64) {
        self.texture_seed = Some(self.texture_seed());
        self.seed = seed;
    }

    /// Keeps only the first `n` robots of [`Self::resolved_robots`] (the `list`, then
    /// the `fleet`): a smaller run of the same layout.
    pub fn keep_first_robots(&mut self, n: usize) {
        self.robots.list.truncate(n);
        let left = n.saturating_sub(self.robots.list.len());
        if let Some(f) = &mut self.robots.fleet {
            f.count = f.count.min(u32::try_from(left).unwrap_or(u32::MAX));
        }
    }

    /// Overrides component faults for a test or a what-if run, as the twin's
    /// `inject_faults` parameter gives them: `;`-separated entries of
    /// `machine/component mode [key=value ...]`, keys `start_severity`, `growth_per_h`,
    /// `growth_jitter` (default 0: a deterministic growth), `onset_h`, `onset_mean_h`,
    /// `initial_severity`; e.g. `weld_1/positioner_bearing outer_race start_severity=0.005
    /// growth_per_h=20`. The result is validated like the file; errors name the entry.
    pub fn inject_faults(&mut self, spec: &str) -> Result<(), ConfigError> {
        let mut issues = Vec::new();
        for (n, entry) in spec.split(';').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let key = format!("inject_faults[{n}]");
            if let Err(reason) = self.inject_fault(entry) {
                issues.push(ConfigIssue { key, value: entry.to_string(), reason });
            }
        }
        if !issues.is_empty() {
            return Err(ConfigError::Invalid(issues));
        }
        self.validate()
    }

    fn inject_fault(&mut self, entry: &str) -> Result<(), String> {
        let mut words = entry.split_whitespace();
        let target = words.next().unwrap_or_default();
        let (machine_id, component_id) = target
            .split_once('/')
            .ok_or("must start with machine/component, e.g. weld_1/positioner_bearing")?;
        let mode_word = words.next().ok_or("needs a fault mode after the component")?;
        let mode: FaultModeConfig = serde_yaml::from_str(mode_word).map_err(|_| {
            format!("unknown fault mode `{mode_word}` (random, outer_race, inner_race, ball, cage, winding, drag)")
        })?;
        let machine = self
            .machines
            .iter_mut()
            .find(|m| m.id == machine_id)
            .ok_or_else(|| format!("no machine `{machine_id}` in the layout"))?;
        let component = machine
            .components
            .iter_mut()
            .find(|c| c.id == component_id)
            .ok_or_else(|| format!("machine `{machine_id}` has no component `{component_id}`"))?;
        let mut fault = component.fault.clone().unwrap_or_default();
        fault.mode = mode;
        fault.growth_jitter = 0.0;
        for pair in words {
            let (k, v) = pair.split_once('=').ok_or_else(|| format!("`{pair}` is not key=value"))?;
            let value: f64 = v.parse().map_err(|_| format!("{k} = `{v}` is not a number"))?;
            match k {
                "start_severity" => fault.start_severity = value,
                "growth_per_h" => fault.growth_per_h = value,
                "growth_jitter" => fault.growth_jitter = value,
                "onset_h" => fault.onset_h = Some(value),
                "onset_mean_h" => fault.onset_mean_h = value,
                "initial_severity" => fault.initial_severity = value,
                _ => return Err(format!("unknown key `{k}` (start_severity, growth_per_h, growth_jitter, onset_h, onset_mean_h, initial_severity)")),
            }
        }
        component.fault = Some(fault);
        Ok(())
    }
}
