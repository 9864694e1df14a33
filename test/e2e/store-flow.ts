import type { Page } from 'playwright-core';
import type { Checks } from './checks.js';
import type { ExampleAppProcess } from './example-app-process.js';
import { attributeOf, textOf, type Camera } from './page-tools.js';

interface StoreRun {
  checks: Checks;
  camera: Camera;
  app: ExampleAppProcess;
}

/**
 * "Connect your UltraCart store" (OAuth 2.0) in Chromium: signed in, the user declines once on
 * the emulator's approval page, then connects, calls the API with the token, refreshes it and
 * disconnects.
 */
export async function connectStoreFlow(run: StoreRun, page: Page): Promise<void> {
  const { checks, camera, app } = run;
  const appOrigin = new URL(app.url).origin;
  const atApproval = (url: URL): boolean => url.origin === app.ultracartOrigin && url.pathname === '/rest/v2/oauth/authorize';

  await checks.step('signing in with UltraCart comes to the profile page', async () => {
    await page.goto(app.url);
    await page.locator('#sign-in').click();
    await page.locator('#approve').click();
    await page.waitForURL(`${appOrigin}/profile`);
  });
  await checks.step('"Connect your UltraCart store" on the profile opens the store page', async () => {
    await page.locator('#store-link').click();
    await page.waitForURL(`${appOrigin}/store`);
  });
  checks.equal('the store page offers to connect', await textOf(page, '#store-connect'), 'Connect your UltraCart store');
  await camera.shoot(page, 'store-not-connected');

  await checks.step('"Connect" leads to the UltraCart approval page, and "Decline" comes back saying so', async () => {
    await page.locator('#store-connect').click();
    await page.waitForURL(atApproval);
    await page.locator('#decline-app').click();
    await page.waitForURL(`${appOrigin}/store?reason=denied`);
  });
  checks.includes('the store page says the connection was declined', await textOf(page, '#store-message'), 'declined');

  await checks.step('"Connect" then "Authorize" on the approval page comes back connected', async () => {
    await page.locator('#store-connect').click();
    await page.waitForURL(atApproval);
    await page.locator('#authorize-app').waitFor();
    await camera.shoot(page, 'ultracart-approval');
    await page.locator('#authorize-app').click();
    await page.waitForURL(`${appOrigin}/store?result=connected`);
  });
  checks.equal('the store page says the store is connected', await textOf(page, '#store-message'), 'Your UltraCart store is connected.');
  checks.includes('the store page shows the merchant UltraCart named', await textOf(page, '#store-merchant'), 'DEMO1');
  checks.equal('the store page lists the permissions granted', await textOf(page, '#store-scopes'), 'item_read, order_read, webhook_read');
  const expiry = Date.parse((await attributeOf(page, '#store-expires time', 'datetime')) ?? '');
  checks.expect(
    'the store page shows when the access token expires (within the hour)',
    expiry > Date.now() && expiry <= Date.now() + 3_600_000,
  );
  checks.expect('no code or state is left in the address bar', !/[?&](code|state)=/.test(page.url()), page.url());
  await camera.shoot(page, 'store-connected');

  await checks.step('"Call the UltraCart API" shows the items UltraCart answered', async () => {
    await page.locator('#store-api-call').click();
    await page.waitForURL(`${appOrigin}/store?result=called`);
  });
  const items = await page.locator('#store-items tbody tr td:first-child').allInnerTexts();
  checks.equal('the API call listed the store’s items', JSON.stringify(items), JSON.stringify(['BOOK-001', 'MUG-002', 'CARD-003']));
  await camera.shoot(page, 'store-api-call');

  await checks.step('"Refresh the token now" comes back refreshed', async () => {
    await page.locator('#store-refresh').click();
    await page.waitForURL(`${appOrigin}/store?result=refreshed`);
  });
  checks.equal('the store page says the token was refreshed', await textOf(page, '#store-message'), 'The access token was refreshed.');
  await checks.step('the API call still works after the refresh', async () => {
    await page.locator('#store-api-call').click();
    await page.waitForURL(`${appOrigin}/store?result=called`);
  });

  await checks.step('"Disconnect" comes back disconnected, offering to connect again', async () => {
    await page.locator('#store-disconnect').click();
    await page.waitForURL(`${appOrigin}/store?result=disconnected`);
    await page.locator('#store-connect').waitFor();
  });
  checks.includes('the store page says UltraCart revoked the access', await textOf(page, '#store-message'), 'UltraCart revoked');
  await camera.shoot(page, 'store-disconnected');
}
