/**
 * At most `max` open TCP connections (HTTP keep-alive and WebSocket alike) from one client
 * address, except the `exempt` addresses. One more is dropped at once, before any byte of it is read.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

export function capConnectionsPerAddress(server: Pick<Server, 'on'>, max: number, log: Pick<Logger, 'warn'>, exempt: readonly string[] = []): void {
  const open = new Map<string, number>();
  const free = new Set(exempt);
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? 'unknown';
    if (free.has(addr)) return;
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      log.warn({ address: addr, limit: max }, 'too many connections from one address; dropped');
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}
