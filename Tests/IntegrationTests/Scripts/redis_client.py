"""Drives nameindexd's lookup socket with redis-py, as an application would.

    python3 redis_client.py SOCKET DATA_DIR

DATA_DIR holds the rows the daemon serves: user.tsv (what `user` answers, first source
winning) and team.tsv. Exits 0 when every check passed; prints what failed otherwise.
"""
import os
import sys

import redis

socket, data = sys.argv[1], sys.argv[2]


def rows(name):
    with open(os.path.join(data, name), encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())


users, teams = rows("user.tsv"), rows("team.tsv")
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


client = redis.Redis(unix_socket_path=socket, decode_responses=True)
check(client.ping() is True, "PING")
check(client.hget("user", "42") == users["42"], "HGET user 42")
check(client.hget("user", "no-such-id") is None, "HGET of a missing id is None")
check(client.hget("nowhere", "1") is None, "HGET in a missing namespace is None")
check(client.hexists("user", "42") is True and client.hexists("user", "x") is False, "HEXISTS")
check(client.hlen("user") == len(users), "HLEN user: %s" % client.hlen("user"))
check(client.hstrlen("user", "42") == len(users["42"].encode()), "HSTRLEN")
check(client.exists("user", "team", "nowhere") == 2, "EXISTS")
check(client.type("team") == "hash" and client.type("nowhere") == "none", "TYPE")
check(client.dbsize() == 2, "DBSIZE")
check(client.echo("héllo") == "héllo", "ECHO")
check(client.client_setname("tests") is True and client.client_getname() == "tests", "CLIENT SETNAME/GETNAME")

# A pipeline of 1000 HMGETs, each of 20 ids (some missing), answered in order.
keys = sorted(users)
pipe = client.pipeline(transaction=False)
expected = []
for i in range(1000):
    batch = [keys[(i * 37 + j * 11) % len(keys)] for j in range(19)] + ["missing-%d" % i]
    pipe.hmget("user", batch)
    expected.append([users.get(k) for k in batch])
check(pipe.execute() == expected, "a pipeline of 1000 HMGETs")

# HSCAN over whole namespaces returns exactly the data, each key once.
for namespace, truth in (("user", users), ("team", teams)):
    seen = {}
    duplicates = 0
    for key, name in client.hscan_iter(namespace, count=100):
        duplicates += key in seen
        seen[key] = name
    check(seen == truth, "hscan_iter(%s): %d of %d entries" % (namespace, len(seen), len(truth)))
    check(duplicates == 0, "hscan_iter(%s) returned %d keys twice" % (namespace, duplicates))
matched = dict(client.hscan_iter("user", match="10*", count=1000))
check(matched == {k: v for k, v in users.items() if k.startswith("10")}, "HSCAN MATCH 10*")

# Writes are refused and the connection stays usable.
try:
    client.hset("user", "1", "x")
    failures.append("HSET was accepted")
except redis.exceptions.ReadOnlyError:
    pass
try:
    client.execute_command("FLY", "away")
    failures.append("an unknown command was accepted")
except redis.exceptions.ResponseError as error:
    check("unknown command" in str(error), "unknown command error: %s" % error)
check(client.hget("user", "42") == users["42"], "the connection still works after errors")

# RESP3, as redis-py speaks it with protocol=3.
client3 = redis.Redis(unix_socket_path=socket, decode_responses=True, protocol=3)
check(client3.hget("user", "42") == users["42"], "RESP3 HGET")
check(client3.hget("user", "x") is None, "RESP3 null")
check(client3.hmget("user", ["42", "x"]) == [users["42"], None], "RESP3 HMGET")

info = client.info("keyspace")
check(info.get("user", {}).get("entries") == len(users), "INFO keyspace: %s" % info)
stats = client.info("stats")
check(stats.get("lookups", 0) >= 20000, "INFO stats counts lookups: %s" % stats)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
