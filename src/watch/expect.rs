//! `-watch-expect-status`: which statuses count as success.

/// A list of codes (`200`) and classes (`2xx`), e.g. `200,3xx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedStatus {
    /// As written, for the summary.
    text: String,
    patterns: Vec<Pattern>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    Code(u16),
    /// The hundreds digit: `2xx` is 2.
    Class(u16),
}

impl ExpectedStatus {
    pub fn parse(text: &str) -> Result<ExpectedStatus, String> {
        let patterns = text
            .split(',')
            .map(|item| {
                let item = item.trim();
                let bad = || format!("{item:?} is neither a status code (200) nor a class (2xx)");
                match item.as_bytes() {
                    [digit @ b'1'..=b'9', b'x' | b'X', b'x' | b'X'] => {
                        Ok(Pattern::Class(u16::from(digit - b'0')))
                    }
                    [b'1'..=b'9', b'0'..=b'9', b'0'..=b'9'] => {
                        item.parse().map(Pattern::Code).map_err(|_| bad())
                    }
                    _ => Err(bad()),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExpectedStatus {
            text: text.to_owned(),
            patterns,
        })
    }

    pub fn matches(&self, status: u16) -> bool {
        self.patterns.iter().any(|pattern| match *pattern {
            Pattern::Code(code) => code == status,
            Pattern::Class(hundreds) => status / 100 == hundreds,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_classes() {
        let expected = ExpectedStatus::parse("200, 3xx").unwrap();
        assert!(expected.matches(200));
        assert!(expected.matches(301));
        assert!(!expected.matches(201));
        assert!(!expected.matches(503));
        assert!(ExpectedStatus::parse("2XX").unwrap().matches(204));
        assert_eq!(ExpectedStatus::parse("503").unwrap().as_str(), "503");
    }

    #[test]
    fn refuses_what_is_not_a_status() {
        for bad in ["", "2x", "20", "2000", "0xx", "099", "abc", "200,", "-200"] {
            assert!(ExpectedStatus::parse(bad).is_err(), "{bad:?}");
        }
    }
}
