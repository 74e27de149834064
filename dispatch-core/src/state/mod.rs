//! The state Dispatch keeps, in the only places it has (DESIGN.md §5, §5c): GitHub issues and
//! comments, and the Slack buttons that stay in users' DMs. Each persisted format is written and
//! read here, in pairs with round-trip tests, because old issues and old buttons must stay
//! readable across versions:
//! - [`event`]: the marker that ends the body of an issue Dispatch opened, naming the SNS event;
//! - [`delivery`]: the comment recording which Slack messages an event delivered;
//! - [`answer`]: the comment recording a click's answer (a claim), and the note of its incident;
//! - [`button`]: the value of a self-service button, and the Node version's `callback_id`;
//! - [`lifecycle`]: the resolution at the source, and the reminder of an unanswered prompt.
//!
//! **Only Dispatch's own writing is state.** Anyone who can read the audit repository can comment
//! on its issues, and issue bodies carry sender text. So a marker counts only when it is the last
//! line of a text Dispatch wrote: the issue body Dispatch created (the marker line Dispatch
//! appended after the sender's text), or a comment whose author is one of the [`Writers`] of the
//! issue. A marker anywhere else, or in anyone else's comment, is data.

pub mod answer;
pub mod button;
pub mod delivery;
pub mod event;
pub mod lifecycle;

use crate::github::{Comment, Issue};

/// Opens every marker: `<!-- dispatch:KIND…`.
const OPEN: &str = "<!-- dispatch:";
/// Closes every marker.
const CLOSE: &str = " -->";

/// Keeps only characters that cannot end an HTML comment or break a marker's syntax.
pub(crate) fn clean(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.:".contains(*c)).take(128).collect()
}

/// A marker line: `<!-- dispatch:KIND key=value … -->` (or `<!-- dispatch:KIND=value … -->`, the
/// issue marker's form, when the first field is named after the kind).
fn marker_line(kind: &str, fields: &[(&str, &str)]) -> String {
    let mut line = format!("{OPEN}{kind}");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i == 0 && *key == kind {
            line.push('=');
        } else {
            line.push(' ');
            line.push_str(key);
            line.push('=');
        }
        line.push_str(value);
    }
    line.push_str(CLOSE);
    line
}

/// The fields of the marker of `kind` that is the last non-blank line of `text`; `None` when the
/// last line is not such a marker. A marker earlier in the text never counts: Dispatch always
/// writes its marker last, after any text it quotes.
fn read_marker<'a>(text: &'a str, kind: &str) -> Option<Vec<(&'a str, &'a str)>> {
    let last = text.lines().rev().map(str::trim).find(|line| !line.is_empty())?;
    let inner = last.strip_prefix(OPEN)?.strip_suffix(CLOSE.trim_start())?.trim_end();
    let mut tokens = inner.split_whitespace();
    let first = tokens.next()?;
    let mut fields = Vec::new();
    match first.split_once('=') {
        Some((name, value)) if name == kind => fields.push((name, value)),
        None if first == kind => {}
        _ => return None,
    }
    fields.extend(tokens.filter_map(|t| t.split_once('=')));
    Some(fields)
}

fn field<'a>(fields: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The accounts whose comments on an issue are Dispatch's: the issue's author (Dispatch opened
/// every issue it keeps state on), plus Dispatch's own login once known (the author of a comment
/// it has just written, which differs from the issue's author only after a change of token or App).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writers {
    logins: Vec<String>,
}

impl Writers {
    /// The writers of `issue`: its author.
    pub fn of(issue: &Issue) -> Self {
        Self::default().and(issue.author())
    }

    /// Adds Dispatch's own login, when known.
    pub fn and(mut self, login: Option<&str>) -> Self {
        if let Some(login) = login.filter(|l| !l.is_empty())
            && !self.logins.iter().any(|l| l.eq_ignore_ascii_case(login))
        {
            self.logins.push(login.to_owned());
        }
        self
    }

    /// Whether a text by `author` is Dispatch's. Unknown authors never are.
    pub fn wrote(&self, author: Option<&str>) -> bool {
        author.is_some_and(|a| self.logins.iter().any(|l| l.eq_ignore_ascii_case(a)))
    }

    /// The comments among `comments` that Dispatch wrote.
    pub fn comments<'a>(&'a self, comments: &'a [Comment]) -> impl Iterator<Item = &'a Comment> + 'a {
        comments.iter().filter(|c| self.wrote(c.author()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_counts_only_as_the_last_line() {
        let line = marker_line("delivered", &[("event", "e1"), ("sent", "0,1")]);
        assert_eq!(line, "<!-- dispatch:delivered event=e1 sent=0,1 -->");
        assert_eq!(
            read_marker(&format!("text\n\n{line}\n"), "delivered"),
            Some(vec![("event", "e1"), ("sent", "0,1")])
        );
        assert_eq!(read_marker(&format!("{line}\nsender text after it"), "delivered"), None);
        assert_eq!(read_marker(&line, "answer"), None);
        assert_eq!(read_marker("", "answer"), None);
    }

    #[test]
    fn the_issue_marker_names_its_first_field_after_its_kind() {
        let line = marker_line("event", &[("event", "e1"), ("request", "r1")]);
        assert_eq!(line, "<!-- dispatch:event=e1 request=r1 -->");
        assert_eq!(read_marker(&line, "event"), Some(vec![("event", "e1"), ("request", "r1")]));
        assert_eq!(read_marker("<!-- dispatch:eventual=e1 -->", "event"), None);
    }

    #[test]
    fn only_the_listed_writers_count_whatever_the_case_of_their_login() {
        let writers = Writers::default().and(Some("dispatch-bot")).and(Some("dispatch[bot]")).and(None);
        assert!(writers.wrote(Some("Dispatch-Bot")));
        assert!(writers.wrote(Some("dispatch[bot]")));
        assert!(!writers.wrote(Some("mallory")));
        assert!(!writers.wrote(None));
        assert!(!Writers::default().wrote(Some("")));
    }
}
