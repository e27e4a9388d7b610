import { newSpanId, newTraceId } from './ids';
import { formatTraceParent } from './traceparent';

/** Length of a version-00 traceparent. */
const LENGTH = 55;
const PER_BLOCK = 64;
let block = '';
let next = PER_BLOCK;

/**
 * A `traceparent` for a call that starts a new trace: a fresh trace id and span id, flags 00.
 *
 * They are formatted 64 at a time into one string and handed out as slices of it. A header
 * concatenated per call is a rope that grpc-js's metadata check (a regular expression) must first
 * copy into a flat string, through the runtime; a slice of a flat string is checked in place.
 * The trace id is `header.slice(3, 35)`.
 */
export function freshTraceParent(): string {
  if (next === PER_BLOCK) {
    const headers = new Array<string>(PER_BLOCK);
    for (let i = 0; i < PER_BLOCK; i++) headers[i] = formatTraceParent(newTraceId(), newSpanId(), 0);
    block = headers.join('');
    next = 0;
  }
  const start = LENGTH * next++;
  return block.slice(start, start + LENGTH);
}
