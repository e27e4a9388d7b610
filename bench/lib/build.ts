import { readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './machine';

/**
 * Child processes run plain JavaScript: bench/ and src/ are transpiled file by file (no bundling,
 * so `require` order — which the OpenTelemetry variant depends on — is unchanged) into a
 * per-run folder inside the repository (so node_modules resolves). Running children through
 * the tsx loader instead would add its loader thread (~40 MB RSS) to every measured process.
 */

let built: string | undefined;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Output folders of earlier runs that were interrupted before they could clean up. */
function removeStale(root: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
    if (pid && !isAlive(pid)) rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/** Builds once per parent process; returns the output root, or undefined when esbuild is unavailable. */
export function buildChildren(): string | undefined {
  if (built !== undefined) return built || undefined;
  let esbuild: typeof import('esbuild');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: absent esbuild skips the build
    esbuild = require('esbuild') as typeof import('esbuild');
  } catch {
    built = '';
    return undefined;
  }
  const root = path.join(REPO_ROOT, 'bench', '.build');
  removeStale(root);
  const outdir = path.join(root, `run-${process.pid}`);
  const common = { outdir, outbase: REPO_ROOT, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'silent' } as const;
  try {
    // The harness, file by file.
    esbuild.buildSync({ ...common, entryPoints: tsFiles(path.join(REPO_ROOT, 'bench')), bundle: false });
    // The package as one bundle with its dependencies external, as tsup publishes it (the bench
    // reaches it through src/index only). Inside a bundle our modules call each other directly;
    // built file by file, every access to another module's export goes through esbuild's CommonJS
    // export getters, a megamorphic property load each: hundreds of instructions per call that
    // users of the package never pay. import.meta.url gets the same shim as in tsup's build, so
    // optional peers (@opentelemetry/api) load as they do for users.
    esbuild.buildSync({
      ...common,
      entryPoints: [path.join(REPO_ROOT, 'src', 'index.ts')],
      bundle: true,
      packages: 'external',
      define: { 'import.meta.url': 'importMetaUrl' },
      banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
  } catch (e) {
    console.warn(`[bench] could not pre-build the child processes (${(e as Error).message.split('\n')[0]}); running them through tsx`);
    rmSync(outdir, { recursive: true, force: true });
    built = '';
    return undefined;
  }
  process.on('exit', removeBuild);
  built = outdir;
  return outdir;
}

/** Deletes this process's build (also done on exit; test runners may end workers without an exit event). */
export function removeBuild(): void {
  if (built) rmSync(built, { recursive: true, force: true });
  built = undefined;
}

/** The command line for a child entry (`bench/...ts`): built JavaScript when possible, else tsx. */
export function childCommand(entry: string): { nodeArgs: string[]; script: string } {
  const out = buildChildren();
  if (out) return { nodeArgs: [], script: path.join(out, entry.replace(/\.ts$/, '.js')) };
  return { nodeArgs: ['--import', 'tsx'], script: path.resolve(REPO_ROOT, entry) };
}
