/**
 * Catch-up (issue 4): on every (re)connect and at start, before any live frame is processed.
 * For each subscribed topic, the history newer than the topic's persisted cursor — with the hub's
 * `after` extension when `/health` lists `history_after`, otherwise paging back with `before` until
 * the cursor is reached — then the poll endpoint (p2p and topics we did not know). Messages go to
 * the intake oldest first per topic; the intake dedupes.
 *
 * First start (an empty state file): "start from now" — every topic's cursor is set to its newest
 * message and the poll backlog is drained, nothing is handed on. A topic met later without a cursor
 * (joined while we were down): its messages newer than the newest message we ever handed on
 * (the store's watermark) are handed on.
 */
import { Message } from '../protocol/index.js';
import { isWttError, WttError } from '../errors.js';
import type { WttApi } from '../client/api.js';
import type { Logger } from '../log.js';
import { messageIssues, type Intake, type IntakeSource } from './intake.js';
import type { StateStore } from './store.js';

export const CATCHUP_DEFAULTS = Object.freeze({
  pageLimit: 100,
  /** Pages per topic (and poll rounds) per catch-up; the rest comes with the next one. */
  maxPages: 100,
  /**
   * Topics caught up at once. Each topic's pages stay in order; topics are independent. A daemon
   * that runs many tasks is a member of a topic per task: 1,000 of them one after another took
   * ~1.3 s of round trips here.
   */
  topicsInFlight: 8,
  /**
   * The most topics one `/topics/subscribed` answer lists (the server's cap). A full answer may
   * leave topics out (a daemon that runs a task a second passes 1,000 task topics in 17 minutes, and
   * the newest joined come first): the topics this state file holds a cursor for are then caught up
   * as well, so a topic joined long ago is not skipped.
   */
  topicsLimit: 1000,
});

export interface PollDeps {
  api: WttApi;
  intake: Intake;
  log?: Logger | undefined;
  signal?: AbortSignal | undefined;
  pageLimit?: number | undefined;
  /** Record without handing on (first start). */
  skipAll?: boolean | undefined;
}

export interface CatchUpDeps extends Omit<PollDeps, 'skipAll'> {
  store: StateStore;
  /** The server's features (from `/health`, see `serverFeatures`); fetched once per link, not per catch-up. */
  features: readonly string[];
  /** Topics asked of `/topics/subscribed` (default `CATCHUP_DEFAULTS.topicsLimit`). */
  topicsLimit?: number | undefined;
}

export interface CatchUpReport {
  delivered: number;
  topics: number;
  /** First start: topics whose cursor was set without handing anything on. */
  started: number;
}

const INITIALIZED = 'catchup_initialized';

/** False until the first catch-up (or first poll round) of this state file has set the starting point. */
export function isInitialized(store: StateStore): boolean {
  return store.getKv(INITIALIZED) === '1';
}
export function markInitialized(store: StateStore): void {
  store.setKv(INITIALIZED, '1');
}

/** One item from the wire, validated once: the message, or why it is not one. */
type Item = { m: Message; idx: number } | { m: undefined; invalid: string; idx: number };

/** Oldest first: by `seq` when both have one, else by created_at, else by arrival. */
function byAge(a: Item, b: Item): number {
  const sa = a.m?.seq;
  const sb = b.m?.seq;
  if (typeof sa === 'number' && typeof sb === 'number') return sa - sb;
  const ta = a.m?.created_at ? Date.parse(a.m.created_at) : NaN;
  const tb = b.m?.created_at ? Date.parse(b.m.created_at) : NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
  return a.idx - b.idx;
}

function items(raws: readonly unknown[]): Item[] {
  return raws.map((raw, idx) => {
    const r = Message.safeParse(raw);
    return r.success ? { m: r.data, idx } : { m: undefined, invalid: messageIssues(r.error), idx };
  });
}

/**
 * Hand a batch to the intake oldest first (invalid items are counted and reported there; `skipAll`
 * records without handing on). Returns how many were handed on.
 */
function handOn(intake: Intake, list: Item[], source: IntakeSource, signal: AbortSignal | undefined, skipAll = false): number {
  let delivered = 0;
  let batch: Message[] = [];
  const commit = () => {
    if (batch.length > 0) delivered += intake.acceptMany(batch, source).delivered;
    batch = [];
  };
  for (const it of list.sort(byAge)) {
    signal?.throwIfAborted();
    if (!it.m) intake.invalid(it.invalid, source);
    else if (skipAll) intake.skip(it.m);
    else {
      // Group commit: one transaction per page-sized batch, in age order.
      batch.push(it.m);
      if (batch.length >= GROUP_COMMIT_MAX) commit();
    }
  }
  commit();
  return delivered;
}

/** The most messages one catch-up commit takes. */
const GROUP_COMMIT_MAX = 500;

export async function serverFeatures(api: WttApi, signal?: AbortSignal): Promise<readonly string[]> {
  try {
    return (await api.health({ signal })).features;
  } catch (e) {
    if (isWttError(e) && e.status !== undefined) return [];
    throw e;
  }
}

export async function catchUp(deps: CatchUpDeps): Promise<CatchUpReport> {
  const { api, intake, store, log, signal } = deps;
  const limit = deps.pageLimit ?? CATCHUP_DEFAULTS.pageLimit;
  const { maxPages } = CATCHUP_DEFAULTS;
  const topicsLimit = deps.topicsLimit ?? CATCHUP_DEFAULTS.topicsLimit;
  const hasAfter = deps.features.includes('history_after');
  const initialized = isInitialized(store);
  const report: CatchUpReport = { delivered: 0, topics: 0, started: 0 };
  const c = { signal };
  intake.beginCatchUp();

  const hand = (list: Item[]) => {
    report.delivered += handOn(intake, list, 'catchup', signal);
  };

  /** Page back from the newest message until `reached` holds (or the history ends). */
  const pageBack = async (topicId: string, reached: (m: Message) => boolean): Promise<Item[]> => {
    const out: Item[] = [];
    let before: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const { items: raws, truncated } = await api.topicMessagesRaw(topicId, { limit, before }, c);
      const batch = items(raws).sort(byAge);
      // A page cut at the hub's size cap is short but not the end.
      let done = raws.length < limit && !truncated;
      for (const it of batch) {
        if (it.m && reached(it.m)) done = true;
        else out.push(it);
      }
      const oldest = batch.find((it) => it.m)?.m;
      if (done || !oldest) break;
      before = oldest.id;
    }
    return out.map((it, idx) => ({ ...it, idx }));
  };

  let topics: Array<{ id: string }>;
  try {
    topics = await api.subscribedTopics({ limit: topicsLimit }, c);
  } catch (e) {
    if (isWttError(e, 'WTT_ERR_NOT_FOUND')) topics = [];
    else throw e;
  }
  if (topics.length >= topicsLimit) {
    // The list may be cut: add every topic this state file has followed before.
    const listed = new Set(topics.map((t) => t.id));
    const known = store.cursors().filter((k) => !listed.has(k.topic_id));
    if (known.length > 0) log?.info({ listed: topics.length, added: known.length }, 'subscribed topics list is full; catching up known topics too');
    topics = [...topics, ...known.map((k) => ({ id: k.topic_id }))];
  }
  report.topics = topics.length;

  const one = async (t: { id: string }): Promise<void> => {
    signal?.throwIfAborted();
    try {
      const cursor = store.cursor(t.id);
      if (!cursor) {
        if (!initialized) {
          const newest = items((await api.topicMessagesRaw(t.id, { limit: 1 }, c)).items).find((it) => it.m)?.m;
          signal?.throwIfAborted();
          if (newest) intake.skip(newest);
          report.started++;
          return;
        }
        const wm = store.getKv('watermark');
        const wmMs = wm ? Date.parse(wm) : NaN;
        hand(await pageBack(t.id, (m) => !Number.isNaN(wmMs) && m.created_at !== undefined && Date.parse(m.created_at) <= wmMs));
        return;
      }
      const olderThanCursor = (m: Message) =>
        m.id === cursor.message_id ||
        (cursor.seq !== null && typeof m.seq === 'number' && m.seq <= cursor.seq) ||
        (cursor.seq === null && cursor.created_at !== null && m.created_at !== undefined && Date.parse(m.created_at) < Date.parse(cursor.created_at));
      if (hasAfter) {
        let after = cursor.message_id;
        let fellBack = false;
        for (let page = 0; page < maxPages; page++) {
          let raws: unknown[];
          let truncated: boolean;
          try {
            ({ items: raws, truncated } = await api.topicMessagesRaw(t.id, { after, limit }, c));
          } catch (e) {
            // The cursor's message is gone (or the server ignores `after`): page back instead.
            if (isWttError(e, 'WTT_ERR_NOT_FOUND') && page === 0) {
              fellBack = true;
              break;
            }
            throw e;
          }
          const batch = items(raws);
          hand(batch);
          const last = batch.filter((it) => it.m).sort(byAge).at(-1)?.m;
          if ((raws.length < limit && !truncated) || !last) break;
          after = last.id;
        }
        if (!fellBack) return;
        log?.warn({ topic_id: t.id }, 'history cursor unknown to the server; paging back instead');
      }
      hand(await pageBack(t.id, olderThanCursor));
    } catch (e) {
      if (isWttError(e, 'WTT_ERR_NOT_FOUND') || isWttError(e, 'WTT_ERR_AUTH_REJECTED')) {
        log?.warn({ topic_id: t.id, err: (e as Error).message }, 'topic history unavailable; skipped');
        return;
      }
      throw e;
    }
  };

  // A few topics at a time; the first failure stops taking new ones and fails the catch-up.
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (next < topics.length && !failure) {
      const t = topics[next++] as { id: string };
      try {
        await one(t);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CATCHUP_DEFAULTS.topicsInFlight, topics.length) }, worker));
  if (failure) throw failure.e;

  report.delivered += await drainPoll({ api, intake, log, signal, pageLimit: limit, skipAll: !initialized });
  signal?.throwIfAborted();
  // Nothing held back may stay behind a "done" catch-up: while the disk is full, fail it, so the
  // connection backs off and catches up again (from the same cursors) until there is room.
  if (intake.blockedByStorage) {
    throw new WttError('WTT_ERR_STORE', { message: store.health.report().error ?? 'the state file cannot be written; catching up again after a backoff' });
  }
  if (!initialized) markInitialized(store);
  return report;
}

/**
 * The poll endpoint until it runs dry (at most `maxPages` rounds); per topic oldest first.
 * `skipAll` records without handing on (first start). Returns how many were handed on.
 */
export async function drainPoll(deps: PollDeps): Promise<number> {
  const { api, intake, log, signal } = deps;
  const limit = deps.pageLimit ?? CATCHUP_DEFAULTS.pageLimit;
  let delivered = 0;
  for (let round = 0; round < CATCHUP_DEFAULTS.maxPages; round++) {
    signal?.throwIfAborted();
    let raws: unknown[];
    let truncated: boolean;
    try {
      const page = await api.pollRaw({ limit }, { signal });
      raws = page.messages;
      truncated = page.truncated === true;
    } catch (e) {
      if (isWttError(e) && e.status !== undefined && e.status !== 429 && e.status < 500) {
        log?.warn({ err: e.message }, 'poll endpoint unavailable; skipped');
        return delivered;
      }
      throw e;
    }
    const invalid: Item[] = [];
    const byTopic = new Map<string, Item[]>();
    for (const it of items(raws)) {
      if (!it.m) {
        invalid.push(it);
        continue;
      }
      const list = byTopic.get(it.m.topic_id) ?? [];
      list.push(it);
      byTopic.set(it.m.topic_id, list);
    }
    handOn(intake, invalid, 'poll', undefined);
    for (const list of byTopic.values()) delivered += handOn(intake, list, 'poll', signal, deps.skipAll);
    if (raws.length < limit && !truncated) break;
  }
  return delivered;
}
