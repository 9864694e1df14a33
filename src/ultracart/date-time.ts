/**
 * UltraCart's `expiration_dts`, read the way its SDKs would pass it on. The SDKs keep the field a
 * string, so any ISO-8601 form the server writes reaches the application: `Z` or an offset as
 * `-04:00`, `-0400` or hour-only `-04`, and fractional seconds of any length. UltraCart itself was
 * seen to send `2021-05-18T12:10:19-04:00` (a local offset, no milliseconds).
 */
export type ExpiryReading =
  | { kind: 'absent' }
  /** Present but not readable as an instant: bad syntax, an impossible date, or no zone. */
  | { kind: 'unreadable' }
  | { kind: 'known'; at: Date };

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Reads an ISO-8601 date-time with a zone. Anything else is `unreadable`, never a guess. */
export function readExpiry(value: unknown): ExpiryReading {
  if (value === undefined || value === null || value === '') return { kind: 'absent' };
  if (typeof value !== 'string' || value.length > 64) return { kind: 'unreadable' };
  const m = ISO_8601.exec(value.trim());
  if (!m) return { kind: 'unreadable' };
  const [, y, mo, d, h, mi, s = '0', fraction = '', zulu, sign, offH, offM = '0'] = m;
  // Without a zone the instant depends on a server's local time we cannot know.
  if (!zulu && !sign) return { kind: 'unreadable' };
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM)) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { kind: 'unreadable' };
  }
  if (Number(offH) > 23 || Number(offM) > 59) return { kind: 'unreadable' };
  const millis = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  // setUTCFullYear rather than Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const at = date.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(at) ? { kind: 'known', at: new Date(at) } : { kind: 'unreadable' };
}

/** The instant `value` names, or null when it is absent or unreadable. */
export function parseDateTime(value: unknown): Date | null {
  const reading = readExpiry(value);
  return reading.kind === 'known' ? reading.at : null;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
