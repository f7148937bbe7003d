//! R1: no allocation sized by the client before its bytes arrive. A
//! counting global allocator records the largest single allocation while
//! clients send only headers that declare huge sizes; the listener must
//! stay within 64 KiB (its buffers grow with bytes received). Its own test
//! binary, so that no other test allocates meanwhile.

use kvstore_core::Engine;
use kvstore_core::server::{ListenConfig, Listener};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

struct Counting;

static WATCH: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the
// counters are atomics and allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCH.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: same layout, as the caller promised for us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCH.load(Ordering::Relaxed) {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn declared_sizes_allocate_nothing() {
    let engine = Engine::new();
    let listener = Listener::start(
        engine,
        ListenConfig {
            bind: vec!["127.0.0.1".into()],
            port: Some(0),
            threads: 1,
            ..ListenConfig::default()
        },
    )
    .unwrap();
    let port = listener.local_addrs()[0].port();
    let mut clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    // Let the connections be adopted before watching.
    for c in &mut clients {
        c.write_all(b"PING\r\n").unwrap();
        let mut pong = [0u8; 7];
        c.read_exact(&mut pong).unwrap();
    }
    WATCH.store(true, Ordering::SeqCst);
    clients[0].write_all(b"*1048576\r\n").unwrap();
    clients[1]
        .write_all(b"*1\r\n$536870912\r\n0123456789")
        .unwrap();
    clients[2]
        .write_all(b"*2147483647\r\n$3\r\nSET\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    WATCH.store(false, Ordering::SeqCst);
    let largest = LARGEST.load(Ordering::SeqCst);
    assert!(largest <= 64 * 1024, "largest allocation {largest} bytes");
    listener.stop();
}
