import { randomFillSync, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: 256 bits, 43 base64url characters. */
export const STATE_LENGTH = 43;
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const STATE_BYTES = 32;
/**
 * Random bytes are drawn 128 states at a time and each byte is handed out once: one call into the
 * CSPRNG per 128 sign-ins instead of one per sign-in (issue 5 benchmark). The bytes are the same
 * CSPRNG output either way.
 */
const pool = Buffer.alloc(STATE_BYTES * 128);
let poolOffset = pool.length;

export function createState(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const state = pool.toString('base64url', poolOffset, poolOffset + STATE_BYTES);
  // Overwritten as soon as it is used, so no state lingers in the pool.
  pool.fill(0, poolOffset, poolOffset + STATE_BYTES);
  poolOffset += STATE_BYTES;
  return state;
}

/** True when `value` has the exact shape of a state we issue; cheap to call before comparing. */
export function looksLikeState(value: string): boolean {
  return value.length === STATE_LENGTH && STATE_PATTERN.test(value);
}

/** Constant-time comparison; lengths are checked first because timingSafeEqual throws on a mismatch. */
export function sameState(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
