import type { RequestHandler } from 'express';
import { logText } from './log-text.js';

/**
 * One line per request: method, path, status, time. Only `req.path`: query strings carry codes,
 * states and session ids, and headers carry cookies, so neither is ever printed. The method and
 * path come from the client: anything but plain text in them is printed quoted and escaped.
 */
export function requestLog(report: (line: string) => void): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
      report(`${logText(req.method)} ${logText(req.path)} ${res.statusCode} ${ms}ms`);
    });
    next();
  };
}
