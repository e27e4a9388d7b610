import { progressLine } from './format';
import type { DemoProgress } from './run';

export interface ProgressPrinter {
  readonly update: (progress: DemoProgress) => void;
  /** Ends the live line. */
  done(): void;
}

/** A live line rewritten in place on a terminal; elsewhere a plain line every `everyMs` and at the end of each phase. */
export function progressPrinter(stream: NodeJS.WriteStream, everyMs = 2_000): ProgressPrinter {
  if (stream.isTTY) {
    let shown = false;
    return {
      update(progress) {
        const width = Math.max(20, (stream.columns || 120) - 1);
        stream.write(`\r\x1b[2K${progressLine(progress).slice(0, width)}`);
        shown = true;
      },
      done() {
        if (shown) stream.write('\n');
      },
    };
  }
  let nextAt = everyMs;
  return {
    update(progress) {
      if (!progress.phaseDone && progress.elapsedMs < nextAt) return;
      if (!progress.phaseDone) nextAt += everyMs;
      stream.write(`${progressLine(progress)}\n`);
    },
    done() {},
  };
}
