import { afterAll } from 'vitest';

// Resources a test file may legitimately leave to the runner itself.
const IGNORED = new Set(['PipeWrap', 'TTYWrap', 'ProcessWrap', 'FSReqCallback', 'FSEventWrap', 'Immediate', 'SignalWrap']);

/** Fails the file when it leaves open sockets, servers or timers behind (see docs/development.md). */
afterAll(async () => {
  // Let closing sockets and cleared timers settle first.
  for (let i = 0; i < 20; i++) {
    const open = process.getActiveResourcesInfo().filter((r) => !IGNORED.has(r));
    if (open.length === 0) return;
    await new Promise((r) => setTimeout(r, 25).unref());
  }
  const open = process.getActiveResourcesInfo().filter((r) => !IGNORED.has(r));
  if (open.length > 0) throw new Error(`open handles left after the test file: ${open.join(', ')}`);
});
