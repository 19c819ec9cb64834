/**
 * `npm start` checks its ports before it listens on any, so that a port in use is one line naming the variable to set,
 * not an EADDRINUSE stack trace after the intake has already said "listening".
 */
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  constructor(
    readonly port: number,
    readonly variable: string,
  ) {
    super(`Port ${port} is already in use (${variable}): stop what uses it, or set ${variable} to a free port, e.g. ${variable}=${port + 100} npm start (0 picks any free port).`);
  }
}

export interface PortToCheck {
  readonly port: number;
  readonly host: string;
  /** The setting that chooses it, named in the error. */
  readonly variable: string;
}

/** Resolves when `port` can be listened on at `host` (port 0 always can); rejects with PortInUseError otherwise. */
async function checkPort({ port, host, variable }: PortToCheck): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, variable) : err);
    });
    probe.listen({ port, host, exclusive: true }, () => {
      probe.close(() => {
        resolve();
      });
    });
  });
}

export async function assertPortsFree(ports: readonly PortToCheck[]): Promise<void> {
  for (const p of ports) await checkPort(p);
}
