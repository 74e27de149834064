//! What the suites share: building the real binaries, reading metric lines.

pub mod binary;
pub mod emf;
