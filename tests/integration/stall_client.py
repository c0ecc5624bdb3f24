#!/usr/bin/env python3
"""stall_client.py PORT KEY -- a screen that connects with a tiny receive
buffer, says hello, then never reads again. Prints "closed" once the hub has
dropped it (the socket reaches EOF or reset after draining what was
buffered), or "open" after 25 s. Used by hub.test.mjs; stdlib only."""
import socket, sys, time

import wsraw

port, key = int(sys.argv[1]), sys.argv[2]
s, _ = wsraw.screen(port, key, 2048)
print("hello sent", flush=True)
time.sleep(int(sys.argv[3]) if len(sys.argv) > 3 else 14)   # not reading: the hub's writes back up
s.settimeout(10)
deadline = time.time() + 11
try:
    while time.time() < deadline:
        if not s.recv(65536):
            print("closed", flush=True)
            sys.exit(0)
except (ConnectionResetError, BrokenPipeError):
    print("closed", flush=True)
    sys.exit(0)
except socket.timeout:
    pass
print("open", flush=True)
