import { parseMethodKeys, type MethodTable } from '../internal/method-keys';
import { readServices, type ServiceSource } from '../internal/services';
import { booleanOption, describeValue, enumOption, isPlainObject, keysOf, objectOption } from '../internal/validate';
import { isKnownStatusCode, parseStatusCode } from './codes';
import {
  DEFAULT_CLASSIFICATIONS,
  UNKNOWN_CODE_CLASSIFICATION,
  type RetryCondition,
  type RetryMode,
  type StatusClassification,
} from './classification';

/** Changes to some rows: keys are codes (numbers) or names (`'UNAVAILABLE'`). */
export type StatusOverrides = Readonly<Record<string | number, Partial<StatusClassification>>>;

export interface StatusTableOptions {
  /** Changes applied to every method. */
  readonly overrides?: StatusOverrides;
  /**
   * Changes for some methods, keyed by full path (`/pkg.Service/Method`) or by service
   * (`pkg.Service` or `/pkg.Service/*`). A method entry applies on top of its service entry.
   */
  readonly methods?: Readonly<Record<string, StatusOverrides>>;
  /** Service definitions: each key of `methods` must name one of their methods or services. */
  readonly service?: ServiceSource | readonly ServiceSource[];
}

/** The classification table shared by every interceptor of a stack. */
export interface StatusTable {
  /** The classification of `code` for `method` (a full path), applying overrides. */
  classify(code: number, method?: string): StatusClassification;
}

const RETRY_MODES: readonly RetryMode[] = ['always', 'idempotent', 'never'];
const RETRY_CONDITIONS: readonly RetryCondition[] = ['pushback', 'attempt-timeout'];
const CLASSIFICATION_FIELDS = keysOf<StatusClassification>({ retry: true, retryOnlyWith: true, breakerFailure: true, clientFault: true, exposable: true });
const OPTION_KEYS = keysOf<StatusTableOptions>({ overrides: true, methods: true, service: true });

type Row = readonly StatusClassification[];

class CompiledStatusTable implements StatusTable {
  constructor(
    private readonly base: Row,
    private readonly rows: MethodTable<Row>,
  ) {}

  classify(code: number, method?: string): StatusClassification {
    const row = method === undefined || this.rows.isEmpty ? this.base : (this.rows.find(method) ?? this.base);
    return isKnownStatusCode(code) ? row[code] : UNKNOWN_CODE_CLASSIFICATION;
  }
}

/** Validates one row's changes; only the fields given are returned. */
function validateChange(where: string, value: unknown): Partial<StatusClassification> {
  const o = objectOption<StatusClassification>(where, value, CLASSIFICATION_FIELDS);
  const change: { -readonly [K in keyof StatusClassification]?: StatusClassification[K] } = {};
  if (o.retry !== undefined) change.retry = enumOption(`${where}.retry`, o.retry, 'never', RETRY_MODES);
  // An explicit `retryOnlyWith: undefined` is kept: it removes the condition.
  if ('retryOnlyWith' in o) {
    change.retryOnlyWith = o.retryOnlyWith === undefined ? undefined : enumOption(`${where}.retryOnlyWith`, o.retryOnlyWith, 'pushback', RETRY_CONDITIONS);
  }
  for (const flag of ['breakerFailure', 'clientFault', 'exposable'] as const) {
    if (o[flag] !== undefined) change[flag] = booleanOption(`${where}.${flag}`, o[flag], false);
  }
  return change;
}

/** Validates overrides: status code (number or name) → changes to its row. */
function validateOverrides(where: string, value: unknown): ReadonlyMap<number, Partial<StatusClassification>> {
  if (!isPlainObject(value)) {
    throw new TypeError(`${where} must be an object keyed by status code (0–16 or a name like UNAVAILABLE); got ${describeValue(value)}`);
  }
  const changes = new Map<number, Partial<StatusClassification>>();
  for (const [key, change] of Object.entries(value)) {
    const code = parseStatusCode(/^\d+$/.test(key) ? Number(key) : key);
    if (code === undefined) {
      throw new TypeError(`${where}: "${key}" is not a gRPC status code (use 0–16 or a name like UNAVAILABLE)`);
    }
    changes.set(code, validateChange(`${where}[${JSON.stringify(key)}]`, change));
  }
  return changes;
}

function applyOverrides(row: Row, changes: ReadonlyMap<number, Partial<StatusClassification>>): Row {
  const next = row.slice();
  for (const [code, change] of changes) {
    const merged = { ...next[code], ...change };
    if ('retryOnlyWith' in change && change.retryOnlyWith === undefined) delete (merged as { retryOnlyWith?: unknown }).retryOnlyWith;
    next[code] = Object.freeze(merged);
  }
  return Object.freeze(next);
}

/** Builds a table from the defaults plus overrides; throws a descriptive error on bad input. */
export function createStatusTable(options: StatusTableOptions = {}, name = 'statusTable'): StatusTable {
  const o = objectOption<StatusTableOptions>(name, options, OPTION_KEYS);
  const defaults: Row = Object.freeze(Array.from({ length: 17 }, (_, code) => DEFAULT_CLASSIFICATIONS[code as 0]));
  const base = o.overrides === undefined ? defaults : applyOverrides(defaults, validateOverrides(`${name}.overrides`, o.overrides));
  const known = readServices(o.service, `${name}.service`);
  const perMethod = parseMethodKeys(`${name}.methods`, o.methods, validateOverrides, { known });
  return new CompiledStatusTable(base, perMethod.layered(base, applyOverrides));
}

/** The table with no overrides. */
export const defaultStatusTable: StatusTable = createStatusTable();

/**
 * Accepts a built table or options for one. `service` (the stack's) checks the method keys of
 * options that do not name their own.
 */
export function resolveStatusTable(
  value: StatusTable | StatusTableOptions | undefined,
  service?: StatusTableOptions['service'],
): StatusTable {
  if (value === undefined) return defaultStatusTable;
  if (typeof (value as Partial<StatusTable> | null)?.classify === 'function') return value as StatusTable;
  const options = value as StatusTableOptions;
  if (service === undefined || options === null || typeof options !== 'object' || 'service' in options) return createStatusTable(options);
  return createStatusTable({ ...options, service });
}
