/**
 * The status page in a real headless browser: Debian chromium (/usr/bin/chromium; .ci/run installs
 * it) driven by playwright-core, against the real daemon and the real hub. It shows the connection
 * machine in `live` (badge and the highlighted state in its statechart), then `backoff` after the
 * hub is stopped. Screenshots are kept in test-artifacts/. Needs `npm run build`.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { REPO } from '../helpers/hub-process.js';
import { registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { agentApi } from '../helpers/client.js';
import { assertBuilt } from './cli-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let hub: StartedHub | undefined;
let browser: BrowserContext | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  killDaemons();
  await hub?.close();
  hub = undefined;
});

describe('status page in chromium', () => {
  it('shows the connection machine in live, a task actor and its queue row while it runs, then a down state after the hub is stopped', async () => {
    assertBuilt();
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    hub = await startHub();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-browser-'));
    const gate = join(skill, 'gate');
    const d = startDaemon(['daemon'], {
      HOME: skill,
      WTT_SKILL_DIR: skill,
      WTT_API_URL: hub.url,
      WTT_LOG_LEVEL: 'warn',
      // Tasks run with a command that waits for a file, so the test sees the actor while it runs.
      WTT_EXECUTOR: 'command',
      WTT_EXECUTOR_COMMAND: JSON.stringify([process.execPath, join(REPO, 'test', 'fixtures', 'task-command.mjs'), 'gate', gate]),
    });
    const pageUrl = (await d.waitFor('stdout', /status page: (\S+)/))[1] as string;
    await d.waitFor('stderr', /connection: live/);

    // A fresh profile each run (launchPersistentContext takes the --user-data-dir).
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'wtt-chromium-')), { executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pageUrl);

    const badge = page.locator('#conn');
    await badge.and(page.locator('[data-state="live"]')).waitFor({ timeout: 15_000 });
    expect(await page.locator('#agent').textContent()).toMatch(/^agent-[0-9a-f]{12} on http:\/\/127\.0\.0\.1:\d+$/);
    const connection = page.locator('li[data-actor="connection"]');
    await connection.locator('.state.active[data-path="open.live"]').waitFor({ timeout: 15_000 });
    expect(await connection.locator(':scope > code.value').textContent()).toBe('{"open":"live"}');
    expect(await page.locator('li[data-actor="runtime"] li[data-actor="router"]').count()).toBe(1);
    expect(await page.locator('#events tr').count()).toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    const live = join(ARTIFACTS, 'status-page-live.png');
    await page.screenshot({ path: live, fullPage: true });
    expect(statSync(live).size).toBeGreaterThan(1000);

    // A task dispatched here by another agent: its actor appears in the tree while it runs, and
    // goes once it is finished.
    const agentId = /^(agent-[0-9a-f]{12}) /.exec((await page.locator('#agent').textContent()) ?? '')?.[1] ?? '';
    const alice = await registerAgent(hub.url, 'alice');
    const aliceApi = agentApi(hub.url, alice);
    const task = await aliceApi.createTask({ title: 'Shown while it runs', runner_agent_id: agentId });
    await aliceApi.runTask(task.id, { runner_agent_id: agentId });
    const taskActor = page.locator(`li[data-actor="task:${task.id}"]`);
    await taskActor.waitFor({ timeout: 15_000 });
    await taskActor.locator('.state.active[data-path="doing"]').first().waitFor({ timeout: 15_000 });
    // …and in the task queue, with its phase and its last real event.
    // (the row can show up a tick before the executor's first event reaches the report)
    const row = page.locator(`#task-list tr[data-task="${task.id}"]`, { hasText: 'waiting for the gate' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toMatch(/^Shown while it runsdoing · runningrun 1waiting for the gate$/);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-task.png'), fullPage: true });
    writeFileSync(gate, 'go');
    await taskActor.locator('.state.active[data-path="review"]').first().waitFor({ timeout: 15_000 });

    await hub.close();
    hub = undefined;
    // The link is down: the first redials wait well under a second each (full jitter from 250 ms),
    // so after 3 failed dials the machine is already in `polling` (which keeps redialling). The
    // page is sampled once a second, so it may show either of the two down states; it must show one,
    // with the same state highlighted in the statechart, and never `live` again.
    const down = badge.and(page.locator('[data-state="backoff"], [data-state="polling"]'));
    await down.waitFor({ timeout: 15_000 });
    const shown = (await page.locator('#conn').getAttribute('data-state')) ?? '';
    expect(['backoff', 'polling']).toContain(shown);
    await connection.locator('.state.active[data-path^="backoff"], .state.active[data-path^="polling"]').first().waitFor({ timeout: 15_000 });
    expect(await connection.locator('.state.active[data-path="open.live"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-backoff.png'), fullPage: true });

    expect(pageErrors).toEqual([]);
    // The page asked for nothing but its own daemon.
    const origin = new URL(pageUrl).origin;
    expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    expect(await d.stop()).toBe(0);
  });
});
