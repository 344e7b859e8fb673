//! Just enough JSON (RFC 8259) to read the task metadata: the string members
//! of one top-level object. Every other value is checked and skipped, so a
//! document that is not JSON is refused whole rather than half read.
//!
//! Written here rather than taken from serde_json: the binary has a size
//! budget, and four string fields of one object do not need a general parser.

/// Nesting deeper than this is refused: the metadata nests three levels, and
/// skipping recurses once per level.
const MAX_DEPTH: usize = 32;

/// The members of the top-level object whose values are strings, in document
/// order, unescaped. Fails with a short reason when `text` is not exactly one
/// JSON object.
pub fn object_strings(text: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_owned())?;
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    reader.whitespace();
    if reader.peek() != Some(b'{') {
        return Err("not a JSON object".to_owned());
    }
    let mut strings = Vec::new();
    reader.object(0, &mut |name, value| {
        if let Value::String(value) = value {
            strings.push((name, value));
        }
    })?;
    reader.whitespace();
    if reader.at != reader.bytes.len() {
        return Err(reader.error("text after the object"));
    }
    Ok(strings)
}

/// A member's value as the caller sees it: strings kept, the rest only checked.
enum Value {
    String(String),
    Other,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {:?}", char::from(byte))))
        }
    }

    /// An object at `depth`; `member` sees each member of it (not of those
    /// nested in it).
    fn object(
        &mut self,
        depth: usize,
        member: &mut dyn FnMut(String, Value),
    ) -> Result<(), String> {
        self.expect(b'{')?;
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.whitespace();
            let name = self.string()?;
            self.whitespace();
            self.expect(b':')?;
            self.whitespace();
            let value = self.value(depth + 1)?;
            member(name, value);
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), String> {
        self.expect(b'[')?;
        self.whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.whitespace();
            self.value(depth + 1)?;
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        match self.peek() {
            Some(b'"') => return self.string().map(Value::String),
            Some(b'{') => self.object(depth, &mut |_, _| {})?,
            Some(b'[') => self.array(depth)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            _ => return Err(self.error("expected a value")),
        }
        Ok(Value::Other)
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<(), String> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("malformed number")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.error("malformed number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("malformed number"));
            }
        }
        Ok(())
    }

    /// A string, unescaped. The input is UTF-8 already (checked once).
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.at += 1;
                    let plain = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("unknown escape")),
                    };
                    let mut utf8 = [0u8; 4];
                    out.extend_from_slice(plain.encode_utf8(&mut utf8).as_bytes());
                }
                0..=0x1f => return Err(self.error("control character in a string")),
                _ => out.push(byte),
            }
        }
        // Whole UTF-8 sequences were copied and escapes encoded as UTF-8.
        String::from_utf8(out).map_err(|_| self.error("not UTF-8"))
    }

    /// After `\u`: four hex digits, and a second escape for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return Err(self.error("unpaired surrogate"));
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("malformed \\u escape"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(text: &str) -> Vec<(String, String)> {
        object_strings(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn keeps_the_top_level_strings_and_skips_the_rest() {
        let text = r#" {"a": "1", "n": -1.5e+3, "t": true, "f": false, "z": null,
            "o": {"a": "nested", "x": [1, {"y": []}, "s"]}, "e": {}, "l": [],
            "b": "two words" } "#;
        assert_eq!(
            strings(text),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "two words".to_owned())
            ]
        );
        assert_eq!(strings("{}"), []);
    }

    #[test]
    fn unescapes_strings() {
        let text = r#"{"k\u00e9": "q\"b\\s\/\b\f\n\r\t\u0041\ud83d\ude00 caf\u00e9 é"}"#;
        assert_eq!(
            strings(text),
            [(
                "ké".to_owned(),
                "q\"b\\s/\u{8}\u{c}\n\r\tA\u{1f600} café é".to_owned()
            )]
        );
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for bad in [
            "",
            "[]",
            "\"s\"",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"open}",
            "{\"a\":[1,2}",
            "{} {}",
            "{}x",
        ] {
            assert!(object_strings(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(object_strings(b"{\"a\":\"\xff\"}").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(object_strings(deep.as_bytes())
            .unwrap_err()
            .starts_with("nested too deep"));
        let fine = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(object_strings(fine.as_bytes()), Ok(vec![]));
    }
}
