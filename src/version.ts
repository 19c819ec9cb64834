/**
 * The product's version: the `version` field of the package.json the running code was built from. It is read once,
 * from the file next to the code, so it is right however the process was started: `npm run intake` (which sets
 * npm_package_version), `node dist/src/bin/intake.js` (which does not), or the image, which copies package.json to
 * /app beside dist/. A missing or unreadable package.json fails at start-up, rather than reporting a made-up version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const PACKAGE_NAME = 'intune-passcode-reset';

const PackageJson = z.object({ name: z.literal(PACKAGE_NAME), version: z.string().min(1) });

/** `from` and the two folders above it: the repository root from src/ (the source tree) and from dist/src/ (built). */
function candidates(from: string): string[] {
  const found: string[] = [];
  for (let dir = from, up = 0; up < 3; dir = dirname(dir), up++) found.push(join(dir, 'package.json'));
  return found;
}

/** The version in the product's package.json, looked for in `from` and above it (this module's folder by default). */
export function readProductVersion(from: string = __dirname): string {
  const tried = candidates(from);
  for (const file of tried) {
    if (!existsSync(file)) continue;
    const parsed = PackageJson.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data.version;
  }
  throw new Error(`the product's package.json (name "${PACKAGE_NAME}", with a version) is missing: looked for ${tried.join(', ')}`);
}

let cached: string | undefined;

/** The product's version, read once per process. */
export function productVersion(): string {
  cached ??= readProductVersion();
  return cached;
}
