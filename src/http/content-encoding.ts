import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';

/**
 * Compressed answers are never invited (requests say `Accept-Encoding: identity`: the bodies are
 * small, and decoding every sign-in would cost CPU on the hot path). A proxy may compress anyway,
 * so gzip, deflate and br are decoded, with the size cap applied to the decoded bytes as well as
 * the raw ones: a small body that inflates past the cap (a "zip bomb") is refused, never held.
 */
export const ACCEPT_ENCODING = 'identity';

/** `identity`, or no coding at all. */
export const IDENTITY = /^\s*(identity)?\s*$/i;

type Decoder = (buf: InputType, options: ZlibOptions, callback: (err: Error | null, result: Buffer) => void) => void;

const DECODERS: Record<string, Decoder> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: inflate,
  br: brotliDecompress,
};

export type Decoded = { ok: true; text: string } | { ok: false; kind: 'too-large' | 'encoding'; message: string };

/** Decodes a body sent with `Content-Encoding: encoding`, refusing one that decodes past `cap` bytes. */
export function decodeBody(raw: Buffer, encoding: string, cap: number): Promise<Decoded> {
  const name = encoding.trim().toLowerCase();
  const decoder = Object.hasOwn(DECODERS, name) ? DECODERS[name] : undefined;
  if (!decoder) {
    // Several codings ("gzip, br") or an unknown one: nothing sent these for an identity request.
    return Promise.resolve({ ok: false, kind: 'encoding', message: 'the response uses a content encoding this client does not read' });
  }
  return new Promise((resolve) => {
    decoder(raw, { maxOutputLength: cap }, (err, result) => {
      if (!err) return resolve({ ok: true, text: result.toString('utf8') });
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        return resolve({ ok: false, kind: 'too-large', message: `response body exceeds the ${cap}-byte cap once decoded` });
      }
      resolve({ ok: false, kind: 'encoding', message: `the ${name}-encoded response body could not be decoded` });
    });
  });
}
