/**
 * The docs check's reader and runner: a walkthrough in Markdown, run as written with curl against a running product,
 * each answer checked against what the docs show (test/e2e/docs.test.ts).
 *
 * How a walkthrough is read:
 * - a ```sh block holds `NAME=value` lines (shell variables for the commands below them; `A=1; B=2` too) and single
 *   `curl` commands (continued by a trailing `\` or an open quote). Anything else fails the check, naming the line.
 *   A block of `npm …` commands is how to start the product: the check starts it itself, and skips the block.
 * - `# …` lines right under a command (no blank line between) show its answer: `# 404 …` the HTTP status (else any
 *   2xx); `"key":value` pairs the answer must hold somewhere (`...` or `…` stand for anything, `0c9b3b22-...` for any
 *   UUID; times only need to be there); and the words of request states.
 * - a ```json block right after the ```sh block is the last command's answer, read like the `#` lines.
 * - a plain ``` block right after the ```sh block, of `-> state   reason` (a move) and `   event   reason` (an event)
 *   lines, is the request's timeline, entry by entry.
 * A request state the docs name is met when the request is in it or has passed through it (its timeline): the check
 * runs faster than a person, so a request may be past the moment the docs show. Commands that only read (no `-X`,
 * no data) are repeated until their answer matches, within a deadline (a poll, never a sleep); others run once.
 * `<id>` stands for the last request id an answer named (a UUID `id`, also inside a JSON string such as Jira's
 * `responseBody`).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { REQUEST_STATES } from '../../src/domain/request';
import { waitFor } from './env';

const run = promisify(execFile);

export interface DocLine {
  readonly n: number;
  readonly text: string;
}

export type Expectation =
  | { readonly kind: 'status'; readonly line: number; readonly status: number }
  | { readonly kind: 'pair'; readonly line: number; readonly key: string; readonly shown: string; readonly matches: (value: unknown) => boolean }
  | { readonly kind: 'state'; readonly line: number; readonly state: string }
  | { readonly kind: 'value'; readonly line: number; readonly value: string }
  | { readonly kind: 'timeline'; readonly line: number; readonly entries: readonly TimelineLine[] };

interface TimelineLine {
  readonly line: number;
  readonly kind: 'move' | 'event';
  readonly name: string;
  readonly shown: string;
  readonly reason: RegExp;
}

export interface DocStep {
  readonly file: string;
  readonly line: number;
  readonly kind: 'assign' | 'curl';
  /** The command as the docs write it (placeholders filled in when the step runs). */
  readonly command: string;
  readonly expect: Expectation[];
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly json: unknown;
}

/** A request as GET /v1/resets/{id} shows it: enough to tell which states it went through. */
export interface RequestView {
  readonly state: string;
  readonly timeline: readonly { readonly to?: string | null }[];
}

export interface Walk {
  /** Shell variables set by the walkthrough's `NAME=value` lines. */
  readonly vars: Record<string, string>;
  /** The id `<id>` stands for. */
  requestId?: string | undefined;
  /** Fills the banner's values into the docs' text: tokens, the CA file, ports. */
  readonly fill: (text: string) => string;
  readonly lookup: (id: string) => Promise<RequestView>;
  readonly deadlineMs: number;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const isUuid = (value: unknown): value is string => typeof value === 'string' && new RegExp(`^${UUID}$`).test(value);
const STATES: readonly string[] = REQUEST_STATES;
/** Times differ on each run: the docs' values of these keys only say that the key is there. */
const VARYING = new Set(['at', 'timestamp', 'createdAt', 'updatedAt', 'receivedAt', 'submittedAt', 'approvalDeadline', 'sys_created_on', 'sys_updated_on']);
const PAIR = /"([A-Za-z_][\w.]*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null|\[(?:\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\])/g;

export function readDoc(path: string): DocLine[] {
  return readFileSync(path, 'utf8').split('\n').map((text, i) => ({ n: i + 1, text }));
}

/** The lines under `heading` (exact, e.g. `## Quick start`), up to the next heading of its level or above. */
export function sectionLines(file: string, lines: readonly DocLine[], heading: string): DocLine[] {
  const start = lines.findIndex((l) => l.text.trimEnd() === heading);
  if (start < 0) throw new Error(`${file} has no heading "${heading}": the docs check covers that section, so keep the heading or change the check`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const out: DocLine[] = [];
  let fenced = false;
  for (const line of lines.slice(start + 1)) {
    if (line.text.startsWith('```')) fenced = !fenced;
    const depth = fenced ? undefined : /^(#+) /.exec(line.text)?.[1]?.length;
    if (depth !== undefined && depth <= level) break;
    out.push(line);
  }
  return out;
}

export interface Block {
  readonly lang: string;
  readonly open: number;
  readonly close: number;
  readonly body: DocLine[];
}

export function fencedBlocks(lines: readonly DocLine[]): Block[] {
  const blocks: Block[] = [];
  let current: { lang: string; open: number; body: DocLine[] } | undefined;
  for (const line of lines) {
    const fence = /^```(\S*)\s*$/.exec(line.text);
    if (fence === null) current?.body.push(line);
    else if (current === undefined) current = { lang: fence[1] ?? '', open: line.n, body: [] };
    else {
      blocks.push({ ...current, close: line.n });
      current = undefined;
    }
  }
  return blocks;
}

/** Where a comment starts (`#` after a space, outside quotes), and whether a quote is still open at the end. */
function scan(source: string): { readonly comment: number | undefined; readonly openQuote: boolean } {
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote === undefined) {
      if (c === "'" || c === '"') quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(source[i - 1] ?? ''))) return { comment: i, openQuote: false };
    } else if (quote === '"' && c === '\\') i++;
    else if (c === quote) quote = undefined;
  }
  return { comment: undefined, openQuote: quote !== undefined };
}

/** The steps of a walkthrough: every ```sh block in `lines`, with the answers the docs show for each command. */
export function walkthroughSteps(file: string, lines: readonly DocLine[], fill: (text: string) => string): DocStep[] {
  const blocks = fencedBlocks(lines);
  const steps: DocStep[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'sh') return;
    const commands = shellSteps(file, block, fill).filter((step) => !step.command.startsWith('npm '));
    const next = blocks[i + 1];
    const last = commands.at(-1);
    if (last !== undefined && next !== undefined && next.open === block.close + 1 && next.lang !== 'sh') {
      last.expect.push(...answerBlock(file, next, fill));
    }
    steps.push(...commands);
  });
  return steps;
}

function shellSteps(file: string, block: Block, fill: (text: string) => string): DocStep[] {
  const steps: DocStep[] = [];
  let current: DocStep | undefined;
  for (let i = 0; i < block.body.length; i++) {
    const { n, text } = block.body[i] ?? { n: 0, text: '' };
    const trimmed = text.trim();
    if (trimmed === '') {
      current = undefined;
    } else if (trimmed.startsWith('#')) {
      if (current?.kind === 'curl') current.expect.push(...commentExpectations(n, fill(trimmed.replace(/^#\s?/, '')), current.expect.length === 0));
    } else {
      let source = text;
      while (scan(source).openQuote || (scan(source).comment === undefined && /\\\s*$/.test(source))) {
        const more = block.body[++i];
        if (more === undefined) throw new Error(`${file}:${n}: the command does not end (an open quote or a trailing backslash)`);
        source += `\n${more.text}`;
      }
      const at = scan(source).comment;
      const command = (at === undefined ? source : source.slice(0, at)).trim();
      const kind = /^curl\s/.test(command) ? 'curl' : 'assign';
      if (kind === 'assign' && !/^[A-Z_][A-Z0-9_]*=/.test(command) && !command.startsWith('npm ')) {
        throw new Error(`${file}:${n}: the docs check runs \`curl\` commands and NAME=value lines; this line is neither: ${command}`);
      }
      current = { file, line: n, kind, command, expect: [] };
      if (at !== undefined && kind === 'curl') current.expect.push(...commentExpectations(n, fill(source.slice(at + 1).trim()), true));
      steps.push(current);
    }
  }
  return steps;
}

/** What one `#` line (or one line of an answer block) says the answer holds. */
export function commentExpectations(line: number, text: string, first: boolean): Expectation[] {
  const expect: Expectation[] = [];
  const status = first ? /^(\d{3})\b/.exec(text) : null;
  if (status?.[1] !== undefined) expect.push({ kind: 'status', line, status: Number(status[1]) });
  for (const [, key = '', raw = ''] of text.matchAll(PAIR)) expect.push(pairExpectation(line, key, raw));
  const prose = text.replace(PAIR, ' ');
  for (const [word = ''] of prose.matchAll(/\b[a-z_]+\b/g)) if (STATES.includes(word)) expect.push({ kind: 'state', line, state: word });
  return expect;
}

function pairExpectation(line: number, key: string, raw: string): Expectation {
  const shown = `"${key}":${raw}`;
  if (raw.startsWith('[')) {
    const wanted = (JSON.parse(raw) as string[]).map((s) => valuePattern(s));
    return { kind: 'pair', line, key, shown, matches: (v) => Array.isArray(v) && wanted.every((p) => v.some((item) => typeof item === 'string' && p.test(item))) };
  }
  const value = JSON.parse(raw) as unknown;
  if (typeof value === 'string' && key === 'state' && STATES.includes(value)) return { kind: 'state', line, state: value };
  if (VARYING.has(key)) return { kind: 'pair', line, key, shown, matches: () => true };
  if (typeof value !== 'string') return { kind: 'pair', line, key, shown, matches: (v) => v === value };
  const pattern = valuePattern(value);
  return { kind: 'pair', line, key, shown, matches: (v) => typeof v === 'string' && pattern.test(v) };
}

/** A value the docs show, as a pattern: `...` and `…` stand for anything, `0c9b3b22-...` for a UUID. */
function valuePattern(shown: string): RegExp {
  const parts = shown.split(/([0-9a-f]{8}-(?:\.\.\.|…)|\.\.\.|…)/);
  const source = parts.map((part, i) => (i % 2 === 0 ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : /^[0-9a-f]{8}-/.test(part) ? UUID : '[\\s\\S]*')).join('');
  return new RegExp(`^${source}$`);
}

function answerBlock(file: string, block: Block, fill: (text: string) => string): Expectation[] {
  if (block.lang === 'json') return block.body.flatMap((l) => commentExpectations(l.n, fill(l.text), false));
  const entries = block.body
    .filter((l) => l.text.trim() !== '')
    .map((l): TimelineLine => {
      const m = /^(->| {2,})\s*([a-z_]+)\s{2,}(\S.*)$/.exec(l.text);
      if (m === null) throw new Error(`${file}:${l.n}: an answer block after a command must be JSON, or timeline lines ("-> state   reason", "   event   reason")`);
      const reason = (m[3] ?? '').trimEnd();
      return { line: l.n, kind: m[1] === '->' ? 'move' : 'event', name: m[2] ?? '', shown: reason, reason: valuePattern(reason) };
    });
  return [{ kind: 'timeline', line: block.open, entries }];
}

function* objects(value: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(value)) for (const item of value) yield* objects(item);
  else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    yield record;
    for (const child of Object.values(record)) yield* objects(child);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The first request id an answer names: a UUID `id`, also inside a JSON string value. */
export function requestIdIn(value: unknown): string | undefined {
  for (const record of objects(value)) {
    if (isUuid(record.id)) return record.id;
    for (const child of Object.values(record)) {
      const inner = typeof child === 'string' && child.startsWith('{') ? requestIdIn(parseJson(child)) : undefined;
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

async function stateMet(answer: unknown, state: string, lookup: Walk['lookup']): Promise<boolean> {
  const requests = [...objects(answer)].filter((r) => isUuid(r.id) && typeof r.state === 'string');
  if (requests.some((r) => r.state === state)) return true;
  for (const r of requests) {
    const seen = await lookup(String(r.id));
    if (seen.state === state || seen.timeline.some((e) => e.to === state)) return true;
  }
  return false;
}

function timelineProblem(answer: unknown, expected: readonly TimelineLine[]): string | undefined {
  const timeline = typeof answer === 'object' && answer !== null ? (answer as { timeline?: unknown }).timeline : undefined;
  if (!Array.isArray(timeline)) return 'the answer has no timeline';
  const actual = (timeline as { to?: string | null; event?: string; reason?: string }[]).map((e) => ({ name: e.to ?? e.event ?? '?', kind: e.to === undefined || e.to === null ? 'event' : 'move', reason: e.reason ?? '' }));
  for (const [i, want] of expected.entries()) {
    const got = actual[i];
    if (got?.kind !== want.kind || got.name !== want.name || !want.reason.test(got.reason)) {
      return `line ${want.line} shows ${want.kind} "${want.name}": ${want.shown}; entry ${i + 1} of the timeline is ${got === undefined ? 'missing' : `${got.kind} "${got.name}": ${got.reason}`}`;
    }
  }
  return actual.length === expected.length ? undefined : `the timeline has ${actual.length} entries, the docs show ${expected.length}`;
}

/** What in `expect` the answer does not show, or undefined when it shows all of it. */
async function mismatch(answer: Answer, expect: readonly Expectation[], lookup: Walk['lookup']): Promise<string | undefined> {
  const status = expect.find((e) => e.kind === 'status');
  if (status === undefined ? answer.status < 200 || answer.status > 299 : answer.status !== status.status) {
    return `HTTP ${answer.status}, where the docs ${status === undefined ? 'show success' : `show ${status.status} (line ${status.line})`}`;
  }
  for (const e of expect) {
    if (e.kind === 'pair' && ![...objects(answer.json)].some((r) => e.key in r && e.matches(r[e.key]))) return `line ${e.line} shows ${e.shown}`;
    if (e.kind === 'value' && ![...objects(answer.json)].some((r) => Object.values(r).includes(e.value))) return `line ${e.line} names ${e.value}`;
    if (e.kind === 'state' && !(await stateMet(answer.json, e.state, lookup))) return `line ${e.line} shows the state ${e.state}`;
    if (e.kind === 'timeline') {
      const problem = timelineProblem(answer.json, e.entries);
      if (problem !== undefined) return `the timeline at line ${e.line}: ${problem}`;
    }
  }
  return undefined;
}

/** The command as it runs: the placeholders filled in, `-q` (no ~/.curlrc) and `-w` (to read the HTTP status) added. */
function runnable(step: DocStep, walk: Walk): string {
  let command = walk.fill(step.command);
  if (command.includes('<id>')) {
    if (walk.requestId === undefined) throw new Error(`${step.file}:${step.line}: <id> is used before any answer named a request`);
    command = command.replaceAll('<id>', walk.requestId);
  }
  const unquoted = command.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, '');
  if (/[|;&`<>]|\$\(/.test(unquoted)) throw new Error(`${step.file}:${step.line}: the docs check runs single curl commands with no pipes or redirections: ${step.command}`);
  return command.replace(/^curl\s/, `curl -q -w '\\n%{http_code}' `);
}

/** Runs one curl step once, as written (placeholders filled in), and reads its answer. */
export async function curlOnce(step: DocStep, walk: Walk): Promise<Answer> {
  const command = runnable(step, walk);
  let stdout: string;
  try {
    // --norc: bash reads ~/.bashrc when its stdin is a socket, as Node's pipes are; a user's shell set-up has no say.
    ({ stdout } = await run('bash', ['--norc', '--noprofile', '-c', command], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...walk.vars }, timeout: 15_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const { code, stderr } = err as { code?: unknown; stderr?: string };
    throw new Error(`${step.file}:${step.line} drifted: \`${step.command}\` exited ${String(code)}: ${stderr ?? String(err)}`, { cause: err });
  }
  const cut = stdout.lastIndexOf('\n');
  const body = stdout.slice(0, Math.max(cut, 0));
  return { status: Number(stdout.slice(cut + 1)), body, json: parseJson(body) };
}

function readsOnly(command: string): boolean {
  return !/\s(-X|--request|-d|--data\S*|-T|--upload-file|-F)\s/.test(` ${command} `) || /\s-X\s+GET\s/.test(` ${command} `);
}

/** Runs one step: sets its variables, or runs its command (again, while it only reads) until the answer matches. */
export async function runStep(step: DocStep, walk: Walk): Promise<Answer | undefined> {
  if (step.kind === 'assign') {
    for (const part of step.command.split(';')) {
      const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(part);
      if (m === null) throw new Error(`${step.file}:${step.line}: cannot read the assignment "${part.trim()}"`);
      const value = walk.fill(m[2]?.trim() ?? '');
      if (/<[^>]+>/.test(value)) throw new Error(`${step.file}:${step.line}: the docs check has no value for ${value}: add it to the check's substitutions`);
      walk.vars[m[1] ?? ''] = value;
    }
    return undefined;
  }
  // A command that only reads is run again until its answer matches (the product may still be working); one that
  // changes something is run once.
  let answer: Answer | undefined;
  let problem: string | undefined;
  const matches = async (): Promise<boolean> => {
    answer = await curlOnce(step, walk);
    problem = await mismatch(answer, step.expect, walk.lookup);
    return problem === undefined || !readsOnly(step.command);
  };
  const what = `${step.file}:${step.line}`;
  await waitFor(matches, walk.deadlineMs, what, 100).catch((err: unknown) => {
    // Only the wait running out is expected: the last answer and what is wrong with it are reported below. Anything
    // else (the command failed in curlOnce, a bug in the check) fails the step as it is.
    if (!(err instanceof Error && err.message === `timed out waiting for ${what}`)) throw err;
  });
  if (answer === undefined || problem !== undefined) {
    throw new Error(`${step.file}:${step.line} drifted: ${problem ?? 'no answer'}\n  command: ${step.command}\n  answer (HTTP ${String(answer?.status)}): ${answer?.body.slice(0, 3000) ?? ''}`);
  }
  walk.requestId = requestIdIn(answer.json) ?? walk.requestId;
  return answer;
}
