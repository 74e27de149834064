//! The triage handler against the fakes: clicks on prompts that the real incoming handler sent.

mod clicks;
mod harness;
mod hostile;
mod requests;
