/**
 * /docs in a real browser: Debian's chromium driven by playwright-core against the container's server
 * process. Swagger UI builds its "Try it out" request from the OpenAPI examples; each must be answered 200.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeById } from '../../src/api/index.js';
import { publishModel } from '../../src/store/index.js';
import { fixtureArtifact } from '../helpers/fixture-model.js';
import { freePort } from '../helpers/moto.js';
import {
  harnessBundle,
  pingStatus,
  type ServeProcess,
  startServe,
  waitFor,
} from '../helpers/serve-process.js';

/** Debian's chromium (apt-get install chromium; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium';

let server: ServeProcess;
let browser: Browser;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-browser-'));
  await publishModel(dir, fixtureArtifact());
  server = startServe(await harnessBundle(), {
    PORT: String(await freePort()),
    MODEL_URI: dir,
    WORKERS: '1',
  });
  await waitFor(async () => (await pingStatus(server.url)).status === 200, 20_000, 'the server');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
});

/** Opens an operation of the page, presses "Try it out" and "Execute"; returns the status and body shown. */
async function tryItOut(
  page: Page,
  operationId: string,
  example?: string,
  open = true,
): Promise<{ status: string; body: string }> {
  const operation = page.locator(`#operations-${operationId}`);
  if (open) await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  if (example)
    await operation.locator('select.examples-select-element').first().selectOption({ label: example });
  await operation.getByRole('button', { name: 'Execute' }).click();
  const live = operation.locator('.live-responses-table .response');
  await live.first().waitFor({ timeout: 15_000 });
  return {
    status: ((await live.locator('.response-col_status').first().textContent()) ?? '').trim(),
    body: (await live.locator('.response-col_description pre').first().textContent()) ?? '',
  };
}

describe('Page: /docs (Swagger UI in chromium)', () => {
  it('answers 200 to "Try it out" + "Execute" on POST /invocations with every example of the route table', async () => {
    // Prepare: the examples as the page lists them
    const examples = Object.values(routeById('invocations').body?.examples ?? {}).map((e) => e.summary);
    const results: Record<string, string> = {};
    // Act: a fresh page per example, as a user would try them
    for (const example of examples) {
      const page = await browser.newPage();
      await page.goto(`${server.url}/docs`);
      await page.locator('#operations-Recommendations-invocations').waitFor();
      const listed = await page
        .locator('#operations-Recommendations-invocations')
        .locator('.opblock-summary')
        .first()
        .click()
        .then(() =>
          page
            .locator('#operations-Recommendations-invocations select.examples-select-element option')
            .allInnerTexts(),
        );
      expect(listed).toEqual(examples);
      const answer = await tryItOut(page, 'Recommendations-invocations', example, false);
      results[example] = answer.status;
      await page.close();
    }
    // Assess
    expect(results).toEqual(Object.fromEntries(examples.map((e) => [e, '200'])));
  }, 120_000);

  it('answers 200 on the GET routes with their example parameters, and serves /openapi.json', async () => {
    // Prepare
    const page = await browser.newPage();
    await page.goto(`${server.url}/docs`);
    await page.locator('.opblock').first().waitFor();
    // Act
    const user = await tryItOut(page, 'Recommendations-userRecommendations');
    const similar = await tryItOut(page, 'Recommendations-similarVideos');
    const ping = await tryItOut(page, 'Operations-ping');
    const spec = await page.goto(`${server.url}/openapi.json`);
    // Assess
    expect([user.status, similar.status, ping.status, spec?.status()]).toEqual(['200', '200', '200', 200]);
    expect(JSON.parse(user.body)).toMatchObject({ userId: 'u001' });
    await page.close();
  }, 60_000);
});
