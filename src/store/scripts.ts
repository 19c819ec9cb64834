import { z } from 'zod';
import { FINAL_STATES } from '../domain/request';
import { defineScript } from '../redis/commands';

/**
 * Lua scripts for the multi-key writes that must be atomic, each registered as a typed command (src/redis/commands.ts).
 * Each touches keys under one hash tag.
 */

const count = z.number().int();

/** The final states as a Lua set, from the one list in the domain. */
const LUA_FINAL_SET = `{ ${[...FINAL_STATES].map((s) => `${s}=true`).join(', ')} }`;

/**
 * Reserve the locks for a new request (device, and ticket when there is one), or take a lock for good.
 * KEYS: lock keys.  ARGV[1]: request id, ARGV[2]: reservation ttl (ms; 0 = no expiry), ARGV[3]: request key prefix (`{p}:request:`).
 * A lock whose holder no longer exists, or has reached a final state, is stale and is taken over.
 * Returns {0, ''} when reserved, or {i, holderId} for the first lock (1-based) held by another active request.
 */
const RESERVE_LOCKS = `
local final = ${LUA_FINAL_SET}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] then
    local ttl = redis.call('PTTL', key)
    local state = redis.call('HGET', ARGV[3] .. holder, 'state')
    local stale = (ttl == -1) and ((not state) or final[state])
    if not stale then return { i, holder } end
  end
end
for _, key in ipairs(KEYS) do
  if tonumber(ARGV[2]) > 0 then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
  else
    redis.call('SET', key, ARGV[1])
  end
end
return { 0, '' }
`;

export const reserveLocks = defineScript<[id: string, ttlMs: number, requestKeyPrefix: string], [number, string]>('resetpcReserveLocks', RESERVE_LOCKS, z.tuple([count, z.string()]));

/**
 * Commit a new request: record, first timeline entry, indexes, audit, and make its locks permanent.
 * KEYS[1] request hash, KEYS[2] timeline, KEYS[3] audit stream, KEYS[4..3+ARGV[8]] locks, then index keys.
 * ARGV: 1 id, 2 record json, 3 state, 4 createdAt score (ms), 5 updatedAt, 6 timeline entry json,
 *       7 audit min id (entries older are trimmed), 8 number of lock keys.
 * Returns 1, or 0 when a lock no longer belongs to this request (its reservation expired).
 */
const COMMIT_REQUEST = `
local locks = tonumber(ARGV[8])
for i = 4, 3 + locks do
  if redis.call('GET', KEYS[i]) ~= ARGV[1] then return 0 end
end
for i = 4, 3 + locks do redis.call('PERSIST', KEYS[i]) end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'state', ARGV[3], 'createdAt', ARGV[4], 'updatedAt', ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[6])
for i = 4 + locks, #KEYS do redis.call('ZADD', KEYS[i], ARGV[4], ARGV[1]) end
redis.call('XADD', KEYS[3], 'MINID', '=', ARGV[7], '*', 'request', ARGV[1], 'entry', ARGV[6])
return 1
`;

export const commitRequest = defineScript<
  [id: string, record: string, state: string, createdAtMs: number, updatedAt: string, entry: string, auditMinId: string, lockCount: number],
  number
>('resetpcCommitRequest', COMMIT_REQUEST, count);

/**
 * Accept a new request whose reset job was queued just before, in the same pipeline (src/store/acceptance.ts): if the
 * job is there and not finished, and the ticket and device locks are free, take the locks for good and store the
 * record, its first timeline entry, its indexes and an audit entry, all at once. A request is therefore never stored
 * without its job, and a refused or failed call leaves nothing behind but the job, which the caller removes.
 * KEYS: 1 the job's hash, 2 request hash, 3 timeline, 4 audit stream, 5..4+ARGV[8] locks (ticket first), then indexes.
 * ARGV: 1 id, 2 record json, 3 state, 4 createdAt score (ms), 5 updatedAt, 6 timeline entry json, 7 audit min id,
 *       8 number of lock keys, 9 request key prefix (`{p}:request:`).
 * A lock whose holder no longer exists, or is in a final state, is stale and is taken over (as in RESERVE_LOCKS).
 * Returns {0, ''} when stored, {-1, ''} when the job is missing or finished (nothing stored), or {i, holderId} for the
 * first lock (1-based) that another active request holds (nothing stored). Sent again with the same id (ioredis resends
 * an unanswered command after a reconnect), it finds the request stored and answers {0, ''} without writing twice,
 * whatever its job has done meanwhile (a fast request's job may have finished already).
 */
const ACCEPT_REQUEST = `
local final = ${LUA_FINAL_SET}
if redis.call('HEXISTS', KEYS[2], 'json') == 1 then return { 0, '' } end
local job = redis.call('HMGET', KEYS[1], 'name', 'finishedOn')
if not job[1] or job[2] then return { -1, '' } end
local locks = tonumber(ARGV[8])
for i = 5, 4 + locks do
  local holder = redis.call('GET', KEYS[i])
  if holder and holder ~= ARGV[1] then
    local ttl = redis.call('PTTL', KEYS[i])
    local state = redis.call('HGET', ARGV[9] .. holder, 'state')
    local stale = (ttl == -1) and ((not state) or final[state])
    if not stale then return { i - 4, holder } end
  end
end
for i = 5, 4 + locks do redis.call('SET', KEYS[i], ARGV[1]) end
redis.call('HSET', KEYS[2], 'json', ARGV[2], 'state', ARGV[3], 'createdAt', ARGV[4], 'updatedAt', ARGV[5])
redis.call('RPUSH', KEYS[3], ARGV[6])
for i = 5 + locks, #KEYS do redis.call('ZADD', KEYS[i], ARGV[4], ARGV[1]) end
redis.call('XADD', KEYS[4], 'MINID', '=', ARGV[7], '*', 'request', ARGV[1], 'entry', ARGV[6])
return { 0, '' }
`;

export const acceptRequest = defineScript<
  [id: string, record: string, state: string, createdAtMs: number, updatedAt: string, entry: string, auditMinId: string, lockCount: number, requestKeyPrefix: string],
  [number, string]
>('resetpcAcceptRequest', ACCEPT_REQUEST, z.tuple([count, z.string()]));

/** Release locks still held by this request. KEYS: lock keys. ARGV[1]: request id. */
const RELEASE_LOCKS = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 1
`;

export const releaseLocks = defineScript<[id: string], number>('resetpcReleaseLocks', RELEASE_LOCKS, count);

/**
 * Record another ticket on an active request.
 * KEYS: 1 request hash, 2 links list, 3 timeline, 4 ticket index, 5 audit.
 * ARGV: 1 id, 2 ticket json, 3 timeline entry json, 4 score (ms), 5 audit min id.
 * Returns 0 when the request is gone, 2 when that ticket is already linked, 1 when linked now.
 */
const LINK_TICKET = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 2 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('XADD', KEYS[5], 'MINID', '=', ARGV[5], '*', 'request', ARGV[1], 'entry', ARGV[3])
return 1
`;

export const linkTicket = defineScript<[id: string, ticket: string, entry: string, score: number, auditMinId: string], number>('resetpcLinkTicket', LINK_TICKET, count);

/**
 * Move a request from one state to the next, if it is still in the expected state: state, workflow data, state
 * indexes, a timeline entry and an audit entry at once; and on a final state, release the locks it holds.
 * KEYS: 1 request hash, 2 timeline, 3 audit, 4 old state index, 5 new state index, 6.. locks to release.
 * ARGV: 1 id, 2 expected state, 3 new state, 4 updatedAt, 5 timeline entry json, 6 audit min id,
 *       7 workflow json ('' keeps it), 8 '1' to release the locks, 9 the updatedAt it must still have ('' for any).
 * Returns 1, or 0 when the request is gone or no longer in the expected state (another worker or an operator moved it),
 * or has changed since ARGV[9].
 */
const TRANSITION = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state ~= ARGV[2] then return 0 end
if ARGV[9] ~= '' and redis.call('HGET', KEYS[1], 'updatedAt') ~= ARGV[9] then return 0 end
local score = redis.call('HGET', KEYS[1], 'createdAt')
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'updatedAt', ARGV[4])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'workflow', ARGV[7]) end
if KEYS[4] ~= KEYS[5] then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[5], score, ARGV[1])
end
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('XADD', KEYS[3], 'MINID', '=', ARGV[6], '*', 'request', ARGV[1], 'entry', ARGV[5])
if ARGV[8] == '1' then
  for i = 6, #KEYS do
    if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
  end
end
return 1
`;

export const transition = defineScript<
  [id: string, expected: string, next: string, updatedAt: string, entry: string, auditMinId: string, workflow: string, releaseLocks: '0' | '1', unchangedSince: string],
  number
>('resetpcTransition', TRANSITION, count);

/** Save workflow data if the request is still in the expected state. KEYS[1] request hash. ARGV: state, json. */
const SAVE_WORKFLOW = `
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'workflow', ARGV[2])
return 1
`;

export const saveWorkflow = defineScript<[state: string, workflow: string], number>('resetpcSaveWorkflow', SAVE_WORKFLOW, count);

/**
 * Add a timeline entry (and optionally new workflow data) without a state change, if the request is still in the
 * expected state. KEYS: 1 request hash, 2 timeline, 3 audit. ARGV: 1 id, 2 state, 3 entry json, 4 audit min id,
 * 5 workflow json ('' keeps it). Returns 1, or 0 when the state changed.
 */
const ANNOTATE = `
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[2] then return 0 end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'workflow', ARGV[5]) end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], 'MINID', '=', ARGV[4], '*', 'request', ARGV[1], 'entry', ARGV[3])
return 1
`;

export const annotate = defineScript<[id: string, state: string, entry: string, auditMinId: string, workflow: string], number>('resetpcAnnotate', ANNOTATE, count);
