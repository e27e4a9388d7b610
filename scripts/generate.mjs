// Regenerates TypeScript from proto/ with buf + ts-proto (a local plugin, no network).
// With --check, generates into a temporary folder and fails when the committed code is stale.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const templates = [
  { file: 'buf.gen.yaml', out: 'src/gen' },
  { file: 'buf.gen.examples.yaml', out: 'examples/gen' },
];
const check = process.argv.includes('--check');
const buf = join('node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function generate(baseDir) {
  for (const { file } of templates) {
    const args = ['generate', '--template', file];
    if (baseDir) args.push('-o', baseDir);
    execFileSync(buf, args, { stdio: 'inherit' });
  }
}

if (!check) {
  for (const { out } of templates) rmSync(out, { recursive: true, force: true });
  generate();
  console.log('generated:', templates.map((t) => t.out).join(', '));
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'grpc-resilience-gen-'));
  try {
    generate(tmp);
    const stale = [];
    for (const { out } of templates) {
      const fresh = new Map(listFiles(join(tmp, out)).map((p) => [relative(join(tmp, out), p), p]));
      const committed = new Map(listFiles(out).map((p) => [relative(out, p), p]));
      for (const [rel, path] of fresh) {
        const mine = committed.get(rel);
        if (!mine || readFileSync(mine, 'utf8') !== readFileSync(path, 'utf8')) stale.push(join(out, rel));
      }
      for (const rel of committed.keys()) if (!fresh.has(rel)) stale.push(`${join(out, rel)} (no longer generated)`);
    }
    if (stale.length > 0) {
      console.error(`Generated code is stale; run \`npm run generate\` and commit:\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log('generated code is up to date');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
