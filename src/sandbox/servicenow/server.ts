/** startServiceNowSim: the ServiceNow simulator alone on a plain HTTP server on 127.0.0.1, for tests. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceNowSim, type ServiceNowSim, type ServiceNowSimOptions } from './sim';

export interface RunningServiceNowSim extends Omit<ServiceNowSim, 'close'> {
  /** The instance URL, e.g. http://127.0.0.1:PORT (with the path prefix, if any). */
  readonly url: string;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

export async function startServiceNowSim(options: ServiceNowSimOptions & { readonly port?: number } = {}): Promise<RunningServiceNowSim> {
  const sim = createServiceNowSim(options);
  const server = createServer((req, res) => {
    if (sim.handles(new URL(req.url ?? '/', 'http://x').pathname)) {
      sim.handler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"Not found","detail":null},"status":"failure"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...sim,
    url: `http://127.0.0.1:${port}${options.pathPrefix ?? ''}`,
    close: async () => {
      sim.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
