//! The README's sandbox section shows what `dispatch sandbox` prints: it must stay true.

use crate::helpers::*;

/// The contents of the ```text blocks of a Markdown document.
fn text_blocks(markdown: &str) -> Vec<&str> {
    markdown.split("```text\n").skip(1).map(|rest| rest.split("\n```").next().unwrap()).collect()
}

/// The output with what changes from run to run (ports, times) replaced by placeholders.
fn normalise(text: &str) -> String {
    let (bytes, mut out, mut i) = (text.as_bytes(), String::new(), 0);
    let shape = |at: usize, pattern: &str| {
        bytes.len() >= at + pattern.len()
            && pattern.bytes().zip(&bytes[at..]).all(|(p, b)| if p == b'9' { b.is_ascii_digit() } else { p == *b })
    };
    while i < bytes.len() {
        if shape(i, "9999-99-99 99:99:99 UTC") {
            out.push_str("TIME UTC");
            i += "9999-99-99 99:99:99 UTC".len();
        } else if text[i..].starts_with("127.0.0.1:") {
            out.push_str("127.0.0.1:PORT");
            i += "127.0.0.1:".len();
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The README's "Try it: the sandbox" section.
fn sandbox_section(readme: &str) -> &str {
    let start = readme.find("## Try it: the sandbox").expect("the README has a sandbox section");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

#[test]
fn the_output_shown_in_the_readme_is_what_the_sandbox_prints() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let blocks = text_blocks(sandbox_section(&readme));
    assert_eq!(blocks.len(), 3, "the two self-service sections and the closing lines");
    let run = dispatch(&["sandbox"]);
    assert_eq!(run.code, 0, "{}", run.both());
    let printed = normalise(&run.stdout);
    for block in blocks {
        assert!(
            printed.contains(&normalise(block)),
            "The README's sandbox section is stale: update it from `cargo run --bin dispatch -- sandbox`.\n--- documented\n{block}\n--- printed\n{}",
            run.stdout
        );
    }
}

#[test]
fn ports_and_times_are_normalised_and_nothing_else() {
    assert_eq!(
        normalise("at 2026-11-27 14:42:41 UTC · http://127.0.0.1:36609/x #4 ✓"),
        "at TIME UTC · http://127.0.0.1:PORT/x #4 ✓"
    );
}
