import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { productVersion, readProductVersion } from '../../src/version';

const PACKAGE = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };

describe('the product version', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'resetpc-version-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('is the version in package.json, whatever npm_package_version says', () => {
    const saved = process.env.npm_package_version;
    process.env.npm_package_version = '9.9.9';
    try {
      expect(productVersion()).toBe(PACKAGE.version);
    } finally {
      if (saved === undefined) delete process.env.npm_package_version;
      else process.env.npm_package_version = saved;
    }
  });

  it('is found from the built layout, dist/src/ with package.json two folders up (as in the image\'s /app)', () => {
    mkdirSync(join(root, 'dist', 'src'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'intune-passcode-reset', version: '3.2.1' }));
    expect(readProductVersion(join(root, 'dist', 'src'))).toBe('3.2.1');
  });

  it('skips a package.json of another package on the way up', () => {
    mkdirSync(join(root, 'dist', 'src'), { recursive: true });
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'something-else', version: '0.0.1' }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'intune-passcode-reset', version: '3.2.1' }));
    expect(readProductVersion(join(root, 'dist', 'src'))).toBe('3.2.1');
  });

  it('fails loudly, naming where it looked, when package.json is missing', () => {
    mkdirSync(join(root, 'dist', 'src'), { recursive: true });
    expect(() => readProductVersion(join(root, 'dist', 'src'))).toThrow(/package\.json .* is missing: looked for .*dist[/\\]src[/\\]package\.json/);
  });
});
