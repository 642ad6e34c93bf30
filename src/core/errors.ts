/**
 * Typed errors thrown at the public boundary of celldeconv.
 *
 * Every error carries a stable `code` (for scripts and tests), a `hint` (how to fix it), and, where
 * it helps, the `file`, `field`, `got` and `expected` values. The message is built from those parts
 * so that it always says what went wrong, where, what we got, what we expected and how to fix it.
 */

export interface ErrorDetails {
  /** Stable machine-readable code, e.g. `E_GENE_OVERLAP`. */
  code: string;
  /** How to fix it, in one sentence. */
  hint?: string;
  /** File the problem was found in. */
  file?: string;
  /** Field, column, option or element name. */
  field?: string;
  /** What we got (short, printable). */
  got?: unknown;
  /** What we expected (short, printable). */
  expected?: unknown;
  /** Underlying error. */
  cause?: unknown;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** Base class of every error celldeconv throws on purpose. */
export class CelldeconvError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly file?: string;
  readonly field?: string;
  readonly got?: unknown;
  readonly expected?: unknown;
  /** The message without the file prefix, got/expected and hint. */
  readonly what: string;

  constructor(what: string, details: ErrorDetails) {
    const parts: string[] = [];
    const where = [details.file, details.field].filter((x) => x !== undefined && x !== '').join(': ');
    parts.push(where ? `${where}: ${what}` : what);
    if (details.got !== undefined) parts.push(`got ${show(details.got)}`);
    if (details.expected !== undefined) parts.push(`expected ${show(details.expected)}`);
    let msg = parts.join('; ');
    if (details.hint) msg += `. ${details.hint}`;
    super(msg, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    this.what = what;
    this.code = details.code;
    this.hint = details.hint;
    this.file = details.file;
    this.field = details.field;
    this.got = details.got;
    this.expected = details.expected;
  }
}

/** Bad user data: NaN, negative counts, unknown labels, too little gene overlap... */
export class InputError extends CelldeconvError {}
/** A file that cannot be parsed: malformed header, ragged rows, unsupported encoding... */
export class FormatError extends CelldeconvError {}
/** Dimensions that do not agree. */
export class ShapeError extends CelldeconvError {}
/** A method was used before `fit`, or a model file is incomplete. */
export class NotFittedError extends CelldeconvError {}
/** The numeric backend (tfjs) could not be set up. */
export class BackendError extends CelldeconvError {}
/** An iterative solver failed in a way that cannot be reported as a warning. */
export class ConvergenceError extends CelldeconvError {}
/** The operation was cancelled through an AbortSignal. */
export class AbortError extends CelldeconvError {
  constructor(what = 'operation cancelled') {
    super(what, { code: 'E_ABORTED' });
  }
}

/** True when `e` is one of our typed errors. */
export function isCelldeconvError(e: unknown): e is CelldeconvError {
  return e instanceof CelldeconvError;
}

/** Formats a count with thousands separators, for messages. */
export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}
