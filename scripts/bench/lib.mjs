/**
 * Shared pieces of `npm run bench`, `npm run chaos` and `npm run soak`: the real hub and the daemon
 * as separate processes on 127.0.0.1, a recording fake chat gateway, /proc readings, statistics.
 *
 * THE PROCESS UNDER TEST is chosen here, in one line (DAEMON_MODE): `wtt daemon`, whose deliveries
 * are counted where the user sees them, at the recording fake gateway (POST /tools/invoke), after
 * the whole path (intake transaction, outbox, router, notifier, adapter).
 * `WTT_BENCH_DAEMON=tail|up|daemon` overrides it for one run (`up`: `wtt up --no-hub --json`, each
 * message on stdout; `tail`: `wtt tail`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DAEMON_MODE = process.env.WTT_BENCH_DAEMON ?? 'daemon';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'wtt');
export const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? 0 : Math.round(x * 10 ** d) / 10 ** d);
export const say = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
export const temp = (p) => mkdtempSync(join(tmpdir(), p));
export const rmrf = (p) => rmSync(p, { recursive: true, force: true });

/** Quantile q in [0, 1] of xs (nearest rank). */
export function quantile(xs, q) {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
export const median = (xs) => quantile(xs, 0.5);

export function machine() {
  const c = cpus();
  return { cpu: c[0]?.model?.trim() ?? 'unknown', cores: c.length, node: process.version };
}

let clkTck;
/** CPU time (user + sys, ms) and RSS (MB) of a process, from /proc. */
export function procStat(pid) {
  clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(f[11]) + Number(f[12])) * 1000) / clkTck;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs, rssMb: rss ? Number(rss[1]) / 1024 : 0 };
}

/** Lines of a readable stream, one callback per line. */
function onLines(stream, fn) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      fn(line);
    }
  });
}

const children = new Set();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));

/** The hub as a child process (`wtt hub`), restartable on the same port and data dir. */
export async function spawnHub({ dataDir = temp('wtt-bench-hub-'), port = 0, env = {}, nodeArgs = [] } = {}) {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    // nodeArgs: e.g. ['--cpu-prof', '--cpu-prof-dir=DIR'] to profile the hub (not allowed in NODE_OPTIONS).
    const child = spawn(process.execPath, [...nodeArgs, BIN, 'hub', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir, '--rate-limit', '0'], {
      cwd: ROOT,
      env: { ...process.env, WTT_LOG_LEVEL: 'warn', WTT_SKILL_DIR: dataDir, HOME: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-20_000);
    });
    const url = await new Promise((res) => {
      onLines(child.stdout, (line) => {
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) res(m[1]);
      });
      child.once('exit', () => res(undefined));
    });
    if (!url) {
      if (attempt < 50 && /EADDRINUSE/.test(err)) {
        await sleep(100);
        continue;
      }
      throw new Error(`hub exited before listening: ${err.slice(-2000)}`);
    }
    const p = Number(new URL(url).port);
    return {
      url,
      wsUrl: `ws://127.0.0.1:${p}/ws`,
      port: p,
      dataDir,
      pid: child.pid,
      child,
      /** performance.now() when the hub said it was listening. */
      listeningAt: performance.now(),
      startMs: performance.now() - t0,
      async kill() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
        }
        await exited(child);
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGTERM');
        }
        await exited(child);
      },
      freeze: () => child.kill('SIGSTOP'),
      thaw: () => child.kill('SIGCONT'),
    };
  }
}

/** Registers `n` agents; with `topic` they all join it. */
export async function agents(url, n, { concurrency = 16 } = {}) {
  const { WttApi } = await dist('src/client/api.js');
  const out = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        const r = await new WttApi({ apiUrl: url, retries: 3 }).register({ display_name: `bench-${i}` });
        out[i] = { agent_id: r.agent_id, agent_token: r.agent_token, api: new WttApi({ apiUrl: url, agentId: r.agent_id, agentToken: r.agent_token, retries: 3 }) };
      }
    }),
  );
  return out;
}

/** A topic created by `owner` and joined by every other agent. */
export async function topicWith(owner, members, name = 'bench') {
  const t = await owner.api.createTopic({ name: `${name}-${Math.random().toString(36).slice(2, 8)}`, description: 'benchmark topic' });
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, members.length) }, async () => {
      while (next < members.length) await members[next++].api.joinTopic(t.id);
    }),
  );
  return t.id;
}

/** The key a benchmark message carries in its text (`k=<run>-<n>`), found again in stdout or the chat. */
export const keyOf = (text) => /\bk=([\w-]+)/.exec(text)?.[1];
/** The chat text of a recorded `/tools/invoke` body (its JSON escapes would hide the key's word boundary). */
export function messageOf(raw) {
  try {
    const m = JSON.parse(raw)?.args?.message;
    return typeof m === 'string' ? m : '';
  } catch {
    return '';
  }
}

/**
 * A recording fake OpenClaw gateway (POST /tools/invoke) on 127.0.0.1. `mode`: 'ok' answers 200 like
 * the real one; 'down' refuses connections; '429' answers 429 with retry_after; '500' a tool error.
 */
export async function startGateway({ token = 'bench-gateway-token', port = 0 } = {}) {
  const calls = [];
  const listeners = new Set();
  let mode = 'ok';
  let nextId = 1000;
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const t = performance.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"type":"unauthorized"}}');
        return;
      }
      if (mode === '429') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"ok":false,"error":{"type":"rate_limited","retry_after":1}}');
        return;
      }
      if (mode === '500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"ok":false,"error":{"type":"tool_error","message":"tool execution failed"}}');
        return;
      }
      const call = { t, raw };
      calls.push(call);
      for (const l of listeners) l(call);
      const id = String(nextId++);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: { details: { ok: true, messageId: id, chatId: '555001' } } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (p) => new Promise((res, rej) => server.once('error', rej).listen(p, '127.0.0.1', () => res(server.address().port)));
  const actualPort = await listen(port);
  return {
    url: `http://127.0.0.1:${actualPort}`,
    token,
    calls,
    onCall(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set mode(m) {
      mode = m;
    },
    get mode() {
      return mode;
    },
    async down() {
      await new Promise((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async up() {
      for (let i = 0; ; i++) {
        try {
          await listen(actualPort);
          return;
        } catch (e) {
          if (i > 50) throw e;
          await sleep(100);
        }
      }
    },
    close: () => new Promise((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    }),
  };
}

/**
 * The daemon under test as a child process, for agent `agent` against the hub at `hubUrl`.
 * `onDelivery(fn)` gets (key, performance.now()) per message delivered (stdout line, or gateway call);
 * `waitState('live')` resolves at the next time the connection reports that state.
 */
export async function spawnDaemon({ hubUrl, agent, stateDir, gateway, env = {}, args = [], nodeArgs = [] }) {
  const modeArgs = { up: ['up', '--no-hub', '--json'], tail: ['tail'], daemon: ['daemon'] }[DAEMON_MODE];
  if (!modeArgs) throw new Error(`WTT_BENCH_DAEMON must be up, tail or daemon, not '${DAEMON_MODE}'`);
  const fullEnv = {
    PATH: process.env.PATH,
    HOME: stateDir,
    WTT_SKILL_DIR: stateDir,
    WTT_STATE_DIR: stateDir,
    WTT_API_URL: hubUrl,
    WTT_AGENT_ID: agent.agent_id,
    WTT_AGENT_TOKEN: agent.agent_token,
    WTT_LOG_LEVEL: 'warn',
    ...(gateway ? { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '555001', OPENCLAW_GATEWAY_URL: gateway.url, OPENCLAW_GATEWAY_TOKEN: gateway.token } : {}),
    // Every message is one chat call, so each is timed and counted: no digests, no pacing, no away reports.
    WTT_NOTIFY: 'all',
    WTT_DIGEST_BURST: '0',
    WTT_CHAT_RATE_PER_MIN: '0',
    WTT_AWAY_REPORT_S: '1000000000',
    WTT_STATUS_PORT: 'off',
    ...env,
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...modeArgs, ...args], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const deliveryListeners = new Set();
  const stateListeners = new Set();
  const states = [];
  const errLines = [];
  const deliver = (key, t) => {
    for (const l of deliveryListeners) l(key, t);
  };
  let offGateway;
  if (DAEMON_MODE === 'daemon') {
    if (!gateway) throw new Error('the daemon needs a gateway to deliver to');
    offGateway = gateway.onCall((c) => {
      const k = keyOf(messageOf(c.raw));
      if (k) deliver(k, c.t);
    });
  }
  onLines(child.stdout, (line) => {
    if (DAEMON_MODE === 'daemon') return;
    const t = performance.now();
    if (!line.startsWith('{')) return;
    try {
      const m = JSON.parse(line);
      const k = typeof m.content === 'string' ? keyOf(m.content) : undefined;
      if (k) deliver(k, t);
    } catch {
      /* not a message line */
    }
  });
  onLines(child.stderr, (line) => {
    const t = performance.now();
    const m = /^connection: (\w+)/.exec(line) ?? /"status":"(\w+)"/.exec(line);
    if (m) {
      states.push({ state: m[1], t, line });
      for (const l of stateListeners) l(m[1], t, line);
    } else {
      errLines.push(line);
      if (errLines.length > 500) errLines.shift();
    }
  });
  const ended = exited(child).then(() => offGateway?.());
  return {
    child,
    pid: child.pid,
    startedAt: t0,
    states,
    stderr: () => errLines.join('\n'),
    onDelivery(fn) {
      deliveryListeners.add(fn);
      return () => deliveryListeners.delete(fn);
    },
    onState(fn) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
    /** Resolves with performance.now() at the next report of `state` (after now). */
    waitState(state, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          off();
          rej(new Error(`daemon did not report '${state}' within ${timeoutMs} ms; last: ${states.at(-1)?.line ?? 'none'}; stderr: ${errLines.slice(-5).join(' | ')}`));
        }, timeoutMs);
        const off = this.onState((s, t) => {
          if (s !== state) return;
          clearTimeout(timer);
          off();
          res(t);
        });
        child.once('exit', (code, sig) => {
          clearTimeout(timer);
          off();
          rej(new Error(`daemon exited (${code ?? sig}) before '${state}': ${errLines.slice(-5).join(' | ')}`));
        });
      });
    },
    stat: () => procStat(child.pid),
    kill: async (sig = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      await ended;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await ended;
    },
    ended,
  };
}

/**
 * Publishes over one WebSocket per publisher (WttSocket, `publish` action), keeping `inFlight`
 * requests outstanding. Returns { sent: Map<key, t> , stop() }.
 */
export async function wsPublisher(hub, agent) {
  const { WttSocket } = await dist('src/client/socket.js');
  const sock = new WttSocket({ url: `${hub.wsUrl}/${agent.agent_id}`, token: agent.agent_token });
  await sock.open();
  return sock;
}

/** A counting ledger of keys sent and delivered: lost / duplicated. */
export class Ledger {
  constructor() {
    this.sent = new Map();
    this.delivered = new Map();
  }
  send(key, t = performance.now()) {
    this.sent.set(key, t);
  }
  deliver(key, t = performance.now()) {
    this.delivered.set(key, (this.delivered.get(key) ?? 0) + 1);
    return t;
  }
  get counts() {
    let lost = 0;
    let duplicated = 0;
    let delivered = 0;
    for (const k of this.sent.keys()) {
      const n = this.delivered.get(k) ?? 0;
      if (n === 0) lost++;
      else delivered++;
      if (n > 1) duplicated += n - 1;
    }
    return { sent: this.sent.size, delivered, lost, duplicated };
  }
  /** Resolves when every sent key was delivered, or after `timeoutMs`. */
  async drained(timeoutMs) {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (this.counts.lost === 0) return true;
      await sleep(50);
    }
    return this.counts.lost === 0;
  }
}

/**
 * Publishes `k=<prefix>-<n>` messages on `topicId` through `sock` at `rate` per second for
 * `durationMs` (or `count` messages as fast as `inFlight` allows when rate is 0). The ledger gets a
 * key once the hub acknowledged it; `sentAt` holds the time each publish left.
 */
export async function publishLoad({ sock, topicId, rate = 0, durationMs = Infinity, count = Infinity, inFlight = 20, prefix, ledger, sentAt = new Map(), pad = '' }) {
  let n = 0;
  let outstanding = 0;
  let failed = 0;
  const t0 = performance.now();
  const one = () => {
    const key = `${prefix}-${n++}`;
    outstanding++;
    const t = performance.now();
    sentAt.set(key, t);
    return sock.request('publish', { topic_id: topicId, content: `k=${key} ${pad}` }).then(
      () => {
        outstanding--;
        ledger?.send(key, t);
      },
      () => {
        outstanding--;
        failed++;
      },
    );
  };
  if (rate > 0) {
    while (performance.now() - t0 < durationMs && n < count) {
      const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (n < due) void one();
      await sleep(5);
    }
  } else {
    await new Promise((res) => {
      const pump = () => {
        while (outstanding < inFlight && n < count && performance.now() - t0 < durationMs) {
          void one().then(() => (n >= count || performance.now() - t0 >= durationMs ? outstanding === 0 && res() : pump()));
        }
        if (outstanding === 0) res();
      };
      pump();
    });
  }
  while (outstanding > 0) await sleep(5);
  return { published: n - failed, failed, ms: performance.now() - t0, sentAt };
}

/** A bare `ws` client (no project code): auth frame, then `onFrame` for every JSON frame. */
export async function bareSocket(wsUrl, agent, onFrame = () => undefined) {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${wsUrl}/${agent.agent_id}`, { perMessageDeflate: false });
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  const authed = new Promise((res, rej) => {
    ws.once('close', () => rej(new Error('closed before auth')));
    ws.on('message', (data) => {
      const s = data.toString();
      if (s === 'pong') return;
      let f;
      try {
        f = JSON.parse(s);
      } catch {
        return;
      }
      if (f.request_id === 'auth') res();
      else onFrame(f);
    });
  });
  ws.send(JSON.stringify({ action: 'auth', token: agent.agent_token, request_id: 'auth' }));
  await authed;
  return ws;
}
