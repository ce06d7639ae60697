/**
 * Carries Stately inspection events to a WebSocket on loopback (the Stately inspector's receiver).
 *
 * Why not the adapter inside `createWebSocketInspector` (@statelyai/inspect 0.7.2): after an error
 * it reconnects every 5 s with a timer that `stop()` cannot cancel (a stopped daemon would dial again
 * and never exit), it never reconnects after a clean close, and it sends its whole buffer again on
 * every reconnect. This one reconnects with a growing, unref'd delay (1 s → 30 s), sends each
 * buffered event once, keeps at most `maxBuffered` (the oldest dropped and counted), and stops for good.
 */
import WebSocket from 'ws';

export interface InspectionSink {
  send(event: object): void;
}

export interface WsAdapterOptions {
  url: string;
  maxBuffered?: number;
  onState?: (state: 'open' | 'closed', detail?: string) => void;
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export class LoopbackWsAdapter implements InspectionSink {
  private ws: WebSocket | undefined;
  private open = false;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private buffer: string[] = [];
  /** Events dropped because the buffer was full while the receiver was away. */
  dropped = 0;
  sent = 0;

  constructor(private readonly opts: WsAdapterOptions) {}

  start(): void {
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(this.opts.url, { handshakeTimeout: 5_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.open = true;
      this.retryMs = RETRY_MIN_MS;
      this.opts.onState?.('open');
      const queued = this.buffer.splice(0);
      for (const text of queued) this.write(text);
    });
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      const wasOpen = this.open;
      this.open = false;
      this.ws = undefined;
      if (wasOpen) this.opts.onState?.('closed', `code ${code}`);
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, this.retryMs);
      this.timer.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    });
  }

  private write(text: string): void {
    this.ws?.send(text);
    this.sent++;
  }

  send(event: object): void {
    if (this.stopped) return;
    const text = JSON.stringify(event);
    if (this.open) {
      this.write(text);
      return;
    }
    this.buffer.push(text);
    const max = this.opts.maxBuffered ?? 1_000;
    if (this.buffer.length > max) {
      this.buffer.shift();
      this.dropped++;
    }
  }

  /** Closes the socket (after what was already handed to it) and never dials again. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.buffer = [];
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1_000);
      done.unref();
      ws.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'wtt daemon stopping');
    });
  }
}
