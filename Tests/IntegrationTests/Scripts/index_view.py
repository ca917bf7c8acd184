#!/usr/bin/env python3
"""What the lookup socket serves, read with redis-py, for the delta tests.

dump SOCKET NAMESPACE
    Every entry through HSCAN, sorted by key, as key<TAB>name lines, after a line
    "hlen N scanned M dbsize D" (the test compares the three). Exits 2 if HSCAN
    returned a key twice.

watch SOCKET NAMESPACE STATES... STOPFILE
    Writes STOPFILE.ready after its first check; until STOPFILE exists (and for 100
    checks after), looks up every key of the first state file with HMGET
    (one generation per reply) and checks that the answer is one of the states as a
    whole (each a file of key<TAB>name lines; a key absent from a state is nil).
    Prints "checks N failed F mixed M" at the end.
"""
import os
import sys

import redis


def read_state(path):
    state = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                key, name = line.split("\t", 1)
                state[key] = name
    return state


def dump(socket, namespace):
    r = redis.Redis(unix_socket_path=socket, decode_responses=True)
    seen = {}
    cursor = 0
    while True:
        cursor, page = r.hscan(namespace, cursor, count=500)
        for key, name in page.items():
            if key in seen:
                print(f"duplicate key from HSCAN: {key}", file=sys.stderr)
                sys.exit(2)
            seen[key] = name
        if cursor == 0:
            break
    print(f"hlen {r.hlen(namespace)} scanned {len(seen)} dbsize {r.dbsize()}")
    for key in sorted(seen, key=lambda k: (len(k), k)):
        print(f"{key}\t{seen[key]}")


def watch(socket, namespace, state_paths, stop):
    r = redis.Redis(unix_socket_path=socket, decode_responses=True)
    states = [read_state(p) for p in state_paths]
    keys = sorted(set().union(*[s.keys() for s in states]))
    expected = [[s.get(k) for k in keys] for s in states]
    checks = failed = mixed = 0
    after = None
    while after is None or after > 0:
        if checks == 1:
            open(stop + ".ready", "w").close()
        if after is None and os.path.exists(stop):
            after = 100
        elif after is not None:
            after -= 1
        checks += 1
        try:
            answer = r.hmget(namespace, keys)
        except redis.RedisError as error:
            failed += 1
            print(f"lookup failed: {error}", file=sys.stderr)
            continue
        if answer not in expected:
            mixed += 1
    print(f"checks {checks} failed {failed} mixed {mixed}")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3])
    else:
        watch(sys.argv[2], sys.argv[3], sys.argv[4:-1], sys.argv[-1])
