//! Behaviour tests through `Engine::execute`, most of them differential
//! against a real redis-server (see `harness`). One module per family.

mod harness;

mod server;
