#!/usr/bin/env python3
"""A TCP proxy that cuts its first connection mid-stream, as a server killed mid-fetch would.

    cutting-proxy.py LISTEN_PORT TARGET_PORT CUT_AFTER_BYTES READY_FILE

Listens on 127.0.0.1:LISTEN_PORT and forwards to 127.0.0.1:TARGET_PORT. The first
connection that carries more than CUT_AFTER_BYTES from the server to the client is shut
there, both ways; every later connection is forwarded whole. READY_FILE is written once it
listens, and gets a line "cut" when it has cut.
"""
import socket
import sys
import threading

listen_port, target_port, cut_after, ready = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
state = {"cut": False}
lock = threading.Lock()


def cut(sock):
    # shutdown, not only close: close() does not end a recv() blocked in another thread,
    # and so would send nothing; shutdown wakes it and sends the peer its end of stream.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def pump(src, dst, counted, peers):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if counted:
                with lock:
                    cutting = not state["cut"] and sent + len(data) > cut_after
                    if cutting:
                        state["cut"] = True
                if cutting:
                    with open(ready, "a") as f:
                        f.write("cut\n")
                    for peer in peers:
                        cut(peer)
                    return
                sent += len(data)
            dst.sendall(data)
    except OSError:
        pass
    for peer in peers:
        try:
            peer.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    server = socket.create_connection(("127.0.0.1", target_port))
    peers = [client, server]
    threading.Thread(target=pump, args=(client, server, False, peers), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, True, peers), daemon=True).start()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", listen_port))
listener.listen(64)
with open(ready, "w") as f:
    f.write("ready\n")
while True:
    connection, _ = listener.accept()
    serve(connection)
