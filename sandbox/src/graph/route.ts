/**
 * The shape of a simulated Graph route, and Graph's error shape
 * (`{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`).
 */
import type { SandboxControl } from '../control';
import type { ThrottleClass } from '../throttle';
import type { IssuedToken } from '../tokens';

export type GraphVersion = 'v1.0' | 'beta';

export interface GraphContext {
  readonly control: SandboxControl;
  readonly version: GraphVersion;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly token: IssuedToken;
  readonly body: unknown;
  /** The sandbox Graph origin, e.g. https://127.0.0.1:4443, for @odata.context and @odata.nextLink. */
  readonly origin: string;
}

export interface GraphResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GraphRoute {
  readonly method: 'GET' | 'POST';
  /** Path after the version, with `{name}` for one segment, e.g. `deviceManagement/managedDevices/{id}`; or a matcher. */
  readonly path: string | ((segments: readonly string[]) => Record<string, string> | undefined);
  /** Application permissions, any one of which allows the call (least privileged first). */
  readonly permissions: readonly string[];
  /** What Graph answers without one of them: the service's own 403 code and a message that names nothing secret. */
  readonly forbidden: { readonly code: string; readonly message: string };
  /** The Intune budget the call counts against; absent for calls outside the Intune devices service. */
  readonly throttle?: ThrottleClass;
  /** Query options the route understands; any other `$option` is a 400. */
  readonly queryOptions?: readonly string[];
  readonly handle: (ctx: GraphContext) => GraphResult | Promise<GraphResult>;
}

/** An error a route throws to answer with Graph's error shape. */
export class GraphHttpError extends Error {
  override readonly name = 'GraphHttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function graphErrorBody(code: string, message: string, requestId: string, clientRequestId: string | undefined, now: number): unknown {
  const innerError: Record<string, string> = { date: new Date(now).toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': requestId };
  if (clientRequestId !== undefined) innerError['client-request-id'] = clientRequestId;
  return { error: { code, message, innerError } };
}

/** Matches `segments` against a `{name}` template; returns the captured names or undefined. */
export function matchTemplate(template: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = template.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part.toLowerCase() !== segment.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export function matchRoute(route: GraphRoute, segments: readonly string[]): Record<string, string> | undefined {
  return typeof route.path === 'string' ? matchTemplate(route.path, segments) : route.path(segments);
}

/** `$select` as a list of names, checked against the properties the entity has in this version. */
export function parseSelect(query: URLSearchParams, known: ReadonlySet<string>, entity: string): string[] | undefined {
  const raw = query.get('$select');
  if (raw === null) return undefined;
  const names = raw.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!known.has(name)) throw new GraphHttpError(400, 'BadRequest', `Could not find a property named '${name}' on type 'microsoft.graph.${entity}'.`);
  }
  return names;
}

/** Keeps only `select`ed properties (all when undefined). */
export function project(entity: Record<string, unknown>, select: readonly string[] | undefined): Record<string, unknown> {
  if (select === undefined) return entity;
  const out: Record<string, unknown> = {};
  for (const name of select) if (name in entity) out[name] = entity[name];
  return out;
}
