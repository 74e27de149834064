//! The incoming handler, called directly, against the stateful fakes over real HTTP.

mod failures;
mod harness;
mod hostile;
mod routing;
