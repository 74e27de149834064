//! The incoming handler, called directly, against the stateful fakes over real HTTP.

mod app_auth;
mod by_email;
mod events;
mod failures;
mod harness;
mod hostile;
mod lifecycle;
mod metrics;
mod routing;
