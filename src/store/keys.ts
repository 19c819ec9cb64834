import { deviceKey, ticketKey, type DeviceRef, type RequestState, type TicketRef } from '../domain/request';

/**
 * Every Redis key the product writes, in one place. All keys share the configured hash-tag prefix (`{resetpc}`),
 * so Lua scripts that touch several keys stay valid on Redis Cluster.
 */
export function storeKeys(prefix: string) {
  return {
    request: (id: string) => `${prefix}:request:${id}`,
    timeline: (id: string) => `${prefix}:request:${id}:timeline`,
    links: (id: string) => `${prefix}:request:${id}:links`,
    byCreated: `${prefix}:requests:created`,
    byState: (state: RequestState) => `${prefix}:requests:state:${state}`,
    byTicket: (key: string) => `${prefix}:requests:ticket:${key.trim().toUpperCase()}`,
    byDevice: (value: string) => `${prefix}:requests:device:${value.trim().toLowerCase()}`,
    deviceLock: (device: DeviceRef) => `${prefix}:lock:device:${deviceKey(device)}`,
    ticketLock: (ticket: TicketRef) => `${prefix}:lock:ticket:${ticketKey(ticket)}`,
    /** The lock on the Intune managed device a request resolved to (one active request per physical device). */
    managedDeviceLock: (managedDeviceId: string) => `${prefix}:lock:managed:${managedDeviceId.toLowerCase()}`,
    audit: `${prefix}:audit`,
    idempotency: (caller: string, keyDigest: string) => `${prefix}:idempotency:${caller}:${keyDigest}`,
    replay: (source: string, deliveryId: string) => `${prefix}:replay:${source}:${deliveryId}`,
    rateLimit: `${prefix}:ratelimit:`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;
