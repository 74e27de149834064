//! The `dispatch` command: `sandbox` runs messages through the real handlers against local fakes,
//! `validate` checks messages against the spec, `publish` sends one to the SNS topic, `fakes`
//! serves the fakes for the Lambda binaries, `doctor` checks a deployment's settings live. This
//! file only parses arguments and hands over.

mod args;
mod click;
mod doctor;
mod fakes;
mod input;
mod publish;
mod render;
mod sandbox;
mod settings;
mod style;
mod validate;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use style::Paint;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The handlers log through tracing; people see them only when they ask, on stderr.
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let paint = Paint::for_stdout(cli.color);
    match &cli.command {
        Command::Sandbox(args) => sandbox::run(args, paint).await,
        Command::Validate(args) if args.schema => validate::schema(),
        Command::Validate(args) => validate::run(&args.files, paint),
        Command::Publish(args) => publish::run(args, paint).await,
        Command::Fakes(args) => fakes::run(args.env_file.as_deref(), paint).await,
        Command::Doctor(args) => doctor::run(args, paint).await,
    }
}
