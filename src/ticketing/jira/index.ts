/** Jira Cloud for the product: the REST v3 / JSM client, its typed errors and the ADF builder. */
export { adf, type AdfBlock, type AdfDoc, type AdfInline, type AdfMark } from './adf';
export { createJiraClient, type JiraClient, type JiraClientOptions, type JiraRequestOptions } from './client';
export * from './errors';
export type * from './responses';
