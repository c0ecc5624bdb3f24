"""wsraw.py -- a raw WebSocket screen for the Python test clients
(stall_client.py, slow_reader.py): they need a tiny receive buffer, which
Node cannot set. Stdlib only."""
import base64, os, socket


def mpstr(t):
    b = t.encode()
    return bytes([0xa0 | len(b)]) + b


def screen(port, key, rcvbuf):
    """Connect to the hub on 127.0.0.1:port with SO_RCVBUF rcvbuf, upgrade to
    chorus.v1 and say hello as a screen (key None: as a phone). Returns
    (socket, bytes read past the handshake)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    wskey = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {wskey}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: chorus.v1\r\n\r\n").encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(1)
    assert b" 101 " in resp, resp
    if key is None:
        payload = bytes([0x82]) + mpstr("t") + mpstr("hello") + mpstr("role") + mpstr("audience")
    else:
        payload = bytes([0x83]) + mpstr("t") + mpstr("hello") + mpstr("role") + mpstr("screen") + mpstr("key") + mpstr(key)
    mask = os.urandom(4)
    s.sendall(bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return s, resp.split(b"\r\n\r\n", 1)[1]
