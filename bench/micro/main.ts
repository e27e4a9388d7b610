import { serveParent } from '../lib/child-rpc';
import { profileMicro, runMicro } from './measure';

/** The micro-benchmark's child process (pinned to one core by the parent). */
serveParent({
  run: (message) =>
    runMicro({
      iterations: message.iterations as number,
      rounds: message.rounds as number,
      only: message.only as string[] | undefined,
    }),
  profile: (message) => profileMicro(message.variant as string, message.iterations as number, message.file as string),
});
