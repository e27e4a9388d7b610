import type { StatusClassification } from './classification';
import { defaultStatusTable, type StatusTable } from './table';

export interface ClassifyContext {
  /** Full method path (`/pkg.Service/Method`), for per-method overrides. */
  readonly method?: string;
  /** The table to consult; the default table when absent. */
  readonly table?: StatusTable;
}

/** The one status table: how retry, breaker and error exposure treat `code`. */
export function classifyStatus(code: number, ctx?: ClassifyContext): StatusClassification {
  return (ctx?.table ?? defaultStatusTable).classify(code, ctx?.method);
}
