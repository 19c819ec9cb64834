/**
 * Errors the code itself throws (a TypeError and the like): a retry fails the same way, so no layer may dress one up
 * as a remote system or Redis being unavailable. Redis and network failures are never among them (the HTTP clients
 * and the Graph client wrap a failed `fetch`, whose own error is a TypeError, before it gets this far).
 */
export function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
}
