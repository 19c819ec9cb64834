// Summarises V8 CPU profiles (.cpuprofile, as `node --cpu-prof` writes them, e.g. the workflow benchmark's worker
// children with BENCH_CPU_PROF=1): where the sampled time went, by function (self and total) and by area.
//
//   node bench/cpuprofile-top.mjs <file.cpuprofile | directory> [--top 30] [--match text]
//
// Self time: samples whose top frame is the function. Total time: samples with the function anywhere on the stack
// (counted once per sample, so recursion does not inflate it). Functions are keyed by `file:function`, with the file
// relative to the repository (dist/src/…, node_modules/<package>/…) or as Node names it (node:internal/…). The idle
// time is left out of the percentages: they are shares of the time the process was on the CPU. With a directory, every
// profile in it is summed. `--match` keeps the functions whose key contains the text (e.g. `dist/`) in the function
// tables. `--callers text` also lists, for the functions whose key contains the text, the chains of callers (up to
// `--depth`, 6) that their self time came through.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {{ functionName: string, url: string }} CallFrame */
/** @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode */
/** @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} Profile */

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
/** @type {(name: string, fallback: string) => string} */
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args.splice(i, 2)[1] ?? fallback) : fallback;
};
const top = Number(option('--top', '30'));
const match = option('--match', '');
const callersOf = option('--callers', '');
const depth = Number(option('--depth', '6'));
const target = args[0];
if (target === undefined) {
  console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile | directory> [--top 30] [--match text]');
  process.exit(2);
}
const files = statSync(target).isDirectory()
  ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f))
  : [target];
if (files.length === 0) {
  console.error(`no .cpuprofile in ${target}`);
  process.exit(1);
}

/** @param {string} url */
function fileOf(url) {
  if (url === '') return '(native)';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + 1);
  if (path.startsWith(`${root}/`)) path = path.slice(root.length + 1);
  return path;
}

/** The area a file belongs to: our code, a package, Node itself, or V8's own buckets. */
/** @type {(file: string, fn: string) => string} */
function areaOf(file, fn) {
  if (file === '(native)') return fn.startsWith('(') ? fn : '(native)';
  if (file.startsWith('node_modules/')) {
    const parts = file.split('/');
    return parts[1]?.startsWith('@') ? `${parts[1]}/${parts[2]}` : (parts[1] ?? file);
  }
  if (file.startsWith('node:')) return 'node';
  if (file.startsWith('dist/')) return `ours: ${file.split('/').slice(1, 3).join('/')}`;
  return file;
}

/** @type {Map<string, number>} */
const self = new Map();
/** @type {Map<string, number>} */
const total = new Map();
/** @type {Map<string, number>} */
const areas = new Map();
/** @type {Map<string, number>} */
const chains = new Map();
let busyUs = 0;
let idleUs = 0;
let wallUs = 0;
/** @type {(map: Map<string, number>, key: string, us: number) => void} */
const add = (map, key, us) => {
  map.set(key, (map.get(key) ?? 0) + us);
};

for (const file of files) {
  const profile = /** @type {Profile} */ (JSON.parse(readFileSync(file, 'utf8')));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, { key: string, area: string, root: boolean }>} */
  const keyOf = new Map();
  for (const n of profile.nodes) {
    const fn = n.callFrame.functionName || '(anonymous)';
    const f = fileOf(n.callFrame.url);
    keyOf.set(n.id, { key: f === '(native)' ? fn : `${f}:${fn}`, area: areaOf(f, fn), root: n.callFrame.functionName === '(root)' });
  }
  wallUs += profile.endTime - profile.startTime;
  /** @type {(id: number) => { key: string, area: string, root: boolean }} */
  const frame = (id) => keyOf.get(id) ?? { key: '(unknown)', area: '(unknown)', root: false };
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0;
    const { key, area } = frame(id);
    if (key === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    add(self, key, us);
    add(areas, area, us);
    if (callersOf !== '' && key.includes(callersOf)) {
      const frames = [];
      for (let at = parent.get(id); at !== undefined && frames.length < depth; at = parent.get(at)) frames.push(frame(at).key);
      add(chains, `${key}\n      ← ${frames.join('\n      ← ')}`, us);
    }
    /** @type {Set<string>} */
    const seen = new Set();
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const f = frame(at);
      if (!seen.has(f.key) && !f.root) {
        seen.add(f.key);
        add(total, f.key, us);
      }
    }
  });
}

/** @param {number} us */
const ms = (us) => (us / 1000).toFixed(0).padStart(8);
/** @param {number} us */
const pct = (us) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
/** @type {(title: string, map: Map<string, number>, n: number, filter?: (key: string) => boolean) => void} */
function table(title, map, n, filter = () => true) {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ms ${pct(us)}  ${k}`);
}

console.log(`${String(files.length)} profile(s): ${(wallUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(2)} s on the CPU, ${(idleUs / 1e6).toFixed(1)} s idle`);
table('By area (self time)', areas, top);
table(`Top ${String(top)} functions by self time${match === '' ? '' : ` (matching "${match}")`}`, self, top, (k) => k.includes(match));
if (callersOf !== '') table(`Callers of "${callersOf}" (self time by chain)`, chains, 10);
table(`Top ${String(top)} functions by total time (self + callees)${match === '' ? '' : ` (matching "${match}")`}`, total, top, (k) => k.includes(match));
