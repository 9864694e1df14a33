'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- require() is what this file exists to test. */
// A CommonJS user: require() the package and its testing entry, sign in once, print one JSON line.
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const ultracart = require('passport-ultracart');
const testing = require('passport-ultracart/testing');
const { signInOnce } = require('./sign-in-app.cjs');

signInOnce({
  express,
  session,
  passport,
  UltraCartStrategy: ultracart.UltraCartStrategy,
  startUltraCartEmulator: testing.startUltraCartEmulator,
  // Callback-style verify.
  verify: (simpleKey, token, profile, done) =>
    done(null, { id: profile.id, login: profile.username, hasKey: simpleKey.length > 0, expiresAt: token.expiresAt instanceof Date }),
}).then(
  (me) => {
    console.log(
      JSON.stringify({
        format: 'cjs',
        express: require('express/package.json').version,
        passport: require('passport/package.json').version,
        user: me.user,
        exports: Object.keys(ultracart).sort(),
        testingExports: Object.keys(testing).sort(),
      }),
    );
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
