/**
 * The preview's destination rules as units: the address classifier, the allow list, the checked
 * DNS lookup (fed by a fake resolver, so no name is really resolved) and the connector's refusal of
 * IP literals. Nothing here opens a connection to any address.
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { addressClass, AllowList, checkedLookup, DestinationRefused, guardedConnector, isPublicAddress, refusal } from '../../src/hub/preview/destination.js';

const refusedSpellings: Record<string, string[]> = {
  loopback: ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0x7f.0.0.1', '127.255.255.254', '127.0.0.1.', '::1', '[::1]', '0:0:0:0:0:0:0:1'],
  private: ['10.0.0.1', '10.255.255.255', '012.0.0.1', '167772161', '172.16.0.1', '172.31.255.254', '192.168.0.1', '192.168.255.255', '0xc0a80001'],
  linkLocal: ['169.254.169.254', '169.254.0.1', '2852039166', 'fe80::1', '[fe80::a9fe:a9fe]', 'febf::1'],
  carrierGradeNat: ['100.64.0.1', '100.127.255.254'],
  multicast: ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff05::2'],
  unspecified: ['0.0.0.0', '0', '::', '[::]', '0:0:0:0:0:0:0:0'],
  broadcast: ['255.255.255.255'],
  uniqueLocal: ['fc00::1', 'fd12:3456::1'],
  ipv4Mapped: ['::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::ffff:8.8.8.8'],
  reserved: ['240.0.0.1', '192.0.0.8', '198.18.0.1'],
  rfc6052: ['64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe'],
  '6to4': ['2002:7f00:1::1', '2002:a00:1::'],
  teredo: ['2001::1'],
};

describe('preview destination classifier', () => {
  for (const [cls, spellings] of Object.entries(refusedSpellings)) {
    it(`refuses ${cls} addresses in every spelling`, () => {
      for (const s of spellings) {
        expect(addressClass(s), s).toBe(cls);
        expect(isPublicAddress(s), s).toBe(false);
        expect(refusal(s, 80, new AllowList([])), s).toBe(`${cls} addresses are refused`);
      }
    });
  }

  it('takes public unicast addresses, IPv4 and IPv6', () => {
    for (const s of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '172.15.255.255', '100.128.0.1', '2606:4700:4700::1111', '[2001:4860:4860::8888]']) {
      expect(isPublicAddress(s), s).toBe(true);
      expect(refusal(s, 443, new AllowList([])), s).toBeUndefined();
    }
  });

  it('does not take host names for addresses', () => {
    for (const s of ['localhost', 'localhost.', 'example.org', 'metadata.google.internal', '']) {
      expect(addressClass(s), s).toBeUndefined();
      expect(isPublicAddress(s), s).toBe(false);
    }
  });
});

describe('preview allow list', () => {
  it('allows listed IPs, CIDR blocks and IP:port, and nothing next to them', () => {
    const allow = new AllowList(['10.0.0.5', '192.168.1.0/24', '127.0.0.1:8080', '[::1]:9000', 'fd00::/8']);
    expect(refusal('10.0.0.5', 80, allow)).toBeUndefined();
    expect(refusal('10.0.0.6', 80, allow)).toBe('private addresses are refused');
    expect(refusal('192.168.1.77', 80, allow)).toBeUndefined();
    expect(refusal('192.168.2.1', 80, allow)).toBe('private addresses are refused');
    expect(refusal('127.0.0.1', 8080, allow)).toBeUndefined();
    expect(refusal('127.0.0.1', 8081, allow)).toBe('loopback addresses are refused');
    expect(refusal('::1', 9000, allow)).toBeUndefined();
    expect(refusal('::1', 80, allow)).toBe('loopback addresses are refused');
    expect(refusal('fd12::1', 80, allow)).toBeUndefined();
    // An IPv4 entry does not open its IPv4-mapped IPv6 form.
    expect(refusal('::ffff:10.0.0.5', 80, allow)).toBe('ipv4Mapped addresses are refused');
  });

  it('allows listed host names, with or without a port and trailing dot', () => {
    const allow = new AllowList(['wiki.internal', 'intranet.example:8443']);
    expect(allow.allowsHost('wiki.internal', 80)).toBe(true);
    expect(allow.allowsHost('WIKI.internal.', 443)).toBe(true);
    expect(allow.allowsHost('intranet.example', 8443)).toBe(true);
    expect(allow.allowsHost('intranet.example', 443)).toBe(false);
    expect(allow.allowsHost('other.internal', 80)).toBe(false);
  });

  it('refuses entries it cannot read', () => {
    for (const bad of ['', 'not a host', '10.0.0.1:0', '10.0.0.1:99999', 'http://x']) expect(() => new AllowList([bad]), bad).toThrow(TypeError);
  });
});

type Answer = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number | undefined };

/** Runs the checked lookup against a resolver that answers `addresses` for every name. */
function lookupWith(addresses: LookupAddress[], allow: string[] = [], port = 80, all = true): Promise<Answer> {
  const resolve = (_host: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => cb(null, addresses);
  return new Promise((done) => checkedLookup(port, new AllowList(allow), resolve)('site.example', { all }, (err, address, family) => done({ err, address, family })));
}

describe('preview resolved-address check (fake resolver)', () => {
  it('refuses a name when any of its addresses is private, in every class', async () => {
    for (const [cls, spellings] of Object.entries(refusedSpellings)) {
      const address = spellings.find((s) => !s.startsWith('[') && /^[\d.]+$|:/.test(s) && !/^0x|^0\d|^\d+$/.test(s)) ?? spellings[0];
      const r = await lookupWith([{ address: '93.184.216.34', family: 4 }, { address: address as string, family: (address as string).includes(':') ? 6 : 4 }]);
      expect(r.err, `${cls} ${address}`).toBeInstanceOf(DestinationRefused);
      expect(r.err?.message).toContain(`${cls} addresses are refused`);
    }
  });

  it('hands the socket exactly the addresses it checked', async () => {
    const public2 = [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }];
    const all = await lookupWith(public2);
    expect(all.err).toBeNull();
    expect(all.address).toEqual(public2);
    const one = await lookupWith(public2, [], 80, false);
    expect(one).toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });

  it('lets a listed address or host through, on the listed port only', async () => {
    expect((await lookupWith([{ address: '10.1.2.3', family: 4 }], ['10.0.0.0/8'])).err).toBeNull();
    expect((await lookupWith([{ address: '127.0.0.1', family: 4 }], ['127.0.0.1:8080'], 8080)).err).toBeNull();
    expect((await lookupWith([{ address: '127.0.0.1', family: 4 }], ['127.0.0.1:8080'], 8081)).err).toBeInstanceOf(DestinationRefused);
    expect((await lookupWith([{ address: '10.1.2.3', family: 4 }], ['site.example'])).err).toBeNull();
  });

  it('refuses a rebinding answer: the same name checked again gets the new answer checked again', async () => {
    let n = 0;
    const answers: LookupAddress[][] = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    const resolve = (_h: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => cb(null, answers[n++] ?? []);
    const look = checkedLookup(80, new AllowList([]), resolve);
    const run = () => new Promise<NodeJS.ErrnoException | null>((done) => look('rebind.example', { all: true }, (err) => done(err)));
    expect(await run()).toBeNull();
    expect(await run()).toBeInstanceOf(DestinationRefused);
  });
});

describe('preview connector', () => {
  it('refuses IP literals of every refused class without connecting', async () => {
    // The underlying connector is a stand-in that only records: nothing here can open a socket.
    const attempts: string[] = [];
    const build = () => (o: { hostname: string }, cb: (...args: [Error, null]) => void) => {
      attempts.push(o.hostname);
      cb(new Error('stand-in: would connect'), null);
    };
    const connect = guardedConnector(new AllowList([]), { timeoutMs: 1000, build: build as never });
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:7f00:1]', '169.254.169.254', '10.0.0.1', '0.0.0.0', '[fe80::1]', '100.64.0.1', '224.0.0.1']) {
      const err = await new Promise<Error | null>((done) => connect({ hostname: host, host, protocol: 'http:', port: '80' }, (...args) => done(args[0])));
      expect(err, host).toBeInstanceOf(DestinationRefused);
    }
    expect(attempts).toEqual([]);
    // A public literal and a name go on to the (stand-in) connector; the name with the checked lookup.
    await new Promise((done) => connect({ hostname: '93.184.216.34', host: '93.184.216.34', protocol: 'https:', port: '' }, (...args) => done(args[0])));
    await new Promise((done) => connect({ hostname: 'site.example', host: 'site.example', protocol: 'http:', port: '80' }, (...args) => done(args[0])));
    expect(attempts).toEqual(['93.184.216.34', 'site.example']);
  });
});

describe('preview localhost names', () => {
  it('refuses localhost names before resolving them', async () => {
    let asked = 0;
    const resolve = (_h: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
      asked++;
      cb(null, [{ address: '93.184.216.34', family: 4 }]);
    };
    const look = checkedLookup(80, new AllowList([]), resolve);
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'localhost..', 'api.localhost', 'x.y.localhost.']) {
      const err = await new Promise<NodeJS.ErrnoException | null>((done) => look(name, { all: true }, (e) => done(e)));
      expect(err, name).toBeInstanceOf(DestinationRefused);
    }
    expect(asked).toBe(0);
  });
});
