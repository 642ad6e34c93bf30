/** The shape of a CLI command; each command lives in its own file under cli/commands/. */
import type { Output } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Shown in --help; applied by the command itself (so that "given" can be told from "default"). */
  default?: string | boolean;
  multiple?: boolean;
  /** Placeholder in --help, e.g. FILE. */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CommandContext {
  args: ParsedArgs;
  out: Output;
  signal: AbortSignal;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Longer text for --help (examples welcome). */
  details?: string;
  options: Record<string, OptionSpec>;
  positionals?: PositionalSpec[];
  /**
   * Options that depend on the command line, added to `options` before parsing: `train <method>`
   * derives the method's flags from its option schema. `argv` is the raw command line after the
   * command name. May throw a typed error (e.g. an unknown method).
   */
  dynamicOptions?(argv: readonly string[]): Record<string, OptionSpec>;
  /** More `--help` text that depends on the command line (e.g. the chosen method's option table). */
  dynamicHelp?(argv: readonly string[]): string | undefined;
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext): Promise<number | void>;
}

/**
 * The first positional argument of a raw command line, skipping the values of the string options
 * in `options` (`train --seed 3 mixupvi` -> 'mixupvi'). Used before parsing, to find the method whose
 * options a command derives.
 */
export function firstPositional(argv: readonly string[], options: Record<string, OptionSpec>): string | undefined {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) {
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}

/**
 * The value of option `--name` (or `-short`) on a raw command line, before parsing (last one wins).
 */
export function rawOptionValue(argv: readonly string[], name: string, short?: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${name}` || (short && a === `-${short}`)) v = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
  }
  return v;
}
