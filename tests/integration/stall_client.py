#!/usr/bin/env python3
"""stall_client.py PORT KEY -- a screen that connects with a tiny receive
buffer, says hello, then never reads again. Prints "closed" once the hub has
dropped it (the socket reaches EOF or reset after draining what was
buffered), or "open" after 25 s. Used by hub.test.mjs; stdlib only."""
import base64, os, socket, struct, sys, time

port, key = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", port))
wskey = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {wskey}\r\nSec-WebSocket-Version: 13\r\n"
           f"Sec-WebSocket-Protocol: chorus.v1\r\n\r\n").encode())
resp = b""
while b"\r\n\r\n" not in resp:
    resp += s.recv(1)
assert b" 101 " in resp, resp

def mpstr(t):
    b = t.encode()
    return bytes([0xa0 | len(b)]) + b

payload = bytes([0x83]) + mpstr("t") + mpstr("hello") + mpstr("role") + mpstr("screen") + mpstr("key") + mpstr(key)
mask = os.urandom(4)
frame = bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
s.sendall(frame)
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
