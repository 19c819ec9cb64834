import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { DEFAULT_ACTION_SCRIPT } from '@resetpc/sandbox';
import { pollDelayMs } from '../../workers/reset/steps';

/**
 * A docs check: the README's walkthrough says how long a simulated device takes from approval to `succeeded`. That is
 * the sandbox's default action timeline (the device reports done `finalAfterMs` after the resetPasscode POST) read at
 * the worker's poll schedule (the first look one poll interval after the POST, then intervals doubling from
 * ACTION_POLL_BASE_MS): the first look at or after the device is done.
 */
function looksAfterPost(baseMs: number, doneAfterMs: number): number[] {
  const looks = [pollDelayMs(1, baseMs)];
  for (let checks = 1; (looks.at(-1) ?? 0) < doneAfterMs; checks += 1) looks.push((looks.at(-1) ?? 0) + pollDelayMs(checks, baseMs));
  return looks;
}

describe('the README on how long a simulated reset takes', () => {
  // Whitespace folded, so that re-wrapping the paragraph does not matter.
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const base = parseConfig({}).ACTION_POLL_BASE_MS;
  const looks = looksAfterPost(base, DEFAULT_ACTION_SCRIPT.finalAfterMs);
  const seconds = (ms: number): string => String(ms / 1000);

  it('gives the time the sandbox timeline and the first poll intervals add up to', () => {
    const total = looks.at(-1) ?? 0;
    expect(readme).toContain(`succeeded about ${seconds(total)} s after the approval`);
    expect(readme).toContain(`reports \`done\` ${seconds(DEFAULT_ACTION_SCRIPT.finalAfterMs)} s after the resetPasscode POST`);
  });

  it('lists the worker\'s looks after the POST, from ACTION_POLL_BASE_MS', () => {
    const listed = `${looks.slice(0, -1).map(seconds).join(', ')} and ${seconds(looks.at(-1) ?? 0)} s after the POST`;
    expect(readme).toContain(`the worker looks ${listed} (\`ACTION_POLL_BASE_MS\`, ${seconds(base)} s, doubling)`);
    expect(readme).toContain(`sees \`done\` at its ${['first', 'second', 'third', 'fourth', 'fifth', 'sixth'][looks.length - 1] ?? String(looks.length)} look`);
  });
});
