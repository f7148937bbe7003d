/*
 * check.h: the C tests' assertions. A failed check prints where and what,
 * with the library's last error message, and exits with status 1 at once,
 * so a wrong result can never pass quietly.
 */
#ifndef KVSTORE_TEST_CHECK_H
#define KVSTORE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvstore.h"

/* Checks made so far; each test prints it at the end ("N checks passed"). */
static unsigned long checks;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        __sync_fetch_and_add(&checks, 1);                                          \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, kvstore_errmsg());                             \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

/* `rc` must equal `want`; prints both codes' descriptions otherwise. */
#define CHECK_RC(rc, want)                                                                    \
    do {                                                                                      \
        int got_ = (int)(rc), want_ = (int)(want);                                           \
        __sync_fetch_and_add(&checks, 1);                                                    \
        if (got_ != want_) {                                                                  \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s); last error: %s\n",     \
                    __FILE__, __LINE__, #rc, got_, kvstore_errstr(got_), want_,               \
                    kvstore_errstr(want_), kvstore_errmsg());                                 \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

/* The NUL-terminated string `s` equals the string in reply `r`. */
#define CHECK_STR(r, s)                                                             \
    do {                                                                            \
        size_t len_ = 0;                                                            \
        const char *str_ = kvstore_reply_str((r), &len_);                           \
        __sync_fetch_and_add(&checks, 1);                                          \
        if (!str_ || len_ != strlen(s) || memcmp(str_, (s), len_) != 0) {           \
            fprintf(stderr, "%s:%d: reply string is \"%s\", want \"%s\"\n", __FILE__, \
                    __LINE__, str_ ? str_ : "(null)", (s));                         \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

/* The last error message on this thread starts with `prefix`. */
#define CHECK_MSG(prefix)                                                           \
    do {                                                                            \
        const char *m_ = kvstore_errmsg();                                          \
        __sync_fetch_and_add(&checks, 1);                                          \
        if (!m_ || strncmp(m_, (prefix), strlen(prefix)) != 0) {                    \
            fprintf(stderr, "%s:%d: error message is \"%s\", want it to start with \"%s\"\n", \
                    __FILE__, __LINE__, m_ ? m_ : "(null)", (prefix));              \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

#define K(s) (const uint8_t *)(s), strlen(s)

/* Runs argv (NUL-terminated strings) and returns the reply (must be OK). */
static inline kvstore_reply *run(kvstore *db, size_t argc, const char *const *argv) {
    kvstore_reply *r = NULL;
    CHECK_RC(kvstore_command_argv(db, argc, argv, NULL, &r), KVSTORE_OK);
    CHECK(r != NULL);
    return r;
}

/* RUN(db, "SET", "k", "v"): run() with the arguments counted. */
#define RUN(db, ...) run((db), sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
                         (const char *[]){__VA_ARGS__})

static void report(const char *name) {
    printf("%s: %lu checks passed\n", name, checks);
}

#endif
