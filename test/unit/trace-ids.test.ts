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

  it('agrees with the regular-expression reading of the spec on 20,000 mutated headers', () => {
    // The parser checks characters in place; this is the same rule set written with regexes.
    const reference = (value: string): { traceId: string; parentId: string; traceFlags: number } | undefined => {
      if (value.length < 55 || value.length > 512) return undefined;
      const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/s.exec(value);
      if (!m || m[1] === 'ff' || (m[1] === '00' && value.length !== 55)) return undefined;
      if (m[2] === '0'.repeat(32) || m[3] === '0'.repeat(16)) return undefined;
      return { traceId: m[2], parentId: m[3], traceFlags: parseInt(m[4], 16) };
    };
    const alphabet = '0123456789abcdefABCDEFgz-_ \u00e9';
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const versions = ['00', '01', 'fe', 'ff', '0a'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let value = `${versions[random(versions.length)]}${valid.slice(2)}`;
      for (let edits = random(3); edits > 0; edits--) {
        const at = random(value.length + 1);
        const what = random(4);
        if (what === 0) value = value.slice(0, at) + alphabet[random(alphabet.length)] + value.slice(at + 1);
        else if (what === 1) value = value.slice(0, at) + value.slice(at + 1);
        else if (what === 2) value = value.slice(0, at) + alphabet[random(alphabet.length)] + value.slice(at);
        else value = `${value}-${'ab'.repeat(random(240))}`;
      }
      const expected = reference(value);
      if (expected) accepted++;
      expect(parseTraceParent(value), value).toEqual(expected);
    }
    expect(accepted).toBeGreaterThan(1000); // both branches were exercised
  });
});
