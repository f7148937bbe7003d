//! The `#!lua flags=...` first line of a script (Redis 7.0's
//! `evalExtractShebangFlags`). A script without it runs in compatibility
//! mode: it may write, and EVAL_RO still refuses its writes one by one.

use crate::error::CmdError;

/// A script's declared flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags {
    /// No shebang: Redis's `SCRIPT_FLAG_EVAL_COMPAT_MODE`.
    pub(crate) compat: bool,
    /// `no-writes`: write commands are refused.
    pub(crate) no_writes: bool,
}

/// The flags Redis 7.0 accepts; only `no-writes` changes what a
/// single-node, memory-limit-free engine does.
const KNOWN: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// The flags of `body` and the length of its shebang line (without its
/// newline, which stays in the compiled source to keep line numbers).
pub(crate) fn parse(body: &[u8]) -> Result<(Flags, usize), CmdError> {
    let compat = Flags {
        compat: true,
        no_writes: false,
    };
    if !body.starts_with(b"#!") {
        return Ok((compat, 0));
    }
    // Redis reads the body as a C string: a NUL ends it.
    let text = &body[..body.iter().position(|&b| b == 0).unwrap_or(body.len())];
    let Some(len) = text.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::err("Invalid script shebang"));
    };
    let parts = match crate::resp::split_args(&text[..len]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err(CmdError::err("Invalid engine in script shebang")),
    };
    if parts[0] != b"#!lua" {
        return Err(CmdError::err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        )));
    }
    let mut flags = Flags {
        compat: false,
        no_writes: false,
    };
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(CmdError::err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            )));
        };
        if list.is_empty() {
            continue;
        }
        for flag in list.split(|&b| b == b',') {
            if !KNOWN.iter().any(|k| k.as_bytes() == flag) {
                return Err(CmdError::err(format!(
                    "Unexpected flag in script shebang: {}",
                    String::from_utf8_lossy(flag)
                )));
            }
            flags.no_writes |= flag == b"no-writes";
        }
    }
    Ok((flags, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        let f = |s: &str| parse(s.as_bytes()).map(|(f, n)| (f.compat, f.no_writes, n));
        assert_eq!(f("return 1"), Ok((true, false, 0)));
        assert_eq!(f("#!lua\nreturn 1"), Ok((false, false, 5)));
        assert_eq!(
            f("#!lua flags=no-writes,allow-oom\n"),
            Ok((false, true, 31))
        );
        assert_eq!(f("#!lua flags=\n"), Ok((false, false, 12)));
        assert_eq!(f("#!lua"), Err(CmdError::err("Invalid script shebang")));
        assert_eq!(
            f("#!js\n"),
            Err(CmdError::err("Unexpected engine in script shebang: #!js"))
        );
        assert_eq!(
            f("#!lua flags=no-writes,bad\n"),
            Err(CmdError::err("Unexpected flag in script shebang: bad"))
        );
        assert_eq!(
            f("#!lua x=1\n"),
            Err(CmdError::err("Unknown lua shebang option: x=1"))
        );
        assert_eq!(
            f("#!lua \"x\n"),
            Err(CmdError::err("Invalid engine in script shebang"))
        );
    }
}
