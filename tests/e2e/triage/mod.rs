//! The triage handler against the fakes: clicks on prompts that the real incoming handler sent.

mod clicks;
mod harness;
mod hostile;
mod metrics;
mod requests;
mod resolved;
