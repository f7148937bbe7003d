/*
 * generic_call.c: any Redis command through libkvstore's generic calls,
 * the printf-style kvstore_command (hiredis's redisCommand) and the argv
 * form kvstore_command_argv, with the reply tree printed as redis-cli
 * prints it.
 *
 * Build: cc generic_call.c $(pkg-config --cflags --libs kvstore) -o generic_call
 */
#include <kvstore.h>
#include <stdio.h>
#include <string.h>

/* Prints reply `r` at nesting depth `depth`, as redis-cli does. */
static void print_reply(const kvstore_reply *r, int depth) {
    size_t len = 0;
    const char *s = kvstore_reply_str(r, &len);
    switch (kvstore_reply_type(r)) {
    case KVSTORE_REPLY_STRING:
        printf("\"%.*s\"\n", (int)len, s);
        break;
    case KVSTORE_REPLY_STATUS:
        printf("%s\n", s);
        break;
    case KVSTORE_REPLY_ERROR:
        printf("(error) %s\n", s);
        break;
    case KVSTORE_REPLY_INTEGER:
        printf("(integer) %lld\n", (long long)kvstore_reply_integer(r));
        break;
    case KVSTORE_REPLY_NIL:
        printf("(nil)\n");
        break;
    case KVSTORE_REPLY_ARRAY:
        if (kvstore_reply_len(r) == 0) printf("(empty array)\n");
        for (size_t i = 0; i < kvstore_reply_len(r); i++) {
            if (i > 0) printf("%*s", depth * 3, "");
            printf("%zu) ", i + 1);
            print_reply(kvstore_reply_element(r, i), depth + 1);
        }
        break;
    default: /* RESP3 types: this handle speaks RESP2 (the default) */
        printf("(type %d)\n", kvstore_reply_type(r));
    }
}

/* Prints "> command" and the reply of a call that returned `rc`. */
static int show(const char *shown, kvstore_result rc, kvstore_reply *r) {
    if (rc != KVSTORE_OK) {
        fprintf(stderr, "%s: %s\n", shown, kvstore_errmsg());
        return 1;
    }
    printf("> %s\n", shown);
    print_reply(r, 0);
    kvstore_reply_free(r);
    return 0;
}

int main(void) {
    kvstore *db = NULL;
    if (kvstore_open(NULL, NULL, &db) != KVSTORE_OK) {
        fprintf(stderr, "open: %s\n", kvstore_errmsg());
        return 1;
    }
    kvstore_reply *r = NULL;
    kvstore_result rc;
    int failed = 0;

    /* %s: a C string; %b: binary-safe bytes, (pointer, size_t length). */
    const char value[] = "hello";
    rc = kvstore_command(db, &r, "SET %s %b", "greeting", value, strlen(value));
    failed |= show("SET greeting hello", rc, r);
    rc = kvstore_command(db, &r, "RPUSH queue job:%d job:%d", 1, 2);
    failed |= show("RPUSH queue job:1 job:2", rc, r);
    rc = kvstore_command(db, &r, "LRANGE queue 0 -1");
    failed |= show("LRANGE queue 0 -1", rc, r);
    rc = kvstore_command(db, &r, "GET missing");
    failed |= show("GET missing", rc, r);
    /* A Redis error is a successful call with an ERROR reply. */
    rc = kvstore_command(db, &r, "INCR greeting");
    failed |= show("INCR greeting", rc, r);

    /* The argv form: lengths make arguments binary safe (NULs allowed). */
    const char *argv[] = {"HSET", "user:1", "name", "Ada", "lang", "C"};
    size_t lens[] = {4, 6, 4, 3, 4, 1};
    rc = kvstore_command_argv(db, 6, argv, lens, &r);
    failed |= show("HSET user:1 name Ada lang C", rc, r);
    rc = kvstore_command(db, &r, "HMGET user:1 name lang nosuchfield");
    failed |= show("HMGET user:1 name lang nosuchfield", rc, r);
    kvstore_close(db);
    return failed;
}
