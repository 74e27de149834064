//! Reading a message from a file, or from standard input for `-`.

use std::io::Read;
use std::path::Path;

/// A message's bytes and how to name where they came from.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as given, or `<stdin>`.
    pub label: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{label}: cannot read: {error}")]
pub struct ReadError {
    /// The path as given, or `<stdin>`.
    pub label: String,
    /// Why.
    pub error: std::io::Error,
}

/// Reads `path`, or standard input when it is `-`.
pub fn read(path: &Path) -> Result<Input, ReadError> {
    let (label, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        ("<stdin>".to_owned(), std::io::stdin().read_to_end(&mut bytes).map(|_| bytes))
    } else {
        (path.display().to_string(), std::fs::read(path))
    };
    match bytes {
        Ok(bytes) => Ok(Input { label, bytes }),
        Err(error) => Err(ReadError { label, error }),
    }
}
