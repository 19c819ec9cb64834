/**
 * Device actions on a scripted timeline. A resetPasscode POST stores when it happened and the device's script;
 * every read computes the state from the sandbox clock: pending, then active, then the scripted outcome.
 */
import type { ActionState } from '@microsoft/microsoft-graph-types';
import { randomInt } from 'node:crypto';
import type { ActionScript } from './tenant';

/**
 * The passcode the simulated Intune generates starts with this. It is a canary: no log line, ticket, email or stored
 * record of the product may ever contain it.
 */
export const SANDBOX_CANARY_PASSCODE_PREFIX = 'SBX-CANARY-PASSCODE-';

export interface StoredAction {
  readonly actionName: string;
  readonly startedAt: number;
  readonly script: ActionScript;
  readonly passcode: string;
}

/** A deviceActionResult as served (resetPasscodeActionResult on beta). */
export interface ServedActionResult {
  '@odata.type'?: string;
  actionName: string;
  actionState: ActionState;
  startDateTime: string;
  lastUpdatedDateTime: string;
  passcode?: string | null;
  errorCode?: number;
}

export function newResetPasscodeAction(startedAt: number, script: ActionScript): StoredAction {
  if (script.activeAfterMs < 0 || script.finalAfterMs < script.activeAfterMs) throw new RangeError('an action script runs forward: 0 ≤ activeAfterMs ≤ finalAfterMs');
  const digits = randomInt(0, 100_000_000).toString().padStart(8, '0');
  return { actionName: 'resetPasscode', startedAt, script, passcode: `${SANDBOX_CANARY_PASSCODE_PREFIX}${digits}` };
}

/** The state of `action` at `now`, and when it last changed. */
export function actionStateAt(action: StoredAction, now: number): { state: ActionState; changedAt: number } {
  const { startedAt, script } = action;
  if (now < startedAt + script.activeAfterMs) return { state: 'pending', changedAt: startedAt };
  if (now < startedAt + script.finalAfterMs) return { state: 'active', changedAt: startedAt + script.activeAfterMs };
  return { state: script.outcome, changedAt: startedAt + script.finalAfterMs };
}

/**
 * The result as Graph serves it: a `resetPasscodeActionResult` with the passcode (once done) and the error code, on
 * v1.0 as on beta. The v1.0 reference documents both (learn.microsoft.com/graph/api/resources/intune-devices-resetpasscodeactionresult?view=graph-rest-1.0),
 * and the v1.0 typings carry `passcode` since 2018 and `errorCode` since 2024 (@microsoft/microsoft-graph-types).
 */
export function serveAction(action: StoredAction, now: number): ServedActionResult {
  const { state, changedAt } = actionStateAt(action, now);
  const served: ServedActionResult = {
    actionName: action.actionName,
    actionState: state,
    startDateTime: new Date(action.startedAt).toISOString(),
    lastUpdatedDateTime: new Date(changedAt).toISOString(),
  };
  served['@odata.type'] = '#microsoft.graph.resetPasscodeActionResult';
  served.passcode = state === 'done' ? action.passcode : null;
  served.errorCode = state === 'failed' ? (action.script.errorCode ?? 0) : 0;
  return served;
}
