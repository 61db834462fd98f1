// Interop with Node's HTTP stacks (bench/interop.sh runs it; needs only Node 18+, no packages):
//   node interop.mjs origin PORT [h2c]   the origin bench/interop/http serves, on node:http (or
//                                        node:http2 in cleartext), with Node's defaults: among them
//                                        a keep-alive timeout of 5 s, said in every response
//   node interop.mjs client BASE MODE    checks through stc: MODE h1 (fetch, i.e. undici, and
//                                        node:http with a keep-alive agent), h2c or h2 (node:http2)
import crypto from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';

const [, , what, ...args] = process.argv;

function canonical(name) {
  return name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('-');
}

function origin(port, h2c) {
  const handle = (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/plain') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '5' });
      res.end('hello');
    } else if (path === '/chunked') {
      res.writeHead(200);
      for (let i = 0; i < 100; i++) res.write(Buffer.alloc(1000, 97 + (i % 26)));
      res.end();
    } else if (path === '/trailers') {
      res.writeHead(200, { Trailer: 'X-Checksum, X-Status' });
      res.write('body with trailers');
      res.addTrailers({ 'X-Checksum': 'abc123', 'X-Status': '0' });
      res.end();
    } else if (path === '/204') {
      res.writeHead(204);
      res.end();
    } else if (path === '/304') {
      res.setHeader('ETag', '"v1"');
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304);
        res.end();
      } else {
        res.end('fresh');
      }
    } else if (path === '/hop') {
      if (!h2c) {
        // HTTP/2 has no connection-specific fields: node:http2 refuses to send them.
        res.setHeader('Connection', 'X-Private');
        res.setHeader('X-Private', 'secret');
        res.setHeader('Keep-Alive', 'timeout=5');
      }
      res.setHeader('X-Public', 'ok');
      res.end('hop');
    } else if (path === '/cookies') {
      res.setHeader('Set-Cookie', ['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2; Path=/']);
      res.setHeader('WWW-Authenticate', ['Basic realm="x"', 'Bearer']);
      res.writeHead(401);
      res.end();
    } else if (path === '/obs') {
      res.setHeader('X-Name', 'caf\xe9');
      res.end('obs');
    } else if (path === '/early') {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.end('after hints');
    } else if (path === '/echo') {
      const hash = crypto.createHash('sha256');
      let n = 0;
      req.on('data', (b) => { hash.update(b); n += b.length; });
      req.on('end', () => {
        const trailers = Object.entries(req.trailers || {}).map(([k, v]) => `${canonical(k)}=${v}`).join(';');
        res.writeHead(200, { 'X-Received': String(n), 'X-Request-Trailers': trailers, 'X-Expect': req.headers.expect || '' });
        res.end(hash.digest('hex'));
      });
    } else if (path === '/big') {
      res.writeHead(200, { 'Content-Length': String(8 << 20) });
      const chunk = Buffer.from('0123456789abcdef'.repeat(4096));
      let left = (8 << 20) / chunk.length;
      const more = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return res.once('drain', more);
        }
        res.end();
      };
      more();
    } else {
      res.writeHead(404);
      res.end('no such path');
    }
  };
  const server = h2c ? http2.createServer({ maxSessionMemory: 1024 }, handle) : http.createServer(handle);
  server.listen(port, '127.0.0.1');
}

// ---- the client checks ---------------------------------------------------------------------------

const results = [];
async function check(name, f) {
  try {
    await f();
    results.push([name, null]);
  } catch (e) {
    results.push([name, e]);
  }
}

function expect(ok, message) {
  if (!ok) throw new Error(message);
}

function sha256(b) {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** One request on node:http2: status, headers, body, trailers, the 1xx heads seen. */
function h2request(session, method, path, headers = {}, body = null, trailers = null) {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': method, ':path': path, ...headers }, trailers ? { waitForTrailers: true } : {});
    const informational = [];
    const chunks = [];
    let head = null;
    let tail = {};
    req.on('headers', (h) => informational.push(h));
    req.on('response', (h) => { head = h; });
    req.on('trailers', (t) => { tail = t; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve({ status: head && head[':status'], headers: head || {}, body: Buffer.concat(chunks), trailers: tail, informational }));
    req.on('error', reject);
    if (trailers) req.on('wantTrailers', () => req.sendTrailers(trailers));
    req.setTimeout(30000, () => reject(new Error('timed out')));
    if (body) req.end(body);
    else req.end();
  });
}

/** One request on node:http with a keep-alive agent. */
function h1request(agent, base, method, path, headers = {}, body = null, { trailers = null, continueFirst = false } = {}) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const informational = [];
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers, informational }));
      res.on('error', reject);
    });
    req.on('information', (i) => informational.push(i));
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    const send = () => {
      if (body) req.write(body);
      if (trailers) req.addTrailers(trailers);
      req.end();
    };
    if (continueFirst) req.on('continue', send);
    else send();
  });
}

async function client(base, mode) {
  let session = null;
  let agent = null;
  let request;
  if (mode === 'h1') {
    agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    request = (method, path, headers, body, extra) => h1request(agent, base, method, path, headers, body, extra);
  } else {
    // Node's default of 10 MB a session refuses streams (ENHANCE_YOUR_CALM) long before 200 of them
    // each take megabytes, with or without a proxy between.
    session = http2.connect(base, { rejectUnauthorized: false, maxSessionMemory: 1024 });
    session.on('error', () => {});
    request = (method, path, headers, body, extra = {}) => h2request(session, method, path, headers, body, extra.trailers);
  }
  const get = (path, headers) => request('GET', path, headers);

  await check('plain', async () => {
    const r = await get('/plain');
    expect(r.status === 200 && r.body.toString() === 'hello' && r.headers['content-length'] === '5',
      `status ${r.status} body ${r.body} length ${r.headers['content-length']}`);
  });
  await check('chunked', async () => {
    const r = await get('/chunked');
    expect(r.body.length === 100000, `got ${r.body.length} bytes`);
  });
  await check('trailers', async () => {
    const r = await get('/trailers', { te: 'trailers' });
    expect(r.body.toString() === 'body with trailers' && r.trailers['x-checksum'] === 'abc123' && r.trailers['x-status'] === '0',
      `body ${r.body} trailers ${JSON.stringify(r.trailers)}`);
  });
  await check('head', async () => {
    const r = await request('HEAD', '/plain');
    expect(r.status === 200 && r.headers['content-length'] === '5' && r.body.length === 0, `status ${r.status} length ${r.headers['content-length']}`);
  });
  await check('204', async () => {
    const r = await get('/204');
    expect(r.status === 204 && r.body.length === 0, `status ${r.status} body ${r.body}`);
  });
  await check('304', async () => {
    const r = await get('/304', { 'if-none-match': '"v1"' });
    expect(r.status === 304 && r.body.length === 0 && r.headers.etag === '"v1"', `status ${r.status} etag ${r.headers.etag}`);
  });
  await check('hop-by-hop', async () => {
    const r = await get('/hop');
    expect(r.body.toString() === 'hop' && !r.headers['x-private'] && !r.headers['keep-alive'] && r.headers['x-public'] === 'ok',
      `status ${r.status} headers ${JSON.stringify(r.headers)}`);
  });
  await check('set-cookie kept apart', async () => {
    const r = await get('/cookies');
    const c = r.headers['set-cookie'] || [];
    expect(r.status === 401 && c.length === 2 && c[0] === 'a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT' && c[1] === 'b=2; Path=/',
      `status ${r.status} set-cookie ${JSON.stringify(c)}`);
  });
  await check('obs-text value', async () => {
    const r = await get('/obs');
    expect(r.body.toString() === 'obs', `status ${r.status} body ${r.body}`);
    // Byte for byte as the origin sent it: Go's origin sends the octet E9, Node's (which writes
    // header strings as UTF-8) C3 A9; both Node clients read field values as latin1.
    const name = Buffer.from(r.headers['x-name'] || '', 'latin1');
    expect(name.equals(Buffer.from([0x63, 0x61, 0x66, 0xe9])) || name.equals(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9])),
      `x-name ${JSON.stringify(name)} (body fine)`);
  });
  await check('103 early hints', async () => {
    const r = await get('/early');
    expect(r.status === 200 && r.body.toString() === 'after hints', `status ${r.status} body ${r.body}`);
    const hints = r.informational.filter((i) => (i.statusCode || i[':status']) === 103);
    expect(hints.length > 0, 'final response fine, no 103 relayed');
  });
  const upload = async (size, { chunked = false, trailers = false, expectContinue = false } = {}) => {
    const body = crypto.randomBytes(size);
    const headers = {};
    if (mode === 'h1') {
      if (chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(size);
      if (trailers) headers.trailer = 'X-Sum';
      if (expectContinue) headers.expect = '100-continue';
    }
    const r = await request('POST', '/echo', headers, body, { trailers: trailers ? { 'X-Sum': 's1' } : null, continueFirst: expectContinue });
    expect(r.status === 200 && r.body.toString() === sha256(body), `status ${r.status} received ${r.headers['x-received']} body ${r.body}`);
    if (trailers) {
      expect((r.headers['x-request-trailers'] || '').includes('X-Sum=s1'), `request trailers arrived as ${r.headers['x-request-trailers']}`);
    }
  };
  await check('upload 5 MB', () => upload(5 << 20));
  await check('upload chunked with trailers', () => upload(300000, { chunked: true, trailers: true }));
  if (mode === 'h1') await check('upload with 100-continue', () => upload(100000, { expectContinue: true }));
  await check('download 8 MB', async () => {
    const r = await get('/big');
    expect(r.body.length === 8 << 20, `got ${r.body.length} bytes`);
  });
  await check('8 KiB request header', async () => {
    const r = await get('/plain', { cookie: 'x'.repeat(8000) });
    expect(r.status === 200, `status ${r.status}`);
  });
  if (mode === 'h1') {
    await check('fetch (undici): get, post, streamed upload', async () => {
      const a = await fetch(base + '/plain');
      expect(a.status === 200 && (await a.text()) === 'hello', `get ${a.status}`);
      const body = crypto.randomBytes(200000);
      const b = await fetch(base + '/echo', { method: 'POST', body });
      expect(b.status === 200 && (await b.text()) === sha256(body), `post ${b.status}`);
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(body.subarray(i * 20000, (i + 1) * 20000));
          c.close();
        },
      });
      const s = await fetch(base + '/echo', { method: 'POST', body: stream, duplex: 'half' });
      expect(s.status === 200 && (await s.text()) === sha256(body), `streamed ${s.status}`);
      const h = await fetch(base + '/plain', { method: 'HEAD' });
      expect(h.status === 200 && (await h.text()) === '', `head ${h.status}`);
    });
  }
  await check('200 concurrent mixed', async () => {
    const one = async (i) => {
      switch (i % 4) {
        case 0: { const r = await get('/plain'); expect(r.body.toString() === 'hello', `plain ${r.body}`); break; }
        case 1: { const r = await get('/chunked'); expect(r.body.length === 100000, `chunked ${r.body.length}`); break; }
        case 2: await upload(200000); break;
        default: { const r = await get('/big'); expect(r.body.length === 8 << 20, `big ${r.body.length}`); }
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => one(i)));
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.length === 0, `${failed.length} of 200 failed, first: ${failed[0] && failed[0].reason.message}`);
  });

  if (session) session.close();
  if (agent) agent.destroy();
  let bad = 0;
  for (const [name, e] of results) {
    if (e) {
      bad++;
      console.log(`FAIL ${name}: ${e.message}`);
    }
  }
  console.log(`${mode}: ${results.length - bad} of ${results.length} passed`);
  process.exit(bad ? 1 : 0);
}

if (what === 'origin') origin(Number(args[0]), args[1] === 'h2c');
else if (what === 'client') await client(args[0], args[1]);
else {
  console.error('usage: node interop.mjs origin PORT [h2c] | client BASE h1|h2c|h2');
  process.exit(2);
}
