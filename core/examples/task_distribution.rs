//! The task-distribution example, in-process: record which server runs each
//! task in a hash, copy each assignment to its own key, drop the hash.

use kvstore_core::{Engine, Reply};

fn main() {
    let engine = Engine::new();
    let mut s = engine.session();
    for (task, server) in [
        ("task1", "192.168.1.100"),
        ("task2", "192.168.1.101"),
        ("task3", "192.168.1.102"),
    ] {
        engine.execute(&mut s, &["HSET", "tasks", task, server]);
    }
    let Reply::Array(tasks) = engine.execute(&mut s, &["HKEYS", "tasks"]) else {
        panic!("HKEYS failed")
    };
    for task in tasks {
        let Reply::Bulk(task) = task else { continue };
        let server = engine.execute(&mut s, &[&b"HGET"[..], b"tasks", &task]);
        let Reply::Bulk(server) = server else {
            panic!("HGET failed: {server:?}")
        };
        let key = [&b"task:"[..], &task].concat();
        engine.execute(&mut s, &[&b"SET"[..], &key, &server]);
        println!(
            "{} -> {}",
            String::from_utf8_lossy(&key),
            String::from_utf8_lossy(&server)
        );
    }
    engine.execute(&mut s, &["DEL", "tasks"]);
}
