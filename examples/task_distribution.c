/*
 * task_distribution.c: the task-distribution example with libkvstore.
 * Record which server runs each task in a hash, then copy each assignment
 * to its own key (task:<name>) and drop the hash.
 *
 * Build (after installing libkvstore, see the README):
 *     cc task_distribution.c $(pkg-config --cflags --libs kvstore) -o task_distribution
 */
#include <kvstore.h>
#include <stdio.h>
#include <string.h>

#define S(s) (const uint8_t *)(s), strlen(s)

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, kvstore_errmsg());
    return 1;
}

int main(void) {
    static const char *const tasks[][2] = {
        {"task1", "192.168.1.100"},
        {"task2", "192.168.1.101"},
        {"task3", "192.168.1.102"},
    };
    kvstore *db = NULL;
    if (kvstore_open(":memory:", NULL, &db) != KVSTORE_OK) return fail("open");

    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (kvstore_hset(db, S("tasks"), S(tasks[i][0]), S(tasks[i][1]), NULL) != KVSTORE_OK)
            return fail("hset");

    /* HKEYS has no typed call: the printf-style generic call runs it. */
    kvstore_reply *names = NULL;
    if (kvstore_command(db, &names, "HKEYS %s", "tasks") != KVSTORE_OK) return fail("hkeys");

    for (size_t i = 0; i < kvstore_reply_len(names); i++) {
        size_t name_len = 0;
        const char *name = kvstore_reply_str(kvstore_reply_element(names, i), &name_len);
        uint8_t *server = NULL;
        size_t server_len = 0;
        if (kvstore_hget(db, S("tasks"), (const uint8_t *)name, name_len, &server, &server_len) !=
            KVSTORE_OK)
            return fail("hget");

        char key[64];
        int key_len = snprintf(key, sizeof key, "task:%.*s", (int)name_len, name);
        if (kvstore_set(db, (const uint8_t *)key, (size_t)key_len, server, server_len) !=
            KVSTORE_OK)
            return fail("set");
        printf("%.*s -> %.*s\n", (int)name_len, name, (int)server_len, (const char *)server);
        kvstore_free(server);
    }
    kvstore_reply_free(names);

    bool deleted = false;
    if (kvstore_del(db, S("tasks"), &deleted) != KVSTORE_OK || !deleted) return fail("del");
    kvstore_close(db);
    return 0;
}
