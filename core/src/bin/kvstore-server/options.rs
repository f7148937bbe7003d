//! The command line and configuration file, as redis-server reads them:
//! `kvstore-server [/path/to/redis.conf] [--name value ...] [-]`. The file
//! holds `name value ...` lines (Redis's quoting, `#` comments); command
//! line options come after it and win; `-` also reads directives from
//! standard input. Each directive is a configuration parameter of the
//! engine (CONFIG GET shows it) or one of the server's own (`logfile`,
//! `io-threads`, `dir`, `daemonize`); anything else stops the server with
//! Redis's configuration error.

use kvstore_core::config::Config;
use kvstore_core::resp::split_args;
use std::io::Read;
use std::path::PathBuf;

/// One `name value...` directive and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// Lowercase name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The line as written (for error reports) and its number (0 for the
    /// command line).
    pub line: (String, usize),
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Invocation {
    /// Print the version and exit.
    Version,
    /// Print usage and exit.
    Help,
    /// Serve, with these directives in order (file first).
    Serve {
        /// The configuration file, if any.
        config_file: Option<PathBuf>,
        /// Every directive.
        directives: Vec<Directive>,
    },
}

/// Parses the arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Invocation, String> {
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => return Ok(Invocation::Version),
            "-h" | "--help" => return Ok(Invocation::Help),
            _ => {}
        }
    }
    let mut rest = args;
    let mut directives = Vec::new();
    let mut config_file = None;
    if let Some(first) = rest.first().filter(|a| !a.starts_with("--") && *a != "-") {
        let text = std::fs::read_to_string(first)
            .map_err(|e| format!("Fatal error, can't open config file '{first}': {e}"))?;
        directives.extend(parse_text(&text)?);
        config_file = Some(PathBuf::from(first));
        rest = &rest[1..];
    }
    let mut stdin = false;
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        if arg == "-" {
            stdin = true;
            i += 1;
            continue;
        }
        let Some(name) = arg.strip_prefix("--") else {
            return Err(format!("Invalid argument '{arg}': options start with --"));
        };
        let mut values = Vec::new();
        i += 1;
        // The words up to the next option are its arguments
        // (`--save ""` gives one empty argument).
        while i < rest.len() && !rest[i].starts_with("--") && rest[i] != "-" {
            values.push(rest[i].clone());
            i += 1;
        }
        let line = std::iter::once(name.to_string())
            .chain(values.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        directives.push(Directive {
            name: name.to_ascii_lowercase(),
            args: values,
            line: (line, 0),
        });
    }
    if stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("Can't read the config from standard input: {e}"))?;
        directives.extend(parse_text(&text)?);
    }
    Ok(Invocation::Serve {
        config_file,
        directives,
    })
}

/// The directives of a configuration text.
pub fn parse_text(text: &str) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = split_args(trimmed.as_bytes())
            .ok_or_else(|| fatal(n + 1, trimmed, "Unbalanced quotes in configuration line"))?;
        let mut words = words
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned());
        let Some(name) = words.next() else { continue };
        out.push(Directive {
            name: name.to_ascii_lowercase(),
            args: words.collect(),
            line: (trimmed.to_string(), n + 1),
        });
    }
    Ok(out)
}

/// Redis's fatal configuration error report.
pub fn fatal(line_no: usize, line: &str, reason: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {line_no}\n>>> '{line}'\n{reason}",
        kvstore_core::REDIS_VERSION
    )
}

/// The server's own settings (those that are not engine parameters).
#[derive(Debug, Default)]
pub struct ServerSettings {
    /// `io-threads`: worker threads (0: one per core).
    pub threads: usize,
    /// `daemonize yes` was asked (not supported: run under a supervisor).
    pub daemonize: bool,
}

/// Applies the directives: engine parameters into `config` (as at
/// startup: fixed ones such as `port` accepted), `dir` by changing
/// directory, the rest into the returned settings.
pub fn apply(config: &Config, directives: &[Directive]) -> Result<ServerSettings, String> {
    let mut settings = ServerSettings::default();
    for d in directives {
        let err = |reason: &str| fatal(d.line.1, &d.line.0, reason);
        let value = d.args.join(" ");
        match d.name.as_str() {
            "io-threads" => {
                settings.threads = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=128).contains(n))
                    .ok_or_else(|| err("argument must be between 1 and 128 inclusive"))?;
            }
            "daemonize" => match value.to_ascii_lowercase().as_str() {
                "yes" => settings.daemonize = true,
                "no" => settings.daemonize = false,
                _ => return Err(err("argument must be 'yes' or 'no'")),
            },
            "dir" => {
                std::env::set_current_dir(&value)
                    .map_err(|e| err(&format!("No such file or directory: {e}")))?;
                let cwd = std::env::current_dir().map_err(|e| err(&e.to_string()))?;
                config
                    .set_at_startup("dir", &cwd.to_string_lossy())
                    .map_err(|e| err(&e))?;
            }
            "save" if d.args.len() > 2 && d.args.len() % 2 == 0 => {
                config.set_at_startup("save", &value).map_err(|e| err(&e))?;
            }
            name => {
                if kvstore_core::config::lookup(name.as_bytes()).is_none() {
                    return Err(err("Bad directive or wrong number of arguments"));
                }
                config.set_at_startup(name, &value).map_err(|e| err(&e))?;
            }
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn command_line_options() {
        let Invocation::Serve { directives, .. } = parse_args(&s(&[
            "--port",
            "7000",
            "--save",
            "",
            "--bind",
            "127.0.0.1",
            "::1",
        ]))
        .unwrap() else {
            panic!("not serve")
        };
        assert_eq!(directives[0].args, s(&["7000"]));
        assert_eq!(directives[1].args, s(&[""]));
        assert_eq!(directives[2].args, s(&["127.0.0.1", "::1"]));
        assert_eq!(parse_args(&s(&["-v"])).unwrap(), Invocation::Version);
        assert!(parse_args(&s(&["--port", "1", "oops-no-dashes", "x"])).is_ok());
    }

    #[test]
    fn config_text() {
        let d = parse_text("# comment\n\nport 7000\nsave \"\"\nrequirepass 'a b'\n").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[1].args, s(&[""]));
        assert_eq!(d[2].args, s(&["a b"]));
        assert_eq!(d[2].line.1, 5);
        assert!(parse_text("port \"7000\n").is_err());
    }

    #[test]
    fn apply_checks_values() {
        let c = Config::default();
        let ok =
            parse_text("port 7001\nmaxclients 5\nappendfsync always\nsave 60 1 10 2\n").unwrap();
        apply(&c, &ok).unwrap();
        assert_eq!(c.get_int("port"), 7001);
        assert_eq!(c.get_int("maxclients"), 5);
        assert_eq!(c.get("save").as_deref(), Some("60 1 10 2"));
        let bad = parse_text("port x\n").unwrap();
        let e = apply(&c, &bad).unwrap_err();
        assert!(
            e.contains("at line 1") && e.contains("couldn't be parsed"),
            "{e}"
        );
        let bad = parse_text("nosuch 1\n").unwrap();
        assert!(apply(&c, &bad).unwrap_err().contains("Bad directive"));
    }
}
