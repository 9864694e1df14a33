import createDebug from 'debug';

/**
 * Debug loggers, one namespace per area (`DEBUG=passport-ultracart:*`). Callers log endpoints,
 * statuses and outcomes only: no key, code, state, simple key or session id is ever passed here.
 */
export const log = {
  strategy: createDebug('passport-ultracart:strategy'),
  ultracart: createDebug('passport-ultracart:ultracart'),
  uauth: createDebug('passport-ultracart:uauth'),
  ultrapassid: createDebug('passport-ultracart:ultrapassid'),
};
