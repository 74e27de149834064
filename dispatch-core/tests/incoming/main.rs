//! The incoming handler, called directly, against the stateful fakes over real HTTP.

mod events;
mod failures;
mod harness;
mod hostile;
mod routing;
