//! The `dispatch` binary, run as a user runs it: sandbox on every example, validate, publish to a
//! local SNS double, the fakes server, the doctor, help and colours.

mod docs;
mod doctor;
mod fakes;
mod helpers;
mod output;
mod publish;
mod sandbox;
mod validate;
