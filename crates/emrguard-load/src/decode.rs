//! From bytes to text: which files to parse, gzip, byte-order marks and UTF-16.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;

/// The largest decompressed size accepted from one gzip file.
const MAX_DECOMPRESSED: u64 = 8 << 30;

/// What a file name says about its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameHint {
    /// `.json`: parse as JSON; syntax errors are malformed input.
    Json,
    /// `.yaml` / `.yml`: parse as YAML; syntax errors are malformed input.
    Yaml,
    /// Anything else that is not known to be documentation or code: sniff the content, and
    /// treat syntax errors as "not recognised".
    Unknown,
}

/// Decides from the file name whether to read a file, and how.
pub(crate) fn name_hint(relative: &str) -> Result<(NameHint, bool), String> {
    let name = relative
        .rsplit('/')
        .next()
        .unwrap_or(relative)
        .to_ascii_lowercase();
    let (name, gzipped) = match name.strip_suffix(".gz") {
        Some(inner) => (inner.to_owned(), true),
        None => (name, false),
    };
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    let hint = match extension {
        "json" => NameHint::Json,
        "yaml" | "yml" => NameHint::Yaml,
        "md" | "markdown" | "txt" | "rst" | "adoc" | "sh" | "bash" | "zsh" | "py" | "rs" | "go"
        | "toml" | "ini" | "cfg" | "conf" | "csv" | "tsv" | "log" | "html" | "htm" | "xml"
        | "pdf" | "png" | "jpg" | "jpeg" | "gif" | "svg" | "zip" | "tar" | "tgz" | "tf"
        | "tfvars" | "tfstate" | "lock" | "pem" | "crt" | "key" | "sig" | "sum" | "diff"
        | "patch" => {
            return Err(format!(
                "not kubectl or aws CLI output (a .{extension} file), not read"
            ))
        }
        _ => NameHint::Unknown,
    };
    Ok((hint, gzipped))
}

/// Whether the bytes start with the gzip magic number.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses a gzip file (all members, as CloudTrail and `gzip -c a b` write them).
pub(crate) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip file: {e}"))?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(format!(
            "decompresses to more than {} GiB",
            MAX_DECOMPRESSED >> 30
        ));
    }
    Ok(out)
}

/// Why bytes are not text: a 1-based line and column, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotText {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Decodes UTF-8 (with or without a byte-order mark) or, when a byte-order mark says so,
/// UTF-16 as Windows PowerShell writes redirected output.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, NotText> {
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return utf8(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return utf16(rest, u16::from_be_bytes);
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, NotText> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            // The valid prefix is UTF-8, so counting in it gives the position of the bad byte.
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let (line, column) = line_column(prefix, prefix.len());
            Err(NotText {
                line,
                column,
                message: "not valid UTF-8 text".to_owned(),
            })
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Cow<'static, str>, NotText> {
    let units = bytes.chunks(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        // An odd trailing byte cannot be UTF-16; U+DC00 alone is an unpaired surrogate, so
        // decoding reports it.
        _ => 0xdc00,
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                let (line, column) = line_column(&text, text.len());
                return Err(NotText {
                    line,
                    column,
                    message:
                        "not valid UTF-16 text (the file starts with a UTF-16 byte-order mark)"
                            .to_owned(),
                });
            }
        }
    }
    Ok(Cow::Owned(text))
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = text.get(..offset).unwrap_or_default();
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Counts lines forward through a text; moving backwards restarts from the top.
#[derive(Debug)]
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self
            .text
            .get(self.offset..offset)
            .map_or(0, |s| bytecount::count(s, b'\n'));
        self.line += newlines;
        self.offset = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_what_is_read() {
        assert_eq!(name_hint("a/pods.json"), Ok((NameHint::Json, false)));
        assert_eq!(name_hint("ct/x.JSON.gz"), Ok((NameHint::Json, true)));
        assert_eq!(name_hint("rbac.yml"), Ok((NameHint::Yaml, false)));
        assert_eq!(name_hint("pods"), Ok((NameHint::Unknown, false)));
        assert!(name_hint("README.md").is_err());
        assert!(name_hint("emrguard.toml").is_err());
    }

    #[test]
    fn text_decoding() {
        assert_eq!(decode_text(b"\xef\xbb\xbf{}").ok().as_deref(), Some("{}"));
        assert_eq!(
            decode_text(b"\xff\xfe{\x00}\x00").ok().as_deref(),
            Some("{}")
        );
        assert_eq!(
            decode_text(b"\xfe\xff\x00{\x00}").ok().as_deref(),
            Some("{}")
        );
        let bad = decode_text(b"a: 1\nb: \xff\n").err();
        assert_eq!(bad.map(|e| (e.line, e.column)), Some((2, 4)));
        assert!(decode_text(b"\xff\xfe{").is_err());
    }

    #[test]
    fn positions() {
        assert_eq!(line_column("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_column("ab\ncé\nx", 3), (2, 1));
        assert_eq!(line_column("ab\ncé\nx", 7), (3, 1));
        let mut lines = LineCounter::new("a\nb\nc\n");
        assert_eq!(lines.line_at(2), 2);
        assert_eq!(lines.line_at(4), 3);
        assert_eq!(lines.line_at(0), 1);
    }

    #[test]
    fn gzip_round_trip_and_garbage() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"Records\": []}").ok();
        let gz = enc.finish().unwrap_or_default();
        assert!(is_gzip(&gz));
        assert_eq!(gunzip(&gz).ok(), Some(b"{\"Records\": []}".to_vec()));
        assert!(gunzip(&[0x1f, 0x8b, 1, 2, 3]).is_err());
    }
}
