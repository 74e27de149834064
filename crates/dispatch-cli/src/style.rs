//! Terminal colours: ANSI escapes when stdout is a terminal (or `--color always`), never when
//! `NO_COLOR` is set, and plain text otherwise.

use std::fmt::Display;
use std::io::IsTerminal;

use crate::args::ColorChoice;

/// Paints text, or leaves it plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    /// Decides from the choice, whether stdout is a terminal and whether `NO_COLOR` is set.
    pub fn new(choice: ColorChoice, terminal: bool, no_color: bool) -> Self {
        let enabled = !no_color
            && match choice {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => terminal,
            };
        Self { enabled }
    }

    /// For this process's stdout and environment.
    pub fn for_stdout(choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self::new(choice, std::io::stdout().is_terminal(), no_color)
    }

    /// Plain text, always.
    pub fn plain() -> Self {
        Self { enabled: false }
    }

    fn wrap(&self, code: &str, text: impl Display) -> String {
        if self.enabled { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    /// Bold.
    pub fn bold(&self, text: impl Display) -> String {
        self.wrap("1", text)
    }

    /// Faint, for what matters less.
    pub fn dim(&self, text: impl Display) -> String {
        self.wrap("2", text)
    }

    /// Success.
    pub fn green(&self, text: impl Display) -> String {
        self.wrap("32", text)
    }

    /// Failure.
    pub fn red(&self, text: impl Display) -> String {
        self.wrap("31", text)
    }

    /// Attention.
    pub fn yellow(&self, text: impl Display) -> String {
        self.wrap("33", text)
    }

    /// Bold and cyan, for section headings.
    pub fn heading(&self, text: impl Display) -> String {
        self.wrap("1;36", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_terminal_unless_forced_and_no_color_always_wins() {
        assert!(Paint::new(ColorChoice::Auto, true, false).bold("x").contains('\x1b'));
        assert_eq!(Paint::new(ColorChoice::Auto, false, false).bold("x"), "x");
        assert!(Paint::new(ColorChoice::Always, false, false).green("x").contains('\x1b'));
        assert_eq!(Paint::new(ColorChoice::Never, true, false).red("x"), "x");
        assert_eq!(Paint::new(ColorChoice::Always, true, true).red("x"), "x");
        assert_eq!(Paint::new(ColorChoice::Auto, true, true).red("x"), "x");
    }
}
