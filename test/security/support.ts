import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Map<string, string[]>;
  /** Everything before the body, as received. */
  head: string;
  /** Everything after it, as received (chunk sizes included, if the server chunked it). */
  body: string;
}

/**
 * Sends `requestTarget` byte for byte over a TCP socket: no client library gets to normalise
 * `//evil.com`, a backslash, a tab or a CR/LF first.
 */
export function rawGet(port: number, requestTarget: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const lines = [
    `GET ${requestTarget} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end === -1 ? text : text.slice(0, end);
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const body = end === -1 ? '' : text.slice(end + 4);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, head, body });
    });
    // Not end(): a half-closed socket makes Node's server abort a request still being handled.
    // `Connection: close` has the server close the socket once it has answered.
    socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}
