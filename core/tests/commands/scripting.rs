//! Lua scripting against a real redis-server 7.0: type conversions both
//! ways in RESP2 and RESP3 (with `redis.setresp`), errors and their texts,
//! pcall, the libraries (cjson, cmsgpack, bit, struct), KEYS/ARGV, the
//! SCRIPT commands, EVALSHA, EVAL_RO and shebang flags, and redis-py's
//! `Lock` scripts. The sandbox and the busy/kill machinery are in the
//! submodules.

mod busy;
mod sandbox;

use crate::harness::Pair;
use kvstore_core::Reply;

/// EVAL `script` with `keys` and `args` on both sides; the reply.
pub(crate) fn eval(p: &mut Pair, script: &str, keys: &[&str], args: &[&str]) -> Reply {
    p.check(&eval_argv("EVAL", script, keys, args))
}

/// `cmd script numkeys keys... args...`.
pub(crate) fn eval_argv(cmd: &str, script: &str, keys: &[&str], args: &[&str]) -> Vec<String> {
    let mut argv = vec![cmd.to_string(), script.to_string(), keys.len().to_string()];
    argv.extend(keys.iter().chain(args).map(|s| s.to_string()));
    argv
}

/// Lua values a script returns, as both sides convert them.
const LUA_TO_REDIS: &[&str] = &[
    "return 1",
    "return -7",
    "return 3.99",
    "return -3.5",
    "return 1e20",
    "return 'hello'",
    "return ''",
    "return true",
    "return false",
    "return nil",
    "return {}",
    "return {1, 2, 3, 'x'}",
    "return {1, nil, 3}",
    "return {1, {2, {3, {4, 'deep'}}}, true, false}",
    "return {a = 1, b = 2}",
    "return {1, 2, a = 'ignored'}",
    "return {err = 'MY custom error'}",
    "return {err = 'line\\r\\nbreak'}",
    "return {ok = 'FINE'}",
    "return {ok = 'a\\nb'}",
    "return {1, {err = 'nested error'}, {ok = 'nested ok'}}",
    "return redis.error_reply('plain message')",
    "return redis.error_reply('-CODE with code')",
    "return redis.error_reply('NOSPACE')",
    "return redis.status_reply('PONG')",
    "return redis.error_reply(1)",
    "return redis.status_reply()",
    "return {double = 3.25}",
    "return {double = 1/0}",
    "return {big_number = '1234567890123456789012'}",
    "return {verbatim_string = {format = 'txt', string = 'hello'}}",
    "return {map = {a = 1}}",
    "return {set = {x = true}}",
    "return _G",
    "return function() end",
    "return 'a\\0b'",
];

#[test]
fn lua_values_become_replies() {
    for mut p in [Pair::new(), Pair::resp3()] {
        for script in LUA_TO_REDIS {
            eval(&mut p, script, &[], &[]);
            // The same values with the script speaking RESP3.
            eval(&mut p, &format!("redis.setresp(3) {script}"), &[], &[]);
        }
    }
}

/// Replies of commands as scripts see them: each script describes the
/// Lua value `redis.call` gave it (its type and content), in RESP2 and,
/// after `redis.setresp(3)`, RESP3.
#[test]
fn replies_become_lua_values() {
    let describe = r#"
        local function show(v)
            local t = type(v)
            if t == 'table' then
                local keys = {}
                for k in pairs(v) do keys[#keys + 1] = tostring(k) end
                table.sort(keys)
                local parts = {}
                for _, k in ipairs(keys) do
                    local val = v[k] ~= nil and v[k] or v[tonumber(k)]
                    parts[#parts + 1] = k .. '=' .. show(val)
                end
                return '{' .. table.concat(parts, ',') .. '}'
            end
            return t .. ':' .. tostring(v)
        end
        if ARGV[1] == '3' then redis.setresp(3) end
        return show(redis.pcall(unpack(KEYS)))
    "#;
    let calls: &[&[&str]] = &[
        &["set", "s", "v"],
        &["get", "s"],
        &["get", "missing"],
        &["incr", "n"],
        &["incrbyfloat", "f", "1.5"],
        &["rpush", "l", "a", "b", "c"],
        &["lrange", "l", "0", "-1"],
        &["lpop", "missing"],
        &["hset", "h", "f1", "v1", "f2", "v2"],
        &["hgetall", "h"],
        &["hgetall", "missing"],
        &["sadd", "st", "m"],
        &["smembers", "st"],
        &["zadd", "z", "1.5", "a"],
        &["zscore", "z", "a"],
        &["zrange", "z", "0", "-1", "withscores"],
        &["exists", "s", "missing"],
        &["ping"],
        &["type", "h"],
        &["incr", "s"],
        &["hget", "s", "f"],
        &["config", "get", "maxmemory"],
        &["object", "encoding", "h"],
    ];
    for mut p in [Pair::new(), Pair::resp3()] {
        for call in calls {
            for resp in ["2", "3"] {
                eval(&mut p, describe, call, &[resp]);
            }
        }
    }
}

#[test]
fn keys_and_argv() {
    let mut p = Pair::new();
    eval(&mut p, "return {KEYS, ARGV}", &["a", "b"], &["1", "2", "3"]);
    eval(&mut p, "return {#KEYS, #ARGV}", &[], &[]);
    eval(
        &mut p,
        "return redis.call('set', KEYS[1], ARGV[1])",
        &["k"],
        &["v"],
    );
    eval(&mut p, "return redis.call('get', KEYS[1])", &["k"], &[]);
    // Keys need not be declared.
    eval(
        &mut p,
        "return redis.call('set', 'undeclared', 'x')",
        &[],
        &[],
    );
    p.check(&["GET", "undeclared"]);
    // Numbers as arguments: integers exactly, others with 17 digits.
    eval(&mut p, "return redis.call('set', 'n', 3)", &[], &[]);
    eval(&mut p, "return redis.call('get', 'n')", &[], &[]);
    eval(
        &mut p,
        "redis.call('set', 'n', 0.1) return redis.call('get', 'n')",
        &[],
        &[],
    );
    // Bad numkeys.
    for numkeys in ["-1", "3", "x", "99999999999999999999"] {
        p.check(&["EVAL", "return 1", numkeys, "a"]);
    }
    // SELECT inside a script changes the script's db only.
    p.check(&["SET", "where", "db0"]);
    eval(
        &mut p,
        "redis.call('select', 1) redis.call('set', 'where', 'db1') return redis.call('get', 'where')",
        &[],
        &[],
    );
    p.check(&["GET", "where"]);
    p.check(&["SELECT", "1"]);
    p.check(&["GET", "where"]);
    // From db 2, scripts reaching lower and higher dbs, and every db.
    p.check(&["SELECT", "2"]);
    eval(
        &mut p,
        "redis.call('select', 0) local a = redis.call('get', 'where') \
         redis.call('select', 9) redis.call('set', 'where', 'db9') \
         redis.call('select', 1) return {a, redis.call('get', 'where')}",
        &[],
        &[],
    );
    eval(
        &mut p,
        "redis.call('set', 'm', 'v') return redis.call('move', 'm', 12)",
        &[],
        &[],
    );
    eval(
        &mut p,
        "redis.call('swapdb', 9, 13) return redis.call('dbsize')",
        &[],
        &[],
    );
    eval(
        &mut p,
        "return redis.call('select', 13) and redis.call('get', 'where')",
        &[],
        &[],
    );
    p.check(&["SELECT", "0"]);
    p.check_same_data();
}

/// Scripts reaching other dbs (locks taken mid-script) run beside
/// clients locking several dbs (MOVE, SWAPDB) without deadlock.
#[test]
fn cross_db_scripts_do_not_deadlock() {
    let e = kvstore_core::Engine::new();
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let e = e.clone();
            std::thread::spawn(move || {
                let mut s = e.session();
                e.execute(&mut s, &["SELECT", &(t * 4).to_string()]);
                for i in 0..500 {
                    let r = match (t + i) % 3 {
                        0 => e.execute(
                            &mut s,
                            &[
                                "EVAL",
                                "redis.call('select', ARGV[1]) return redis.call('incr', 'n')",
                                "0",
                                &((i * 7) % 16).to_string(),
                            ],
                        ),
                        1 => e.execute(&mut s, &["MOVE", "n", &((i * 5) % 16).to_string()]),
                        _ => e.execute(
                            &mut s,
                            &["SWAPDB", &(i % 16).to_string(), &((i * 3) % 16).to_string()],
                        ),
                    };
                    // MOVE to its own db is an error; a script never is.
                    assert!(!r.is_error() || (t + i) % 3 == 1, "{r:?}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn errors_and_their_texts() {
    for mut p in [Pair::new(), Pair::resp3()] {
        p.check(&["SET", "str", "v"]);
        for script in [
            "return redis.call('nosuch')",
            "return redis.call()",
            "return redis.pcall()",
            "return redis.call('get')",
            "return redis.pcall('get')",
            "return redis.call('get', {})",
            "return redis.call('get', nil)",
            "return redis.call('incr', 'str')",
            "return redis.pcall('incr', 'str')",
            "return redis.call('hget', 'str', 'f')",
            "return redis.call('multi')",
            "return redis.call('eval', 'return 1', 0)",
            "return redis.call('script', 'load', 'return 1')",
            "return redis.call('object', 'nosuch')",
            "return redis.call('config')",
            "error('boom')",
            "error('boom', 0)",
            "error({err = 'CUSTOM thing'})",
            "error()",
            "error(42)",
            "local t = nil; return t.x",
            "return 1 + {}",
            "return 1 +",
            "return ('x'):bad()",
            "\n\nerror('on line 3')",
            "redis.call('set', 'a', 'b')\nreturn redis.call('incr', 'str')",
            "return redis.sha1hex()",
            "return redis.log()",
            "return redis.log('x', 'y')",
            "return redis.log(99, 'y')",
            "return redis.setresp(4)",
            "return redis.setresp()",
            "return redis.set_repl(99)",
            "return redis.set_repl()",
            "return redis.set_repl(1, 2)",
            "return redis.set_repl(-1)",
            "return redis.set_repl('x')",
            "return {pcall(redis.set_repl, 4)}",
            "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, \
             redis.REPL_ALL}",
            "return math.random(1, 2, 3)",
            "return math.random(0)",
        ] {
            eval(&mut p, script, &[], &[]);
        }
    }
}

/// An error table without a message crashes redis-server 7.0.15; here it
/// is an error reply, as in later versions.
#[test]
fn error_table_without_message() {
    let e = kvstore_core::Engine::new();
    let mut s = e.session();
    let script = "error({})";
    let Reply::Error(msg) = e.execute(&mut s, &["EVAL", script, "0"]) else {
        panic!("not an error")
    };
    assert!(msg.starts_with("ERR unknown error script: "), "{msg}");
    assert!(msg.ends_with(", on @user_script:1."), "{msg}");
}

#[test]
fn pcall_and_error_objects() {
    let mut p = Pair::new();
    p.check(&["SET", "str", "v"]);
    for script in [
        "return {pcall(redis.call, 'incr', 'str')}",
        "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}",
        "local ok, e = pcall(error, {err = 'X y'}) return {tostring(ok), e}",
        "local ok, e = pcall(error, 'plain') return {tostring(ok), e}",
        "local ok, e = pcall(function() local x = nil; return x.y end) return e",
        "local r = redis.pcall('incr', 'str') return {type(r), r.err}",
        "local r = redis.pcall('incr', 'str') return r",
        "return {xpcall(function() error('in xpcall') end, function(e) return 'handled: ' .. e end)}",
        "local ok, r = pcall(redis.call, 'set', 'k', 'v') return {tostring(ok), r}",
        "return {pcall(function() return 1, 2, 3 end)}",
    ] {
        eval(&mut p, script, &[], &[]);
    }
}

#[test]
fn libraries_round_trip() {
    let mut p = Pair::new();
    for script in [
        // cjson
        "return cjson.encode({1, 2, 3, 'x', true, false})",
        "return cjson.encode({a = {b = {c = 'deep'}}})",
        "return cjson.encode({})",
        "return cjson.encode(cjson.null)",
        "return cjson.encode({[1] = 'a', [2] = 'b', [4] = 'd'})",
        "return cjson.encode({[1] = 'a', [1000] = 'b'})",
        "return cjson.encode(3.14159265358979)",
        "return cjson.encode('quote\" backslash\\\\ \\n tab\\t')",
        "local ok, e = pcall(cjson.encode, {[1] = 1, x = 2}) return {tostring(ok), e}",
        "local ok, e = pcall(cjson.encode, 0/0) return {tostring(ok), e}",
        "return cjson.decode('[1, 2, {\"a\": [true, false, null]}]')[3].a[1]",
        "local t = cjson.decode('{\"a\": 1, \"b\": [1, 2, 3]}') return {t.a, #t.b}",
        "return cjson.encode(cjson.decode('{\"k\":[1,2.5,\"s\",{}]}'))",
        "return {pcall(cjson.decode, '{bad json')}",
        "return type(cjson.decode('null'))",
        "return cjson.decode('1e2')",
        "cjson.encode_max_depth(1) return {pcall(cjson.encode, {{1}})}",
        "return {pcall(cjson.decode, '{\"obj\": {\"array\": [1,2,3,4]}}')}",
        // cmsgpack
        "return cmsgpack.pack({1, 2, 3})",
        "return cmsgpack.pack({a = 1})",
        "return cmsgpack.pack('hello', 42, -1, 3.5, true, nil)",
        "return {cmsgpack.unpack(cmsgpack.pack('a', 1, {2, 3}))}",
        "return cmsgpack.unpack(cmsgpack.pack({x = {y = 'z'}})).x.y",
        "return #cmsgpack.pack(string.rep('x', 70000))",
        "local t = {} for i = 1, 1000 do t[i] = i end return #cmsgpack.unpack(cmsgpack.pack(t))",
        "return {pcall(cmsgpack.unpack, '\\196')}",
        // bit
        "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.bnot(0)}",
        "return {bit.lshift(1, 10), bit.rshift(1024, 3), bit.arshift(-16, 2), bit.rol(1, 33)}",
        "return {bit.tohex(255), bit.tohex(-1, 4), bit.tohex(65535, -2147483648), bit.tobit(2^32 + 5)}",
        "return bit.bswap(0x12345678)",
        // struct
        "return struct.pack('>iHb', 1, 2, 3)",
        "return {struct.unpack('>iHb', struct.pack('>iHb', -5, 600, 7))}",
        "return struct.size('>iHbd')",
        "return {struct.unpack('s', struct.pack('s', 'zero terminated'))}",
        "return {pcall(struct.pack, 'i99999999999', 1)}",
        "return {pcall(struct.unpack, 'c99999999999', 'x')}",
        "return {pcall(struct.pack, '>!99999999999i', 1)}",
        // string, table, math
        "return {string.format('%05.1f|%s|%d', 3.14159, 'x', 42), ('abc'):upper(), #('x'):rep(5)}",
        "local t = {3, 1, 2} table.sort(t) return table.concat(t, ',')",
        "return {math.floor(3.7), math.max(1, 5, 3), math.huge > 0 and 1 or 0}",
        "return {unpack({1, 2, 3})}",
        "return {math.random(), math.random(100), math.random(5, 10)}",
        "math.randomseed(42) return {math.random(1000), math.random(1000)}",
        "return redis.sha1hex('')",
        "return redis.sha1hex('abc')",
        "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}",
        "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
        "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_SLAVE, redis.REPL_ALL}",
        "redis.log(redis.LOG_WARNING, 'from a test') return 1",
        "redis.set_repl(redis.REPL_NONE) return 1",
        "return {redis.replicate_commands(), redis.breakpoint(), redis.debug('x')}",
        "return redis.acl_check_cmd('get', 'k')",
        "return {pcall(redis.acl_check_cmd, 'nosuch')}",
        "return _VERSION",
        "return type(collectgarbage('count'))",
        "return {type(newproxy), type(setfenv), type(getfenv), type(gcinfo), type(coroutine)}",
    ] {
        eval(&mut p, script, &[], &[]);
    }
}

#[test]
fn script_commands_and_evalsha() {
    let mut p = Pair::new();
    let body = "return {KEYS[1], ARGV[1]}";
    let sha = p.check(&["SCRIPT", "LOAD", body]);
    let Reply::Bulk(sha) = sha else {
        panic!("SCRIPT LOAD: {sha:?}")
    };
    let sha = String::from_utf8(sha).unwrap();
    p.check(&["EVALSHA", &sha, "1", "k", "a"]);
    p.check(&["EVALSHA", &sha.to_uppercase(), "1", "k", "a"]);
    p.check(&["EVALSHA_RO", &sha, "1", "k", "a"]);
    p.check(&["EVALSHA", "0000000000000000000000000000000000000000", "0"]);
    p.check(&["EVALSHA", "short", "0"]);
    p.check(&["EVALSHA", "short", "notanumber"]);
    p.check(&["EVALSHA", &sha, "5"]);
    p.check(&["SCRIPT", "EXISTS", &sha, &sha.to_uppercase(), "nope"]);
    p.check(&["SCRIPT", "LOAD", "return +"]);
    p.check(&["SCRIPT", "LOAD", "#!lua flags=nope\nreturn 1"]);
    p.check(&["SCRIPT", "FLUSH"]);
    p.check(&["SCRIPT", "EXISTS", &sha]);
    p.check(&["EVALSHA", &sha, "0"]);
    // EVAL caches what it runs.
    eval(&mut p, body, &["x"], &["y"]);
    p.check(&["EVALSHA", &sha, "1", "k", "a"]);
    p.check(&["SCRIPT", "FLUSH", "ASYNC"]);
    p.check(&["SCRIPT", "FLUSH", "SYNC"]);
    p.check(&["SCRIPT", "FLUSH", "BOTH"]);
    p.check(&["SCRIPT", "FLUSH", "SYNC", "ASYNC"]);
    p.check(&["SCRIPT", "HELP"]);
    p.check(&["SCRIPT", "KILL"]);
    p.check(&["SCRIPT", "DEBUG", "NO"]);
    p.check(&["SCRIPT", "DEBUG", "MAYBE"]);
    p.check(&["SCRIPT", "NOSUCH"]);
    p.check(&["SCRIPT"]);
    p.check(&["SCRIPT", "LOAD"]);
    p.check(&["EVAL", "return 1"]);
    p.check(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"]);
    // Scripts inside MULTI/EXEC.
    p.check(&["MULTI"]);
    p.check(&eval_argv(
        "EVAL",
        "return redis.call('incr', KEYS[1])",
        &["c"],
        &[],
    ));
    p.check(&["SCRIPT", "LOAD", "return 2"]);
    p.check(&eval_argv(
        "EVAL",
        "return redis.call('incr', KEYS[1])",
        &["c"],
        &[],
    ));
    p.check(&["EXEC"]);
}

#[test]
fn read_only_scripts_and_shebangs() {
    let mut p = Pair::new();
    let write = "return redis.call('set', 'k', 'v')";
    let read = "return redis.call('get', 'k')";
    p.check(&eval_argv("EVAL_RO", write, &[], &[]));
    p.check(&eval_argv("EVAL_RO", read, &[], &[]));
    p.check(&eval_argv(
        "EVAL_RO",
        "return redis.pcall('set', 'k', 'v')",
        &[],
        &[],
    ));
    for shebang in [
        "#!lua\n",
        "#!lua flags=no-writes\n",
        "#!lua flags=no-writes,allow-oom\n",
        "#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n",
        "#!lua flags=\n",
        "#!lua   flags=no-writes  \n",
        "#!lua flags=bogus\n",
        "#!lua name=x\n",
        "#!lua",
        "#!luajit\n",
        "#! lua\n",
        "#!lua \"unbalanced\n",
    ] {
        for body in [write, read, "return 1\nerror('line numbers kept')"] {
            for cmd in ["EVAL", "EVAL_RO"] {
                p.check(&eval_argv(cmd, &format!("{shebang}{body}"), &[], &[]));
            }
        }
    }
}

/// redis-py's `Lock` release/extend/reacquire scripts (copied from
/// redis-py 8.1's `redis/lock.py`) give the same answers on both sides.
#[test]
fn redis_py_lock_scripts() {
    const RELEASE: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('del', KEYS[1])
        return 1
    ";
    const EXTEND: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        local expiration = redis.call('pttl', KEYS[1])
        if not expiration then
            expiration = 0
        end
        if expiration < 0 then
            return 0
        end

        local newttl = ARGV[2]
        if ARGV[3] == \"0\" then
            newttl = ARGV[2] + expiration
        end
        redis.call('pexpire', KEYS[1], newttl)
        return 1
    ";
    const REACQUIRE: &str = "
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('pexpire', KEYS[1], ARGV[2])
        return 1
    ";
    let mut p = Pair::new();
    let shas: Vec<String> = [RELEASE, EXTEND, REACQUIRE]
        .iter()
        .map(|s| match p.check(&["SCRIPT", "LOAD", s]) {
            Reply::Bulk(b) => String::from_utf8(b).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    let [release, extend, reacquire] = [&shas[0], &shas[1], &shas[2]];
    let ttl_bucket = |p: &mut Pair| {
        // PTTL differs by the milliseconds between the two sides: compare
        // it rounded to seconds.
        let (a, b) = p.both(&["PTTL", "lock"]);
        let secs = |r: &Reply| match r {
            Reply::Int(ms) if *ms > 0 => (ms + 500) / 1000,
            Reply::Int(ms) => *ms,
            other => panic!("{other:?}"),
        };
        assert_eq!(secs(&a), secs(&b));
    };
    p.check(&["SET", "lock", "token-a", "NX", "PX", "10000"]);
    p.check(&["SET", "lock", "token-b", "NX", "PX", "10000"]);
    p.check(&["EVALSHA", extend, "1", "lock", "token-b", "5000", "0"]);
    p.check(&["EVALSHA", extend, "1", "lock", "token-a", "5000", "0"]);
    ttl_bucket(&mut p);
    p.check(&["EVALSHA", extend, "1", "lock", "token-a", "20000", "1"]);
    ttl_bucket(&mut p);
    p.check(&["EVALSHA", reacquire, "1", "lock", "token-a", "30000"]);
    ttl_bucket(&mut p);
    p.check(&["EVALSHA", reacquire, "1", "lock", "token-b", "30000"]);
    p.check(&["EVALSHA", release, "1", "lock", "token-b"]);
    p.check(&["GET", "lock"]);
    p.check(&["EVALSHA", release, "1", "lock", "token-a"]);
    p.check(&["EXISTS", "lock"]);
    p.check(&["EVALSHA", release, "1", "lock", "token-a"]);
    // A lock without a TTL cannot be extended.
    p.check(&["SET", "lock", "token-c"]);
    p.check(&["EVALSHA", extend, "1", "lock", "token-c", "5000", "0"]);
}
