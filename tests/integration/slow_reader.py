#!/usr/bin/env python3
"""slow_reader.py PORT KEY SECONDS [STALL] -- a screen (KEY "-": a phone)
with a tiny receive buffer that reads in fits and starts (STALL s, default
3, without reading, then 0.4 s reading)
for SECONDS, then reads what is left. It decodes every WebSocket frame and
every msgpack message in it, and prints one JSON line:
{"frames": N, "snaps": N, "bad": N, "first_bad": "...", "seq_increasing": bool}.
A frame cut by another, or a message that does not decode whole, is bad.
Used by hub.test.mjs to check the hub's direct and buffered writes keep
the stream whole when the socket fills; stdlib only."""
import json, socket, struct, sys, time

import wsraw

port, key, seconds = int(sys.argv[1]), (None if sys.argv[2] == "-" else sys.argv[2]), float(sys.argv[3])
stall = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
s, buf = wsraw.screen(port, key, 4096)


def unpack(b, i):
    """One msgpack value at b[i:]: (value, next index); raises on bad input."""
    c = b[i]; i += 1
    if c <= 0x7f: return c, i
    if c >= 0xe0: return c - 256, i
    if 0x80 <= c <= 0x8f or c in (0xde, 0xdf):
        n = c & 0x0f if c <= 0x8f else struct.unpack_from(">H" if c == 0xde else ">I", b, i)[0]
        i += 0 if c <= 0x8f else (2 if c == 0xde else 4)
        d = {}
        for _ in range(n):
            k, i = unpack(b, i); v, i = unpack(b, i); d[k] = v
        return d, i
    if 0x90 <= c <= 0x9f or c in (0xdc, 0xdd):
        n = c & 0x0f if c <= 0x9f else struct.unpack_from(">H" if c == 0xdc else ">I", b, i)[0]
        i += 0 if c <= 0x9f else (2 if c == 0xdc else 4)
        a = []
        for _ in range(n):
            v, i = unpack(b, i); a.append(v)
        return a, i
    if 0xa0 <= c <= 0xbf or c in (0xd9, 0xda, 0xdb):
        n = c & 0x1f if c <= 0xbf else struct.unpack_from({0xd9: ">B", 0xda: ">H", 0xdb: ">I"}[c], b, i)[0]
        i += 0 if c <= 0xbf else {0xd9: 1, 0xda: 2, 0xdb: 4}[c]
        if i + n > len(b): raise ValueError("string past the end")
        return b[i:i + n].decode(), i + n
    fixed = {0xc0: (None, 0), 0xc2: (False, 0), 0xc3: (True, 0)}
    if c in fixed: return fixed[c][0], i
    fmt = {0xca: ">f", 0xcb: ">d", 0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q",
           0xd0: ">b", 0xd1: ">h", 0xd2: ">i", 0xd3: ">q"}
    if c in fmt:
        return struct.unpack_from(fmt[c], b, i)[0], i + struct.calcsize(fmt[c])
    raise ValueError(f"msgpack byte 0x{c:02x}")


frames = snaps = bad = 0
first_bad = ""
last_seq = -1
seq_increasing = True


def parse():
    """Take every whole frame off the front of buf."""
    global buf, frames, snaps, bad, first_bad, last_seq, seq_increasing
    while len(buf) >= 2:
        b0, b1 = buf[0], buf[1]
        n, h = b1 & 0x7f, 2
        if n == 126:
            if len(buf) < 4: return
            n, h = struct.unpack_from(">H", buf, 2)[0], 4
        elif n == 127:
            if len(buf) < 10: return
            n, h = struct.unpack_from(">Q", buf, 2)[0], 10
        if len(buf) < h + n: return
        body, buf = buf[h:h + n], buf[h + n:]
        frames += 1
        try:
            if b1 & 0x80 or b0 not in (0x82, 0x88, 0x89, 0x8a):
                raise ValueError(f"frame header {b0:02x} {b1:02x}")
            if b0 != 0x82: continue
            m, end = unpack(body, 0)
            if end != len(body) or not isinstance(m, dict) or "t" not in m:
                raise ValueError("not one whole message")
            if m["t"] == "snap":
                snaps += 1
                if m.get("seq", -1) <= last_seq: seq_increasing = False
                last_seq = m.get("seq", -1)
        except (ValueError, IndexError, struct.error, UnicodeDecodeError) as e:
            bad += 1
            first_bad = first_bad or str(e)


def read_for(t):
    global buf
    s.settimeout(0.05)
    end = time.time() + t
    while time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d: return False
        buf += d
        parse()
    return True


start = time.time()
alive = True
while alive and time.time() - start < seconds:
    time.sleep(stall)          # not reading: the hub's socket fills
    alive = read_for(0.4)
if alive: read_for(1.0)
print(json.dumps({"frames": frames, "snaps": snaps, "bad": bad, "first_bad": first_bad,
                  "seq_increasing": seq_increasing, "alive": alive}), flush=True)
