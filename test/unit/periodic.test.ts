import { runPeriodically } from '../../src/process/periodic';

/** The background ticker of the jobless sweep and the dashboard's metrics aggregation (src/process/periodic.ts). */
describe('runPeriodically', () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('runs one pass at a time, hands a failure to onError and goes on, and stop waits for the pass in progress', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    let finished = 0;
    const errors: unknown[] = [];
    const ticker = runPeriodically(
      5,
      async () => {
        passes++;
        running++;
        most = Math.max(most, running);
        await sleep(30);
        running--;
        finished++;
        if (passes === 1) throw new Error('first pass failed');
      },
      (err) => errors.push(err),
    );
    // Until a pass after the failing one has finished (a deadline, not a fixed sleep).
    const deadline = Date.now() + 5_000;
    while (finished < 2 && Date.now() < deadline) await sleep(5);
    await ticker.stop();
    const afterStop = passes;
    expect(most).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(finished).toBe(passes);
    expect(errors).toEqual([new Error('first pass failed')]);
    await sleep(30);
    expect(passes).toBe(afterStop);
  });
});
