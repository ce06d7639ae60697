/**
 * Open WebSocket connections by agent. A socket is registered under its path agent id as soon as
 * it opens; it receives pushes only once it is authenticated (at once in `legacy` mode).
 *
 * Slow consumers are treated as NATS treats them: a push that would take a socket's unsent bytes
 * (ws `bufferedAmount`) past `wsMaxPendingBytes` is not queued; the socket is closed with 4008
 * "slow consumer" (and dropped if the close handshake does not finish within `wsCloseGraceMs`).
 * The client catches up after it reconnects (poll / history `after`). The hub pings every socket
 * every `wsHeartbeatMs` and drops one that did not answer the previous ping.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { HubLimits } from './limits.js';

/** Close codes the hub uses (4xxx = application). */
export const WS_CLOSE = Object.freeze({
  normal: 1000,
  goingAway: 1001,
  invalidPath: 1008,
  tooBig: 1009,
  slowConsumer: 4008,
  tooManySockets: 4029,
  unauthenticated: 4401,
  forbidden: 4403,
});

export const SLOW_CONSUMER_REASON = 'slow consumer';

export interface Connection {
  readonly agentId: string;
  readonly socket: WebSocket;
  authed: boolean;
  /** Answered the last heartbeat ping (or sent anything since). */
  alive: boolean;
}

export class Connections {
  private readonly byAgent = new Map<string, Set<Connection>>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** How many sockets were closed as slow consumers (observable in tests and logs). */
  slowConsumers = 0;

  constructor(
    private readonly limits: Pick<HubLimits, 'wsMaxPendingBytes' | 'wsCloseGraceMs' | 'wsHeartbeatMs' | 'maxSocketsPerAgent'>,
    private readonly log?: Logger,
  ) {}

  add(c: Connection): void {
    let set = this.byAgent.get(c.agentId);
    if (!set) this.byAgent.set(c.agentId, (set = new Set()));
    set.add(c);
    c.socket.on('pong', () => {
      c.alive = true;
    });
  }

  remove(c: Connection): void {
    const set = this.byAgent.get(c.agentId);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.byAgent.delete(c.agentId);
  }

  /** Authenticated, open sockets of the agent other than `except`. */
  authedCount(agentId: string, except?: Connection): number {
    let n = 0;
    for (const c of this.byAgent.get(agentId) ?? []) if (c !== except && c.authed && c.socket.readyState === c.socket.OPEN) n++;
    return n;
  }

  /** May one more socket of this agent become authenticated? */
  hasRoom(agentId: string, except?: Connection): boolean {
    return this.authedCount(agentId, except) < this.limits.maxSocketsPerAgent;
  }

  /** Sends one JSON frame to every authenticated, open socket of these agents (each agent once). */
  send(agentIds: Iterable<string>, frame: Record<string, unknown>): number {
    const text = JSON.stringify(frame);
    let sent = 0;
    for (const id of new Set(agentIds)) {
      for (const c of this.byAgent.get(id) ?? []) {
        if (!c.authed || c.socket.readyState !== c.socket.OPEN) continue;
        if (this.sendText(c.socket, text)) sent++;
      }
    }
    return sent;
  }

  /**
   * Sends `text` unless that takes the socket past its budget of unsent bytes; then the socket is
   * closed as a slow consumer and false returned.
   */
  sendText(socket: WebSocket, text: string): boolean {
    if (socket.readyState !== socket.OPEN) return false;
    if (socket.bufferedAmount + Buffer.byteLength(text, 'utf8') > this.limits.wsMaxPendingBytes) {
      this.closeSlow(socket);
      return false;
    }
    socket.send(text);
    return true;
  }

  private closeSlow(socket: WebSocket): void {
    this.slowConsumers++;
    this.log?.warn({ pending_bytes: socket.bufferedAmount, limit: this.limits.wsMaxPendingBytes }, 'closing a slow consumer');
    socket.close(WS_CLOSE.slowConsumer, SLOW_CONSUMER_REASON);
    const t = setTimeout(() => socket.terminate(), this.limits.wsCloseGraceMs);
    t.unref();
    socket.once('close', () => clearTimeout(t));
  }

  /** Open sockets of one agent, or of all agents. */
  count(agentId?: string): number {
    if (agentId !== undefined) return this.open(this.byAgent.get(agentId) ?? []).length;
    let n = 0;
    for (const set of this.byAgent.values()) n += this.open(set).length;
    return n;
  }

  /** Closes every open socket of one agent with a normal close frame; returns how many. */
  closeAgent(agentId: string, code: number, reason: string): number {
    const open = this.open(this.byAgent.get(agentId) ?? []);
    for (const c of open) c.socket.close(code, reason);
    return open.length;
  }

  closeAll(code: number, reason: string): void {
    for (const set of this.byAgent.values()) for (const c of this.open(set)) c.socket.close(code, reason);
  }

  startHeartbeat(): void {
    if (this.limits.wsHeartbeatMs <= 0 || this.heartbeat) return;
    this.heartbeat = setInterval(() => this.beat(), this.limits.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** One heartbeat: drop every socket that did not answer the last ping, ping the others. */
  private beat(): void {
    for (const set of this.byAgent.values()) {
      for (const c of set) {
        if (c.socket.readyState !== c.socket.OPEN) continue;
        if (!c.alive) {
          this.log?.info({ agent_id: c.agentId }, 'dropping a socket that did not answer the heartbeat');
          c.socket.terminate();
          continue;
        }
        c.alive = false;
        c.socket.ping();
      }
    }
  }

  private open(set: Iterable<Connection>): Connection[] {
    return [...set].filter((c) => c.socket.readyState === c.socket.OPEN);
  }
}
