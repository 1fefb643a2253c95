//! Errors inside one file, before the file name is attached.

use crate::LoadError;

/// Where in a file parsing failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileError {
    /// `LINE:COLUMN` or a JSON path.
    pub location: String,
    /// What was wrong and what was expected.
    pub message: String,
    /// The 1-based line and column, when known (used when the location is otherwise empty).
    pub position: Option<(usize, usize)>,
    /// A syntax error (the text is not JSON or YAML at all), as opposed to a known shape with
    /// a wrong field.
    pub syntax: bool,
}

impl FileError {
    /// An error at a 1-based line and column.
    pub(crate) fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            location: format!("{line}:{column}"),
            message: message.into(),
            position: Some((line, column)),
            syntax: false,
        }
    }

    /// An error at a JSON path (`RoleDetailList[3].AssumeRolePolicyDocument`).
    pub(crate) fn at_path(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: path.into(),
            message: message.into(),
            position: None,
            syntax: false,
        }
    }

    /// Marks the error as a syntax error.
    pub(crate) fn syntax(mut self) -> Self {
        self.syntax = true;
        self
    }

    /// Puts `prefix` (for example `items[2]`) in front of a path location.
    pub(crate) fn under(mut self, prefix: &str) -> Self {
        if prefix.is_empty() || is_line_column(&self.location) {
            return self;
        }
        self.location = join_path(prefix, &self.location);
        self
    }

    pub(crate) fn into_load_error(self, file: &str) -> LoadError {
        let location = if self.location.is_empty() {
            let (line, column) = self.position.unwrap_or((1, 1));
            format!("{line}:{column}")
        } else {
            self.location
        };
        LoadError::Malformed {
            file: file.to_owned(),
            location,
            message: self.message,
        }
    }
}

/// `a` + `b` as a JSON path: `items[2]` + `spec` = `items[2].spec`, `x` + `[0]` = `x[0]`.
pub(crate) fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}

fn is_line_column(location: &str) -> bool {
    location
        .split_once(':')
        .is_some_and(|(l, c)| is_number(l) && is_number(c))
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Removes the ` at line L column C` that serde_json and serde_yaml_ng append to messages
/// (the position is reported separately, relative to the whole file).
pub(crate) fn strip_position(message: &str, line: usize, column: usize) -> String {
    let suffix = format!(" at line {line} column {column}");
    if let Some(head) = message.strip_suffix(&suffix) {
        return head.to_owned();
    }
    // serde_yaml_ng puts the context after the position: "X at line 3 column 11, while ...".
    if let Some((head, tail)) = message.split_once(&format!("{suffix},")) {
        return format!("{head},{tail}");
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_line_columns_stay() {
        assert_eq!(join_path("items[2]", "spec"), "items[2].spec");
        assert_eq!(join_path("x", "[0].a"), "x[0].a");
        assert_eq!(
            FileError::at(3, 4, "m").under("items[1]").location,
            "3:4".to_owned()
        );
        assert_eq!(
            FileError::at_path("", "m").under("cluster").location,
            "cluster".to_owned()
        );
    }

    #[test]
    fn positions_are_stripped() {
        assert_eq!(
            strip_position("expected value at line 3 column 7", 3, 7),
            "expected value"
        );
        assert_eq!(
            strip_position(
                "did not find expected ',' or '}' at line 3 column 11, while parsing a flow mapping at line 2 column 13",
                3,
                11
            ),
            "did not find expected ',' or '}', while parsing a flow mapping at line 2 column 13"
        );
    }
}
