/** The per-address connection cap on a stand-in server (no sockets are opened). */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { capConnectionsPerAddress } from '../../src/hub/address-cap.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string) {
    super();
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

describe('hub connection cap per address', () => {
  it('drops the connection past the cap for one address, counts addresses apart, frees a slot on close, and leaves exempt addresses alone', () => {
    const server = new EventEmitter();
    const warned: unknown[] = [];
    capConnectionsPerAddress(server as never, 2, { warn: (o: unknown) => warned.push(o) } as never, ['127.0.0.1']);
    const connect = (addr: string) => {
      const s = new FakeSocket(addr);
      server.emit('connection', s as unknown as Socket);
      return s;
    };
    const a1 = connect('203.0.113.5');
    const a2 = connect('203.0.113.5');
    const a3 = connect('203.0.113.5');
    expect([a1.destroyed, a2.destroyed, a3.destroyed]).toEqual([false, false, true]);
    expect(connect('198.51.100.7').destroyed).toBe(false);
    a1.emit('close');
    expect(connect('203.0.113.5').destroyed).toBe(false);
    const local = Array.from({ length: 10 }, () => connect('127.0.0.1'));
    expect(local.some((s) => s.destroyed)).toBe(false);
    expect(warned).toHaveLength(1);
  });
});
