//! The example messages of `examples/`, as the suites send them.

use serde_json::Value;

pub const SELF_SERVICE: &str = include_str!("../../../examples/self-service.json");
pub const BROADCAST: &str = include_str!("../../../examples/broadcast.json");
pub const NAG: &str = include_str!("../../../examples/nag.json");
pub const LOW_PRIORITY: &str = include_str!("../../../examples/low-priority.json");
pub const HIGH_PRIORITY: &str = include_str!("../../../examples/high-priority.json");
pub const FALLBACK: &str = include_str!("../../../examples/fallback.json");

/// Every example, by its file's name.
pub const EXAMPLES: [(&str, &str); 6] = [
    ("self-service", SELF_SERVICE),
    ("broadcast", BROADCAST),
    ("nag", NAG),
    ("low-priority", LOW_PRIORITY),
    ("high-priority", HIGH_PRIORITY),
    ("fallback", FALLBACK),
];

/// `text` as JSON.
pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}
