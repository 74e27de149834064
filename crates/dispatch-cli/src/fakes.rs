//! `dispatch fakes`: the fakes on loopback for as long as it runs, with the settings that point
//! Dispatch at them on stdout (and, with `--env-file`, in a file), so the real Lambda binaries can
//! run against them (`cargo lambda watch`).

use std::path::Path;
use std::process::ExitCode;

use dispatch_fakes::Fakes;

use crate::settings;
use crate::style::Paint;

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(env_file: Option<&Path>, paint: Paint) -> ExitCode {
    let fakes = match Fakes::start().await {
        Ok(fakes) => fakes,
        Err(e) => {
            eprintln!("{}", paint.red(format!("the fakes could not start: {e}")));
            return ExitCode::FAILURE;
        }
    };
    for (email, id) in crate::sandbox::SLACK_USERS_BY_EMAIL {
        fakes.slack.add_user(email, id);
    }
    let lines: String = settings::sandbox_env(&fakes).iter().map(|(name, value)| format!("{name}={value}\n")).collect();
    eprintln!("Fake GitHub, Slack and PagerDuty are listening on 127.0.0.1. These settings point Dispatch at them:");
    print!("{lines}");
    if let Some(path) = env_file {
        if let Err(e) = write_atomically(path, &lines) {
            eprintln!("{}", paint.red(format!("{}: cannot write: {e}", path.display())));
            return ExitCode::FAILURE;
        }
        eprintln!("Wrote them to {}.", path.display());
    }
    eprintln!("Serving until interrupted (Ctrl-C or SIGTERM).");
    if let Err(e) = shutdown().await {
        eprintln!("{}", paint.red(format!("cannot wait for signals: {e}")));
        return ExitCode::FAILURE;
    }
    eprintln!("Stopped. The fakes held {}.", settings::holdings(&fakes));
    ExitCode::SUCCESS
}

/// Writes `path` whole or not at all, so a script waiting for it never reads half of it.
fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, contents)?;
    std::fs::rename(&partial, path)
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn shutdown() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
