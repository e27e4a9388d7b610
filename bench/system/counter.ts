import { WARMUP_ID_BASE } from './service';

/** Handler executions per client request id (warm-up ids are not counted). */
export class ExecutionCounter {
  private readonly counts = new Map<number, number>();

  add(id: number): void {
    if (id >= WARMUP_ID_BASE) return;
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  clear(): void {
    this.counts.clear();
  }

  /** `[id, count, id, count, …]`: compact over IPC. */
  toPairs(): number[] {
    const out: number[] = [];
    for (const [id, count] of this.counts) out.push(id, count);
    return out;
  }
}

/** Sums `[id, count, …]` lists (one per replica) into executions per id. */
export function mergePairs(lists: readonly (readonly number[])[]): Map<number, number> {
  const total = new Map<number, number>();
  for (const list of lists) {
    for (let i = 0; i + 1 < list.length; i += 2) total.set(list[i], (total.get(list[i]) ?? 0) + list[i + 1]);
  }
  return total;
}
