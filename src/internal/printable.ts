/**
 * Text the package writes itself (log messages, console lines, process warnings) may quote what
 * came from the network or from user code: an error message built from a request field, a rogue
 * server's percent-decoded `grpc-message`. Control characters in it are escaped, so a CR or LF
 * cannot start a forged log line and an ESC cannot drive a terminal.
 */

/** C0 and C1 control characters, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with each control character written as an escape: `\n`, `\r`, `\t`, `\u001b`, … */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/** `String(value)` (`name: message` for an Error) that never throws: hostile objects have throwing getters. */
export function safeText(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  } catch {
    return '[unprintable]';
  }
}

/** A value as one line of text for a warning or a log message: `safeText`, control characters escaped. */
export function printable(value: unknown): string {
  return escapeControl(safeText(value));
}

/** `process.emitWarning` with the text escaped (warnings quote what user code threw). */
export function emitPackageWarning(text: string, code?: string): void {
  process.emitWarning(escapeControl(text), code === undefined ? undefined : { code });
}
