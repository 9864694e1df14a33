import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: 256 bits, 43 base64url characters. */
export const STATE_LENGTH = 43;
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function createState(): string {
  return randomBytes(32).toString('base64url');
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
