//! The built `incoming` and `triage` binaries, run as Lambda runs them: under a Lambda Runtime API
//! emulator, against the fakes on loopback.

mod incoming;
mod triage;
