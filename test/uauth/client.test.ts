import { expect } from 'chai';
import request from 'supertest';
import { UAuthClient, UAuthApiError } from '../../src/index.js';
import { startUAuthEmulator, DEFAULT_UAUTH_WORKFLOW_KEY, type UAuthEmulator, type UAuthResponseShape } from '../../src/testing/index.js';

const ORG_KEY = 'org-key-7f3a9c2e51d84b60';
const RETURN_URL = 'http://localhost:3000/verify/done';
const SHAPES: UAuthResponseShape[] = ['flat', 'nested', 'flat-string', 'nested-string'];

async function rejection(promise: Promise<unknown>): Promise<UAuthApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(UAuthApiError);
    return err as UAuthApiError;
  }
  throw new Error('expected a rejection');
}

describe('UAuthClient', () => {
  let emulator: UAuthEmulator;
  let client: UAuthClient;
  beforeEach(async () => {
    emulator = await startUAuthEmulator({ organizationKey: ORG_KEY, clientRedirectUrl: RETURN_URL });
    client = new UAuthClient({ organizationKey: ORG_KEY, baseURL: emulator.url });
  });
  afterEach(() => emulator.close());

  describe('createSession', () => {
    for (const shape of SHAPES) {
      it(`returns the getSessionUrl and its sessionId from a ${shape} response`, async () => {
        emulator.setResponseShape(shape);
        const created = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
        expect(created.getSessionUrl).to.equal(`${emulator.origin}/uauth?sessionId=${created.sessionId}`);
        expect(created.sessionId).to.match(/^[0-9a-f]{32}$/);
      });
    }

    it('gives a null sessionId when the URL carries none', async () => {
      emulator.inject('createSession', { status: 201, body: { getSessionUrl: 'https://auth.ultrapassid.com/uauth/start' } });
      expect(await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY)).to.deep.equal({
        getSessionUrl: 'https://auth.ultrapassid.com/uauth/start',
        sessionId: null,
      });
    });

    it('gives a null sessionId when the URL repeats it', async () => {
      emulator.inject('createSession', {
        status: 201,
        body: { getSessionUrl: 'https://auth.ultrapassid.com/uauth?sessionId=a&sessionId=b' },
      });
      expect((await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY)).sessionId).to.equal(null);
    });

    it('reads a PascalCase body as well', async () => {
      emulator.inject('createSession', {
        status: 201,
        body: { WorkflowInstanceSessionDto: { GetSessionUrl: 'https://auth.ultrapassid.com/uauth?sessionId=abc' } },
      });
      expect((await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY)).sessionId).to.equal('abc');
    });

    it('refuses a workflow key that is not a UUID without calling UltrapassId', async () => {
      const err = await rejection(client.createSession('322dbc7a-0a8a-452a-ba6d'));
      expect(err).to.include({ status: 500, code: 'UAUTH_CONFIGURATION' });
      expect(emulator.count('createSession')).to.equal(0);
    });

    it('makes exactly one call when UltrapassId answers 503', async () => {
      emulator.inject('createSession', { status: 503 });
      const err = await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY));
      expect(err).to.include({ status: 503, upstreamStatus: 503 });
      expect(emulator.count('createSession')).to.equal(1);
    });

    it('sends the key in the apiKeyHeader it was configured with', async () => {
      const apiKeyClient = new UAuthClient({ organizationKey: ORG_KEY, baseURL: emulator.url, apiKeyHeader: 'X-UPID-API-Key' });
      await apiKeyClient.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(emulator.calls[0]!.headers['x-upid-api-key']).to.equal(ORG_KEY);
      expect(emulator.calls[0]!.headers).to.not.have.property('x-upid-organization-key');
    });

    it('posts to {baseURL}/uauth/session whatever trailing slash baseURL has', async () => {
      await new UAuthClient({ organizationKey: ORG_KEY, baseURL: `${emulator.url}/` }).createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(emulator.calls[0]).to.include({ method: 'POST', path: '/api/uauth/session', endpoint: 'createSession' });
    });
  });

  describe('getSession', () => {
    for (const shape of SHAPES) {
      it(`normalises a ${shape} response to {workflowKey, policyId, clientRedirectUrl}`, async () => {
        const { sessionId } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
        emulator.setResponseShape(shape);
        expect(await client.getSession(sessionId!)).to.deep.equal({
          workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
          policyId: 'B2C_1A_UUID_REGISTRATION',
          clientRedirectUrl: RETURN_URL,
        });
      });
    }

    const injected: [string, unknown][] = [
      [
        'a flat body with workflowKey as {guid, value}',
        {
          workflowKey: { guid: 'ee6a7af7-650d-499b-8e32-58a52ffdb7bc', value: 'a860a344-d7b2-406e-828e-8d442f23f344' },
          policyId: 'P',
          clientRedirectUrl: 'https://app.example',
        },
      ],
      [
        'a nested body with workflowKey as a string',
        {
          workflowInstanceSessionResponse: {
            workflowKey: 'a860a344-d7b2-406e-828e-8d442f23f344',
            policyId: 'P',
            clientRedirectUrl: 'https://app.example',
          },
        },
      ],
      [
        'a nested body encoded as a string, {guid, value} inside',
        JSON.stringify(
          JSON.stringify({
            workflowInstanceSessionResponse: {
              workflowKey: { guid: 'ee6a7af7-650d-499b-8e32-58a52ffdb7bc', value: 'a860a344-d7b2-406e-828e-8d442f23f344' },
              policyId: 'P',
              clientRedirectUrl: 'https://app.example',
            },
          }),
        ),
      ],
    ];
    for (const [name, body] of injected) {
      it(`normalises ${name}`, async () => {
        emulator.inject('getSession', { status: 200, body });
        expect(await client.getSession('c849466775754912bbc9058e627925f0')).to.deep.equal({
          workflowKey: 'a860a344-d7b2-406e-828e-8d442f23f344',
          policyId: 'P',
          clientRedirectUrl: 'https://app.example',
        });
      });
    }

    it('gives null for a missing policyId and clientRedirectUrl', async () => {
      emulator.inject('getSession', { status: 200, body: { workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY } });
      expect(await client.getSession('c849466775754912bbc9058e627925f0')).to.deep.equal({
        workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
        policyId: null,
        clientRedirectUrl: null,
      });
    });

    it('answers 502 for a body without a workflowKey', async () => {
      emulator.inject('getSession', {
        status: 200,
        body: { workflowKey: { guid: 'ee6a7af7-650d-499b-8e32-58a52ffdb7bc' }, policyId: 'P' },
      });
      expect(await rejection(client.getSession('c849466775754912bbc9058e627925f0'))).to.include({
        status: 502,
        code: 'UAUTH_BAD_RESPONSE',
      });
    });

    it('answers 400 UAUTH_SESSION_INVALID for a session UltrapassId does not know', async () => {
      const err = await rejection(client.getSession('c849466775754912bbc9058e627925f0'));
      expect(err).to.include({ status: 400, code: 'UAUTH_SESSION_INVALID', upstreamStatus: 400, vendorMessage: 'Request not valid' });
    });

    it('refuses a session id that could change the path, without calling UltrapassId', async () => {
      for (const bad of ['../session', 'a/b', 'a?b', '', 'x'.repeat(129)]) {
        expect(await rejection(client.getSession(bad))).to.include({ status: 400, code: 'UAUTH_SESSION_INVALID' });
      }
      expect(emulator.calls).to.have.length(0);
    });

    it('sends the organization key and no body', async () => {
      const { sessionId } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      await client.getSession(sessionId!);
      const call = emulator.calls.find((c) => c.endpoint === 'getSession')!;
      expect(call).to.include({ method: 'GET', path: `/api/uauth/session/${sessionId}`, body: '' });
      expect(call.headers['x-upid-organization-key']).to.equal(ORG_KEY);
    });

    it('keeps the session id out of the error when UltrapassId echoes it', async () => {
      const sessionId = 'c849466775754912bbc9058e627925f0';
      emulator.inject('getSession', { status: 424, contentType: 'text/plain', body: `Workflow for ${sessionId} failed` });
      const err = await rejection(client.getSession(sessionId));
      expect(err).to.include({ status: 502, code: 'UAUTH_DEPENDENCY_FAILED', vendorMessage: 'Workflow for [redacted] failed' });
      expect(err.message).to.not.include(sessionId);
    });
  });

  describe('UAuthApiError', () => {
    it('keeps the raw response out of JSON.stringify but reachable as err.response', async () => {
      emulator.inject('createSession', { status: 409 });
      const err = await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY));
      expect(err.response?.status).to.equal(409);
      expect(Object.keys(err)).to.not.include('response');
      expect(JSON.parse(JSON.stringify(err))).to.deep.equal({
        name: 'UAuthApiError',
        code: 'UAUTH_CONFIGURATION',
        endpoint: 'createSession',
        status: 500,
        statusCode: 500,
        expose: false,
        upstreamStatus: 409,
        vendorMessage: 'Workflow not valid for this Organization',
      });
    });

    it('exposes status as statusCode too', async () => {
      emulator.inject('createSession', { status: 500 });
      const err = await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY));
      expect(err.statusCode).to.equal(502);
    });

    it('folds control characters and caps the vendor message at 300 characters', async () => {
      emulator.inject('createSession', {
        status: 400,
        contentType: 'text/plain',
        body: `bad\u0000\u001b[31m request\u2028${'x'.repeat(1000)}`,
      });
      const err = await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY));
      expect(err.vendorMessage).to.match(/^bad \[31m request x+…$/);
      expect(err.vendorMessage!.length).to.equal(301);
    });

    it('reads an ASP.NET problem-details body for its title', async () => {
      emulator.inject('createSession', {
        status: 400,
        contentType: 'application/problem+json',
        body: { title: 'One or more validation errors occurred.', status: 400 },
      });
      expect((await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY))).vendorMessage).to.equal(
        'One or more validation errors occurred.',
      );
    });

    it('does not read an HTML error page', async () => {
      emulator.inject('createSession', { status: 500, contentType: 'text/html', body: '<h1>Azure App Service is unavailable</h1>' });
      expect((await rejection(client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY))).vendorMessage).to.equal(undefined);
    });
  });
});

describe('UAuth emulator', () => {
  let emulator: UAuthEmulator;
  afterEach(() => emulator.close());

  async function postSession(headers: Record<string, string>, body: string): Promise<request.Response> {
    let req = request(emulator.origin).post('/api/uauth/session').set('content-type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send(body);
  }

  describe('POST /api/uauth/session', () => {
    beforeEach(async () => {
      emulator = await startUAuthEmulator({ clientRedirectUrl: RETURN_URL });
    });

    it('accepts the key in x-upid-organization-key', async () => {
      const res = await postSession(
        { 'x-upid-organization-key': emulator.organizationKey },
        JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
      );
      expect(res.status).to.equal(201);
    });

    it('accepts the key in x-upid-api-key', async () => {
      const res = await postSession(
        { 'x-upid-api-key': emulator.organizationKey },
        JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
      );
      expect(res.status).to.equal(201);
    });

    it('accepts the body JSON-encoded as a string, as the document shows it', async () => {
      const res = await postSession(
        { 'x-upid-organization-key': emulator.organizationKey },
        JSON.stringify(JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY })),
      );
      expect(res.status).to.equal(201);
    });

    it('answers 401 to a wrong key', async () => {
      const res = await postSession({ 'x-upid-organization-key': 'wrong' }, JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }));
      expect(res.status).to.equal(401);
    });

    it("answers 400 'Request not valid' as plain text to a workflowKey that is not a UUID", async () => {
      const res = await postSession({ 'x-upid-organization-key': emulator.organizationKey }, JSON.stringify({ workflowKey: 'abc' }));
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.match(/^text\/plain/);
      expect(res.text).to.equal('Request not valid');
    });

    it("answers 409 'Workflow not valid for this Organization' to a workflow of another organization", async () => {
      const res = await postSession(
        { 'x-upid-organization-key': emulator.organizationKey },
        JSON.stringify({ workflowKey: 'a860a344-d7b2-406e-828e-8d442f23f344' }),
      );
      expect(res.status).to.equal(409);
      expect(res.text).to.equal('Workflow not valid for this Organization');
    });
  });

  describe('with apiKeyHeaders narrowed to one name', () => {
    it('answers 401 to the key in any other header', async () => {
      emulator = await startUAuthEmulator({ apiKeyHeaders: ['x-upid-api-key'] });
      const res = await postSession(
        { 'x-upid-organization-key': emulator.organizationKey },
        JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
      );
      expect(res.status).to.equal(401);
    });
  });

  describe('the workflow page', () => {
    let client: UAuthClient;
    beforeEach(async () => {
      emulator = await startUAuthEmulator({ clientRedirectUrl: RETURN_URL });
      client = new UAuthClient({ organizationKey: emulator.organizationKey, baseURL: emulator.url });
    });

    it('shows the workflow and a Complete verification button', async () => {
      const { getSessionUrl } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      const res = await request(emulator.origin)
        .get(new URL(getSessionUrl).pathname + new URL(getSessionUrl).search)
        .expect(200);
      expect(res.text).to.include(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(res.text).to.include('B2C_1A_UUID_REGISTRATION');
      expect(res.text).to.match(/<form method="post" action="\/uauth">[\s\S]*Complete verification/);
    });

    it('sends the browser on to clientRedirectUrl with the sessionId appended (303)', async () => {
      const { sessionId } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      const res = await request(emulator.origin).post('/uauth').type('form').send({ sessionId }).expect(303);
      expect(res.headers.location).to.equal(`${RETURN_URL}?sessionId=${sessionId}`);
    });

    it("uses a workflow's own clientRedirectUrl over the emulator-wide one", async () => {
      await emulator.close();
      emulator = await startUAuthEmulator({
        clientRedirectUrl: RETURN_URL,
        workflows: [{ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, clientRedirectUrl: 'http://localhost:3000/kyc?from=upid' }],
      });
      client = new UAuthClient({ organizationKey: emulator.organizationKey, baseURL: emulator.url });
      const { getSessionUrl, sessionId } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(await emulator.complete(getSessionUrl)).to.equal(`http://localhost:3000/kyc?from=upid&sessionId=${sessionId}`);
    });

    it('answers 410 for a session it never issued', async () => {
      await request(emulator.origin).get('/uauth?sessionId=c849466775754912bbc9058e627925f0').expect(410);
      await request(emulator.origin).post('/uauth').type('form').send({ sessionId: 'c849466775754912bbc9058e627925f0' }).expect(410);
    });

    it('counts page requests under the page endpoint', async () => {
      const { getSessionUrl } = await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      await emulator.complete(getSessionUrl);
      expect(emulator.count('page')).to.equal(1);
      expect(emulator.count('createSession')).to.equal(1);
    });

    it('forgets calls, faults and the response shape on reset()', async () => {
      emulator.setResponseShape('nested-string');
      await client.createSession(DEFAULT_UAUTH_WORKFLOW_KEY);
      emulator.inject('createSession', { status: 500 });
      emulator.reset();
      expect(emulator.calls).to.have.length(0);
      const res = await postSession(
        { 'x-upid-organization-key': emulator.organizationKey },
        JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
      );
      expect(res.status).to.equal(201);
      expect(Object.keys(res.body)).to.deep.equal(['getSessionUrl']);
    });
  });
});
