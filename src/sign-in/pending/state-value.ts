import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 bytes, 43 base64url characters: 16 random bytes and a 16-byte tag over them. */
export const STATE_LENGTH = 43;
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const RANDOM_BYTES = 16;

/**
 * The key that tags the states this process issues. A tag tells a state some strategy of this
 * process really issued (one whose pending record was lost, or another browser's) from a guess,
 * so that only a guess uses up the browser's other pending sign-ins. Shared through a global
 * symbol, so that the ESM and CommonJS builds of the package recognise each other's states.
 */
const STATE_KEY = Symbol.for('passport-ultracart.stateKey');
type WithKey = typeof globalThis & { [STATE_KEY]?: Buffer };
const key: Buffer = ((globalThis as WithKey)[STATE_KEY] ??= randomBytes(32));

function tagOf(random: Buffer): Buffer {
  return createHmac('sha256', key)
    .update(random)
    .digest()
    .subarray(0, 32 - RANDOM_BYTES);
}

/** A fresh state: 128 random bits, tagged as issued by this process. */
export function createState(): string {
  const random = randomBytes(RANDOM_BYTES);
  return Buffer.concat([random, tagOf(random)]).toString('base64url');
}

/** True when `value` has the exact shape of a state we issue; cheap to call before comparing. */
export function looksLikeState(value: string): boolean {
  return value.length === STATE_LENGTH && STATE_PATTERN.test(value);
}

/**
 * True when a strategy of this process issued `state` (its tag is right). Says nothing about
 * whose browser it was issued to or whether it is still pending.
 */
export function isIssuedState(state: string): boolean {
  if (!looksLikeState(state)) return false;
  const raw = Buffer.from(state, 'base64url');
  // Only the canonical spelling: the last character's two spare bits must be zero, as we wrote them.
  if (raw.toString('base64url') !== state) return false;
  return timingSafeEqual(raw.subarray(RANDOM_BYTES), tagOf(raw.subarray(0, RANDOM_BYTES)));
}

/** Constant-time comparison; lengths are checked first because timingSafeEqual throws on a mismatch. */
export function sameState(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
