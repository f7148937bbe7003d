#!/usr/bin/env bash
# The C benchmark: builds the release libkvstore.a and bench/c/bench.c
# (statically linked, -O2), then runs it beside the Rust floor and the core's
# typed/execute paths in one `kvstore-bench --c` run and prints the table.
#
# Usage: bash bench/c/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -j2 --release -p kvstore-ffi -p kvstore-bench
target="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
exe="$target/release/kvstore-c-bench"
"${CC:-cc}" -O2 -std=c99 -Wall -Wextra -Werror -Iinclude bench/c/bench.c \
    "$target/release/libkvstore.a" -lpthread -ldl -lm -o "$exe"
"$target/release/kvstore-bench" --c "$exe"
