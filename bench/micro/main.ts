import { serveParent } from '../lib/child-rpc';
import { runMicro } from './measure';

/** The micro-benchmark's child process (pinned to one core by the parent). */
serveParent({
  run: (message) =>
    runMicro({
      iterations: message.iterations as number,
      rounds: message.rounds as number,
      only: message.only as string[] | undefined,
    }),
});
