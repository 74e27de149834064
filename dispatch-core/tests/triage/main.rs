//! The triage handler against the fakes: clicks on prompts that the real incoming handler sent.

mod clicks;
#[path = "../shared/emf.rs"]
mod emf;
mod harness;
mod hostile;
mod metrics;
mod requests;
