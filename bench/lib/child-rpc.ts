/** The child side of `spawnChild`: answers typed requests from the parent over IPC. */

type Handler = (message: Record<string, unknown>) => unknown;

export function serveParent(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('this file is a benchmark child process; run it through `npm run bench`');
  process.on('message', async (message: { id: number; type: string } & Record<string, unknown>) => {
    if (message.type === 'exit') {
      process.exit(0);
    }
    try {
      const handler = handlers[message.type];
      if (!handler) throw new Error(`unknown request ${message.type}`);
      const result = await handler(message);
      process.send!({ id: message.id, result });
    } catch (e) {
      process.send!({ id: message.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
  // Exit with the parent rather than linger as an orphan.
  process.on('disconnect', () => process.exit(0));
}

/** Sends a progress line to the parent, which prints it (for long runs such as the soak). */
export function progress(line: string): void {
  process.send?.({ id: -1, log: line });
}
