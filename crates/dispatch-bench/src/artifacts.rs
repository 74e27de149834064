//! Artifact size: the deployable zips cargo-lambda writes, and the `bootstrap` executable in each.

use std::path::Path;

/// One function's artifact.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// `incoming` or `triage`.
    pub function: &'static str,
    /// The zip, bytes; `None` if it is missing.
    pub zip: Option<u64>,
    /// `bootstrap` inside it, uncompressed bytes.
    pub bootstrap: Option<u64>,
    /// When the zip was written (UTC).
    pub built: Option<String>,
    /// The release binary the cold starts ran, bytes.
    pub release_binary: Option<u64>,
}

/// Sizes of both functions' artifacts under `root/target`.
pub fn measure(root: &Path) -> Vec<Artifact> {
    ["incoming", "triage"]
        .into_iter()
        .map(|function| {
            let path = root.join("target/lambda").join(function).join("bootstrap.zip");
            let bytes = std::fs::read(&path).ok();
            let built = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(|t| chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M UTC").to_string());
            Artifact {
                function,
                zip: bytes.as_ref().map(|b| b.len() as u64),
                bootstrap: bytes.as_deref().and_then(|b| uncompressed_size(b, "bootstrap")),
                built,
                release_binary: std::fs::metadata(crate::cold::binary(root, function)).ok().map(|m| m.len()),
            }
        })
        .collect()
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?)))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?)))
}

/// The uncompressed size of entry `name`, from the zip's central directory.
fn uncompressed_size(zip: &[u8], name: &str) -> Option<u64> {
    const END: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const ENTRY: u64 = 0x0201_4b50;
    let end = zip.windows(4).rposition(|w| w == END)?;
    let entries = u16_at(zip, end + 10)?;
    let mut at = usize::try_from(u32_at(zip, end + 16)?).ok()?;
    for _ in 0..entries {
        if u32_at(zip, at)? != ENTRY {
            return None;
        }
        let size = u32_at(zip, at + 24)?;
        let (name_len, extra_len, comment_len) = (u16_at(zip, at + 28)?, u16_at(zip, at + 30)?, u16_at(zip, at + 32)?);
        let entry_name = zip.get(at + 46..at + 46 + usize::try_from(name_len).ok()?)?;
        if entry_name == name.as_bytes() {
            return Some(size);
        }
        at += 46 + usize::try_from(name_len + extra_len + comment_len).ok()?;
    }
    None
}
