/**
 * Validation of everything a user hands the package (options, PublicError details, fault rules):
 * each check throws a TypeError or RangeError whose message names the option, what is allowed
 * and what was given.
 */
import { MAX_TIMEOUT_MS } from './time';

/** Longest string an error message quotes in full. */
const QUOTED_LENGTH = 80;

/** A value as an error message shows it: strings quoted (long ones cut), objects and functions by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > QUOTED_LENGTH ? `${value.slice(0, QUOTED_LENGTH)}…` : value);
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

/** A string (required); with `nonEmpty`, at least one character. */
export function requiredString(name: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw new TypeError(`${name} must be a ${nonEmpty ? 'non-empty ' : ''}string; got ${describeValue(value)}`);
  }
  return value;
}

/** A non-empty array (required). */
export function nonEmptyArray(name: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`${name} must be a non-empty array; got ${describeValue(value)}`);
  return value;
}

/** True for an object that is not null nor an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object of any keys, or undefined. */
export function plainObjectOption<T extends object>(name: string, value: unknown): T | undefined {
  if (value !== undefined && !isPlainObject(value)) throw new TypeError(`${name} must be an object; got ${describeValue(value)}`);
  return value as T | undefined;
}

/** A plain object (required); rejects keys not in `known`, naming the allowed ones. */
export function requiredObject<T extends object = Record<string, unknown>>(name: string, value: unknown, known: readonly string[]): Partial<T> {
  if (!isPlainObject(value)) throw new TypeError(`${name} must be an object; got ${describeValue(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}: unknown option "${key}"; allowed: ${known.join(', ')}`);
    }
  }
  return value as Partial<T>;
}

/** A plain object (or undefined → `{}`); rejects keys not in `known`, naming the allowed ones. */
export function objectOption<T extends object = Record<string, unknown>>(name: string, value: unknown, known: readonly string[]): Partial<T> {
  return value === undefined ? {} : requiredObject<T>(name, value, known);
}

/**
 * The keys of an options interface, listed once against it: the compiler flags a key missing from
 * the list or not in `T`, so the list of allowed keys never drifts from the interface.
 */
export function keysOf<T extends object>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}
