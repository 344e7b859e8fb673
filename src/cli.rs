//! Command-line parsing with the rules of Go's `flag` package, so that every
//! invocation written for hashicorp/http-echo means the same thing here.
//!
//! The rules: a flag is `-name` or `--name`; a value follows as `-name=value` or as
//! the next argument (`-name value`); a boolean flag takes a value only as
//! `-name=value`. Parsing stops at the first argument that is not a flag (`-` alone
//! counts as one) or after `--`. `-h` and `-help` ask for usage. This module only
//! splits arguments into flag values and positionals; `config` gives them meaning.

/// How a flag takes its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// A boolean: `-f`, or `-f=true|false` (never a separate argument).
    Switch,
    /// `-f=v` or `-f v`.
    Value,
    /// Boolean-like, with an optional value: `-f` or `-f=v` (never a separate argument).
    OptionalValue,
}

/// One flag the program accepts.
pub struct FlagSpec {
    pub name: &'static str,
    pub arity: Arity,
    /// Shown after the flag in usage (`string`, `int`, `duration`); empty for switches.
    pub type_name: &'static str,
    /// Shown as `(default ...)` in usage unless it is a zero value.
    pub default: &'static str,
    pub usage: &'static str,
}

/// Flag values in the order given, and the arguments left after parsing.
#[derive(Debug, Default)]
pub struct RawArgs {
    /// (flag name, value as written). Switches store `true`/`false`; an optional-value
    /// flag given without a value stores an empty string.
    pub values: Vec<(&'static str, String)>,
    pub positionals: Vec<String>,
}

impl RawArgs {
    /// The last value given for `name` (Go keeps the last one too).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// `-h` or `-help`: print usage, exit 0.
    Help,
    /// A syntax error or an unknown flag, worded as Go words it.
    Invalid(String),
}

/// Splits `args` (without the program name) into flags and positionals.
pub fn parse<I>(specs: &[FlagSpec], args: I) -> Result<RawArgs, CliError>
where
    I: IntoIterator<Item = String>,
{
    let mut parsed = RawArgs::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg.len() < 2 || !arg.starts_with('-') {
            parsed.positionals.push(arg);
            break;
        }
        let minuses = if arg.starts_with("--") { 2 } else { 1 };
        let body = &arg[minuses..];
        if body.is_empty() {
            // Exactly "--": the end of flags, and it is consumed.
            break;
        }
        if body.starts_with('-') || body.starts_with('=') {
            return Err(CliError::Invalid(format!("bad flag syntax: {arg}")));
        }
        let (name, inline_value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            if name == "help" || name == "h" {
                return Err(CliError::Help);
            }
            return Err(CliError::Invalid(format!(
                "flag provided but not defined: -{name}"
            )));
        };
        let value = match (spec.arity, inline_value) {
            (Arity::Switch, None) => "true".to_owned(),
            (Arity::Switch, Some(text)) => match parse_go_bool(text) {
                Some(b) => b.to_string(),
                None => {
                    return Err(CliError::Invalid(format!(
                        "invalid boolean value {text:?} for -{name}: parse error"
                    )))
                }
            },
            (Arity::OptionalValue, value) => value.unwrap_or("").to_owned(),
            (Arity::Value, Some(text)) => text.to_owned(),
            (Arity::Value, None) => match args.next() {
                Some(next) => next,
                None => {
                    return Err(CliError::Invalid(format!(
                        "flag needs an argument: -{name}"
                    )))
                }
            },
        };
        parsed.values.push((spec.name, value));
    }
    parsed.positionals.extend(args);
    Ok(parsed)
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Usage text in the layout of Go's `flag.PrintDefaults`, flags sorted by name.
pub fn usage(program: &str, specs: &[FlagSpec]) -> String {
    let mut sorted: Vec<&FlagSpec> = specs.iter().collect();
    sorted.sort_by_key(|s| s.name);
    let mut text = format!("Usage of {program}:\n");
    for spec in sorted {
        let mut line = format!("  -{}", spec.name);
        if !spec.type_name.is_empty() {
            line.push(' ');
            line.push_str(spec.type_name);
        }
        // Go puts a one-letter switch's usage on the same line.
        line.push_str(if line.len() <= 4 { "\t" } else { "\n    \t" });
        line.push_str(&spec.usage.replace('\n', "\n    \t"));
        if !matches!(spec.default, "" | "0" | "false" | "0s") {
            if spec.type_name == "string" {
                line.push_str(&format!(" (default {:?})", spec.default));
            } else {
                line.push_str(&format!(" (default {})", spec.default));
            }
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[FlagSpec] = &[
        FlagSpec {
            name: "text",
            arity: Arity::Value,
            type_name: "string",
            default: "",
            usage: "text to put on the webpage",
        },
        FlagSpec {
            name: "version",
            arity: Arity::Switch,
            type_name: "",
            default: "false",
            usage: "display version information",
        },
        FlagSpec {
            name: "probe",
            arity: Arity::OptionalValue,
            type_name: "",
            default: "",
            usage: "probe",
        },
    ];

    fn run(args: &[&str]) -> Result<RawArgs, CliError> {
        parse(SPECS, args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn every_go_value_form() {
        for form in [
            &["-text=hi"][..],
            &["--text=hi"],
            &["-text", "hi"],
            &["--text", "hi"],
        ] {
            let parsed = run(form).unwrap();
            assert_eq!(parsed.get("text"), Some("hi"), "{form:?}");
            assert!(parsed.positionals.is_empty());
        }
        // The next argument is a value even when it looks like a flag.
        assert_eq!(
            run(&["-text", "-version"]).unwrap().get("text"),
            Some("-version")
        );
        // An empty value is a value.
        assert_eq!(run(&["-text="]).unwrap().get("text"), Some(""));
        // Last one wins.
        assert_eq!(run(&["-text=a", "-text=b"]).unwrap().get("text"), Some("b"));
    }

    #[test]
    fn switches_take_values_only_inline() {
        assert_eq!(run(&["-version"]).unwrap().get("version"), Some("true"));
        assert_eq!(
            run(&["--version=false"]).unwrap().get("version"),
            Some("false")
        );
        assert_eq!(run(&["-version=T"]).unwrap().get("version"), Some("true"));
        let parsed = run(&["-version", "false"]).unwrap();
        assert_eq!(parsed.get("version"), Some("true"));
        assert_eq!(parsed.positionals, ["false"]);
        assert_eq!(
            run(&["-version=maybe"]).unwrap_err(),
            CliError::Invalid("invalid boolean value \"maybe\" for -version: parse error".into())
        );
    }

    #[test]
    fn optional_value() {
        assert_eq!(run(&["-probe"]).unwrap().get("probe"), Some(""));
        assert_eq!(
            run(&["-probe=http://x/"]).unwrap().get("probe"),
            Some("http://x/")
        );
        assert_eq!(run(&["-probe", "x"]).unwrap().positionals, ["x"]);
    }

    #[test]
    fn parsing_stops_at_first_positional_or_double_dash() {
        let parsed = run(&["-text=a", "extra", "-version"]).unwrap();
        assert_eq!(parsed.positionals, ["extra", "-version"]);
        assert_eq!(parsed.get("version"), None);
        let parsed = run(&["--", "-version"]).unwrap();
        assert_eq!(parsed.positionals, ["-version"]);
        assert_eq!(run(&["-"]).unwrap().positionals, ["-"]);
    }

    #[test]
    fn errors_are_worded_like_go() {
        assert_eq!(
            run(&["-nope"]).unwrap_err(),
            CliError::Invalid("flag provided but not defined: -nope".into())
        );
        assert_eq!(
            run(&["-text"]).unwrap_err(),
            CliError::Invalid("flag needs an argument: -text".into())
        );
        assert_eq!(
            run(&["---text"]).unwrap_err(),
            CliError::Invalid("bad flag syntax: ---text".into())
        );
        assert_eq!(
            run(&["-=x"]).unwrap_err(),
            CliError::Invalid("bad flag syntax: -=x".into())
        );
        assert_eq!(run(&["-h"]).unwrap_err(), CliError::Help);
        assert_eq!(run(&["--help"]).unwrap_err(), CliError::Help);
    }

    #[test]
    fn usage_has_go_layout() {
        let text = usage("http-echo", SPECS);
        assert!(text.starts_with("Usage of http-echo:\n  -probe\n    \tprobe\n"));
        assert!(text.contains("  -text string\n    \ttext to put on the webpage\n"));
        assert!(text.ends_with("  -version\n    \tdisplay version information\n"));
    }
}
