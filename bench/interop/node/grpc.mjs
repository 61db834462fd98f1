// Interop check, run by bench/interop.sh: grpc-js (Node's gRPC, from npm) as a client through a
// proxy to bench/interop/grpc's server, and as a server (the same interop.Echo service and the
// standard health service) behind a proxy for grpc-go's client. Messages are raw bytes.
//
//   node grpc.mjs serve PORT                 serve interop.Echo and grpc.health.v1 on 127.0.0.1:PORT
//   node grpc.mjs client HOST:PORT [tls]     run the checks against HOST:PORT (h2c, or h2 over TLS)
//
// grpc-js is resolved from NODE_PATH's node_modules (interop.sh installs it with npm).
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');

const raw = { serialize: (b) => b, deserialize: (b) => b };
const unicodeMessage = 'ünïcode ✓ 100% "quoted"\nsecond line';

function def(path, requestStream, responseStream) {
  return {
    path, requestStream, responseStream, originalName: path.split('/').pop(),
    requestSerialize: raw.serialize, requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize, responseDeserialize: raw.deserialize,
  };
}

const echo = {
  Unary: def('/interop.Echo/Unary', false, false),
  ServerStream: def('/interop.Echo/ServerStream', false, true),
  ClientStream: def('/interop.Echo/ClientStream', true, false),
  Bidi: def('/interop.Echo/Bidi', true, true),
};
const health = { Check: def('/grpc.health.v1.Health/Check', false, false) };

// grpc.health.v1 by hand: HealthCheckRequest { string service = 1 }, HealthCheckResponse { enum status = 1 }.
function healthService(request) {
  if (request.length === 0) return '';
  if (request[0] !== 0x0a) throw new Error('unexpected field');
  return request.subarray(2, 2 + request[1]).toString('utf8');
}
function healthRequest(service) {
  const s = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, s.length]), s]);
}

function serve(port) {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 << 20, 'grpc.max_send_message_length': 16 << 20 });
  server.addService(echo, {
    Unary(call, callback) {
      const md = call.metadata;
      const op = md.get('x-op')[0];
      if (op === 'status') {
        const trailers = new grpc.Metadata();
        trailers.set('x-why', 'asked');
        trailers.set('x-why-bin', Buffer.from([0, 1, 255]));
        callback({ code: Number(md.get('x-code')[0]), details: unicodeMessage, metadata: trailers });
        return;
      }
      if (op === 'sleep') {
        const t = setTimeout(() => callback(null, Buffer.from('woke')), Number(md.get('x-sleep')[0]));
        call.on('cancelled', () => clearTimeout(t));
        return;
      }
      if (op === 'deadline') {
        const d = call.getDeadline();
        callback(null, Buffer.from(d instanceof Date || typeof d === 'number' && isFinite(d)
          ? String(Math.round(Number(d) - Date.now())) : 'none'));
        return;
      }
      if (op === 'meta') {
        // Node's http2 joins a field sent twice with ", " before grpc-js sees it: split it again.
        const values = (k) => md.get(k).flatMap((v) => (typeof v === 'string' ? v.split(/, */) : [v.toString('latin1')]));
        const lines = Object.keys(md.getMap()).map((k) => `${k}=${values(k).join(',')}`);
        // grpc-js keeps content-type to itself; say it as grpc-go's server would.
        lines.push('content-type=application/grpc');
        callback(null, Buffer.from(lines.join('\n'), 'latin1'));
        return;
      }
      const header = new grpc.Metadata();
      header.set('x-hdr', 'h');
      header.set('x-hdr-bin', Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      call.sendMetadata(header);
      const trailers = new grpc.Metadata();
      trailers.set('x-trl', 't');
      trailers.set('x-sum', createHash('sha256').update(call.request).digest('hex'));
      callback(null, call.request, trailers);
    },
    ServerStream(call) {
      const [n, size] = call.request.toString().split(' ').map(Number);
      let i = 0;
      const more = () => {
        while (i < n) {
          const ok = call.write(Buffer.alloc(size, 97 + (i % 26)));
          i++;
          if (!ok) { call.once('drain', more); return; }
        }
        const trailers = new grpc.Metadata();
        trailers.set('x-sent', String(n));
        call.end(trailers);
      };
      call.on('cancelled', () => { i = n + 1; });
      more();
    },
    ClientStream(call, callback) {
      let n = 0, total = 0;
      call.on('data', (m) => { n++; total += m.length; });
      call.on('end', () => callback(null, Buffer.from(`${n} ${total}`)));
    },
    Bidi(call) {
      call.on('data', (m) => call.write(m));
      call.on('end', () => call.end());
    },
  });
  server.addService(health, {
    Check(call, callback) {
      const service = healthService(call.request);
      if (service === '' || service === 'interop.Echo') callback(null, Buffer.from([0x08, 0x01]));
      else callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
    },
  });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) { console.error(err); process.exit(1); }
  });
}

async function client(target, tls) {
  const creds = tls ? grpc.credentials.createSsl(null, null, null, { checkServerIdentity: () => undefined, rejectUnauthorized: false })
    : grpc.credentials.createInsecure();
  const c = new grpc.Client(target, creds, {
    'grpc.max_receive_message_length': 16 << 20, 'grpc.max_send_message_length': 16 << 20,
    'grpc.ssl_target_name_override': 'localhost',
  });
  const deadline = (ms) => ({ deadline: Date.now() + ms });
  const meta = (...kv) => {
    const m = new grpc.Metadata();
    for (let i = 0; i < kv.length; i += 2) m.add(kv[i], kv[i + 1]);
    return m;
  };
  // Resolves once both the callback and the status (with the trailers) have come, in either order.
  const unary = (req, md = new grpc.Metadata(), opts = deadline(10000), path = echo.Unary.path) => new Promise((resolve) => {
    const out = {};
    let waiting = 2;
    const done = () => { if (--waiting === 0) resolve(out); };
    const call = c.makeUnaryRequest(path, raw.serialize, raw.deserialize, req, md, opts,
      (err, res) => { out.err = err; out.res = res; done(); });
    call.on('metadata', (m) => { out.header = m; });
    call.on('status', (s) => { out.trailer = s.metadata; done(); });
  });
  const results = [];
  const check = async (name, f) => {
    try { await f(); results.push([name, null]); } catch (e) { results.push([name, e]); }
  };
  const expect = (cond, msg) => { if (!cond) throw new Error(msg); };

  await check('unary, headers and trailers', async () => {
    const req = Buffer.alloc(1024, 'x');
    const { err, res, header, trailer } = await unary(req);
    expect(!err, String(err));
    expect(res.equals(req), `echo came back as ${res.length} bytes`);
    expect(header.get('x-hdr')[0] === 'h' && Buffer.compare(header.get('x-hdr-bin')[0], Buffer.from([0xde, 0xad, 0xbe, 0xef])) === 0,
      `header metadata ${JSON.stringify(header.getMap())}`);
    expect(trailer.get('x-trl')[0] === 't' && trailer.get('x-sum')[0] === createHash('sha256').update(req).digest('hex'),
      `trailer metadata ${JSON.stringify(trailer.getMap())}`);
  });
  await check('unary, empty and 4 MiB messages', async () => {
    for (const size of [0, 4 << 20]) {
      const req = Buffer.alloc(size);
      for (let i = 0; i < size; i++) req[i] = (i * 7) & 0xff;
      const { err, res } = await unary(req, undefined, deadline(20000));
      expect(!err, `${size} bytes: ${err}`);
      expect(res.equals(req), `${size} bytes came back as ${res.length}`);
    }
  });
  await check('statuses, message and trailers', async () => {
    for (const code of [3, 5, 7, 8, 9, 13, 14, 16]) {
      const { err } = await unary(Buffer.from('q'), meta('x-op', 'status', 'x-code', String(code)));
      expect(err && err.code === code && err.details === unicodeMessage, `asked ${code}, got ${err && err.code} ${err && JSON.stringify(err.details)}`);
      expect(err.metadata.get('x-why')[0] === 'asked' && Buffer.compare(err.metadata.get('x-why-bin')[0], Buffer.from([0, 1, 255])) === 0,
        `${code}: trailers ${JSON.stringify(err.metadata.getMap())}`);
    }
  });
  await check('metadata reaches the server', async () => {
    const { err, res } = await unary(Buffer.alloc(0), meta('x-op', 'meta', 'x-custom', 'v1', 'x-custom', 'v2', 'x-blob-bin', Buffer.from([0, 255, 114, 97, 119])));
    expect(!err, String(err));
    const got = res.toString('latin1');
    for (const want of ['x-custom=v1,v2', 'x-blob-bin=\x00\xffraw']) {
      expect(got.includes(want), `server saw ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
    }
  });
  await check('deadline expires', async () => {
    const start = Date.now();
    const { err } = await unary(Buffer.alloc(0), meta('x-op', 'sleep', 'x-sleep', '5000'), deadline(300));
    expect(err && err.code === grpc.status.DEADLINE_EXCEEDED, `got ${err && err.code} ${err && err.details}`);
    expect(Date.now() - start < 3000, `took ${Date.now() - start} ms`);
  });
  await check('deadline reaches the server', async () => {
    const { err, res } = await unary(Buffer.alloc(0), meta('x-op', 'deadline'), deadline(10000));
    expect(!err, String(err));
    const ms = Number(res.toString());
    expect(ms >= 8000 && ms <= 10000, `server saw ${res} ms left of 10000`);
  });
  const serverStream = (n, size, ms = 30000) => new Promise((resolve) => {
    let got = 0, bad = null, trailer;
    const call = c.makeServerStreamRequest(echo.ServerStream.path, raw.serialize, raw.deserialize, Buffer.from(`${n} ${size}`), new grpc.Metadata(), deadline(ms));
    call.on('data', (m) => {
      if (!bad && (m.length !== size || (size > 0 && m[0] !== 97 + (got % 26)))) bad = `message ${got}: ${m.length} bytes`;
      got++;
    });
    call.on('status', (s) => { trailer = s.metadata; });
    call.on('error', (e) => resolve({ err: e, got }));
    call.on('end', () => setImmediate(() => resolve({ err: bad && new Error(bad), got, trailer })));
  });
  await check('server streaming', async () => {
    for (const [n, size] of [[10000, 100], [100, 64 << 10]]) {
      const { err, got, trailer } = await serverStream(n, size);
      expect(!err, `${n} × ${size}: after ${got}: ${err}`);
      expect(got === n && trailer && trailer.get('x-sent')[0] === String(n), `${n} × ${size}: ${got} came`);
    }
  });
  await check('client streaming', async () => {
    const res = await new Promise((resolve) => {
      const call = c.makeClientStreamRequest(echo.ClientStream.path, raw.serialize, raw.deserialize, new grpc.Metadata(), deadline(30000),
        (err, r) => resolve({ err, r }));
      let total = 0;
      for (let i = 0; i < 10000; i++) {
        const m = Buffer.alloc(i % 200, 'c');
        total += m.length;
        call.write(m);
      }
      call.end();
      resolve.total = total;
    });
    expect(!res.err, String(res.err));
    const [n, bytes] = res.r.toString().split(' ').map(Number);
    expect(n === 10000 && bytes === 995000, `server counted ${res.r}`);
  });
  await check('bidirectional, 10,000 round trips', async () => {
    await new Promise((resolve, reject) => {
      const call = c.makeBidiStreamRequest(echo.Bidi.path, raw.serialize, raw.deserialize, new grpc.Metadata(), deadline(60000));
      let i = 0;
      call.on('data', (m) => {
        if (m.toString() !== String(i)) { reject(new Error(`sent ${i}, got ${m}`)); return; }
        i++;
        if (i === 10000) call.end(); else call.write(Buffer.from(String(i)));
      });
      call.on('error', (e) => reject(new Error(`at ${i}: ${e.message}`)));
      call.on('end', () => (i === 10000 ? resolve() : reject(new Error(`ended at ${i}`))));
      call.write(Buffer.from('0'));
    });
  });
  await check('client cancels a stream, next call fine', async () => {
    await new Promise((resolve, reject) => {
      const call = c.makeServerStreamRequest(echo.ServerStream.path, raw.serialize, raw.deserialize, Buffer.from('100000 1000'), new grpc.Metadata(), deadline(30000));
      let got = 0;
      call.on('data', () => { if (++got === 10) call.cancel(); });
      call.on('error', (e) => (e.code === grpc.status.CANCELLED ? resolve() : reject(new Error(`after cancel: ${e.code} ${e.details}`))));
      call.on('end', () => reject(new Error('ended, not cancelled')));
    });
    const { err, res } = await unary(Buffer.from('again'));
    expect(!err && res.toString() === 'again', `next call: ${err}`);
  });
  await check('health check', async () => {
    const ok = await unary(healthRequest('interop.Echo'), undefined, deadline(10000), health.Check.path);
    expect(!ok.err && ok.res.equals(Buffer.from([0x08, 0x01])), `SERVING expected: ${ok.err} ${ok.res && ok.res.toString('hex')}`);
    const no = await unary(healthRequest('no.Such'), undefined, deadline(10000), health.Check.path);
    expect(no.err && no.err.code === grpc.status.NOT_FOUND, `unknown service: ${no.err && no.err.code}`);
  });
  await check('200 calls and 20 streams at once', async () => {
    const calls = [];
    for (let i = 0; i < 200; i++) {
      const req = Buffer.from(String(i).repeat(100 * ((i % 7) + 1)));
      calls.push(unary(req, undefined, deadline(60000)).then(({ err, res }) => {
        if (err) throw err;
        if (!res.equals(req)) throw new Error('echo differs');
      }));
    }
    for (let i = 0; i < 20; i++) {
      calls.push(serverStream(1000, 1000, 60000).then(({ err, got }) => {
        if (err) throw err;
        if (got !== 1000) throw new Error(`stream: ${got} of 1000`);
      }));
    }
    const failed = (await Promise.allSettled(calls)).filter((r) => r.status === 'rejected');
    expect(failed.length === 0, `${failed.length} of 220 failed, first: ${failed[0] && failed[0].reason}`);
  });

  c.close();
  let failed = 0;
  for (const [name, err] of results) {
    if (err) { failed++; console.log(`  FAIL ${name.padEnd(36)} ${err.message}`); } else console.log(`  ok   ${name}`);
  }
  console.log(`grpc-js: ${results.length - failed} of ${results.length} passed`);
  process.exit(failed ? 1 : 0);
}

const [cmd, arg, mode] = process.argv.slice(2);
if (cmd === 'serve') serve(Number(arg));
else if (cmd === 'client') client(arg, mode === 'tls');
else { console.error('usage: grpc.mjs serve PORT | client HOST:PORT [tls]'); process.exit(2); }
