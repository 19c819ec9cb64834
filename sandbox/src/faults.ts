/**
 * Fault injection by route: a rule matches a method and a path pattern and yields a fault either with a probability
 * or from a scripted sequence (one entry per matching request; `null` means "no fault this time").
 */

/**
 * An error status to answer instead of the route: throttling and outages (429, 5xx), and also refusals for good (401,
 * 403, 404, …), so that a permanent error can be put on any simulated service. Any status from 400 to 599.
 */
export type FaultStatus = number;

export type Fault =
  /**
   * `retryAfterSeconds`: the Retry-After header (default 1 on 429 and 503); `null` sends none, as Intune sometimes
   * answers a 429 (users report it; DOMAIN.md §2).
   */
  | { readonly kind: 'status'; readonly status: FaultStatus; readonly retryAfterSeconds?: number | null }
  | { readonly kind: 'latency'; readonly ms: number }
  /** The connection is destroyed before the request takes effect. */
  | { readonly kind: 'reset' }
  /** The request takes effect, then the connection is destroyed before any response byte is sent. */
  | { readonly kind: 'lostResponse' }
  /**
   * The request takes effect and is answered with its own status, but with this body instead of its own: `json` (any
   * JSON value, e.g. a property of another type than documented), or `text` sent as it is under the JSON content type
   * (e.g. a body cut short). An answer whose shape the client does not expect. A route that answers no body (204)
   * answers 200 with it.
   */
  | { readonly kind: 'body'; readonly json?: unknown; readonly text?: string }
  /**
   * A redirect to `location` instead of the route (nothing takes effect). Graph answers some calls with a 302 to a
   * pre-authenticated URL on another host (learn.microsoft.com/graph/api/driveitem-get-content; report downloads go to
   * reportsweu.office.com, github.com/microsoftgraph/msgraph-sdk-powershell/issues/155): a client that follows it must
   * not take the token along to another host.
   */
  | { readonly kind: 'redirect'; readonly status: RedirectStatus; readonly location: string };

/** The redirect statuses a fault can answer. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface FaultRuleInput {
  /** HTTP method; any method when absent. */
  readonly method?: string;
  /** A path such as `/v1.0/deviceManagement/managedDevices/x/resetPasscode`, where `*` is one segment and `**` any rest; or a RegExp. */
  readonly path: string | RegExp;
  /** Each matching request, in order, gets the next entry. */
  readonly sequence?: readonly (Fault | null)[];
  /** With `probability`: the fault injected on that share of matching requests. */
  readonly fault?: Fault;
  readonly probability?: number;
}

interface FaultRule {
  readonly id: number;
  readonly method: string | undefined;
  readonly pattern: RegExp;
  readonly sequence: readonly (Fault | null)[] | undefined;
  readonly fault: Fault | undefined;
  readonly probability: number;
  used: number;
}

/** What to do to one request: added latency (summed), and at most one other fault (the first rule's). */
export interface FaultPlan {
  readonly latencyMs: number;
  readonly fault: Exclude<Fault, { kind: 'latency' }> | undefined;
}

function toRegExp(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split('/')
    .map((segment) => (segment === '**' ? '.*' : segment === '*' ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a rule; returns its id for `remove`. */
  add(input: FaultRuleInput): number {
    const probability = input.probability ?? (input.fault === undefined ? 0 : 1);
    if (input.sequence === undefined && input.fault === undefined) throw new Error('a fault rule needs a sequence or a fault');
    if (probability < 0 || probability > 1) throw new RangeError('probability is between 0 and 1');
    for (const fault of [input.fault, ...(input.sequence ?? [])]) {
      if (fault?.kind === 'body' && (fault.json === undefined) === (fault.text === undefined)) throw new RangeError('a body fault has json or text, not both');
    }
    const id = this.nextId++;
    this.rules.push({ id, method: input.method?.toUpperCase(), pattern: toRegExp(input.path), sequence: input.sequence, fault: input.fault, probability, used: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** Decides the faults for one request (and consumes sequence entries). `path` is the decoded path without query. */
  plan(method: string, path: string): FaultPlan {
    let latencyMs = 0;
    let fault: FaultPlan['fault'];
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method !== method.toUpperCase()) continue;
      if (!rule.pattern.test(path)) continue;
      let chosen: Fault | null | undefined;
      if (rule.sequence !== undefined) {
        chosen = rule.sequence[rule.used];
      } else if (rule.fault !== undefined && this.random() < rule.probability) {
        chosen = rule.fault;
      }
      rule.used += 1;
      if (chosen === null || chosen === undefined) continue;
      if (chosen.kind === 'latency') latencyMs += chosen.ms;
      else fault ??= chosen;
    }
    return { latencyMs, fault };
  }
}
