"""The task-distribution example, in-process: tasks are assigned to servers
in a hash, each assignment is copied to its own key, then the hash is
deleted. The code is what you would write for redis-py; only the
constructor differs -- there is no server anywhere.

Run: python examples/task_distribution.py [number of extra tasks]
"""

import sys

import kvstore

r = kvstore.Redis(decode_responses=True)

r.hset("tasks", "task1", "192.168.1.100")
r.hset("tasks", "task2", "192.168.1.101")
r.hset("tasks", "task3", "192.168.1.102")
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 0):
    r.hset("tasks", f"task{i + 4}", f"10.0.{i // 256 % 256}.{i % 256}")

for task in r.hkeys("tasks"):
    server = r.hget("tasks", task)
    r.set("task:" + task, server)
    print(f"{task} -> {server}")

r.delete("tasks")
print(f"assigned {r.dbsize()} tasks; 'tasks' exists: {bool(r.exists('tasks'))}")
