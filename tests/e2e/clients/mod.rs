//! The service clients over real HTTP against local mock servers.

mod config;
mod dedup_search;
mod github;
mod github_lookup;
mod helpers;
mod kms;
mod pagerduty;
mod pagerduty_events;
mod pagerduty_resolve;
mod scheduler;
mod secrets;
mod slack;
mod slack_blocks;
mod slack_lookup;
mod slack_update;
