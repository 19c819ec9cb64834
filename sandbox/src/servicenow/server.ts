/** startServiceNowSim: the ServiceNow sandbox alone on a plain HTTP server on 127.0.0.1, for tests. */
import { listenOnLoopback } from '../loopback-server';
import { createServiceNowSim, type ServiceNowSim, type ServiceNowSimOptions } from './sim';

export interface RunningServiceNowSim extends Omit<ServiceNowSim, 'close'> {
  /** The instance URL, e.g. http://127.0.0.1:PORT (with the path prefix, if any). */
  readonly url: string;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

export async function startServiceNowSim(options: ServiceNowSimOptions & { readonly port?: number } = {}): Promise<RunningServiceNowSim> {
  const sim = createServiceNowSim(options);
  const server = await listenOnLoopback((req, res) => {
    if (sim.handles(new URL(req.url ?? '/', 'http://x').pathname)) {
      sim.handler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"Not found","detail":null},"status":"failure"}');
  }, options.port);
  return {
    ...sim,
    url: `http://127.0.0.1:${server.port}${options.pathPrefix ?? ''}`,
    close: async () => {
      sim.close();
      await server.close();
    },
  };
}
