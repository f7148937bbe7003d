//! Server and connection commands.

use crate::harness::Pair;

#[test]
fn ping_echo_select() {
    let mut p = Pair::new();
    p.check(&["PING"]);
    p.check(&["ping", "hello"]);
    p.check(&["PING", "a", "b"]);
    p.check(&["ECHO", "x\r\ny"]);
    p.check(&["ECHO"]);
    p.check(&["SELECT", "15"]);
    p.check(&["SELECT", "16"]);
    p.check(&["SELECT", "-1"]);
    p.check(&["SELECT", "abc"]);
    p.check(&["NOSUCHCOMMAND", "a", "b"]);
    p.check(&["nosuch"]);
    p.check(&["NOSUCH", &"x".repeat(300)]);
}
