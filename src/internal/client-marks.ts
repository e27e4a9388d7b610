import type { Metadata } from '@grpc/grpc-js';

/**
 * What this client's stack did to a call (how many attempts it made, whether a fallback answered),
 * keyed by the metadata object of the status it delivered. The `x-resilience-*` trailers show the
 * same for display; these marks are what `attemptsOf()` and `isDegraded()` read, so a server sending
 * those trailers cannot pose as the stack. One map per process, shared by every copy of the package
 * (the stack may come from the CommonJS build and the reader from the ESM one).
 */
interface Marks {
  attempts?: number;
  degraded?: boolean;
}

const marks: WeakMap<Metadata, Marks> = ((globalThis as Record<symbol, unknown>)[Symbol.for('grpc-resilience.clientMarks')] ??=
  new WeakMap<Metadata, Marks>()) as WeakMap<Metadata, Marks>;

function marksOf(metadata: Metadata): Marks {
  let entry = marks.get(metadata);
  if (entry === undefined) marks.set(metadata, (entry = {}));
  return entry;
}

export function markAttempts(metadata: Metadata, attempts: number): void {
  marksOf(metadata).attempts = attempts;
}

export function markDegraded(metadata: Metadata): void {
  marksOf(metadata).degraded = true;
}

/** The marks of `from` carried over to `to` (a status rebuilt from another keeps what the stack did). */
export function copyMarks(from: Metadata, to: Metadata): void {
  const entry = marks.get(from);
  if (entry !== undefined) marks.set(to, { ...entry });
}

export function markedAttempts(metadata: Metadata | undefined): number | undefined {
  return metadata === undefined ? undefined : marks.get(metadata)?.attempts;
}

export function markedDegraded(metadata: Metadata | undefined): boolean {
  return metadata !== undefined && marks.get(metadata)?.degraded === true;
}
