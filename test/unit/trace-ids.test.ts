import { describe, expect, it } from 'vitest';
import { isValidTraceId, newSpanId, newTraceId, normaliseTraceToken } from '../../src/trace/ids';
import { freshTraceParent } from '../../src/trace/fresh';
import { formatTraceParent, parseTraceParent } from '../../src/trace/traceparent';

describe('trace ids', () => {
  it('are 32 lowercase hex, unique, never all zero', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = newTraceId();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(isValidTraceId(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
    expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(isValidTraceId('0'.repeat(32))).toBe(false);
    expect(isValidTraceId('A'.repeat(32))).toBe(false);
  });

  it('x-trace-id tokens: 32 hex or a UUID are normalised, anything else dropped', () => {
    expect(normaliseTraceToken('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(normaliseTraceToken('4bf92f35-77b3-4da6-a3ce-929d0e0e4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of ['', 'abc', '0'.repeat(32), 'g'.repeat(32), '4bf92f3577b34da6a3ce929d0e0e4736 ', 'x'.repeat(10_000), 42, null]) {
      expect(normaliseTraceToken(bad)).toBeUndefined();
    }
  });
});

describe('traceparent', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('parses version 00 strictly', () => {
    expect(parseTraceParent(valid)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
  });

  it('reads a future version by its first four fields', () => {
    expect(parseTraceParent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra`)?.traceFlags).toBe(0);
  });

  it.each([
    '',
    valid.toUpperCase(),
    `${valid}-x`,
    valid.replace('00-', 'ff-'),
    valid.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)),
    valid.replace('00f067aa0ba902b7', '0'.repeat(16)),
    valid.replace('-01', '-1'),
    valid.replace('-01', '-zz'),
    valid.replace(/-/g, '_'),
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    'x'.repeat(600),
  ])('rejects %s', (value) => {
    expect(parseTraceParent(value)).toBeUndefined();
  });

  it('formats', () => {
    expect(formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1)).toBe(valid);
    for (let flags = -1; flags <= 256; flags++) {
      expect(formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', flags).slice(53)).toBe(
        (flags & 0xff).toString(16).padStart(2, '0'),
      );
    }
  });

  it('fresh headers (made in blocks) are valid, flags 00, and never repeat a trace or span id', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const header = freshTraceParent();
      const parsed = parseTraceParent(header);
      expect(parsed, header).toBeDefined();
      expect(header.slice(3, 35)).toBe(parsed!.traceId);
      expect(parsed!.traceFlags).toBe(0);
      traces.add(parsed!.traceId);
      spans.add(parsed!.parentId);
    }
    expect(traces.size).toBe(1000);
    expect(spans.size).toBe(1000);
  });

});
