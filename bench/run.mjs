// Runs bench/intake.bench.ts. `npm run build` compiles src/ to dist/src/ (CommonJS); this transpiles the benchmark
// beside it, to dist/bench/intake.bench.js, whose `../src/...` imports then resolve to the built app, and loads it.
// Type checking of the benchmark is `npm run typecheck`'s job (tsconfig.json includes bench/).
//
//   npm run build && node bench/run.mjs [--out path.json]
//
// Settings are environment variables, listed at the top of bench/intake.bench.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'bench', 'intake.bench.ts');
const compiled = join(root, 'dist', 'bench', 'intake.bench.js');

if (!existsSync(join(root, 'dist', 'src', 'intake', 'app.js'))) {
  console.error('dist/src is missing: run `npm run build` first (or `npm run bench`, which builds).');
  process.exit(1);
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

// Loading the module starts the benchmark; it sets process.exitCode and forks itself (`--server`) for the servers.
createRequire(import.meta.url)(compiled);
