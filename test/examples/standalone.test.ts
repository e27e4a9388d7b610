import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

/** Runs `npx tsx examples/<file>` and resolves with its exit code and output. */
function runExample(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [path.join('examples', file)], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the standalone examples run, print what they promise, and exit by themselves', () => {
  it('examples/server.ts: public errors as thrown, bugs as INTERNAL with a trace id, the real error only in the log', { timeout: 40_000 }, async () => {
    const { code, stdout, stderr } = await runExample('server.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('GetUser 7 → OK');
    expect(stdout).toMatch(/GetUser 8 → NOT_FOUND: "user 8 not found" \(reason USER_NOT_FOUND, trace id [0-9a-f]{32}\)/);
    const crash = stdout.split('\n').find((line) => line.startsWith('GetUser crash'));
    expect(crash).toMatch(/INTERNAL: "Internal error \(trace id [0-9a-f]{32}\)"/);
    expect(crash).not.toContain('hunter2');
    expect(stdout).toContain('[server log] error'); // where the real error went
    expect(stdout).toMatch(/RenameUser with a 200 ms deadline → DEADLINE_EXCEEDED/);
  });

  it('examples/client.ts: retries, then fallback and an open breaker, then recovery', { timeout: 40_000 }, async () => {
    const { code, stdout, stderr } = await runExample('client.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('retry: attempt 2 after UNAVAILABLE');
    expect(stdout).toContain('(from cache) [degraded]');
    expect(stdout).toMatch(/closed → open[\s\S]*open → half-open[\s\S]*half-open → closed/);
    expect(stdout).toMatch(/breakers: \S+ closed/);
  });

  it('examples/proto-loader.ts: idempotency_level from the proto decides what is retried', { timeout: 40_000 }, async () => {
    const { code, stdout, stderr } = await runExample('proto-loader.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('retrying /example.users.v1.UserService/GetUser after ABORTED');
    expect(stdout).toContain('GetUser → OK');
    expect(stdout).toContain('not retrying /example.users.v1.UserService/RenameUser after ABORTED: not-idempotent');
    expect(stdout).toContain('RenameUser → ABORTED: RenameUser: the transaction conflicted with another; try again');
  });

  for (const file of ['quickstart-ts-proto.ts', 'quickstart-proto-loader.ts']) {
    it(`examples/${file}: the README's quick start; the trace id on both sides, then a degraded answer`, { timeout: 40_000 }, async () => {
      const { code, stdout, stderr } = await runExample(file);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^B: GetUser u1, trace id [0-9a-f]{32}$/m);
      expect(stdout).toContain('A: Ada, degraded: false');
      const served = /^B: GetUser nobody, trace id ([0-9a-f]{32})$/m.exec(stdout)?.[1];
      expect(stdout).toContain(`A: NOT_FOUND "no such user", trace id ${served}`);
      expect(stdout).toContain('A: (cached), degraded: true');
    });
  }
});
