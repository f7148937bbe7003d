//! Connection state: HELLO, AUTH, RESET, QUIT and SHUTDOWN. AUTH checks
//! `requirepass` (the default user's password; without one, any password
//! is accepted for `default`, as Redis's `nopass`). What only a network
//! front can do (close the connection after QUIT's reply) is recorded in
//! the session's [`ConnState`](crate::clients::ConnState) for it.

use crate::cmd::args::{self, is};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::lifecycle::ShutdownRequest;
use crate::reply::Reply;

/// HELLO [protover [AUTH username password] [SETNAME clientname]].
pub(super) fn hello(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut proto = ctx.session.proto;
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        let v = crate::num::parse_i64(v)
            .ok_or_else(|| CmdError::err("Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::Raw("NOPROTO unsupported protocol version".into()));
        }
        proto = v as u8;
        i = 2;
    }
    let mut name = None;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if is(argv[i], "auth") && more >= 2 {
            // Redis 7.0 authenticates as it parses: a wrong password is
            // reported before a bad option after it.
            authenticate(ctx, argv[i + 1], argv[i + 2])?;
            i += 3;
        } else if is(argv[i], "setname") && more >= 1 {
            // Redis checks the name as it parses too.
            check_name(argv[i + 1])?;
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                args::cstr_text(argv[i])
            )));
        }
    }
    if password_set(ctx) && !ctx.session.conn.authenticated {
        return Err(CmdError::Raw(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time"
                .into(),
        ));
    }
    if let Some(name) = name {
        set_name(ctx, name)?;
    }
    ctx.session.proto = proto;
    let s = |t: &str| Reply::bulk(t.as_bytes());
    Ok(Reply::Map(vec![
        (s("server"), s("redis")),
        (s("version"), s(crate::REDIS_VERSION)),
        (s("proto"), Reply::Int(i64::from(proto))),
        (s("id"), Reply::Int(ctx.session.id as i64)),
        (s("mode"), s("standalone")),
        (s("role"), s("master")),
        (s("modules"), Reply::Array(Vec::new())),
    ]))
}

/// True when the default user has a password (`requirepass`).
fn password_set(ctx: &Ctx<'_>) -> bool {
    ctx.shared().config.get_bool("requirepass")
}

/// The only user is `default`. Without a password (Redis's `nopass`) any
/// password is accepted for it; with one, it must match. Success
/// authenticates the session.
fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> Result<(), CmdError> {
    let ok = user == b"default"
        && (!password_set(ctx)
            || ctx
                .shared()
                .config
                .get("requirepass")
                .unwrap_or_default()
                .as_bytes()
                == password);
    if !ok {
        return Err(CmdError::Raw(
            "WRONGPASS invalid username-password pair or user is disabled.".into(),
        ));
    }
    ctx.session.conn.authenticated = true;
    Ok(())
}

/// AUTH [username] password.
pub(super) fn auth(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        2 if !password_set(ctx) => Err(CmdError::err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        )),
        2 => authenticate(ctx, b"default", argv[1]).map(|()| Reply::ok()),
        3 => authenticate(ctx, argv[1], argv[2]).map(|()| Reply::ok()),
        _ => Err(CmdError::Syntax),
    }
}

/// RESET: back to db 0, RESP2, no name, out of MULTI, nothing WATCHed,
/// replies on, flags off; a network client must authenticate again when a
/// password is set.
pub(super) fn reset(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    ctx.session.tx = Default::default();
    ctx.session.subs.clear();
    ctx.session.db = 0;
    ctx.session.proto = 2;
    ctx.session.name = None;
    let password = password_set(ctx);
    ctx.session.conn.reset(password);
    Ok(Reply::Status("RESET".into()))
}

/// QUIT: +OK, then the front closes the connection.
pub(super) fn quit(ctx: &mut Ctx<'_>, _: &[&[u8]]) -> CmdResult {
    ctx.session.conn.close = true;
    Ok(Reply::ok())
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: Redis 7.0's options;
/// the process serving the engine does the rest (see
/// [`Lifecycle`](crate::lifecycle::Lifecycle)). Shutdowns are never
/// delayed, so ABORT finds none in progress.
pub(super) fn shutdown(ctx: &mut Ctx<'_>, argv: &[&[u8]]) -> CmdResult {
    let mut req = ShutdownRequest::default();
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for a in &argv[1..] {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") {
            req.now = true;
        } else if is(a, "force") {
            req.force = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (save || nosave || req.now || req.force)) || (save && nosave) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::err("No shutdown in progress."));
    }
    req.save = (save || nosave).then_some(save);
    let hook = ctx.shared().lifecycle.shutdown_hook().ok_or_else(|| {
        CmdError::err("SHUTDOWN is not available: the engine is embedded in another program")
    })?;
    hook(req).map_err(CmdError::err)?;
    // The hook returns only when it refuses.
    Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."))
}

/// Redis accepts client names and attributes made of `!`..=`~` only.
pub(super) fn valid_attr(v: &[u8]) -> bool {
    v.iter().all(|c| (b'!'..=b'~').contains(c))
}

/// Redis's client name check.
fn check_name(name: &[u8]) -> Result<(), CmdError> {
    if valid_attr(name) {
        Ok(())
    } else {
        Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

/// Sets (or, when empty, clears) the session's name.
pub(super) fn set_name(ctx: &mut Ctx<'_>, name: &[u8]) -> Result<(), CmdError> {
    check_name(name)?;
    ctx.session.name = (!name.is_empty()).then(|| name.to_vec());
    Ok(())
}
