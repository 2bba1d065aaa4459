//! Validates a factory config and prints a summary or every problem found.
//!
//! Run: `cargo run -p factory_twin --example validate_config -- config/factory.yaml`

use std::process::ExitCode;

use factory_twin::World;

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "config/factory.yaml".to_string());
    match World::load(&path) {
        Ok(w) => {
            let (nx, ny) = w.floor().dims();
            println!(
                "{path}: ok: {} robots, {} machines, {} stations, {nx} x {ny} grid cells",
                w.robots().len(),
                w.machines().len(),
                w.stations().len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
