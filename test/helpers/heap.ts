import { createHook } from 'node:async_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/** A full garbage collection, without starting Node with --expose-gc. */
export function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

/**
 * Heap in use after a full collection, in bytes, without code space (compiled code grows the
 * first times new code runs; that is not memory the code under test holds).
 */
export function measureHeap(): number {
  collectGarbage();
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name !== 'code_space') used += space.space_used_size;
  return used;
}

/**
 * Counts timers created from now on that are still pending, unref'd ones included
 * (`process.getActiveResourcesInfo()` only lists timers that keep the process alive). With
 * `createdBy`, only timers whose creation stack mentions it (e.g. a package name) are counted.
 */
export function trackTimers(createdBy?: string): { pending(): Promise<number>; stop(): void } {
  const live = new Set<number>();
  const hook = createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      if (createdBy === undefined || (new Error().stack ?? '').includes(createdBy)) live.add(asyncId);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    // Destroy hooks run asynchronously after clearTimeout: let them land first.
    pending: () => new Promise((resolve) => setImmediate(() => setImmediate(() => resolve(live.size)))),
    stop: () => hook.disable(),
  };
}
