import type { Redis } from 'ioredis';
import type { z } from 'zod';

export type ScriptArg = string | number;

/**
 * A Lua script as a typed Redis command. It is registered on each client the first time it runs there, with ioredis
 * `defineCommand`: ioredis then sends EVAL once per connection and EVALSHA after it, and sends the script again when
 * Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH). `Args` names the script's ARGV; the reply is checked
 * against the schema it was declared with, so a script and its caller cannot drift apart silently.
 */
export interface ScriptCommand<Args extends readonly ScriptArg[], Reply> {
  readonly name: string;
  run(redis: Redis, keys: readonly string[], args: Args): Promise<Reply>;
}

type ScriptFunction = (numberOfKeys: number, ...keysAndArgs: ScriptArg[]) => Promise<unknown>;

const scripts = new Map<string, string>();
const registered = new WeakMap<Redis, Set<string>>();

/**
 * Registers every script declared so far on the client. createRedis calls it on each new client, before its first
 * command: with auto-pipelining, a command defined after a pipeline was started in the same tick is missing from that
 * pipeline (ioredis issue 1931), so a client should know its scripts before it sends anything. Modules declare their
 * scripts when they load, so a composition root has declared all of them before it creates a client.
 */
export function registerScripts(redis: Redis): void {
  let names = registered.get(redis);
  if (names === undefined) {
    names = new Set();
    registered.set(redis, names);
  }
  for (const [name, lua] of scripts) {
    if (names.has(name)) continue;
    // No numberOfKeys: the scripts take a varying number of keys, passed first on each call.
    redis.defineCommand(name, { lua });
    names.add(name);
  }
}

function commandOn(redis: Redis, name: string): ScriptFunction {
  // A client that createRedis did not make (a test's own) registers them on first use.
  if (registered.get(redis)?.has(name) !== true) registerScripts(redis);
  const command = (redis as unknown as Record<string, ScriptFunction | undefined>)[name];
  if (command === undefined) throw new Error(`the Redis client has no command ${name}`);
  return command;
}

/**
 * Declares a script command. `name` is the method ioredis adds to the client, so it is unique across the product;
 * `reply` describes what the script returns (omit it when the caller checks the reply itself).
 */
export function defineScript<Args extends readonly ScriptArg[], Reply = unknown>(name: string, lua: string, reply?: z.ZodType<Reply>): ScriptCommand<Args, Reply> {
  const known = scripts.get(name);
  if (known !== undefined && known !== lua) throw new Error(`two different Lua scripts are both named ${name}`);
  scripts.set(name, lua);
  return {
    name,
    async run(redis, keys, args) {
      const raw = await commandOn(redis, name).call(redis, keys.length, ...keys, ...args);
      if (reply === undefined) return raw as Reply;
      const parsed = reply.safeParse(raw);
      if (!parsed.success) throw new Error(`the Redis script ${name} returned an unexpected reply`);
      return parsed.data;
    },
  };
}
