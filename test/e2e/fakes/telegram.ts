/**
 * A fake Telegram Bot API on 127.0.0.1 for the OpenClaw end-to-end test. OpenClaw's Telegram
 * channel is pointed at it with `channels.telegram.apiRoot`. It answers `getMe`, long-polls
 * `getUpdates` with the updates a test injects (text messages and button clicks, `callback_query`),
 * records every `sendMessage` (with its inline keyboard), `editMessageText`,
 * `editMessageReplyMarkup` and `answerCallbackQuery`, and answers `true` to the other housekeeping
 * calls (deleteWebhook, setMyCommands, sendChatAction, ...).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  chat_id: string;
  text: string;
  parse_mode?: string;
  /** The message_id the fake answered with (what the gateway reports as `messageId`). */
  message_id: number;
  /** Epoch ms when the fake received it. */
  at: number;
  /** `reply_markup.inline_keyboard` as sent, when the message carries buttons. */
  inline_keyboard?: InlineButton[][];
}

export interface InlineButton {
  text: string;
  callback_data?: string;
}

export interface ShownMessage {
  chat_id: string;
  text: string;
  inline_keyboard?: InlineButton[][];
  /** Epoch ms of the sendMessage. */
  at: number;
}

/** One editMessageText / editMessageReplyMarkup / answerCallbackQuery call, as received. */
export interface BotCall {
  method: 'editMessageText' | 'editMessageReplyMarkup' | 'answerCallbackQuery';
  chat_id?: string;
  message_id?: number;
  text?: string;
  callback_query_id?: string;
  inline_keyboard?: InlineButton[][];
  /** The raw parameters, for the logs. */
  params: Record<string, unknown>;
  at: number;
}

export interface FakeUser {
  id: number;
  first_name: string;
  username: string;
}

export interface FakeTelegram {
  apiRoot: string;
  port: number;
  /** Every Bot API method called, in order (for failure messages). */
  calls: string[];
  sent: SentMessage[];
  /** Every edit and callback answer, in order. */
  edits: BotCall[];
  /** What the chat shows now for a bot message (its edits applied), by message_id. */
  shown: Map<number, ShownMessage>;
  /** Queues a private-chat text message from `user`; returns its update_id. */
  sendUserText(user: FakeUser, text: string): number;
  /**
   * Queues a click by `user` on a button with callback data `data` under the bot's message
   * `message` (a `callback_query` update); returns the callback query's id.
   */
  clickButton(user: FakeUser, message: SentMessage, data: string): string;
  /** Resolves with the first edit or callback answer after index `since` of `edits` that `match` accepts. */
  editMatching(since: number, match: (c: BotCall) => boolean, timeoutMs: number): Promise<BotCall>;
  /** Resolves with the first sendMessage to `chatId` after index `since` of `sent`. */
  nextSent(chatId: string, since: number, timeoutMs: number): Promise<SentMessage>;
  /** Resolves with the first sendMessage after index `since` of `sent` that `match` accepts. */
  sentMatching(since: number, match: (m: SentMessage) => boolean, timeoutMs: number): Promise<SentMessage>;
  close(): Promise<void>;
}

export const BOT = { id: 7_000_001, is_bot: true, first_name: 'WTT Test Bot', username: 'wtt_test_bot' } as const;

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return {};
}

function queryParams(url: URL): Record<string, unknown> {
  return Object.fromEntries(url.searchParams);
}

/** `reply_markup.inline_keyboard` from an object or a JSON string (form-encoded calls). */
function keyboardOf(markup: unknown): InlineButton[][] | undefined {
  let m = markup;
  if (typeof m === 'string') {
    try {
      m = JSON.parse(m) as unknown;
    } catch {
      return undefined;
    }
  }
  const rows = m && typeof m === 'object' ? (m as { inline_keyboard?: unknown }).inline_keyboard : undefined;
  if (!Array.isArray(rows)) return undefined;
  return rows.map((row: unknown) =>
    (Array.isArray(row) ? row : []).map((b: unknown) => {
      const o = (b && typeof b === 'object' ? b : {}) as { text?: unknown; callback_data?: unknown };
      return { text: String(o.text ?? ''), ...(typeof o.callback_data === 'string' ? { callback_data: o.callback_data } : {}) };
    }),
  );
}

export async function startFakeTelegram(token: string): Promise<FakeTelegram> {
  const updates: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const calls: string[] = [];
  const sent: SentMessage[] = [];
  const sentWaiters = new Set<() => void>();
  const edits: BotCall[] = [];
  const shown = new Map<number, ShownMessage>();
  const editWaiters = new Set<() => void>();
  let nextUpdateId = 1;
  let nextCallbackId = 1;
  let nextMessageId = 1000;
  const wake = (set: Set<() => void>) => {
    for (const w of [...set]) w();
  };

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2] ?? '';
    calls.push(method);
    readBody(req)
      .then((body) => {
        const p = { ...queryParams(url), ...body };
        switch (method) {
          case 'getMe':
            return reply(res, 200, { ok: true, result: { ...BOT, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
          case 'getUpdates': {
            const offset = Number(p.offset ?? 0);
            const timeoutS = Math.min(Number(p.timeout ?? 0), 30);
            const pending = () => updates.filter((u) => Number(u.update_id) >= offset);
            const answer = () => reply(res, 200, { ok: true, result: pending() });
            if (pending().length > 0 || timeoutS <= 0) return answer();
            const done = () => {
              clearTimeout(timer);
              waiters.delete(done);
              req.off('close', done);
              if (!res.writableEnded) answer();
            };
            const timer = setTimeout(done, timeoutS * 1000);
            waiters.add(done);
            req.on('close', done);
            return;
          }
          case 'sendMessage': {
            const chatId = String(p.chat_id);
            const text = String(p.text ?? '');
            const id = nextMessageId++;
            const keyboard = keyboardOf(p.reply_markup);
            sent.push({
              chat_id: chatId,
              text,
              ...(typeof p.parse_mode === 'string' ? { parse_mode: p.parse_mode } : {}),
              message_id: id,
              at: Date.now(),
              ...(keyboard ? { inline_keyboard: keyboard } : {}),
            });
            shown.set(id, { chat_id: chatId, text, at: Date.now(), ...(keyboard ? { inline_keyboard: keyboard } : {}) });
            wake(sentWaiters);
            return reply(res, 200, {
              ok: true,
              result: {
                message_id: id,
                date: Math.floor(Date.now() / 1000),
                chat: { id: Number(chatId), type: 'private' },
                from: BOT,
                text,
                ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
              },
            });
          }
          case 'editMessageText':
          case 'editMessageReplyMarkup':
          case 'answerCallbackQuery': {
            const keyboard = keyboardOf(p.reply_markup);
            const call: BotCall = {
              method,
              ...(p.chat_id !== undefined ? { chat_id: String(p.chat_id) } : {}),
              ...(p.message_id !== undefined ? { message_id: Number(p.message_id) } : {}),
              ...(typeof p.text === 'string' ? { text: p.text } : {}),
              ...(p.callback_query_id !== undefined ? { callback_query_id: String(p.callback_query_id) } : {}),
              ...(keyboard ? { inline_keyboard: keyboard } : {}),
              params: p,
              at: Date.now(),
            };
            edits.push(call);
            wake(editWaiters);
            if (method === 'answerCallbackQuery') return reply(res, 200, { ok: true, result: true });
            const original = call.message_id === undefined ? undefined : shown.get(call.message_id);
            if (!original || original.chat_id !== call.chat_id) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
            if (method === 'editMessageText' && call.text !== undefined) original.text = call.text;
            if (keyboard) original.inline_keyboard = keyboard;
            else if (method === 'editMessageReplyMarkup' || p.reply_markup === undefined) delete original.inline_keyboard;
            return reply(res, 200, {
              ok: true,
              result: {
                message_id: call.message_id,
                date: Math.floor(original.at / 1000),
                edit_date: Math.floor(Date.now() / 1000),
                chat: { id: Number(original.chat_id), type: 'private' },
                from: BOT,
                text: original.text,
                ...(original.inline_keyboard ? { reply_markup: { inline_keyboard: original.inline_keyboard } } : {}),
              },
            });
          }
          default:
            return reply(res, 200, { ok: true, result: true });
        }
      })
      .catch((e: unknown) => reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${(e as Error).message}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const sentMatching = (since: number, match: (m: SentMessage) => boolean, timeoutMs: number): Promise<SentMessage> => {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = sent.slice(since).find(match);
        if (!hit) return false;
        clearTimeout(timer);
        sentWaiters.delete(check);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        sentWaiters.delete(check);
        reject(new Error(`no matching sendMessage within ${timeoutMs} ms; Bot API calls: ${calls.slice(-30).join(', ')}`));
      }, timeoutMs);
      if (!check()) sentWaiters.add(check);
    });
  };

  const editMatching = (since: number, match: (c: BotCall) => boolean, timeoutMs: number): Promise<BotCall> => {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = edits.slice(since).find(match);
        if (!hit) return false;
        clearTimeout(timer);
        editWaiters.delete(check);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        editWaiters.delete(check);
        reject(new Error(`no matching edit within ${timeoutMs} ms; Bot API calls: ${calls.slice(-30).join(', ')}`));
      }, timeoutMs);
      if (!check()) editWaiters.add(check);
    });
  };

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    port,
    calls,
    sent,
    edits,
    shown,
    editMatching,
    clickButton(user, sentMessage, data) {
      const id = `cbq-${nextCallbackId++}`;
      const message = { ...sentMessage, ...shown.get(sentMessage.message_id) };
      updates.push({
        update_id: nextUpdateId++,
        callback_query: {
          id,
          from: { id: user.id, is_bot: false, first_name: user.first_name, username: user.username, language_code: 'en' },
          message: {
            message_id: message.message_id,
            date: Math.floor(message.at / 1000),
            chat: { id: Number(message.chat_id), type: 'private', first_name: user.first_name, username: user.username },
            from: BOT,
            text: message.text,
            ...(message.inline_keyboard ? { reply_markup: { inline_keyboard: message.inline_keyboard } } : {}),
          },
          chat_instance: `ci-${message.chat_id}`,
          data,
        },
      });
      wake(waiters);
      return id;
    },
    sendUserText(user, text) {
      const update_id = nextUpdateId++;
      updates.push({
        update_id,
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: user.id, type: 'private', first_name: user.first_name, username: user.username },
          from: { id: user.id, is_bot: false, first_name: user.first_name, username: user.username, language_code: 'en' },
          text,
        },
      });
      wake(waiters);
      return update_id;
    },
    nextSent(chatId, since, timeoutMs) {
      return sentMatching(since, (s) => s.chat_id === chatId, timeoutMs);
    },
    sentMatching,
    close() {
      wake(waiters);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
