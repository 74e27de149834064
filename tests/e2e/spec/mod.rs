//! Message spec, validation, routing plan and schema: one test binary.

mod arbitrary_input;
mod defaults;
mod email;
mod helpers;
mod invalid;
mod parse;
mod routing;
mod schema;
mod severity;
mod warnings;
