#!/usr/bin/env bash
# Installs libkvstore into PREFIX:
#   PREFIX/include/kvstore.h
#   PREFIX/lib/libkvstore.so, PREFIX/lib/libkvstore.a
#   PREFIX/lib/pkgconfig/kvstore.pc
#   PREFIX/lib/cmake/kvstore/kvstoreConfig.cmake (and its version file)
# so that `cc prog.c $(pkg-config --cflags --libs kvstore)` works (with
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig when PREFIX is not a system prefix),
# and so does CMake's `find_package(kvstore)` with the target
# kvstore::kvstore (with CMAKE_PREFIX_PATH=PREFIX likewise).
#
# Usage: ffi/install.sh PREFIX
#   Builds the release library first (cargo build --release -p kvstore-ffi).
#   KVSTORE_LIB_DIR=DIR ffi/install.sh PREFIX installs the libraries
#   already built in DIR instead (the tests install their debug build).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"

if [[ -z "${KVSTORE_LIB_DIR:-}" ]]; then
    cargo build --release -p kvstore-ffi --manifest-path "$root/Cargo.toml"
    target="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    KVSTORE_LIB_DIR="$target/release"
fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"

install -d "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/kvstore"
install -m 644 "$root/include/kvstore.h" "$prefix/include/kvstore.h"
install -m 755 "$KVSTORE_LIB_DIR/libkvstore.so" "$prefix/lib/libkvstore.so"
install -m 644 "$KVSTORE_LIB_DIR/libkvstore.a" "$prefix/lib/libkvstore.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
    "$root/ffi/kvstore.pc.in" >"$prefix/lib/pkgconfig/kvstore.pc"
install -m 644 "$root/ffi/cmake/kvstoreConfig.cmake" "$prefix/lib/cmake/kvstore/"
sed -e "s|@VERSION@|$version|" "$root/ffi/cmake/kvstoreConfigVersion.cmake.in" \
    >"$prefix/lib/cmake/kvstore/kvstoreConfigVersion.cmake"
echo "installed libkvstore $version into $prefix"
