import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * Programmatic V8 CPU profiling of the current process, so only the measured window is profiled
 * (not start-up or warm-up). The profile is written as a .cpuprofile (open it in Chrome DevTools
 * or speedscope) and summarised by the parent.
 */

let session: Session | undefined;

function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

export async function startProfiling(intervalUs = 100): Promise<void> {
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
}

export interface CpuProfile {
  readonly nodes: readonly {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

/** Stops profiling, writes the profile to `file`, and returns it. */
export async function stopProfiling(file: string): Promise<CpuProfile> {
  const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
  await post('Profiler.disable');
  session!.disconnect();
  session = undefined;
  writeFileSync(file, JSON.stringify(profile));
  return profile;
}
