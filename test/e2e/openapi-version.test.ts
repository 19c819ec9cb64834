import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { createIntakeFleet, type IntakeFleet } from '../support/intake-process';

const PACKAGE = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
const INTAKE_MAIN = resolve(__dirname, '../../dist/src/bin/intake.js');

describe('the OpenAPI document of the production intake', () => {
  let fleet: IntakeFleet | undefined;

  beforeAll(() => {
    if (!existsSync(INTAKE_MAIN)) throw new Error(`${INTAKE_MAIN} is missing: run "npm run build" first (npm test does)`);
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('reports the package.json version when started as `node dist/src/bin/intake.js`, without npm', async () => {
    // The fleet's processes get only PATH, HOME and their own configuration: no npm_package_version.
    fleet = createIntakeFleet({ redisUrl: testRedisUrl(), prefix: uniquePrefix('version') });
    const [intake] = await fleet.start(1);
    const res = await fetch(`${intake?.url ?? ''}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { info: { version: string } };
    expect(document.info.version).toBe(PACKAGE.version);
    expect(document.info.version).not.toBe('0.0.0');
  });
});
