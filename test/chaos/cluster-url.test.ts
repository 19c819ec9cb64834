import { parseConfig } from '../../src/config/load';
import { parseClusterUrl } from '../../src/redis/connection';

/** REDIS_URL's Redis Cluster form (docs/configuration.md), read by src/redis/connection.ts. */
describe('Redis Cluster URLs', () => {
  it('reads the seed nodes, the credentials and TLS', () => {
    expect(parseClusterUrl('redis-cluster://10.0.0.11:6379,10.0.0.12:6380')).toEqual({ nodes: [{ host: '10.0.0.11', port: 6379 }, { host: '10.0.0.12', port: 6380 }], tls: false });
    expect(parseClusterUrl('rediss-cluster://app:p%40ss@redis-1.internal:6380,[::1]:7000/')).toEqual({
      nodes: [{ host: 'redis-1.internal', port: 6380 }, { host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseClusterUrl('redis-cluster://:secret@127.0.0.1:7000')).toEqual({ nodes: [{ host: '127.0.0.1', port: 7000 }], password: 'secret', tls: false });
  });

  it('leaves other URLs to the standalone client, and refuses a cluster URL without host:port nodes', () => {
    expect(parseClusterUrl('redis://127.0.0.1:6379')).toBeUndefined();
    expect(parseClusterUrl('rediss://cache.example:6380')).toBeUndefined();
    expect(() => parseClusterUrl('redis-cluster://10.0.0.11')).toThrow(/host:port/);
    expect(() => parseClusterUrl('redis-cluster://10.0.0.11:6379,,10.0.0.12:6379')).toThrow(/host:port/);
    expect(() => parseClusterUrl('redis-cluster://10.0.0.11:99999')).toThrow(/host:port/);
  });

  it('is accepted as REDIS_URL, and a malformed one is refused with the form to use', () => {
    expect(parseConfig({ REDIS_URL: 'redis-cluster://10.0.0.11:6379,10.0.0.12:6379' }).REDIS_URL).toBe('redis-cluster://10.0.0.11:6379,10.0.0.12:6379');
    expect(() => parseConfig({ REDIS_URL: 'redis-cluster://10.0.0.11' })).toThrow(/REDIS_URL: a Redis Cluster URL lists its nodes/);
    expect(() => parseConfig({ REDIS_URL: 'http://10.0.0.11:6379' })).toThrow(/REDIS_URL: must start with redis:\/\/ or rediss:\/\//);
  });
});
