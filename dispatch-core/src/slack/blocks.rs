//! Dispatch's Slack messages moved to [`crate::compose`], next to the plan they are composed from;
//! this path stays for the code that still names it.

pub use crate::compose::*;
