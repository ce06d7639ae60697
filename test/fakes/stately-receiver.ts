/**
 * Stands in for the Stately inspector UI's receiver: a WebSocket server on 127.0.0.1 (port 0)
 * that keeps every inspection event it is sent, as parsed JSON and as the raw text.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface ReceivedEvent {
  type: string;
  name?: string;
  sessionId?: string;
  parentId?: string;
  event?: { type?: string };
  snapshot?: { value?: unknown; status?: string; context?: unknown };
}

export interface FakeStatelyReceiver {
  url: string;
  port: number;
  events: ReceivedEvent[];
  raw(): string;
  waitFor(pred: (e: ReceivedEvent, all: ReceivedEvent[]) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): Promise<void>;
}

export async function startStatelyReceiver(port = 0): Promise<FakeStatelyReceiver> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const events: ReceivedEvent[] = [];
  const texts: string[] = [];
  const waiters: Array<() => void> = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      texts.push(text);
      events.push(JSON.parse(text) as ReceivedEvent);
      for (const w of waiters.splice(0)) w();
    });
  });
  const actual = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${actual}`,
    port: actual,
    events,
    raw: () => texts.join('\n'),
    waitFor(pred, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching inspection event among ${events.length}: ${[...new Set(events.map((e) => `${e.type}:${e.name ?? e.event?.type ?? ''}`))].slice(0, 40).join(', ')}`)), timeoutMs);
        const check = () => {
          const hit = events.find((e) => pred(e, events));
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
