import 'reflect-metadata';
import { expect } from 'chai';
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import { UltraCartStrategy, type UltraCartProfile } from '../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../src/testing/index.js';

/*
 * The package's errors carry status, statusCode and expose (the http-errors shape), so a framework's
 * own default error handling answers with the right status: nothing here installs an error handler.
 */

const CALLBACK_URL = 'http://localhost/auth/ultracart/callback';
const SESSION_SECRET = 'framework-test-secret-at-least-32-bytes';

describe('frameworks answering the package errors with their default handlers', () => {
  let emulator: UltraCartEmulator;
  before(async () => {
    emulator = await startUltraCartEmulator();
  });
  after(() => emulator.close());

  describe("Express's default error handler", () => {
    function app(): express.Express {
      const passport = new Passport();
      passport.use(
        new UltraCartStrategy({ callbackURL: CALLBACK_URL, baseURL: emulator.url, simpleKey: emulator.appKey }, async () => false),
      );
      const server = express();
      // 'test' keeps Express from printing each (expected) error to the console.
      server.set('env', 'test');
      server.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
      server.use(passport.initialize());
      server.get('/login', passport.authenticate('ultracart'));
      return server;
    }

    const get = (path: string) => request(app()).get(path);

    it('answers an UltraCart 429 with 503 and Retry-After, not 500', async () => {
      emulator.inject('authorize', { status: 429, headers: { 'retry-after': '3' } });
      const res = await get('/login');
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('3');
    });

    it('answers a rejected app key with 500, a configuration fault', async () => {
      emulator.inject('authorize', { status: 401 });
      expect((await get('/login')).status).to.equal(500);
    });

    it('answers an UltraCart timeout with 504', async () => {
      emulator.inject('authorize', { behaviour: 'hang' });
      const passport = new Passport();
      passport.use(
        new UltraCartStrategy(
          { callbackURL: CALLBACK_URL, baseURL: emulator.url, simpleKey: emulator.appKey, timeoutMs: 200 },
          async () => false,
        ),
      );
      const server = express();
      server.set('env', 'test');
      server.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
      server.get('/login', passport.authenticate('ultracart'));
      expect((await request(server).get('/login')).status).to.equal(504);
    });
  });

  describe('NestJS 12 with @nestjs/passport and its BaseExceptionFilter', () => {
    let nest: INestApplication;

    before(async () => {
      class UltraCartAuth extends PassportStrategy(UltraCartStrategy, 'ultracart-nest') {
        constructor() {
          super({ callbackURL: CALLBACK_URL, baseURL: emulator.url, simpleKey: emulator.appKey });
        }
        validate(_simpleKey: string, _token: unknown, profile: UltraCartProfile): { id: string } {
          return { id: profile.id };
        }
      }
      new UltraCartAuth();

      // Decorators applied as functions: this project's TypeScript does not compile legacy decorators.
      class SignInController {
        login(): string {
          return 'unreachable';
        }
      }
      const login = Object.getOwnPropertyDescriptor(SignInController.prototype, 'login')!;
      UseGuards(AuthGuard('ultracart-nest'))(SignInController.prototype, 'login', login);
      Get('login')(SignInController.prototype, 'login', login);
      Controller()(SignInController);
      class AppModule {}
      Module({ controllers: [SignInController] })(AppModule);

      nest = await NestFactory.create(AppModule, { logger: false });
      nest.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
      await nest.init();
    });
    after(() => nest?.close());

    it('answers an UltraCart 429 with 503 and Retry-After, not 500', async () => {
      emulator.inject('authorize', { status: 429, headers: { 'retry-after': '3' } });
      const res = await request(nest.getHttpServer()).get('/login');
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('3');
      expect(res.body).to.deep.equal({ statusCode: 503, message: 'Service Unavailable' });
    });

    it('answers an UltraCart 5xx with 502, and keeps the vendor text out of the body', async () => {
      emulator.inject('authorize', { status: 500, body: { error: { developer_message: 'internal trace 81f2' } } });
      const res = await request(nest.getHttpServer()).get('/login');
      expect(res.status).to.equal(502);
      expect(res.text).to.not.include('81f2');
    });

    it('still sends the browser to UltraCart when nothing fails', async () => {
      const res = await request(nest.getHttpServer()).get('/login');
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.match(/^http:\/\/127\.0\.0\.1:\d+\/login\?/);
    });
  });
});
