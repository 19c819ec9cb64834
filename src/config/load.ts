import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { configSchema, type Config } from './schema';

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) under the real environment: a variable set in the environment wins. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env, dotenvPath = '.env'): Record<string, string> {
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  return merged;
}

/** Parses every setting once. Empty strings count as unset. Throws ConfigError naming every bad variable. */
export function parseConfig(vars: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) if (v !== undefined && v !== '') input[k] = v;
  const result = configSchema.safeParse(input);
  if (result.success) return Object.freeze(result.data);
  const problems = result.error.issues.map((issue) => {
    const name = issue.path[0] === undefined ? 'configuration' : String(issue.path[0]);
    // Never echo the value: it may be a secret.
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError([...new Set(problems)].sort());
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(readEnvironment(env));
}
