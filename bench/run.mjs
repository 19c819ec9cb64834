// Runs a benchmark: bench/intake.bench.ts (default), bench/workflow.bench.ts or bench/ops.bench.ts. `npm run build` compiles src/ and
// workers/ to dist/ (CommonJS); this transpiles the benchmark beside them, to dist/bench/<name>.bench.js, whose
// `../src/...` and `../workers/...` imports then resolve to the built app, and loads it. Type checking of the
// benchmarks is `npm run typecheck`'s job (tsconfig.json includes bench/).
//
//   npm run build && node bench/run.mjs [intake|workflow|ops] [--out path.json]
//
// Settings are environment variables, listed at the top of each bench/<name>.bench.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2] !== undefined && !process.argv[2].startsWith('--') ? process.argv[2] : 'intake';
if (name !== 'intake' && name !== 'workflow' && name !== 'ops') {
  console.error(`unknown benchmark "${name}": intake, workflow or ops`);
  process.exit(2);
}
const source = join(root, 'bench', `${name}.bench.ts`);
const compiled = join(root, 'dist', 'bench', `${name}.bench.js`);

// The benchmarks' `@resetpc/sandbox` imports load the simulator's build, sandbox/dist (npm run build makes both).
for (const built of [join('dist', 'src', 'intake', 'app.js'), join('dist', 'workers', 'compose.js'), join('sandbox', 'dist', 'index.js')]) {
  if (!existsSync(join(root, built))) {
    console.error(`${built} is missing: run \`npm run build\` first (or \`npm run bench\`, which builds).`);
    process.exit(1);
  }
}

const output = ts.transpileModule(readFileSync(source, 'utf8'), {
  fileName: source,
  reportDiagnostics: true,
  compilerOptions: {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2023,
    esModuleInterop: true,
    sourceMap: false,
  },
});
const problems = output.diagnostics ?? [];
if (problems.length > 0) {
  for (const d of problems) console.error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  process.exit(1);
}
mkdirSync(dirname(compiled), { recursive: true });
writeFileSync(compiled, output.outputText);

// Loading the module starts the benchmark; it sets process.exitCode and forks itself for its servers or workers.
createRequire(import.meta.url)(compiled);
