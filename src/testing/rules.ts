import type { status } from '@grpc/grpc-js';
import { integerOption, numberOption, objectOption, stringOption } from '../internal/validate';
import { parseStatusCode, statusName } from '../status/codes';
import { parseMethodKeys, type MethodTable } from '../internal/method-keys';
import type { KnownMethods } from '../internal/services';
import { MAX_TIMER_MS } from '../internal/time';
import { latencyPlan, type LatencyPlan, type LatencySpec } from './latency';

/** A status code as a number or its canonical name (`'UNAVAILABLE'`). */
export type StatusCodeLike = status | keyof typeof status;

/** Fail the call with a status before the handler runs. */
export interface ErrorFault {
  /** Share of calls that fail, 0–1 (default 1). */
  readonly rate?: number;
  /** The code(s) to fail with, one picked uniformly per failure; repeat a code to weight it (default UNAVAILABLE). */
  readonly codes?: StatusCodeLike | readonly StatusCodeLike[];
  /** The status message (default `injected fault: <CODE>`). */
  readonly message?: string;
  /** Adds the `grpc-retry-pushback-ms` trailer to RESOURCE_EXHAUSTED and UNAVAILABLE failures (negative: "do not retry"). */
  readonly pushbackMs?: number;
  /** Adds a google.rpc.RetryInfo detail (`grpc-status-details-bin`) to RESOURCE_EXHAUSTED and UNAVAILABLE failures. */
  readonly retryInfoMs?: number;
}

/** Hold the call without answering, before the handler runs. */
export interface StallFault {
  /** Share of calls that stall, 0–1 (default 1). */
  readonly rate?: number;
  /** How long to hold the call before letting it through (default: forever, so the call's deadline or the client ends it). */
  readonly durationMs?: number;
}

/** The faults for one method, service or every call. */
export interface FaultRule {
  readonly error?: ErrorFault;
  readonly latency?: LatencySpec;
  readonly stall?: StallFault;
}

/**
 * Rules keyed by a full method path (`'/pkg.Service/Method'`), a service (`'pkg.Service'` or
 * `'/pkg.Service/*'`) or `'*'`. For each call the most specific matching rule applies (path, then service, then `'*'`);
 * rules are not merged.
 */
export type FaultRules = Readonly<Record<string, FaultRule>>;

/** Status of an outage started with `down()` (default: UNAVAILABLE, message `injected outage`). */
export type OutageFault = Omit<ErrorFault, 'rate' | 'codes'> & { readonly code?: StatusCodeLike };

export interface ErrorPlan {
  readonly rate: number;
  readonly codes: readonly status[];
  readonly message: string | undefined;
  readonly pushbackMs: number | undefined;
  readonly retryInfoMs: number | undefined;
}

export interface StallPlan {
  readonly rate: number;
  readonly durationMs: number | undefined;
}

/** A validated rule. */
export interface FaultPlan {
  readonly error?: ErrorPlan;
  readonly latency?: LatencyPlan;
  readonly stall?: StallPlan;
}

/** Validated rules, indexed for lookup by path. */
export type RuleSet = MethodTable<FaultPlan>;

const UNAVAILABLE = 14 as status;
const RESOURCE_EXHAUSTED = 8 as status;
const PUSHBACK_CODES: readonly status[] = [RESOURCE_EXHAUSTED, UNAVAILABLE];

/**
 * Validates rules; throws naming the offending option. With `known` (the injector's `service`),
 * each key must name one of its methods or services.
 */
export function compileRules(rules: unknown, name = 'rules', known?: KnownMethods): RuleSet {
  return parseMethodKeys(name, rules, compileRule, { accepts: 'any', known });
}

/** The rule for a method path: the path's own, else its service's, else `'*'`. */
export function ruleFor(rules: RuleSet, path: string): FaultPlan | undefined {
  return rules.find(path);
}

function compileRule(name: string, rule: unknown): FaultPlan {
  if (rule === undefined) throw new TypeError(`${name} must be an object; got undefined`);
  const o = objectOption<FaultRule>(name, rule, ['error', 'latency', 'stall']);
  return {
    error: o.error === undefined ? undefined : compileError(`${name}.error`, o.error),
    latency: o.latency === undefined ? undefined : latencyPlan(`${name}.latency`, o.latency),
    stall: o.stall === undefined ? undefined : compileStall(`${name}.stall`, o.stall),
  };
}

function compileError(name: string, value: unknown): ErrorPlan {
  const o = objectOption<ErrorFault>(name, value, ['rate', 'codes', 'message', 'pushbackMs', 'retryInfoMs']);
  const rate = numberOption(`${name}.rate`, o.rate, 1, 0, 1);
  const list = o.codes === undefined ? [UNAVAILABLE] : Array.isArray(o.codes) ? o.codes : [o.codes];
  if (list.length === 0) throw new RangeError(`${name}.codes must name at least one status code; got an empty array`);
  const codes = list.map((c, i) => failureCode(Array.isArray(o.codes) ? `${name}.codes[${i}]` : `${name}.codes`, c));
  return { rate, codes, ...statusFields(name, o, codes) };
}

/** Validates the status of an outage (`down()`). */
export function compileOutage(name: string, value: unknown): ErrorPlan {
  const o = objectOption<OutageFault>(name, value, ['code', 'message', 'pushbackMs', 'retryInfoMs']);
  const codes = [o.code === undefined ? UNAVAILABLE : failureCode(`${name}.code`, o.code)];
  const fields = statusFields(name, o, codes);
  return { rate: 1, codes, ...fields, message: fields.message ?? 'injected outage' };
}

function statusFields(name: string, o: Partial<OutageFault>, codes: readonly status[]) {
  const message = stringOption(`${name}.message`, o.message);
  const pushbackMs = o.pushbackMs === undefined ? undefined : integerOption(`${name}.pushbackMs`, o.pushbackMs, 0, -MAX_TIMER_MS, MAX_TIMER_MS);
  const retryInfoMs = o.retryInfoMs === undefined ? undefined : integerOption(`${name}.retryInfoMs`, o.retryInfoMs, 0, 0, MAX_TIMER_MS);
  if ((pushbackMs !== undefined || retryInfoMs !== undefined) && !codes.some((c) => PUSHBACK_CODES.includes(c))) {
    throw new RangeError(
      `${name}: pushbackMs and retryInfoMs apply to RESOURCE_EXHAUSTED and UNAVAILABLE only; got ${codes.map(statusName).join(', ')}`,
    );
  }
  return { message, pushbackMs, retryInfoMs };
}

function failureCode(name: string, value: unknown): status {
  const code = parseStatusCode(value);
  if (code === undefined || code === 0) {
    throw new TypeError(`${name} must be a non-OK status code (1–16) or its name, e.g. 'UNAVAILABLE'; got ${JSON.stringify(value) ?? String(value)}`);
  }
  return code;
}

function compileStall(name: string, value: unknown): StallPlan {
  const o = objectOption<StallFault>(name, value, ['rate', 'durationMs']);
  return {
    rate: numberOption(`${name}.rate`, o.rate, 1, 0, 1),
    durationMs: o.durationMs === undefined ? undefined : numberOption(`${name}.durationMs`, o.durationMs, 0, 0, MAX_TIMER_MS),
  };
}

/** True when the code may carry pushback / RetryInfo. */
export function takesPushback(code: status): boolean {
  return PUSHBACK_CODES.includes(code);
}
