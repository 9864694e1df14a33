// An ESM user: import the package and its testing entry, sign in once, print one JSON line.
import { createRequire } from 'node:module';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import * as ultracart from 'passport-ultracart';
import * as testing from 'passport-ultracart/testing';
import { UltraCartStrategy } from 'passport-ultracart';
import { startUltraCartEmulator } from 'passport-ultracart/testing';
import helper from './sign-in-app.cjs';

const require = createRequire(import.meta.url);

try {
  const me = await helper.signInOnce({
    express,
    session,
    passport,
    UltraCartStrategy,
    startUltraCartEmulator,
    // Promise-style verify.
    verify: async (simpleKey, token, profile) => ({
      id: profile.id,
      login: profile.username,
      hasKey: simpleKey.length > 0,
      expiresAt: token.expiresAt instanceof Date,
    }),
  });
  console.log(
    JSON.stringify({
      format: 'esm',
      express: require('express/package.json').version,
      passport: require('passport/package.json').version,
      user: me.user,
      exports: Object.keys(ultracart).sort(),
      testingExports: Object.keys(testing).sort(),
    }),
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
}
