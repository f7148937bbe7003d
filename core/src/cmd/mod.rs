//! Commands: the table ([`table`]), argument helpers ([`args`]) and one
//! module per family, each exporting `COMMANDS`, its rows of the table.

pub mod args;
pub mod scan;
pub mod table;

pub(crate) mod bitmap;
pub(crate) mod blocking;
pub(crate) mod debug;
pub(crate) mod hash;
pub(crate) mod hll;
pub(crate) mod introspect;
pub(crate) mod keys;
pub(crate) mod list;
pub(crate) mod persist;
pub(crate) mod pubsub;
pub(crate) mod scripting;
pub(crate) mod server;
pub(crate) mod set;
pub(crate) mod sort;
pub(crate) mod strings;
pub(crate) mod transactions;
pub(crate) mod zset;
