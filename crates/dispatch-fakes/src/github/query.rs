//! A GraphQL document as the fake GitHub reads it: one query operation with its variable
//! definitions, fields with aliases and arguments, and inline fragments. What it does not read
//! (mutations, named fragments, directives, block strings) or cannot read is refused with a parse
//! error, as GitHub answers a malformed query: HTTP 200 and an `errors` array.

/// An argument's value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// `$name`.
    Variable(String),
    /// A number, string, boolean or `null`.
    Literal(serde_json::Value),
    /// An enum value (`ISSUE`, `CREATED_AT`).
    Enum(String),
    /// `[…]`.
    List(Vec<Value>),
    /// `{name: value, …}`.
    Object(Vec<(String, Value)>),
}

/// A field or an inline fragment.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Selection {
    /// `alias: name(args) { … }`.
    Field(Field),
    /// `... on Type { … }`.
    On(String, Vec<Selection>),
}

/// A field.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    /// The answer's key: the alias, or the name.
    pub(super) key: String,
    /// The field's name.
    pub(super) name: String,
    /// Its arguments, in order.
    pub(super) arguments: Vec<(String, Value)>,
    /// Its selections (empty for a scalar).
    pub(super) selections: Vec<Selection>,
}

/// A variable definition: `$name: Type`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Variable {
    /// Its name, without `$`.
    pub(super) name: String,
    /// Its type as written (`String!`).
    pub(super) ty: String,
}

/// The document's query.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Operation {
    /// The operation's name, when it has one.
    pub(super) name: Option<String>,
    /// Its variable definitions.
    pub(super) variables: Vec<Variable>,
    /// Its selections on `Query`.
    pub(super) selections: Vec<Selection>,
}

/// Parses a document holding one query. The error reads like GitHub's.
pub(super) fn parse(document: &str) -> Result<Operation, String> {
    let mut parser = Parser { tokens: tokens(document)?, at: 0 };
    let operation = parser.operation()?;
    match parser.peek() {
        None => Ok(operation),
        Some(token) => Err(parser.unexpected(token)),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Punct(&'static str),
    Name(String),
    Number(String),
    Str(String),
}

/// The one-character punctuators.
const PUNCTS: [&str; 12] = ["!", "$", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}"];

/// Splits a document into tokens with their line and column (commas and comments are ignored, as
/// GraphQL says).
fn tokens(document: &str) -> Result<Vec<(Token, usize, usize)>, String> {
    let chars: Vec<char> = document.chars().collect();
    let (mut out, mut i, mut line, mut line_start) = (Vec::new(), 0, 1, 0);
    while i < chars.len() {
        let (c, column) = (chars[i], i - line_start + 1);
        let token = match c {
            '\n' => {
                (line, line_start) = (line + 1, i + 1);
                i += 1;
                continue;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => {
                i += 1;
                continue;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '.' if chars[i..].starts_with(&['.', '.', '.']) => {
                i += 3;
                Token::Punct("...")
            }
            '"' => {
                let (text, end) =
                    string(&chars, i).ok_or_else(|| format!("Parse error on bad string at [{line}, {column}]"))?;
                i = end;
                Token::Str(text)
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '+' | '-')) {
                    i += 1;
                }
                Token::Number(chars[start..i].iter().collect())
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                Token::Name(chars[start..i].iter().collect())
            }
            other => {
                let punct = PUNCTS.iter().find(|p| p.starts_with(other));
                let punct = punct.ok_or_else(|| format!("Parse error on \"{other}\" (error) at [{line}, {column}]"))?;
                i += 1;
                Token::Punct(punct)
            }
        };
        out.push((token, line, column));
    }
    Ok(out)
}

/// A string token starting at `start` (its opening quote): its text and the index after it.
/// Block strings (`"""`) are not read.
fn string(chars: &[char], start: usize) -> Option<(String, usize)> {
    if chars[start..].starts_with(&['"', '"', '"']) {
        return None;
    }
    let (mut text, mut i) = (String::new(), start + 1);
    loop {
        match *chars.get(i)? {
            '"' => return Some((text, i + 1)),
            '\n' => return None,
            '\\' => {
                let escaped = match *chars.get(i + 1)? {
                    'u' => {
                        let hex: String = chars.get(i + 2..i + 6)?.iter().collect();
                        i += 4;
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                    }
                    c @ ('"' | '\\' | '/') => c,
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => return None,
                };
                text.push(escaped);
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
}

struct Parser {
    tokens: Vec<(Token, usize, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(Token, usize, usize)> {
        self.tokens.get(self.at)
    }

    fn unexpected(&self, (token, line, column): &(Token, usize, usize)) -> String {
        let text = match token {
            Token::Punct(p) => (*p).to_owned(),
            Token::Name(s) | Token::Number(s) | Token::Str(s) => s.clone(),
        };
        format!("Parse error on \"{text}\" at [{line}, {column}]")
    }

    fn end(&self) -> String {
        "Parse error on end of input".to_owned()
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self.peek().map(|t| t.0.clone()).ok_or_else(|| self.end())?;
        self.at += 1;
        Ok(token)
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some((Token::Punct(p), _, _)) if *p == punct)
    }

    fn expect(&mut self, punct: &str) -> Result<(), String> {
        if self.is(punct) {
            self.at += 1;
            return Ok(());
        }
        Err(self.peek().map_or_else(|| self.end(), |t| self.unexpected(t)))
    }

    fn name(&mut self) -> Result<String, String> {
        match self.peek() {
            Some((Token::Name(name), _, _)) => {
                let name = name.clone();
                self.at += 1;
                Ok(name)
            }
            Some(other) => Err(self.unexpected(other)),
            None => Err(self.end()),
        }
    }

    fn operation(&mut self) -> Result<Operation, String> {
        let (mut name, mut variables) = (None, Vec::new());
        if !self.is("{") {
            let keyword = self.name()?;
            if keyword != "query" {
                return Err(format!("fake GitHub: only queries are served, not a {keyword}"));
            }
            if let Some((Token::Name(_), _, _)) = self.peek() {
                name = Some(self.name()?);
            }
            if self.is("(") {
                self.expect("(")?;
                while !self.is(")") {
                    self.expect("$")?;
                    let variable = self.name()?;
                    self.expect(":")?;
                    variables.push(Variable { name: variable, ty: self.ty()? });
                }
                self.expect(")")?;
            }
        }
        Ok(Operation { name, variables, selections: self.selections()? })
    }

    fn ty(&mut self) -> Result<String, String> {
        let mut ty = if self.is("[") {
            self.expect("[")?;
            let inner = self.ty()?;
            self.expect("]")?;
            format!("[{inner}]")
        } else {
            self.name()?
        };
        if self.is("!") {
            self.expect("!")?;
            ty.push('!');
        }
        Ok(ty)
    }

    fn selections(&mut self) -> Result<Vec<Selection>, String> {
        self.expect("{")?;
        let mut selections = Vec::new();
        while !self.is("}") {
            if self.is("...") {
                self.expect("...")?;
                if self.name()? != "on" {
                    return Err("fake GitHub: named fragments are not served".to_owned());
                }
                let on = self.name()?;
                selections.push(Selection::On(on, self.selections()?));
                continue;
            }
            let first = self.name()?;
            let (key, name) = if self.is(":") {
                self.expect(":")?;
                (first, self.name()?)
            } else {
                (first.clone(), first)
            };
            let mut arguments = Vec::new();
            if self.is("(") {
                self.expect("(")?;
                while !self.is(")") {
                    let argument = self.name()?;
                    self.expect(":")?;
                    arguments.push((argument, self.value()?));
                }
                self.expect(")")?;
            }
            if self.is("@") {
                return Err("fake GitHub: directives are not served".to_owned());
            }
            let selections_of = if self.is("{") { self.selections()? } else { Vec::new() };
            selections.push(Selection::Field(Field { key, name, arguments, selections: selections_of }));
        }
        self.expect("}")?;
        if selections.is_empty() {
            return Err("Parse error on \"}\" (RCURLY)".to_owned());
        }
        Ok(selections)
    }

    fn value(&mut self) -> Result<Value, String> {
        Ok(match self.next()? {
            Token::Punct("$") => Value::Variable(self.name()?),
            Token::Punct("[") => {
                let mut items = Vec::new();
                while !self.is("]") {
                    items.push(self.value()?);
                }
                self.expect("]")?;
                Value::List(items)
            }
            Token::Punct("{") => {
                let mut fields = Vec::new();
                while !self.is("}") {
                    let name = self.name()?;
                    self.expect(":")?;
                    fields.push((name, self.value()?));
                }
                self.expect("}")?;
                Value::Object(fields)
            }
            Token::Str(text) => Value::Literal(serde_json::Value::String(text)),
            Token::Number(text) => {
                Value::Literal(serde_json::from_str(&text).map_err(|_| format!("Parse error on \"{text}\""))?)
            }
            Token::Name(name) => match name.as_str() {
                "true" => Value::Literal(true.into()),
                "false" => Value::Literal(false.into()),
                "null" => Value::Literal(serde_json::Value::Null),
                _ => Value::Enum(name),
            },
            Token::Punct(p) => return Err(format!("Parse error on \"{p}\"")),
        })
    }
}
