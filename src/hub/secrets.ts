/**
 * Credentials at rest and on the wire: agent tokens and api keys are kept as sha256 hashes,
 * passwords with scrypt, user bearer tokens are HS256 JWTs signed with a secret that is generated
 * once into `<dataDir>/hub.secret` (mode 0600).
 */
import { createHash, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_FILE = 'hub.secret';
/** Lifetime of a user bearer token. */
export const USER_TOKEN_TTL_S = 30 * 24 * 3600;

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32 } as const;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hub's signing secret: read, or created once with mode 0600. */
export function loadOrCreateSecret(dataDir: string): Buffer {
  const path = join(dataDir, SECRET_FILE);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(path, 0o600);
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${path} is not a hub secret (64 hex characters)`);
  return Buffer.from(hex, 'hex');
}

export function newAgentId(): string {
  return `agent-${randomBytes(6).toString('hex')}`;
}

export function newAgentToken(): string {
  return randomBytes(32).toString('base64url');
}

const CLAIM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export function newClaimCode(): string {
  const bytes = randomBytes(8);
  let s = '';
  for (const b of bytes) s += CLAIM_ALPHABET[b % CLAIM_ALPHABET.length];
  return `WTT-CLAIM-${s}`;
}

/** A binding's api key is derived from the secret and a stored nonce, so only its hash is stored. */
export function apiKeyFor(secret: Buffer, nonce: string): string {
  return `wtt_sk_${createHmac('sha256', secret).update(`api-key:${nonce}`).digest('base64url')}`;
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64url');
  const key = scryptSync(password, Buffer.from(saltB64, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function signUserToken(secret: Buffer, userId: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const payload = Buffer.from(JSON.stringify({ sub: userId, iat, exp: iat + USER_TOKEN_TTL_S })).toString('base64url');
  const sig = createHmac('sha256', secret).update(`${JWT_HEADER}.${payload}`).digest('base64url');
  return `${JWT_HEADER}.${payload}.${sig}`;
}

/** The user id of a valid, unexpired token; undefined otherwise. */
export function verifyUserToken(secret: Buffer, token: string, nowMs: number): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, sig] = parts as [string, string, string];
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    if (claims.exp * 1000 <= nowMs) return undefined;
    return claims.sub;
  } catch {
    return undefined;
  }
}

export function looksLikeUserToken(token: string): boolean {
  return token.split('.').length === 3;
}
