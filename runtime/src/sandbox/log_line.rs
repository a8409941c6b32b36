//! Guest log lines as the host's log shows them: control characters
//! escaped, so a guest cannot forge log lines or send terminal escapes, and
//! bounded per line and per invocation, so a guest cannot flood the log.

use std::fmt;

/// The most bytes of one line kept; the rest is cut, with a note.
const MAX_LINE: usize = 4096;

/// The most bytes of log lines one invocation writes to the host's log.
pub(crate) const MAX_PER_INVOCATION: usize = 256 << 10;

/// A guest's line, escaped and cut for the host's log.
pub(crate) struct LogLine<'a>(pub(crate) &'a str);

impl fmt::Display for LogLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut end = self.0.len().min(MAX_LINE);
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        for c in self.0[..end].chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        if end < self.0.len() {
            write!(f, " … ({} more bytes)", self.0.len() - end)?;
        }
        Ok(())
    }
}

/// Whether a line goes to the host's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Log it.
    Log,
    /// The invocation's quota ran out with this line: say so, once.
    QuotaReached,
    /// The quota ran out earlier: drop it silently.
    Drop,
}

/// How much of its log quota an invocation has used.
#[derive(Debug, Default)]
pub(crate) struct LogQuota {
    used: usize,
}

impl LogQuota {
    /// Counts a line of `len` bytes and says what to do with it.
    pub(crate) fn admit(&mut self, len: usize) -> Admission {
        let before = self.used;
        self.used = self.used.saturating_add(len.min(MAX_LINE));
        if self.used <= MAX_PER_INVOCATION {
            Admission::Log
        } else if before <= MAX_PER_INVOCATION {
            Admission::QuotaReached
        } else {
            Admission::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_lines_and_terminal_escapes_are_escaped() {
        let hostile = "done\n2026-12-02T00:00:00Z ERROR admin key leaked\x1b[2J";
        assert_eq!(
            LogLine(hostile).to_string(),
            "done\\n2026-12-02T00:00:00Z ERROR admin key leaked\\u{1b}[2J"
        );
        // Ordinary text, tabs aside, is untouched.
        assert_eq!(LogLine("naïve ✓ 42").to_string(), "naïve ✓ 42");
    }

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_LINE); // two bytes each
        let shown = LogLine(&long).to_string();
        assert!(shown.starts_with(&"é".repeat(MAX_LINE / 2)));
        assert!(
            shown.ends_with(&format!(" … ({} more bytes)", MAX_LINE)),
            "{}",
            &shown[shown.len() - 40..]
        );
    }

    #[test]
    fn the_quota_says_so_once_then_drops() {
        let mut quota = LogQuota::default();
        let lines = MAX_PER_INVOCATION / MAX_LINE;
        for _ in 0..lines {
            assert_eq!(quota.admit(MAX_LINE), Admission::Log);
        }
        assert_eq!(quota.admit(1), Admission::QuotaReached);
        assert_eq!(quota.admit(1), Admission::Drop);
        // A huge line counts only what is kept of it.
        let mut quota = LogQuota::default();
        assert_eq!(quota.admit(usize::MAX), Admission::Log);
    }
}
