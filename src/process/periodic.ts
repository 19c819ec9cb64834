/**
 * Runs `task` every `intervalMs` in the background, one pass at a time: a tick that comes while a pass runs is skipped.
 * The timer does not keep the process alive. A failed pass goes to `onError`, and the next tick tries again. `stop`
 * ends the ticks and resolves once a pass in progress has ended.
 */
export function runPeriodically(intervalMs: number, task: () => Promise<unknown>, onError: (err: unknown) => void): { stop(): Promise<void> } {
  let pass: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (pass !== undefined) return;
    pass = task()
      .then(() => undefined, onError)
      .finally(() => {
        pass = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await pass;
    },
  };
}
