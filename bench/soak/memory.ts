/** A heap/RSS sample taken after a full GC (needs --expose-gc), so retained memory is compared. */
export interface MemorySample {
  readonly tMs: number;
  readonly calls: number;
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export function sampleMemory(t0: number, calls: number): MemorySample {
  gc?.();
  const m = process.memoryUsage();
  return { tMs: performance.now() - t0, calls, heapUsed: m.heapUsed, rss: m.rss, external: m.external };
}

export const hasGc = (): boolean => typeof gc === 'function';
