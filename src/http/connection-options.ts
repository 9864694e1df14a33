import type { Dispatcher } from 'undici';
import { integerRule, objectWithMethodsRule, rule, type Fail } from '../option-schema.js';

/** Option rules shared by the vendor clients, and so by every constructor that builds one. */

/** An absolute http(s) base URL without userinfo, query or fragment, read without trailing slashes. */
export const baseURLRule = rule((value: unknown, fail: Fail) => {
  if (typeof value !== 'string') fail('be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('be an absolute URL such as https://api.example.com/v2');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('be an http(s) URL');
  if (url.username || url.password || url.search || url.hash) fail('not carry userinfo, a query or a fragment');
  return url.href.replace(/\/+$/, '');
});

/** The rules of the options both clients take besides their credential and response bounds. */
export const CONNECTION_RULES = {
  timeoutMs: integerRule(1),
  dispatcher: objectWithMethodsRule<Dispatcher>(['request']),
};
