//! `dispatch-bench`: builds the release binaries and the Lambda zips, measures cold start, warm
//! cost, fan-out, API calls and artifact size against the loopback fakes, and writes
//! `BENCHMARKS.md`. Run from the repository root:
//!
//! ```sh
//! cargo run --release -p dispatch-bench -- --out BENCHMARKS.md
//! ```
//!
//! Nothing here is a test: `cargo test` does not run it. Everything stays on loopback.

mod artifacts;
mod calls;
mod cold;
mod fanout;
mod machine;
mod report;
mod stack;
mod stats;
mod warm;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::Parser;

use machine::{Activity, Machine};
use report::{Report, Section};

/// Measures Dispatch and writes BENCHMARKS.md.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Cold starts per scenario (at least 20).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u16).range(20..))]
    cold_runs: u16,
    /// Measured invocations per warm row.
    #[arg(long, default_value_t = 300)]
    warm_iterations: usize,
    /// Calls per pure (parse + plan) row.
    #[arg(long, default_value_t = 20_000)]
    pure_iterations: usize,
    /// Use the release binaries and zips already in `target/` instead of building them.
    #[arg(long)]
    skip_build: bool,
    /// Run only this measurement and print its raw results instead of writing the report (for
    /// profiling one part).
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// With `--only cold`: start each cold start under this command (split at spaces, the
    /// function's executable appended), e.g. `strace -f -tt -T -o /tmp/cold.trace`, for profiling.
    /// The figures then include the wrapper's own cost.
    #[arg(long, requires = "only")]
    cold_wrapper: Option<String>,
    /// With `--only cold`: also cold-start the `incoming` and `triage` executables in this
    /// directory (another build, e.g. a copy of the binaries before a change), in extra rows
    /// interleaved with the usual ones.
    #[arg(long, requires = "only")]
    cold_compare: Option<PathBuf>,
    /// Before measuring, wait up to this many seconds for other work to stop (no `rustc` running,
    /// CPUs at most 10% busy).
    #[arg(long, default_value_t = 0)]
    wait_quiet: u64,
}

/// One measurement, for `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    /// Cold start.
    Cold,
    /// Warm cost.
    Warm,
    /// Fan-out.
    FanOut,
    /// API calls.
    Calls,
}

/// The workspace root (this crate lives in `crates/dispatch-bench`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root exists")
}

/// Runs a build step; `Err` with what failed.
fn build(root: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("`{program} {}` could not start: {e}", args.join(" ")))?;
    if status.success() { Ok(()) } else { Err(format!("`{program} {}` failed ({status})", args.join(" "))) }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut build_notes = Vec::new();
    if !args.skip_build {
        // Each package on its own, so that each binary has the features of its own dependencies
        // only, as deployed: a workspace-wide build would unify the CLI's, the fakes' and this
        // harness's features into the functions and the floor.
        let functions = ["build", "--release", "-p", "incoming", "-p", "triage"];
        let floor = ["build", "--release", "-p", cold::FLOOR_PACKAGE];
        if let Err(e) = build(&root, &cargo, &functions).and_then(|()| build(&root, &cargo, &floor)) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        let zips = ["lambda", "build", "--release", "--output-format", "zip", "-p", "incoming", "-p", "triage"];
        if let Err(e) = build(&root, &cargo, &zips) {
            eprintln!("{e}; reporting the zips already in target/lambda, if any");
            build_notes.push(e);
        }
    }
    for function in ["incoming", "triage", cold::BARE_LAMBDA, cold::BARE_LAMBDA_CURRENT_THREAD] {
        if !cold::binary(&root, function).exists() {
            eprintln!("{} is missing: run without --skip-build", cold::binary(&root, function).display());
            return ExitCode::FAILURE;
        }
    }
    let start_note = if args.wait_quiet == 0 {
        "This run did not wait for a quiet machine (no `--wait-quiet`).".to_owned()
    } else if machine::wait_until_quiet(Duration::from_secs(args.wait_quiet)) {
        format!("This run waited for a quiet machine first (`--wait-quiet {}`) and found one.", args.wait_quiet)
    } else {
        eprintln!("the machine is still busy; measuring anyway (the report says so)");
        format!(
            "This run waited {} s for a quiet machine (`--wait-quiet`) and measured anyway when it found none.",
            args.wait_quiet
        )
    };

    // Handlers' logs go where a Lambda's go, but to nowhere: their formatting cost is measured,
    // their output is not wanted here.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::sink)
        .try_init();

    let machine = Machine::describe(&root);
    let activity = Activity::start();
    // The fakes and the Lambda emulator get a runtime and thread of their own; what is measured
    // runs alone on this thread.
    let fakes_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fakes")
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let bench = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let fakes = fakes_runtime.handle().clone();
    let started = Instant::now();

    if let Some(only) = args.only {
        match only {
            Only::Cold => {
                let probes = cold::Probes { wrapper: args.cold_wrapper.clone(), compare: args.cold_compare.clone() };
                println!("{:#?}", bench.block_on(cold::measure(&root, &fakes, usize::from(args.cold_runs), 2, &probes)))
            }
            Only::Warm => {
                println!("{:#?}", bench.block_on(warm::measure(&fakes, args.warm_iterations, 20, args.pure_iterations)))
            }
            Only::FanOut => println!("{:#?}", bench.block_on(fanout::measure(&fakes))),
            Only::Calls => println!("{:#?}", bench.block_on(calls::measure(&fakes))),
        }
        fakes_runtime.shutdown_background();
        return ExitCode::SUCCESS;
    }

    let t0 = Instant::now();
    let cold = bench.block_on(cold::measure(&root, &fakes, usize::from(args.cold_runs), 2, &cold::Probes::default()));
    let t1 = Instant::now();
    let warm = bench.block_on(warm::measure(&fakes, args.warm_iterations, 20, args.pure_iterations));
    let t2 = Instant::now();
    let fan_out = bench.block_on(fanout::measure(&fakes));
    let t3 = Instant::now();
    let calls = bench.block_on(calls::measure(&fakes));
    let t4 = Instant::now();
    // One more activity sample after the end, so the last measurement's CPU use can be computed.
    std::thread::sleep(Duration::from_millis(600));
    let section =
        |from: Instant, to: Instant| Section { seconds: (to - from).as_secs_f64(), busy: activity.between(from, to) };
    let (cold_section, warm_section, fan_out_section, calls_section) =
        (section(t0, t1), section(t1, t2), section(t2, t3), section(t3, t4));

    let artifacts = artifacts::measure(&root);
    let report = Report {
        machine,
        loadavg_end: machine::loadavg(),
        seconds: started.elapsed().as_secs_f64(),
        profile: report::release_profile(&root),
        build_notes,
        start_note,
        skipped_build: args.skip_build,
        cold: (cold, cold_section),
        warm: (warm, warm_section),
        fan_out: (fan_out, fan_out_section),
        calls: (calls, calls_section),
        artifacts,
    };
    drop(activity);
    fakes_runtime.shutdown_background();

    let text = report.render();
    if let Err(e) = std::fs::write(&args.out, &text) {
        eprintln!("cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {}", args.out.display());
    print!("{}", report.summary());
    ExitCode::SUCCESS
}
