import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in 1 KiB blocks, hex-encoded once per block: an id is then a slice of
// that string (V8 shares the characters), not a native call per id. One block makes 64 span ids.
// A kept id keeps its block's 2 KiB string alive; ids live as long as their call, so that is bounded.
const BLOCK_BYTES = 1024;
const block = Buffer.allocUnsafe(BLOCK_BYTES);
let hex = '';
let offset = 0;

/** `length` cryptographically random bytes as lowercase hex. */
export function randomHex(length: number): string {
  const chars = 2 * length;
  if (offset + chars > hex.length) {
    randomFillSync(block);
    hex = block.toString('hex');
    offset = 0;
  }
  const id = hex.slice(offset, offset + chars);
  offset += chars;
  return id;
}
