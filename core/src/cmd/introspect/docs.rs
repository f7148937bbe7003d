//! COMMAND DOCS arguments derived from a row's `syntax`, written the way
//! Redis's documentation writes it:
//! `key value [NX | XX] [EX seconds | PX milliseconds] [LIMIT offset count]
//! key [key ...] <ON | OFF>`.
//!
//! `[...]` is optional, `<...>` groups, `|` separates alternatives (a
//! `oneof`), an UPPERCASE word is a token (alone: a `pure-token`; before an
//! argument: that argument's token), and `[x ...]` after `x` makes `x`
//! repeatable. Names the syntax does not give (oneof and block names) are
//! made by joining their parts with `_`, as Redis names some of its own
//! (`username_password`, `score_member`); types follow the argument names.
//! This is enough for clients that build hints from COMMAND DOCS
//! (redis-cli 7.2+): names, tokens, optional/multiple flags and nesting.

use crate::reply::Reply;

/// One documented argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    name: String,
    kind: &'static str,
    token: Option<String>,
    key_spec_index: Option<usize>,
    optional: bool,
    multiple: bool,
    multiple_token: bool,
    args: Vec<Arg>,
}

impl Arg {
    fn new(name: String, kind: &'static str) -> Arg {
        Arg {
            name,
            kind,
            token: None,
            key_spec_index: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            args: Vec::new(),
        }
    }

    fn pure_token(token: String) -> Arg {
        let mut a = Arg::new(token.to_ascii_lowercase(), "pure-token");
        a.token = Some(token);
        a
    }

    /// The COMMAND DOCS map of this argument, Redis's field order.
    pub(crate) fn reply(&self) -> Reply {
        let b = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        let mut m = vec![(b("name"), b(&self.name)), (b("type"), b(self.kind))];
        if let Some(i) = self.key_spec_index {
            m.push((b("key_spec_index"), Reply::Int(i as i64)));
        }
        if let Some(t) = &self.token {
            m.push((b("token"), b(t)));
        }
        let flags: Vec<Reply> = [
            (self.optional, "optional"),
            (self.multiple, "multiple"),
            (self.multiple_token, "multiple_token"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| Reply::Status(f.into()))
        .collect();
        if !flags.is_empty() {
            m.push((b("flags"), Reply::Set(flags)));
        }
        if matches!(self.kind, "oneof" | "block") {
            m.push((
                b("arguments"),
                Reply::Array(self.args.iter().map(Arg::reply).collect()),
            ));
        }
        Reply::Map(m)
    }
}

/// The arguments of a command whose syntax is `syntax` and which has
/// `key_specs` key specs (key arguments are numbered into them in order).
pub(crate) fn arguments(syntax: &str, key_specs: usize) -> Vec<Arg> {
    let tokens = tokenize(syntax);
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
    };
    let mut nodes = Vec::new();
    while parser.pos < tokens.len() {
        let alts = parser.alternatives();
        nodes.push(if alts.len() == 1 {
            Node::Seq(alts.into_iter().next().unwrap_or_default())
        } else {
            Node::Group {
                optional: false,
                multiple: false,
                alts,
            }
        });
        // Skip a stray closer so that a malformed syntax cannot loop.
        parser.pos += 1;
    }
    let flat: Vec<Node> = nodes
        .into_iter()
        .flat_map(|n| match n {
            Node::Seq(v) => v,
            other => vec![other],
        })
        .collect();
    Converter { keys: 0, key_specs }.seq(&flat)
}

/// Splits on blanks; brackets, `|` and `...` are tokens of their own.
fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    for c in s.chars() {
        match c {
            '[' | ']' | '<' | '>' | '|' => {
                flush(&mut word, &mut out);
                out.push(c.to_string());
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => {
                word.push(c);
                if word.ends_with("...") {
                    word.truncate(word.len() - 3);
                    flush(&mut word, &mut out);
                    out.push("...".into());
                }
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The syntax tree.
#[derive(Debug)]
enum Node {
    Word(String),
    Ellipsis,
    /// `[...]` (optional) or `<...>`; `multiple` when its last alternative
    /// ended with a repetition of the whole group.
    Group {
        optional: bool,
        multiple: bool,
        alts: Vec<Vec<Node>>,
    },
    /// A top-level sequence (flattened before conversion).
    Seq(Vec<Node>),
}

struct Parser<'a> {
    tokens: &'a [String],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    /// `seq ('|' seq)*`.
    fn alternatives(&mut self) -> Vec<Vec<Node>> {
        let mut alts = vec![self.seq()];
        while self.peek() == Some("|") {
            self.pos += 1;
            alts.push(self.seq());
        }
        alts
    }

    /// Items up to a closer or `|`.
    fn seq(&mut self) -> Vec<Node> {
        let mut out = Vec::new();
        while let Some(t) = self.peek() {
            let node = match t {
                "]" | ">" | "|" => break,
                "[" | "<" => {
                    let (optional, close) = if t == "[" { (true, "]") } else { (false, ">") };
                    self.pos += 1;
                    let mut alts = self.alternatives();
                    let multiple = fold_self_repeat(&mut alts);
                    let group = Node::Group {
                        optional,
                        multiple,
                        alts,
                    };
                    if self.peek() != Some(close) {
                        // Unbalanced: keep what was read.
                        out.push(group);
                        continue;
                    }
                    group
                }
                "..." => Node::Ellipsis,
                w => Node::Word(w.to_string()),
            };
            self.pos += 1;
            out.push(node);
        }
        out
    }
}

/// `[A | B [A | B ...]]`: when a group's last alternative ends with a
/// repetition of the whole group, drops it and returns true (the group is
/// repeatable).
fn fold_self_repeat(alts: &mut [Vec<Node>]) -> bool {
    let Some(last) = alts.last() else {
        return false;
    };
    let Some(Node::Group { alts: inner, .. }) = last.last() else {
        return false;
    };
    if !is_repeat(inner) {
        return false;
    }
    let repeated = render_alts(&strip_ellipsis(inner));
    let n = alts.len();
    let mut rest: Vec<String> = alts[..n - 1].iter().map(|a| render(a)).collect();
    rest.push(render(&last[..last.len() - 1]));
    if rest.join(" | ") != repeated {
        return false;
    }
    alts[n - 1].pop();
    true
}

/// A repetition's alternatives without the trailing `...`.
fn strip_ellipsis(alts: &[Vec<Node>]) -> Vec<&[Node]> {
    let n = alts.len();
    alts.iter()
        .enumerate()
        .map(|(i, a)| {
            if i + 1 == n {
                &a[..a.len() - 1]
            } else {
                &a[..]
            }
        })
        .collect()
}

/// Canonical text of a sequence (for comparing repetitions).
fn render(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            Node::Word(w) => w.clone(),
            Node::Ellipsis => "...".into(),
            Node::Group { optional, alts, .. } => {
                let alts: Vec<&[Node]> = alts.iter().map(Vec::as_slice).collect();
                let body = render_alts(&alts);
                if *optional {
                    format!("[{body}]")
                } else {
                    format!("<{body}>")
                }
            }
            Node::Seq(v) => render(v),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_alts(alts: &[&[Node]]) -> String {
    alts.iter()
        .map(|a| render(a))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// True for `NX`, `LIB-NAME`: some uppercase letter and no lowercase one.
fn is_token(w: &str) -> bool {
    w.chars().any(|c| c.is_ascii_uppercase()) && !w.chars().any(|c| c.is_ascii_lowercase())
}

/// The documented type of an argument, from its name.
fn type_of(name: &str) -> &'static str {
    const INTEGER: &[&str] = &[
        "count",
        "numkeys",
        "index",
        "index1",
        "index2",
        "start",
        "end",
        "stop",
        "offset",
        "seconds",
        "milliseconds",
        "db",
        "cursor",
        "port",
        "increment",
        "decrement",
        "protover",
        "client-id",
        "rank",
        "maxlen",
        "len",
        "bit",
        "numreplicas",
        "timeout-ms",
    ];
    const DOUBLE: &[&str] = &[
        "score",
        "weight",
        "timeout",
        "longitude",
        "latitude",
        "radius",
        "width",
        "height",
    ];
    if name == "key" || name.ends_with("key") || name == "destination" || name == "source" {
        "key"
    } else if name.ends_with("pattern") {
        "pattern"
    } else if name.contains("unix-time") {
        "unix-time"
    } else if INTEGER.contains(&name) {
        "integer"
    } else if DOUBLE.contains(&name) {
        "double"
    } else {
        "string"
    }
}

/// Builds [`Arg`]s, numbering key arguments into the key specs.
#[derive(Clone, Copy)]
struct Converter {
    keys: usize,
    key_specs: usize,
}

impl Converter {
    fn leaf(&mut self, name: &str) -> Arg {
        let kind = type_of(name);
        let mut a = Arg::new(name.to_string(), kind);
        if kind == "key" {
            a.key_spec_index = Some(self.keys.min(self.key_specs.saturating_sub(1)));
            self.keys += 1;
        }
        a
    }

    fn seq(&mut self, nodes: &[Node]) -> Vec<Arg> {
        let mut out: Vec<Arg> = Vec::new();
        let mut token: Option<String> = None;
        for node in nodes {
            match node {
                Node::Word(w) if is_token(w) => {
                    out.extend(token.replace(w.clone()).map(Arg::pure_token));
                }
                Node::Word(w) => {
                    let mut a = self.leaf(w);
                    a.token = token.take();
                    out.push(a);
                }
                Node::Ellipsis => {
                    if let Some(last) = out.last_mut() {
                        last.multiple = true;
                    }
                }
                Node::Group { optional, alts, .. } if is_repeat(alts) => {
                    out.extend(token.take().map(Arg::pure_token));
                    // The repeated part restates arguments already numbered.
                    let rep = match strip_ellipsis(alts).as_slice() {
                        [one] => (*self).seq(one),
                        many => (*self).group_of(many).into_iter().collect(),
                    };
                    mark_repeated(&mut out, rep, *optional);
                }
                Node::Group {
                    optional,
                    multiple,
                    alts,
                } => {
                    let Some(mut a) = self.group(alts) else {
                        continue;
                    };
                    a.optional |= *optional;
                    a.multiple |= *multiple;
                    // `[TOKEN x [TOKEN x ...]]`: the token repeats too.
                    a.multiple_token |= *multiple && a.token.is_some();
                    if a.token.is_none() {
                        a.token = token.take();
                    }
                    out.extend(token.take().map(Arg::pure_token));
                    out.push(a);
                }
                Node::Seq(v) => out.extend(self.seq(v)),
            }
        }
        out.extend(token.map(Arg::pure_token));
        out
    }

    /// The argument a group stands for; None when it is empty.
    fn group(&mut self, alts: &[Vec<Node>]) -> Option<Arg> {
        let alts: Vec<&[Node]> = alts.iter().map(Vec::as_slice).collect();
        self.group_of(&alts)
    }

    fn group_of(&mut self, alts: &[&[Node]]) -> Option<Arg> {
        if alts.len() == 1 {
            let args = self.seq(alts[0]);
            return single(args);
        }
        let args: Vec<Arg> = alts
            .iter()
            .filter_map(|alt| single(self.seq(alt)))
            .collect();
        let mut a = Arg::new(joined_name(&args), "oneof");
        a.args = args;
        Some(a)
    }
}

/// `[x ...]` or `[x | y ...]`: a group whose last alternative ends with
/// `...` (a repetition of what precedes it).
fn is_repeat(alts: &[Vec<Node>]) -> bool {
    matches!(alts.last().and_then(|a| a.last()), Some(Node::Ellipsis))
}

fn joined_name(args: &[Arg]) -> String {
    args.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join("_")
}

/// One argument from a sequence: itself, or a block of them (named after
/// its leading token, which moves to the block: `LIMIT offset count`);
/// None for an empty sequence.
fn single(mut args: Vec<Arg>) -> Option<Arg> {
    match args.len() {
        0 => return None,
        1 => return args.pop(),
        _ => {}
    }
    let mut block = Arg::new(joined_name(&args), "block");
    let first = &mut args[0];
    if first.kind != "pure-token" && first.token.is_some() {
        block.token = first.token.take();
        block.name = block
            .token
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
    }
    block.args = args;
    Some(block)
}

/// Applies a repetition `[rep ...]` to the arguments before it: when they
/// end with the same names, those become `multiple` (a block of them when
/// there are several); otherwise the repetition stands alone, repeatable.
fn mark_repeated(out: &mut Vec<Arg>, rep: Vec<Arg>, optional: bool) {
    let n = rep.len();
    if n == 0 {
        return;
    }
    let with_token = rep[0].token.is_some();
    let tail_matches = out.len() >= n
        && out[out.len() - n..]
            .iter()
            .zip(&rep)
            .all(|(a, b)| a.name == b.name);
    let target = if tail_matches {
        single(out.split_off(out.len() - n))
    } else {
        single(rep).map(|mut a| {
            a.optional |= optional;
            a
        })
    };
    let Some(mut target) = target else { return };
    target.multiple = true;
    target.multiple_token |= with_token;
    out.push(target);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(args: &[Arg]) -> Vec<String> {
        args.iter()
            .map(|a| {
                let mut s = format!("{}:{}", a.name, a.kind);
                if let Some(t) = &a.token {
                    s += &format!("({t})");
                }
                for (on, f) in [
                    (a.optional, "?"),
                    (a.multiple, "*"),
                    (a.multiple_token, "+"),
                ] {
                    if on {
                        s += f;
                    }
                }
                if !a.args.is_empty() {
                    s += &format!("{:?}", names(&a.args));
                }
                s
            })
            .collect()
    }

    #[test]
    fn set_like_syntax() {
        let a = arguments(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]",
            1,
        );
        assert_eq!(
            names(&a),
            [
                "key:key",
                "value:string",
                r#"nx_xx:oneof?["nx:pure-token(NX)", "xx:pure-token(XX)"]"#,
                "get:pure-token(GET)?",
                r#"seconds_milliseconds_keepttl:oneof?["seconds:integer(EX)", "milliseconds:integer(PX)", "keepttl:pure-token(KEEPTTL)"]"#,
            ]
        );
        assert_eq!(a[0].key_spec_index, Some(0));
    }

    #[test]
    fn repetitions_and_blocks() {
        assert_eq!(names(&arguments("key [key ...]", 1)), ["key:key*"]);
        assert_eq!(
            names(&arguments("key score member [score member ...]", 1)),
            [
                "key:key",
                r#"score_member:block*["score:double", "member:string"]"#
            ]
        );
        assert_eq!(
            names(&arguments("[section [section ...]]", 0)),
            ["section:string?*"]
        );
        assert_eq!(
            names(&arguments("[LIMIT offset count]", 0)),
            [r#"limit:block(LIMIT)?["offset:integer", "count:integer"]"#]
        );
        assert_eq!(
            names(&arguments("[WEIGHTS weight [weight ...]]", 0)),
            ["weight:double(WEIGHTS)?*"]
        );
        assert_eq!(
            names(&arguments("[GET pattern [GET pattern ...]]", 0)),
            ["pattern:pattern(GET)?*+"]
        );
        assert_eq!(
            names(&arguments("[TYPE <NORMAL | PUBSUB>]", 0)),
            [
                r#"normal_pubsub:oneof(TYPE)?["normal:pure-token(NORMAL)", "pubsub:pure-token(PUBSUB)"]"#
            ]
        );
    }

    #[test]
    fn repeated_oneof() {
        let a = arguments(
            "key [GET enc offset | [OVERFLOW <WRAP | FAIL>] <SET enc offset value | INCRBY enc offset increment> [GET enc offset | [OVERFLOW <WRAP | FAIL>] <SET enc offset value | INCRBY enc offset increment> ...]]",
            1,
        );
        assert_eq!(a.len(), 2);
        assert!(a[1].optional && a[1].multiple, "{:?}", names(&a));
        assert_eq!(a[1].kind, "oneof");
        assert_eq!(
            names(&arguments("[A | B [A | B ...]]", 0)),
            [r#"a_b:oneof?*["a:pure-token(A)", "b:pure-token(B)"]"#]
        );
    }

    #[test]
    fn malformed_syntax_does_not_hang() {
        for s in [
            "[",
            "]",
            "a ] b",
            "<a | b",
            "...",
            "[... ...]",
            "| |",
            "[a [b ...]",
        ] {
            let _ = arguments(s, 1);
        }
        assert!(arguments("", 0).is_empty());
    }
}
