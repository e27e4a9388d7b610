import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The code blocks the README marks `<!-- snippet: FILE -->`, by file. */
function snippets(): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of README.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)) found.set(m[1], m[2]);
  return found;
}

/** The example as a user would write it: the package by name instead of the repository's source. */
function asPublished(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8').replace(/from '\.\.\/src(\/[a-z]+)?'/g, "from 'grpc-resilience$1'");
}

describe('the README', () => {
  it('quotes the quick-start examples exactly, so its code typechecks and runs', () => {
    const quoted = snippets();
    expect([...quoted.keys()].sort()).toEqual(['examples/quickstart-proto-loader.ts', 'examples/quickstart-ts-proto.ts']);
    for (const [file, code] of quoted) expect(code, `README snippet of ${file}`).toBe(asPublished(file));
  });

  it('stays at most 15 KB', () => {
    expect(Buffer.byteLength(README)).toBeLessThanOrEqual(15 * 1024);
  });
});
