"""Interop check, run by bench/interop.sh with Debian's Python and its packages: httpx (HTTP/1.1,
h2 over TLS, h2c by prior knowledge, through h2) and aiohttp as clients through a proxy; and the
same small application served by gunicorn (threaded workers) and Uvicorn, Python's usual origins,
behind it. Both origins close idle connections without saying when (gunicorn after 2 s, Uvicorn
after 5 s): POSTs sent after such pauses must all be answered.

  python3 interop.py client BASE MODE [--origin go|python]   MODE: h1, h2, h2c (httpx) or aiohttp
  python3 interop.py pauses BASE SECONDS...                   POSTs after each idle pause
  (gunicorn/uvicorn serve interop:wsgi and interop:asgi)
"""
import asyncio
import concurrent.futures
import hashlib
import os
import sys
import time

BIG = 8 << 20


def wsgi(environ, start_response):
    """The origin's endpoints, as a WSGI application: /plain, /chunked, /echo, /big, /cookies."""
    path = environ['PATH_INFO']
    if path == '/echo':
        h = hashlib.sha256()
        n = 0
        stream = environ['wsgi.input']
        while True:
            piece = stream.read(65536)
            if not piece:
                break
            h.update(piece)
            n += len(piece)
        body = h.hexdigest().encode()
        start_response('200 OK', [('Content-Length', str(len(body))), ('X-Received', str(n))])
        return [body]
    if path == '/chunked':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (bytes([97 + i % 26]) * 1000 for i in range(100))
    if path == '/big':
        start_response('200 OK', [('Content-Length', str(BIG))])
        return (b'0123456789abcdef' * 4096 for _ in range(BIG // 65536))
    if path == '/cookies':
        start_response('401 Unauthorized', [('Set-Cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT'),
                                            ('Set-Cookie', 'b=2; Path=/'), ('Content-Length', '0')])
        return [b'']
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
    return [b'hello']


async def asgi(scope, receive, send):
    """The same endpoints as an ASGI application."""
    if scope['type'] != 'http':
        return
    path = scope['path']
    h = hashlib.sha256()
    n = 0
    while True:
        m = await receive()
        h.update(m.get('body', b''))
        n += len(m.get('body', b''))
        if not m.get('more_body'):
            break

    async def answer(status, headers, pieces):
        await send({'type': 'http.response.start', 'status': status, 'headers': [(k.encode(), v.encode()) for k, v in headers]})
        for p in pieces:
            await send({'type': 'http.response.body', 'body': p, 'more_body': True})
        await send({'type': 'http.response.body', 'body': b''})

    if path == '/echo':
        body = h.hexdigest().encode()
        await answer(200, [('content-length', str(len(body))), ('x-received', str(n))], [body])
    elif path == '/chunked':
        await answer(200, [('content-type', 'text/plain')], [bytes([97 + i % 26]) * 1000 for i in range(100)])
    elif path == '/big':
        await answer(200, [('content-length', str(BIG))], [b'0123456789abcdef' * 4096 for _ in range(BIG // 65536)])
    elif path == '/cookies':
        await answer(401, [('set-cookie', 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT'), ('set-cookie', 'b=2; Path=/'),
                           ('content-length', '0')], [])
    else:
        await answer(200, [('content-type', 'text/plain'), ('content-length', '5')], [b'hello'])


class Failed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Failed(msg)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def httpx_checks(base, mode, go_origin):
    import httpx
    if mode == 'h1':
        client = httpx.Client(verify=False, timeout=30, limits=httpx.Limits(max_connections=100))
    elif mode == 'h2':
        client = httpx.Client(verify=False, timeout=30, http2=True)
    else:
        client = httpx.Client(timeout=30, http1=False, http2=True)
    checks = []

    def check(name):
        def register(f):
            checks.append((name, f))
            return f
        return register

    @check('plain')
    def _():
        r = client.get(base + '/plain')
        expect(r.status_code == 200 and r.text == 'hello', f'{r.status_code} {r.text!r}')
        want = 'HTTP/1.1' if mode == 'h1' else 'HTTP/2'
        expect(r.http_version == want, f'spoke {r.http_version}, not {want}')

    @check('chunked')
    def _():
        r = client.get(base + '/chunked')
        expect(len(r.content) == 100000, f'{len(r.content)} bytes')

    @check('head')
    def _():
        r = client.head(base + '/plain')
        expect(r.status_code == 200 and r.headers.get('content-length') == '5' and r.content == b'', f'{r.status_code} {r.headers}')

    @check('set-cookie kept apart')
    def _():
        r = client.get(base + '/cookies')
        c = r.headers.get_list('set-cookie')
        expect(r.status_code == 401 and c == ['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2; Path=/'], f'{r.status_code} {c}')

    @check('upload 5 MB')
    def _():
        body = os.urandom(5 << 20)
        r = client.post(base + '/echo', content=body)
        expect(r.status_code == 200 and r.text == sha(body), f'{r.status_code} received {r.headers.get("x-received")}')

    @check('upload streamed, no length')
    def _():
        body = os.urandom(300000)
        r = client.post(base + '/echo', content=iter([body[i:i + 30000] for i in range(0, len(body), 30000)]))
        expect(r.status_code == 200 and r.text == sha(body), f'{r.status_code} received {r.headers.get("x-received")}')

    @check('download 8 MiB')
    def _():
        r = client.get(base + '/big')
        expect(len(r.content) == BIG, f'{len(r.content)} bytes')

    @check('8 KiB request header')
    def _():
        r = client.get(base + '/plain', headers={'cookie': 'x' * 8000})
        expect(r.status_code == 200, f'{r.status_code}')

    if go_origin:
        @check('trailers, 204, 304, hop-by-hop')
        def _():
            r = client.get(base + '/trailers', headers={'te': 'trailers'})
            expect(r.text == 'body with trailers', f'{r.status_code} {r.text!r}')
            r = client.get(base + '/204')
            expect(r.status_code == 204 and r.content == b'', f'{r.status_code}')
            r = client.get(base + '/304', headers={'if-none-match': '"v1"'})
            expect(r.status_code == 304 and r.headers.get('etag') == '"v1"', f'{r.status_code}')
            r = client.get(base + '/hop')
            expect(r.text == 'hop' and 'x-private' not in r.headers and 'keep-alive' not in r.headers
                   and r.headers.get('x-public') == 'ok', f'{r.headers}')

    @check('200 concurrent mixed')
    def _():
        if mode != 'h1':
            # httpx's synchronous HTTP/2 connection is not safe across threads (its HPACK encoder
            # interleaves: stc, and HAProxy alike, end the connection with COMPRESSION_ERROR);
            # HTTP/2 concurrency in httpx is its async client's.
            asyncio.run(concurrent_h2(base, mode))
            return

        def one(i):
            k = i % 4
            if k == 0:
                expect(client.get(base + '/plain').text == 'hello', 'plain')
            elif k == 1:
                expect(len(client.get(base + '/chunked').content) == 100000, 'chunked')
            elif k == 2:
                body = os.urandom(200000)
                expect(client.post(base + '/echo', content=body).text == sha(body), 'echo')
            else:
                expect(len(client.get(base + '/big').content) == BIG, 'big')
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            errors = [f.exception() for f in [pool.submit(one, i) for i in range(200)] if f.exception()]
        expect(not errors, f'{len(errors)} of 200 failed, first: {errors[0]!r}' if errors else '')

    results = []
    for name, f in checks:
        try:
            f()
            results.append((name, None))
        except Exception as e:  # a check's failure, whatever raised it
            results.append((name, e))
    client.close()
    return results


async def concurrent_h2(base, mode):
    """200 requests at once on one HTTP/2 connection, from httpx's async client."""
    import httpx
    kw = {'verify': False, 'http2': True} if mode == 'h2' else {'http1': False, 'http2': True}
    async with httpx.AsyncClient(timeout=30, **kw) as client:
        async def one(i):
            k = i % 4
            if k == 0:
                expect((await client.get(base + '/plain')).text == 'hello', 'plain')
            elif k == 1:
                expect(len((await client.get(base + '/chunked')).content) == 100000, 'chunked')
            elif k == 2:
                body = os.urandom(200000)
                expect((await client.post(base + '/echo', content=body)).text == sha(body), 'echo')
            else:
                expect(len((await client.get(base + '/big')).content) == BIG, 'big')
        got = await asyncio.gather(*[one(i) for i in range(200)], return_exceptions=True)
        bad = [g for g in got if isinstance(g, BaseException)]
        expect(not bad, f'{len(bad)} of 200 failed, first: {bad[0]!r}' if bad else '')


def aiohttp_checks(base):
    import aiohttp

    async def run():
        results = []
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False, limit=100)) as s:
            async def check(name, coro):
                try:
                    await coro()
                    results.append((name, None))
                except Exception as e:
                    results.append((name, e))

            async def plain():
                async with s.get(base + '/plain') as r:
                    expect(r.status == 200 and await r.text() == 'hello', f'{r.status}')

            async def upload():
                body = os.urandom(5 << 20)
                async with s.post(base + '/echo', data=body) as r:
                    expect(r.status == 200 and await r.text() == sha(body), f'{r.status}')

            async def streamed():
                body = os.urandom(300000)

                async def gen():
                    for i in range(0, len(body), 30000):
                        yield body[i:i + 30000]
                async with s.post(base + '/echo', data=gen()) as r:
                    expect(r.status == 200 and await r.text() == sha(body), f'{r.status}')

            async def cookies():
                async with s.get(base + '/cookies') as r:
                    c = r.headers.getall('set-cookie', [])
                    expect(r.status == 401 and len(c) == 2, f'{r.status} {c}')

            async def big():
                async with s.get(base + '/big') as r:
                    expect(len(await r.read()) == BIG, 'short')

            async def many():
                async def one(i):
                    if i % 2:
                        await plain()
                    else:
                        await big()
                got = await asyncio.gather(*[one(i) for i in range(200)], return_exceptions=True)
                bad = [g for g in got if isinstance(g, Exception)]
                expect(not bad, f'{len(bad)} of 200 failed, first: {bad[0]!r}' if bad else '')

            await check('plain', plain)
            await check('upload 5 MB', upload)
            await check('upload streamed, no length', streamed)
            await check('set-cookie kept apart', cookies)
            await check('download 8 MiB', big)
            await check('200 concurrent', many)
        return results
    return asyncio.run(run())


def pauses(base, seconds):
    """POSTs on a kept connection after each pause: each one must be answered, none 502."""
    import httpx
    results = []
    with httpx.Client(timeout=30) as client:
        for s in seconds:
            client.post(base + '/echo', content=b'warm')
            time.sleep(s)  # the pause is the input under test: the origin's idle timeout passes
            try:
                r = client.post(base + '/echo', content=b'after a pause')
                expect(r.status_code == 200 and r.text == sha(b'after a pause'), f'{r.status_code} {r.text[:80]!r}')
                results.append((f'POST after {s} s idle', None))
            except Exception as e:
                results.append((f'POST after {s} s idle', e))
    return results


def report(label, results):
    bad = 0
    for name, e in results:
        if e:
            bad += 1
            print(f'  FAIL {name:34} {e!r}')
        else:
            print(f'  ok   {name}')
    print(f'{label}: {len(results) - bad} of {len(results)} passed')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    what = sys.argv[1]
    if what == 'client':
        base, mode = sys.argv[2], sys.argv[3]
        go = '--origin' not in sys.argv or sys.argv[sys.argv.index('--origin') + 1] == 'go'
        report(mode, aiohttp_checks(base) if mode == 'aiohttp' else httpx_checks(base, mode, go))
    elif what == 'pauses':
        report('pauses', pauses(sys.argv[2], [float(s) for s in sys.argv[3:]]))
    else:
        print(__doc__)
        sys.exit(2)
