import type { Writable } from 'node:stream';

/** A server call we write responses to (grpc-js ServerWritableStream / ServerDuplexStream). */
export type ResponseStream = Writable & { readonly cancelled?: boolean };

/** True once nothing more can be written: ended by someone, or destroyed by a cancel. */
export function isClosed(call: ResponseStream): boolean {
  return call.destroyed || call.writableEnded;
}

/** Ends the stream (OK status) unless it already ended. */
export function endStream(call: ResponseStream): void {
  if (!isClosed(call)) call.end();
}

/** Resolves when the stream drains or closes (a cancelled call is destroyed, which closes it). */
function drained(call: ResponseStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
  });
}

/** True for something `pipeResponses` can consume (strings excluded). */
export function isResponseSource(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (value === null || typeof value !== 'object') return false;
  return (
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

async function stop(iterator: Iterator<unknown> | AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // the generator's cleanup failed after the client left: nothing can be reported to it
  }
}

/**
 * Writes every response of `source` to `call`, waiting for 'drain' when grpc-js buffers are full.
 * When the client cancels (or the stream is ended elsewhere), stops the source (its `finally`
 * blocks run) and returns. Resolves `'done'` when the source is exhausted (the caller ends the
 * stream), `'closed'` when the call went away; rejects with what the source threw.
 */
export async function pipeResponses(
  call: ResponseStream,
  source: AsyncIterable<unknown> | Iterable<unknown>,
): Promise<'done' | 'closed'> {
  const iterator =
    typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
      ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (source as Iterable<unknown>)[Symbol.iterator]();
  for (;;) {
    if (isClosed(call)) {
      await stop(iterator);
      return 'closed';
    }
    const step = await iterator.next();
    if (step.done) return 'done';
    if (isClosed(call)) {
      await stop(iterator);
      return 'closed';
    }
    if (!call.write(step.value)) await drained(call);
  }
}
