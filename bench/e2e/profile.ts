import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchConfig } from '../lib/args';
import type { LoadResult } from '../lib/driver';
import { REPO_ROOT } from '../lib/machine';
import type { ProfileSummary } from '../lib/profile-summary';
import { startPair } from './orchestrate';
import { VARIANTS, unavailableReason } from './variants';

export const PROFILE_DIR = path.join(REPO_ROOT, 'bench', 'profiles');

export interface E2eProfile {
  readonly variant: string;
  readonly label: string;
  readonly concurrency: number;
  readonly load: LoadResult;
  readonly client: ProfileSummary;
  readonly server: ProfileSummary;
  readonly files: { client: string; server: string };
}

/** CPU profiles of one variant's client and server over one measured window (after warm-up). */
export async function profileE2e(config: BenchConfig, id: string, log: (line: string) => void): Promise<E2eProfile> {
  const variant = VARIANTS.find((v) => v.id === id);
  if (!variant) throw new Error(`unknown variant ${id}; known: ${VARIANTS.map((v) => v.id).join(', ')}`);
  const reason = unavailableReason(variant);
  if (reason) throw new Error(`${id} cannot run: ${reason}`);
  mkdirSync(PROFILE_DIR, { recursive: true });
  const concurrency = Math.max(...config.concurrency);
  const files = {
    client: path.join(PROFILE_DIR, `${id}-c${concurrency}-client.cpuprofile`),
    server: path.join(PROFILE_DIR, `${id}-c${concurrency}-server.cpuprofile`),
  };
  const pair = await startPair(variant, config);
  try {
    log(`profiling ${id} at c=${concurrency} for ${config.profileMs} ms (after ${config.warmupMs} ms warm-up)`);
    await pair.client.request('run', { concurrency, durationMs: config.warmupMs, record: false });
    await Promise.all([pair.client.request('profileStart'), pair.server.request('profileStart')]);
    const load = await pair.client.request<LoadResult>('run', { concurrency, durationMs: config.profileMs, record: true });
    const [client, server] = await Promise.all([
      pair.client.request<ProfileSummary>('profileStop', { file: files.client }),
      pair.server.request<ProfileSummary>('profileStop', { file: files.server }),
    ]);
    return { variant: id, label: variant.label, concurrency, load, client, server, files };
  } finally {
    await Promise.all([pair.client.close(), pair.server.close()]);
  }
}
