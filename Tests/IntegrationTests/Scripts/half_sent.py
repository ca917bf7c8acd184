"""Holds COUNT half-sent requests on each of the daemon's two sockets, in a process of its own.

    half_sent.py LOOKUP_SOCKET CONTROL_SOCKET COUNT

Opens COUNT connections to each socket and sends each the first part of a request, prints
"ready", then waits for each connection to be closed by the daemon (EOF or a reset, with
nothing sent back) and prints "closed N" (N of 2 * COUNT) and exits. A bound of 120 s per
connection keeps it from hanging if the daemon never closes one.

The sockets are held here, not in the test process, so that the test process never has
thousands of descriptors open (Foundation's Process reads /proc/self/fd to close them in a
child, and other tests spawn processes meanwhile).
"""
import resource
import socket
import sys

lookup_path, control_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

held = []
for _ in range(count):
    lookup = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lookup.connect(lookup_path)
    lookup.sendall(b"*3\r\n$4\r\nHGET\r\n$4\r\nus")
    held.append(lookup)
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(control_path)
    control.sendall(b'{"method":"io.nameindex.Index.Lo')
    held.append(control)
print("ready", flush=True)

closed = 0
for connection in held:
    connection.settimeout(120)
    try:
        if connection.recv(1) == b"":
            closed += 1
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
    connection.close()
print("closed %d" % closed, flush=True)
