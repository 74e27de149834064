//! Proof of robustness (DESIGN.md §5): the fault matrix, property tests of every entry point that
//! reads outside input, load, and secret hygiene.

mod load;
mod matrix;
mod properties;
mod setup;
