import { randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pool refilled in 4 KiB blocks: one syscall per ~170 trace ids.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `length` cryptographically random bytes as lowercase hex. */
export function randomHex(length: number): string {
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + length);
  offset += length;
  return hex;
}
