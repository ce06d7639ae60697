/**
 * Open WebSocket connections by agent. A socket is registered under its path agent id as soon as
 * it opens; it receives pushes only once it is authenticated (at once in `legacy` mode).
 */
import type { WebSocket } from 'ws';

export interface Connection {
  readonly agentId: string;
  readonly socket: WebSocket;
  authed: boolean;
}

export class Connections {
  private readonly byAgent = new Map<string, Set<Connection>>();

  add(c: Connection): void {
    let set = this.byAgent.get(c.agentId);
    if (!set) this.byAgent.set(c.agentId, (set = new Set()));
    set.add(c);
  }

  remove(c: Connection): void {
    const set = this.byAgent.get(c.agentId);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.byAgent.delete(c.agentId);
  }

  /** Sends one JSON frame to every authenticated, open socket of these agents (each agent once). */
  send(agentIds: Iterable<string>, frame: Record<string, unknown>): number {
    const text = JSON.stringify(frame);
    let sent = 0;
    for (const id of new Set(agentIds)) {
      for (const c of this.byAgent.get(id) ?? []) {
        if (!c.authed || c.socket.readyState !== c.socket.OPEN) continue;
        c.socket.send(text);
        sent++;
      }
    }
    return sent;
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

  private open(set: Iterable<Connection>): Connection[] {
    return [...set].filter((c) => c.socket.readyState === c.socket.OPEN);
  }
}
