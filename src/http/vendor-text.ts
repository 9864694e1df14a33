const MAX_VENDOR_TEXT = 300;

/**
 * A vendor's error text made safe to print: our secrets redacted, control characters folded to
 * spaces, the length capped. Redacted before and after folding: a secret split by a line break
 * would otherwise be rebuilt by the folding.
 */
export function cleanVendorText(value: unknown, secrets: readonly string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = redact(value, secrets);
  text = redact(text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim(), secrets);
  if (text.length > MAX_VENDOR_TEXT) text = `${text.slice(0, MAX_VENDOR_TEXT)}…`;
  return text === '' ? undefined : text;
}

function redact(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) if (secret !== '') text = text.split(secret).join('[redacted]');
  return text;
}
