/** Something a test opened: a client or server (`close`) or a breaker interceptor (`dispose`). */
export type Closable = { close(): unknown } | { dispose(): unknown };

/**
 * Closes what a test opened, in the order given (clients before the servers they talk to),
 * skipping what was never opened. Awaits each `close` that returns a promise.
 */
export async function closeAll(...resources: readonly (Closable | undefined)[]): Promise<void> {
  for (const resource of resources) {
    if (resource === undefined) continue;
    if ('dispose' in resource) resource.dispose();
    else await resource.close();
  }
}
