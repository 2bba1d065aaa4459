//! Writes the autonomy-against-baseline comparison from the runs in a directory.
//!
//!   compare_runs out/comparison
//!
//! reads `<dir>/autonomy_seed<N>/kpis.yaml` and `<dir>/baseline_seed<N>/kpis.yaml` (each
//! written by the recorder of one run), writes `<dir>/comparison.md` and prints it.
//! `./factory run <SIM_SECONDS> --baseline` runs the pairs and then this.

use factory_recorder::compare::{comparison_markdown, load_runs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: compare_runs <directory with autonomy_seed*/ and baseline_seed*/>");
        return ExitCode::from(2);
    };
    let (autonomy, baseline) = match (load_runs(&dir, "autonomy_seed"), load_runs(&dir, "baseline_seed")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("compare_runs: {e}");
            return ExitCode::FAILURE;
        }
    };
    if autonomy.is_empty() || baseline.is_empty() {
        eprintln!(
            "compare_runs: need runs of both kinds in {}: {} autonomy, {} baseline",
            dir.display(),
            autonomy.len(),
            baseline.len()
        );
        return ExitCode::FAILURE;
    }
    let md = comparison_markdown(&autonomy, &baseline);
    let out = dir.join("comparison.md");
    if let Err(e) = std::fs::write(&out, &md) {
        eprintln!("compare_runs: cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    print!("{md}");
    println!("\n(written to {})", out.display());
    ExitCode::SUCCESS
}
