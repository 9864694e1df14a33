/** Characters a log line shows as they are: printable ASCII, less quotes, backslashes and angle brackets. */
const PLAIN = /^[\x21-\x7e]+$/;
const SPECIAL = /["\\<>]/;

/**
 * `value`, from a request, made safe for one log line: as it is when it is plain printable ASCII,
 * otherwise as a JSON string with `<`, `>` and `&` escaped too. A line can then never be split,
 * faked or turned into markup by a log viewer, whatever the client sent.
 */
export function logText(value: string): string {
  if (PLAIN.test(value) && !SPECIAL.test(value)) return value;
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
