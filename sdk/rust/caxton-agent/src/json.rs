//! A small JSON reader that works in place: [`Json::parse`] checks a whole document once (strict
//! RFC 8259 grammar, nesting limited to [`MAX_DEPTH`]), and the views it hands out are slices of the
//! original bytes, so reading a message allocates nothing. Matching `"content":` as bytes is not
//! enough (an earlier string may contain it); walking the structure is.

use crate::buf::Buf;

/// Deeper nesting is refused rather than risking the agent's small stack.
pub const MAX_DEPTH: usize = 64;

/// Why a document was refused, and at which byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Offset of the offending byte in the document.
    pub at: usize,
    /// What was wrong, in a few words.
    pub what: &'static str,
}

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// One JSON value: the exact bytes of a value that [`Json::parse`] has checked.
#[derive(Clone, Copy, Debug)]
pub struct Json<'a> {
    raw: &'a [u8],
}

/// A JSON string as it appears in the document, without its quotes and with its escapes still in
/// place; compare it, decode it into a [`Buf`], or borrow it as `&str` when it holds no escape.
#[derive(Clone, Copy, Debug)]
pub struct JsonStr<'a> {
    escaped: &'a [u8],
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

fn err<T>(at: usize, what: &'static str) -> Result<T, ParseError> {
    Err(ParseError { at, what })
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), ParseError> {
        if self.s.len() - self.i >= word.len() && &self.s[self.i..self.i + word.len()] == word {
            self.i += word.len();
            Ok(())
        } else {
            err(self.i, "invalid literal")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), ParseError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return err(self.i, "expected a digit"),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return err(self.i, "expected a digit after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return err(self.i, "expected a digit in the exponent");
            }
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return err(self.i, "expected four hex digits after \\u"),
            };
            v = v * 16 + d as u32;
            self.i += 1;
        }
        Ok(v)
    }

    /// A string starting at the opening quote; leaves `i` after the closing one.
    fn string(&mut self) -> Result<(), ParseError> {
        self.i += 1;
        loop {
            let c = match self.peek() {
                Some(c) => c,
                None => return err(self.i, "unterminated string"),
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            self.hex4()?;
                        }
                        _ => return err(self.i, "invalid escape"),
                    }
                }
                0..=0x1f => return err(self.i, "control character in string"),
                0x80..=0xff => {
                    // Let core check the UTF-8 of the whole run of non-ASCII bytes.
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i] >= 0x80 {
                        self.i += 1;
                    }
                    if core::str::from_utf8(&self.s[start..self.i]).is_err() {
                        return err(start, "invalid UTF-8 in string");
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), ParseError> {
        self.ws();
        match self.peek() {
            None => err(self.i, "expected a value"),
            Some(b'n') => self.literal(b"null"),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_DEPTH {
                    return err(self.i, "nested too deeply");
                }
                let close = if open == b'[' { b']' } else { b'}' };
                self.i += 1;
                self.ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    if open == b'{' {
                        self.ws();
                        if self.peek() != Some(b'"') {
                            return err(self.i, "expected a member name");
                        }
                        self.string()?;
                        self.ws();
                        if self.peek() != Some(b':') {
                            return err(self.i, "expected ':'");
                        }
                        self.i += 1;
                    }
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(c) if c == close => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return err(self.i, "expected ',' or the end of the array or object"),
                    }
                }
            }
            Some(_) => err(self.i, "expected a value"),
        }
    }
}

/// Skips whitespace and one value that is known to be valid; returns the value's bytes.
fn next_value(s: &[u8], i: &mut usize) -> Option<(usize, usize)> {
    let mut r = Reader { s, i: *i };
    r.ws();
    let start = r.i;
    r.value(0).ok()?;
    *i = r.i;
    Some((start, r.i))
}

impl<'a> Json<'a> {
    /// Checks `bytes` as one JSON document (whitespace around it allowed) and returns its value.
    pub fn parse(bytes: &'a [u8]) -> Result<Json<'a>, ParseError> {
        let mut r = Reader { s: bytes, i: 0 };
        r.ws();
        let start = r.i;
        r.value(0)?;
        let end = r.i;
        r.ws();
        if r.i != bytes.len() {
            return err(r.i, "more after the end of the value");
        }
        Ok(Json { raw: &bytes[start..end] })
    }

    /// The value's bytes exactly as in the document (valid JSON, so it may be copied into a reply).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn kind(&self) -> Kind {
        match self.raw[0] {
            b'n' => Kind::Null,
            b't' | b'f' => Kind::Bool,
            b'"' => Kind::String,
            b'[' => Kind::Array,
            b'{' => Kind::Object,
            _ => Kind::Number,
        }
    }

    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.raw {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        }
    }

    /// The number as `f64` (the nearest one; JSON numbers have no size limit).
    pub fn as_f64(&self) -> Option<f64> {
        if self.kind() != Kind::Number {
            return None;
        }
        core::str::from_utf8(self.raw).ok()?.parse::<f64>().ok()
    }

    /// The number as `i64` when it is an integer written without fraction or exponent and fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.kind() != Kind::Number {
            return None;
        }
        core::str::from_utf8(self.raw).ok()?.parse::<i64>().ok()
    }

    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        if self.kind() != Kind::String {
            return None;
        }
        Some(JsonStr { escaped: &self.raw[1..self.raw.len() - 1] })
    }

    /// The member `key` of an object (the first one, should a key repeat).
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.members().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The members of an object in document order; empty for anything else.
    pub fn members(&self) -> Members<'a> {
        Members { s: self.raw, i: if self.kind() == Kind::Object { 1 } else { self.raw.len() } }
    }

    /// The elements of an array in order; empty for anything else.
    pub fn items(&self) -> Items<'a> {
        Items { s: self.raw, i: if self.kind() == Kind::Array { 1 } else { self.raw.len() } }
    }
}

/// Iterator over `(name, value)` pairs of an object.
pub struct Members<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, Json<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let (ks, ke) = next_value(self.s, &mut self.i)?;
        let mut r = Reader { s: self.s, i: self.i };
        r.ws();
        r.i += 1; // the ':'
        self.i = r.i;
        let (vs, ve) = next_value(self.s, &mut self.i)?;
        let mut r = Reader { s: self.s, i: self.i };
        r.ws();
        r.i += 1; // ',' or '}'
        self.i = r.i;
        Some((JsonStr { escaped: &self.s[ks + 1..ke - 1] }, Json { raw: &self.s[vs..ve] }))
    }
}

/// Iterator over the elements of an array.
pub struct Items<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Json<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (vs, ve) = next_value(self.s, &mut self.i)?;
        let mut r = Reader { s: self.s, i: self.i };
        r.ws();
        r.i += 1;
        self.i = r.i;
        Some(Json { raw: &self.s[vs..ve] })
    }
}

impl<'a> JsonStr<'a> {
    /// The bytes between the quotes, escapes not decoded.
    pub fn escaped(&self) -> &'a [u8] {
        self.escaped
    }

    /// The text itself when it holds no escape (then no decoding is needed); `None` otherwise.
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.escaped.contains(&b'\\') {
            return None;
        }
        core::str::from_utf8(self.escaped).ok()
    }

    /// The decoded characters, escapes resolved (a lone surrogate becomes U+FFFD).
    pub fn chars(&self) -> Chars<'a> {
        Chars { s: self.escaped, i: 0 }
    }

    /// Appends the decoded text to `out` (as UTF-8, not as JSON).
    pub fn decode_into(&self, out: &mut Buf) {
        match self.as_plain() {
            Some(text) => out.push_str(text),
            None => {
                for c in self.chars() {
                    let mut tmp = [0u8; 4];
                    out.push_str(c.encode_utf8(&mut tmp));
                }
            }
        }
    }
}

impl<'a> PartialEq<str> for JsonStr<'a> {
    fn eq(&self, other: &str) -> bool {
        match self.as_plain() {
            Some(text) => text == other,
            None => self.chars().eq(other.chars()),
        }
    }
}

impl<'a, 'b> PartialEq<&'b str> for JsonStr<'a> {
    fn eq(&self, other: &&'b str) -> bool {
        *self == **other
    }
}

/// The decoded characters of a [`JsonStr`].
pub struct Chars<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Chars<'a> {
    fn hex4(&mut self) -> u32 {
        let mut v = 0;
        for _ in 0..4 {
            let c = self.s.get(self.i).copied().unwrap_or(b'0');
            v = v * 16 + (c as char).to_digit(16).unwrap_or(0);
            self.i += 1;
        }
        v
    }
}

impl<'a> Iterator for Chars<'a> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = *self.s.get(self.i)?;
        if c != b'\\' {
            // The document was checked as UTF-8, so the sequence starting here is complete.
            let width = match c {
                0..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let end = (self.i + width).min(self.s.len());
            let ch = core::str::from_utf8(&self.s[self.i..end]).ok().and_then(|t| t.chars().next());
            self.i = end;
            return Some(ch.unwrap_or('\u{fffd}'));
        }
        let e = self.s.get(self.i + 1).copied().unwrap_or(b'\\');
        self.i += 2;
        Some(match e {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4();
                if (0xd800..0xdc00).contains(&hi) && self.s.get(self.i) == Some(&b'\\') && self.s.get(self.i + 1) == Some(&b'u') {
                    let save = self.i;
                    self.i += 2;
                    let lo = self.hex4();
                    if (0xdc00..0xe000).contains(&lo) {
                        char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)).unwrap_or('\u{fffd}')
                    } else {
                        self.i = save;
                        '\u{fffd}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{fffd}')
                }
            }
            other => other as char,
        })
    }
}
