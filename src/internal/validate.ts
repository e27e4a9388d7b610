/**
 * Option validation shared by every interceptor: each check throws a TypeError or RangeError whose
 * message names the option, what is allowed and what was given.
 */
import { MAX_TIMEOUT_MS } from './time';

/** A value as an error message shows it: strings quoted, objects and functions by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** A finite number in [min, max]; `undefined` gives `fallback`. */
export function numberOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number between ${min} and ${max}; got ${describeValue(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`${name} must be between ${min} and ${max}; got ${value}`);
  return value;
}

/** An integer in [min, max]; `undefined` gives `fallback`. */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  const n = numberOption(name, value, fallback, min, max);
  if (!Number.isInteger(n)) throw new RangeError(`${name} must be a whole number between ${min} and ${max}; got ${n}`);
  return n;
}

/** A boolean; `undefined` gives `fallback`. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false; got ${describeValue(value)}`);
  return value;
}

/** One of `allowed`; `undefined` gives `fallback`. */
export function enumOption<T extends string>(name: string, value: unknown, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describeValue(value)}`);
  }
  return value as T;
}

/** A timeout in ms (1 ms to 24 days, the grpc-js limit) or `Infinity` for none. */
export function timeoutOption(name: string, value: unknown): number {
  if (value === Infinity) return Infinity;
  if (typeof value !== 'number' || !(value >= 1 && value <= MAX_TIMEOUT_MS)) {
    throw new RangeError(`${name} must be milliseconds between 1 and ${MAX_TIMEOUT_MS} (24 days), or Infinity for none; got ${describeValue(value)}`);
  }
  return value;
}

/** A function or undefined. */
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function; got ${describeValue(value)}`);
  return value as F;
}

/** A non-empty string or undefined. */
export function stringOption(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string; got ${describeValue(value)}`);
  }
  return value;
}

/** A plain object (or undefined → `{}`); rejects keys not in `known`, naming the allowed ones. */
export function objectOption<T extends object>(name: string, value: unknown, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object; got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}: unknown option "${key}"; allowed: ${known.join(', ')}`);
    }
  }
  return value as Partial<T>;
}
