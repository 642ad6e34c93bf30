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
  /** Returns the exit code (0 when omitted). */
  run(ctx: CommandContext): Promise<number | void>;
}
