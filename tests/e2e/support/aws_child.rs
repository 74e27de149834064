//! Runs one ignored test of this binary in a child process whose only AWS configuration is the
//! standard environment (an endpoint variable, a region, static credentials; no profile, no
//! instance metadata): how the real functions find KMS and Scheduler in Lambda, without touching
//! this process's environment.

/// The region and access key the child is given; a request it signs names both.
pub const REGION: &str = "eu-west-1";
/// The child's access key id.
pub const ACCESS_KEY: &str = "AKIDCHILD";

/// Runs `child` (a test's path under the crate, e.g. `clients::kms::child_…`) with
/// `endpoint_variable` set to `endpoint` and `extra` variables, and asserts that it passed.
pub async fn run_child(child: &str, endpoint_variable: &str, endpoint: &str, extra: &[(&str, String)]) {
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", child, "--ignored", "--nocapture"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(endpoint_variable, endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "child-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (name, value) in extra {
        command.env(name, value);
    }
    let output = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "{stdout}");
}

/// Whether a SigV4 `authorization` header was signed with the child's key for `service`.
pub fn signed_by_child(authorization: &str, service: &str) -> bool {
    authorization.contains(&format!("Credential={ACCESS_KEY}/"))
        && authorization.contains(&format!("/{REGION}/{service}/"))
}
