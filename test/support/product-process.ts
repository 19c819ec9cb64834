import { spawn, type ChildProcess } from 'node:child_process';

/** One real product process (`node dist/...`), as the fleets of test/support start them. */
export interface ProductProcess {
  /** `w1`, `i2`… in start order, for logs. */
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr lines, as the process wrote them (JSON log lines, or a crash's stack). */
  readonly output: string[];
  /** Resolves when the process has exited, however it ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  readonly running: boolean;
}

/**
 * Starts `node <main>` in `cwd` with exactly `env` (nothing of the test runner's environment), collecting its output.
 * `extra`: fields of the caller's own (an intake's URL).
 */
export function spawnProductProcess<T extends object = object>(name: string, main: string, cwd: string, env: Readonly<Record<string, string>>, extra?: T): ProductProcess & T {
  const child = spawn(process.execPath, ['--enable-source-maps', main], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') output.push(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });
  return {
    ...(extra as T),
    name,
    child,
    output,
    exited,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
  };
}

/** Every process's output, each line labelled with its process, for a failure message. */
export function labelledOutput(processes: readonly ProductProcess[]): string {
  return processes.map((p) => p.output.map((line) => `[${p.name}] ${line}`).join('\n')).join('\n');
}

/** SIGTERM (graceful shutdown) to every running process, and waits for each to exit. */
export async function stopProcesses(processes: readonly ProductProcess[]): Promise<void> {
  await Promise.all(
    processes
      .filter((p) => p.running)
      .map(async (p) => {
        p.child.kill('SIGTERM');
        await p.exited;
      }),
  );
}
