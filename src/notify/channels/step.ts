/** Runs one side effect of a delivery once: skipped when the ledger says it was delivered, recorded right after. */
export type RunStep = (name: string, effect: () => Promise<unknown>) => Promise<void>;

export interface ChannelContext {
  readonly step: RunStep;
  readonly signal?: AbortSignal;
}
