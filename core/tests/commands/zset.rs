//! The zset commands.
