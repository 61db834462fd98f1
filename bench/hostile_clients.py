"""Hostile clients for bench/hostile-soak.sh: each connection does one wrong thing and leaves.

Usage: hostile_clients.py PORT plain|tls SECONDS

Heads cut short, garbage, bodies cut short (by length and chunked), pipelined requests never read,
a CL+TE request, big downloads abandoned, HTTP/2 rapid resets, streams opened and abandoned, HTTP/2
garbage, a WebSocket upgrade dropped; half the connections end with a TCP reset. Prints how many.
"""
import socket, random, time, ssl, sys, os
port = int(sys.argv[1]); tls = sys.argv[2] == 'tls'; until = time.time() + float(sys.argv[3])
# hostile-soak.sh --compression: downloads ask for gzip, so those cut short are encoded ones.
AE = b'Accept-Encoding: gzip\r\n' if os.environ.get('STC_SOAK_GZIP') else b''
def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=2)
    if tls:
        c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
        c.set_alpn_protocols(random.choice([['h2'], ['http/1.1']]))
        s = c.wrap_socket(s)
    return s
H2 = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
def settings(): return b'\x00\x00\x00\x04\x00\x00\x00\x00\x00'
def headers_frame(sid, end):
    # HPACK: :method GET (idx 2), :path / (idx 4), :scheme http (idx 6), :authority literal
    block = bytes([0x82, 0x84, 0x86, 0x41, 0x01, ord('a')])
    flags = 0x4 | (0x1 if end else 0)
    return len(block).to_bytes(3,'big') + b'\x01' + bytes([flags]) + sid.to_bytes(4,'big') + block
def rst(sid): return b'\x00\x00\x04\x03\x00' + sid.to_bytes(4,'big') + b'\x00\x00\x00\x08'
acts = []
def act(f): acts.append(f); return f
@act
def partial_head(s): s.sendall(b'GET / HTTP/1.1\r\nHost: a\r\nX-A: ' + b'b'*random.randint(1,5000))
@act
def garbage(s): s.sendall(os.urandom(random.randint(1, 3000)))
@act
def body_cut(s): s.sendall(b'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n' + b'x'*random.randint(0, 60000))
@act
def chunked_cut(s): s.sendall(b'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n' + b'y'*random.randint(0, 4000))
@act
def pipelined_unread(s): s.sendall((b'GET /bytes/200000 HTTP/1.1\r\nHost: a\r\n' + AE + b'\r\n') * random.randint(1, 20))
@act
def smuggle(s): s.sendall(b'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n')
@act
def big_download_cut(s):
    s.sendall(b'GET /bytes/5000000 HTTP/1.1\r\nHost: a\r\n' + AE + b'\r\n'); s.recv(random.randint(1, 65536))
@act
def h2_rapid_reset(s):
    out = H2 + settings()
    for i in range(random.randint(1, 200)):
        sid = 2*i+1; out += headers_frame(sid, True) + rst(sid)
    s.sendall(out)
@act
def h2_streams_abandoned(s):
    out = H2 + settings()
    for i in range(random.randint(1, 50)):
        out += headers_frame(2*i+1, random.random() < 0.5)
    s.sendall(out)
@act
def h2_garbage(s): s.sendall(H2 + os.urandom(random.randint(1, 2000)))
@act
def websocket_cut(s):
    s.sendall(b'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
n = 0
while time.time() < until:
    try:
        s = conn()
    except Exception:
        continue
    try:
        random.choice(acts)(s)
        if random.random() < 0.5:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\x01\x00\x00\x00\x00\x00\x00\x00')  # RST on close
    except Exception:
        pass
    finally:
        try: s.close()
        except Exception: pass
    n += 1
print('hostile actions', n)
