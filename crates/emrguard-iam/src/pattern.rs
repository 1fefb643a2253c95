//! Wildcard patterns (`*`, `?`) with policy variables, as IAM uses them in `Action`,
//! `Resource`, `StringLike` and `ArnLike`.
//!
//! AWS, "IAM JSON policy elements: Resource": "You can use wildcard characters (`*` and `?`)
//! within any ARN segment ... If the `*` wildcard is the last character of a resource ARN
//! segment, it can expand to match beyond the colon boundaries." So resource patterns are
//! matched as whole-string globs; per-segment matching is only for the `Arn*` condition
//! operators (see [`crate::condition`]).
//!
//! AWS, "IAM policy elements: Variables and tags": a variable is `${key}` or
//! `${key, 'default'}`; `${*}`, `${?}` and `${$}` stand for the literal characters; variables
//! are only replaced in documents with `"Version": "2012-10-17"`.

use std::collections::{BTreeMap, VecDeque};

use emrguard_model::hash::HashMap;

/// A piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`; the key is lower-cased (context keys are
    /// case-insensitive).
    Var {
        key: String,
        default: Option<String>,
    },
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (otherwise literal, as in `StringEquals`).
    pub wildcards: bool,
    /// `${...}` is a policy variable (otherwise literal, as in 2008-10-17 documents).
    pub variables: bool,
}

/// Splits a pattern into tokens. Never fails: malformed variables are literal text.
pub(crate) fn tokenize(text: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            if let Some((var, used)) = parse_variable(rest) {
                match var {
                    Token::Lit(s) => lit.push_str(&s),
                    other => {
                        if !lit.is_empty() {
                            tokens.push(Token::Lit(std::mem::take(&mut lit)));
                        }
                        tokens.push(other);
                    }
                }
                rest = rest.get(used..).unwrap_or("");
                continue;
            }
        }
        if syntax.wildcards && (c == '*' || c == '?') {
            if !lit.is_empty() {
                tokens.push(Token::Lit(std::mem::take(&mut lit)));
            }
            tokens.push(if c == '*' { Token::Star } else { Token::One });
        } else {
            lit.push(c);
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    if !lit.is_empty() {
        tokens.push(Token::Lit(lit));
    }
    tokens
}

/// Parses `${...}` at the start of `text`; returns the token and the bytes used.
fn parse_variable(text: &str) -> Option<(Token, usize)> {
    let body_start = 2;
    let inner = text.get(body_start..)?;
    // The key ends at `,` or `}`; a default is a single-quoted string with `''` escapes.
    let key_end = inner.find([',', '}'])?;
    let key = inner.get(..key_end)?.trim();
    let after_key = inner.get(key_end..)?;
    if let Some(stripped) = after_key.strip_prefix('}') {
        let used = body_start + key_end + 1;
        let _ = stripped;
        let token = match key {
            "*" => Token::Lit("*".into()),
            "?" => Token::Lit("?".into()),
            "$" => Token::Lit("$".into()),
            "" => return None,
            k => Token::Var {
                key: k.to_ascii_lowercase(),
                default: None,
            },
        };
        return Some((token, used));
    }
    // `, 'default'}`
    let after_comma = after_key.strip_prefix(',')?;
    let trimmed = after_comma.trim_start();
    let skipped = after_comma.len() - trimmed.len();
    let mut chars = trimmed.char_indices();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let mut default = String::new();
    let mut end = None;
    let bytes = trimmed.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        let b = *bytes.get(i)?;
        if b == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                default.push('\'');
                i += 2;
                continue;
            }
            end = Some(i);
            break;
        }
        let ch = trimmed.get(i..)?.chars().next()?;
        default.push(ch);
        i += ch.len_utf8();
    }
    let quote_end = end?;
    let tail = trimmed.get(quote_end + 1..)?;
    let tail_trimmed = tail.trim_start();
    if !tail_trimmed.starts_with('}') || key.is_empty() {
        return None;
    }
    let used =
        body_start + key_end + 1 + skipped + quote_end + 1 + (tail.len() - tail_trimmed.len()) + 1;
    Some((
        Token::Var {
            key: key.to_ascii_lowercase(),
            default: Some(default),
        },
        used,
    ))
}

/// One step of a compiled glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Atom {
    /// One literal byte.
    Byte(u8),
    /// `?`: one UTF-8 character.
    One,
    /// `*`.
    Star,
}

fn utf8_len(first: u8) -> usize {
    match first {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        _ => 2,
    }
}

/// Matches `input` against a glob of atoms, with `*` backtracking (linear in practice).
pub(crate) fn glob_match(atoms: &[Atom], input: &[u8]) -> bool {
    match_atoms(|p| atoms.get(p).copied(), atoms.len(), input)
}

/// The matching loop over `len` atoms read through `atom`, so that compiled patterns and
/// plain patterns read byte by byte share it.
fn match_atoms(atom: impl Fn(usize) -> Option<Atom>, len: usize, input: &[u8]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&byte) = input.get(s) {
        match atom(p) {
            Some(Atom::Byte(b)) if b == byte => {
                p += 1;
                s += 1;
            }
            Some(Atom::One) => {
                p += 1;
                s += utf8_len(byte);
            }
            Some(Atom::Star) => {
                star = Some((p + 1, s));
                p += 1;
            }
            _ => match star {
                Some((after_star, from)) => {
                    let next = from + input.get(from).map_or(1, |b| utf8_len(*b));
                    star = Some((after_star, next));
                    p = after_star;
                    s = next;
                }
                None => return false,
            },
        }
    }
    while let Some(Atom::Star) = atom(p) {
        p += 1;
    }
    p == len && s == input.len()
}

fn atoms_of(tokens: &[Token], resolved: &[Option<String>]) -> Vec<Atom> {
    let mut atoms = Vec::new();
    let mut var_index = 0;
    for t in tokens {
        match t {
            Token::Lit(s) => atoms.extend(s.bytes().map(Atom::Byte)),
            Token::Star => atoms.push(Atom::Star),
            Token::One => atoms.push(Atom::One),
            Token::Var { .. } => {
                if let Some(Some(v)) = resolved.get(var_index) {
                    atoms.extend(v.bytes().map(Atom::Byte));
                }
                var_index += 1;
            }
        }
    }
    atoms
}

/// Request context values by lower-cased key. A key with no values is absent.
pub(crate) type ContextValues = BTreeMap<String, Vec<String>>;

/// Looks up a lower-cased context key.
pub(crate) fn context_get<'a>(context: &'a ContextValues, key: &str) -> Option<&'a [String]> {
    context
        .get(key)
        .map(Vec::as_slice)
        .filter(|v| !v.is_empty())
}

/// Resolves one variable: the single value of its key, else its default. A multivalued key
/// cannot be used as a variable (AWS: "you cannot use a multivalued context key as a
/// policy variable").
pub(crate) fn resolve_variable(
    context: &ContextValues,
    key: &str,
    default: Option<&str>,
) -> Option<String> {
    match context_get(context, key) {
        Some([one]) => Some(one.clone()),
        _ => default.map(str::to_owned),
    }
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    /// `*`.
    Any,
    /// No wildcard.
    Exact(String),
    /// `text*`.
    Prefix(String),
    /// `*text`.
    Suffix(String),
    /// Any other glob without variables.
    Glob(Vec<Atom>),
    /// A pattern with variables, resolved per request.
    Dynamic { tokens: Vec<Token>, lowercase: bool },
}

/// A pattern's text, ASCII case folded when `lowercase`.
fn folded(text: &str, lowercase: bool) -> String {
    if lowercase {
        text.to_ascii_lowercase()
    } else {
        text.to_owned()
    }
}

impl Matcher {
    /// Compiles `text`; `lowercase` folds ASCII case (for actions).
    pub(crate) fn new(text: &str, syntax: Syntax, lowercase: bool) -> Self {
        // Most patterns in real policies are plain text or `text*`: they are compiled from one
        // scan of the bytes, without tokenizing (which builds its literals a character at a
        // time). Anything else, `$` included, takes the general way.
        let special = |b: &u8| {
            (syntax.wildcards && (*b == b'*' || *b == b'?')) || (syntax.variables && *b == b'$')
        };
        let bytes = text.as_bytes();
        match bytes.iter().position(special) {
            None => return Self::Exact(folded(text, lowercase)),
            // The first special byte is a `*` that ends the pattern.
            Some(first)
                if first > 0 && first + 1 == bytes.len() && bytes.get(first) == Some(&b'*') =>
            {
                return Self::Prefix(folded(text.get(..first).unwrap_or_default(), lowercase));
            }
            Some(_) => {}
        }
        Self::tokenized(text, syntax, lowercase)
    }

    /// [`Matcher::new`] the general way: tokens first.
    fn tokenized(text: &str, syntax: Syntax, lowercase: bool) -> Self {
        let tokens = tokenize(&folded(text, lowercase), syntax);
        Self::from_tokens(tokens, lowercase)
    }

    fn from_tokens(tokens: Vec<Token>, lowercase: bool) -> Self {
        if tokens.iter().any(|t| matches!(t, Token::Var { .. })) {
            return Self::Dynamic { tokens, lowercase };
        }
        match tokens.as_slice() {
            [] => Self::Exact(String::new()),
            [Token::Star] => Self::Any,
            [Token::Lit(s)] => Self::Exact(s.clone()),
            [Token::Lit(s), Token::Star] => Self::Prefix(s.clone()),
            [Token::Star, Token::Lit(s)] => Self::Suffix(s.clone()),
            _ => Self::Glob(atoms_of(&tokens, &[])),
        }
    }

    /// The variable keys (lower-cased) and defaults this pattern uses.
    pub(crate) fn variables(&self) -> Vec<(&str, Option<&str>)> {
        match self {
            Self::Dynamic { tokens, .. } => tokens
                .iter()
                .filter_map(|t| match t {
                    Token::Var { key, default } => Some((key.as_str(), default.as_deref())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `input` (already lower-cased when this matcher folds case) matches.
    /// Unresolvable variables make the pattern match nothing.
    pub(crate) fn matches(&self, input: &str, context: &ContextValues) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(s) => input == s,
            Self::Prefix(p) => input.starts_with(p.as_str()),
            Self::Suffix(p) => input.ends_with(p.as_str()),
            Self::Glob(atoms) => glob_match(atoms, input.as_bytes()),
            Self::Dynamic { tokens, lowercase } => {
                let mut resolved = Vec::new();
                for t in tokens {
                    if let Token::Var { key, default } = t {
                        match resolve_variable(context, key, default.as_deref()) {
                            Some(v) if *lowercase => resolved.push(Some(v.to_ascii_lowercase())),
                            Some(v) => resolved.push(Some(v)),
                            None => return false,
                        }
                    }
                }
                glob_match(&atoms_of(tokens, &resolved), input.as_bytes())
            }
        }
    }

    /// The text this pattern stands for once its variables are resolved (`None` when one
    /// cannot be), with `*`/`?` kept as wildcards. Used by literal-comparison operators.
    pub(crate) fn resolve_literal(&self, context: &ContextValues) -> Option<String> {
        match self {
            Self::Exact(s) => Some(s.clone()),
            Self::Dynamic { tokens, .. } => {
                let mut out = String::new();
                for t in tokens {
                    match t {
                        Token::Lit(s) => out.push_str(s),
                        Token::Star => out.push('*'),
                        Token::One => out.push('?'),
                        Token::Var { key, default } => {
                            out.push_str(&resolve_variable(context, key, default.as_deref())?);
                        }
                    }
                }
                Some(out)
            }
            Self::Any => Some("*".into()),
            Self::Prefix(p) => Some(format!("{p}*")),
            Self::Suffix(p) => Some(format!("*{p}")),
            Self::Glob(atoms) => {
                let mut bytes = Vec::new();
                for a in atoms {
                    match a {
                        Atom::Byte(b) => bytes.push(*b),
                        Atom::One => bytes.push(b'?'),
                        Atom::Star => bytes.push(b'*'),
                    }
                }
                String::from_utf8(bytes).ok()
            }
        }
    }
}

/// Whether `text` contains an unescaped `*` or `?` wildcard.
pub(crate) fn has_wildcard(text: &str) -> bool {
    tokenize(
        text,
        Syntax {
            wildcards: true,
            variables: true,
        },
    )
    .iter()
    .any(|t| matches!(t, Token::Star | Token::One))
}

/// Whether a plain glob (`*`, `?`, no variables) matches `input`. Case-sensitive.
pub fn glob_matches(pattern: &str, input: &str) -> bool {
    plain_glob_match(pattern.as_bytes(), input.as_bytes(), false)
}

/// [`glob_matches`] with the pattern's ASCII letters folded to lower case, for an `input`
/// already in lower case (actions): the same answer as lower-casing the pattern first,
/// without allocating.
pub fn glob_matches_lowercase(pattern: &str, input: &str) -> bool {
    plain_glob_match(pattern.as_bytes(), input.as_bytes(), true)
}

/// [`glob_match`] over a plain pattern's bytes: without variables, the atoms of a pattern
/// are its bytes, with `*` and `?` as wildcards, so no tokens are built. Called for every
/// statement of every principal by the rules' pre-filters, hence allocation-free.
fn plain_glob_match(pattern: &[u8], input: &[u8], fold: bool) -> bool {
    let atom = |p: usize| {
        pattern.get(p).map(|&b| match b {
            b'*' => Atom::Star,
            b'?' => Atom::One,
            b if fold => Atom::Byte(b.to_ascii_lowercase()),
            b => Atom::Byte(b),
        })
    };
    match_atoms(atom, pattern.len(), input)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharAtom {
    Ch(char),
    One,
    Star,
}

fn char_atoms(pattern: &str) -> Vec<CharAtom> {
    let mut out = Vec::new();
    for t in tokenize(
        pattern,
        Syntax {
            wildcards: true,
            variables: false,
        },
    ) {
        match t {
            Token::Lit(s) => out.extend(s.chars().map(CharAtom::Ch)),
            Token::Star => out.push(CharAtom::Star),
            Token::One => out.push(CharAtom::One),
            Token::Var { .. } => {}
        }
    }
    out
}

/// The set of NFA positions reachable from `positions` without consuming input (a `*` may
/// match nothing), sorted and deduplicated.
fn closure(atoms: &[CharAtom], positions: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for mut p in positions {
        loop {
            out.push(p);
            if atoms.get(p) == Some(&CharAtom::Star) {
                p += 1;
            } else {
                break;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn step(atoms: &[CharAtom], positions: &[usize], c: Option<char>) -> Vec<usize> {
    // `None` stands for "a character that appears in neither pattern".
    let mut next = Vec::new();
    for &p in positions {
        match atoms.get(p) {
            Some(CharAtom::Star) => next.push(p),
            Some(CharAtom::One) => next.push(p + 1),
            Some(CharAtom::Ch(x)) if Some(*x) == c => next.push(p + 1),
            _ => {}
        }
    }
    closure(atoms, next)
}

/// A string that `inner` matches and `outer` does not, if there is one: i.e. `None` means
/// every match of the glob `inner` is also a match of `outer`. Plain globs (`*`, `?`),
/// case-sensitive. Decided exactly by a breadth-first search of the product automaton, so the
/// witness found is a shortest one.
pub fn glob_excess(outer: &str, inner: &str) -> Option<String> {
    // Shortcuts for the common cases (a trust value equal to EMR's pattern, or naming one
    // service account); the search below gives the same answers.
    if outer == inner {
        return None;
    }
    if !inner.contains(['*', '?']) {
        // `inner` matches only itself.
        return (!glob_matches(outer, inner)).then(|| inner.to_owned());
    }
    let (o, i) = (char_atoms(outer), char_atoms(inner));
    let mut alphabet: Vec<Option<char>> = o
        .iter()
        .chain(i.iter())
        .filter_map(|a| match a {
            CharAtom::Ch(c) => Some(Some(*c)),
            _ => None,
        })
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(None);
    type State = (Vec<usize>, Vec<usize>);
    let start: State = (closure(&i, [0]), closure(&o, [0]));
    let mut seen: HashMap<State, (Option<usize>, Option<char>)> = HashMap::default();
    let mut order: Vec<State> = Vec::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    seen.insert(start.clone(), (None, None));
    order.push(start);
    queue.push_back(0);
    // Patterns are short (trust-policy values), so the explored space stays small; the cap
    // keeps a pathological input bounded.
    const LIMIT: usize = 100_000;
    while let Some(idx) = queue.pop_front() {
        let Some(state) = order.get(idx).cloned() else {
            break;
        };
        let (ref is, ref os) = state;
        if is.contains(&i.len()) && !os.contains(&o.len()) {
            // Rebuild the witness.
            let mut chars = Vec::new();
            let mut cur = state.clone();
            while let Some((Some(parent), c)) = seen.get(&cur).cloned() {
                chars.push(c.unwrap_or('\u{2022}'));
                let Some(p) = order.get(parent) else { break };
                cur = p.clone();
            }
            chars.reverse();
            return Some(chars.into_iter().collect());
        }
        if is.is_empty() || order.len() > LIMIT {
            continue;
        }
        for &c in &alphabet {
            let next: State = (step(&i, is, c), step(&o, os, c));
            if next.0.is_empty() || seen.contains_key(&next) {
                continue;
            }
            seen.insert(next.clone(), (Some(idx), c));
            order.push(next);
            queue.push_back(order.len() - 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The quick compilation of plain and `text*` patterns builds exactly what
        /// tokenizing builds, for every syntax and case folding.
        #[test]
        fn quick_compilation_equals_tokenizing(
            text in "[aZ:/*?${}' ,é-]{0,12}",
            wildcards: bool,
            variables: bool,
            lowercase: bool,
        ) {
            let syntax = Syntax { wildcards, variables };
            proptest::prop_assert_eq!(
                Matcher::new(&text, syntax, lowercase),
                Matcher::tokenized(&text, syntax, lowercase)
            );
        }
    }

    fn ctx(pairs: &[(&str, &str)]) -> ContextValues {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
            .collect()
    }

    #[test]
    fn tokenizes_variables_and_escapes() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        assert_eq!(
            tokenize("a${aws:username}b*${*}${?}${$}", syntax),
            vec![
                Token::Lit("a".into()),
                Token::Var {
                    key: "aws:username".into(),
                    default: None
                },
                Token::Lit("b".into()),
                Token::Star,
                Token::Lit("*?$".into()),
            ]
        );
        assert_eq!(
            tokenize("${aws:PrincipalTag/team, 'it''s'}", syntax),
            vec![Token::Var {
                key: "aws:principaltag/team".into(),
                default: Some("it's".into())
            }]
        );
        // Not a variable when variables are off, or when malformed.
        assert_eq!(
            tokenize(
                "${x}",
                Syntax {
                    wildcards: true,
                    variables: false
                }
            ),
            vec![Token::Lit("${x}".into())]
        );
        assert_eq!(tokenize("${x", syntax), vec![Token::Lit("${x".into())]);
    }

    #[test]
    fn glob_basics() {
        assert!(glob_matches("s3:Get*", "s3:GetObject"));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(glob_matches("a?c", "aéc"));
        assert!(glob_matches("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!glob_matches("*a*b*c", "xxaxxbxxcxx"));
        assert!(glob_matches("", ""));
        assert!(!glob_matches("", "a"));
        assert!(glob_matches("**", ""));
    }

    #[test]
    fn plain_globs_agree_with_compiled_matchers() {
        let syntax = Syntax {
            wildcards: true,
            variables: false,
        };
        let patterns = [
            "",
            "*",
            "**",
            "?",
            "s3:Get*",
            "S3:GET*",
            "*Object",
            "a?c",
            "*a*b*c*",
            "é?*",
            "iam:PassRole",
            "emr-containers:*JobRun",
            "${x}*",
        ];
        let inputs = [
            "",
            "a",
            "abc",
            "aéc",
            "s3:getobject",
            "s3:GetObject",
            "xxaxxbxxcxx",
            "éé",
            "iam:passrole",
            "emr-containers:startjobrun",
            "${x}y",
        ];
        for pattern in patterns {
            for input in inputs {
                let compiled = Matcher::new(pattern, syntax, false);
                assert_eq!(
                    glob_matches(pattern, input),
                    compiled.matches(input, &ContextValues::new()),
                    "{pattern} ~ {input}"
                );
                let folded = Matcher::new(pattern, syntax, true);
                assert_eq!(
                    glob_matches_lowercase(pattern, input),
                    folded.matches(input, &ContextValues::new()),
                    "{pattern} ~ {input} (folded)"
                );
            }
        }
        assert!(glob_matches_lowercase("S3:Get*", "s3:getobject"));
        assert!(!glob_matches("S3:Get*", "s3:getobject"));
    }

    #[test]
    fn matcher_kinds_and_variables() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        let empty = ContextValues::new();
        assert_eq!(Matcher::new("*", syntax, false), Matcher::Any);
        assert!(matches!(
            Matcher::new("s3:Get*", syntax, true),
            Matcher::Prefix(p) if p == "s3:get"
        ));
        let m = Matcher::new("arn:aws:s3:::b/${aws:username}/*", syntax, false);
        assert!(m.matches("arn:aws:s3:::b/alice/x", &ctx(&[("aws:username", "alice")])));
        assert!(!m.matches("arn:aws:s3:::b/alice/x", &ctx(&[("aws:username", "bob")])));
        assert!(!m.matches("arn:aws:s3:::b/alice/x", &empty));
        // A substituted value is literal: `*` in a username is not a wildcard.
        assert!(!m.matches("arn:aws:s3:::b/alice/x", &ctx(&[("aws:username", "*")])));
        let literal_star = Matcher::new("a${*}", syntax, false);
        assert!(literal_star.matches("a*", &empty));
        assert!(!literal_star.matches("ab", &empty));
    }

    #[test]
    fn inclusion() {
        let emr = "system:serviceaccount:emr:emr-containers-sa-*-*-111122223333-abc";
        assert_eq!(glob_excess(emr, emr), None);
        assert_eq!(
            glob_excess(
                emr,
                "system:serviceaccount:emr:emr-containers-sa-spark-driver-111122223333-abc"
            ),
            None
        );
        let w = glob_excess(emr, "system:serviceaccount:emr:*").unwrap();
        assert!(glob_matches("system:serviceaccount:emr:*", &w));
        assert!(!glob_matches(emr, &w));
        assert!(glob_excess(emr, "system:serviceaccount:emr:emr-containers-sa-*").is_some());
        assert_eq!(glob_excess("a*", "a?b*"), None);
        // A literal inner pattern is its own witness.
        assert_eq!(glob_excess("a?c", "abc"), None);
        assert_eq!(glob_excess("a?c", "abd"), Some("abd".to_owned()));
        assert_eq!(glob_excess("*", ""), None);
        assert_eq!(glob_excess("a*", ""), Some(String::new()));
        assert!(glob_excess("a?b*", "a*").is_some());
    }
}
