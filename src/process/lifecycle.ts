import closeWithGrace from 'close-with-grace';
import type { Logger } from '../logging/logger';

/**
 * Graceful shutdown for a process: on SIGTERM/SIGINT (or a fatal error) run `close` once, within `delayMs`,
 * then exit. A fatal error is logged and the process exits non-zero so its supervisor restarts it.
 */
export function onShutdown(log: Logger, close: () => Promise<void>, delayMs = 10_000): void {
  closeWithGrace({ delay: delayMs }, async ({ signal, err }) => {
    if (err !== undefined) log.fatal({ err }, 'fatal error; shutting down');
    else log.info({ signal }, 'shutting down');
    await close();
  });
}
