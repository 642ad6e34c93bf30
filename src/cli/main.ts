/**
 * The `celldeconv` program: parses the command line, dispatches to a command, maps typed errors
 * to one-line messages and exit codes. Nothing else in the package calls process.exit.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isCelldeconvError } from '../core/errors.js';
import { suggestName } from '../core/suggest.js';
import { type CommandSpec, firstPositional, type OptionSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { Output } from './output.js';

/** Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 bad input/data, 130 cancelled. */
export const EXIT = { ok: 0, internal: 1, usage: 2, input: 3, aborted: 130 } as const;

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command' },
  json: { type: 'boolean', description: 'Print machine-readable JSON on stdout' },
  quiet: { type: 'boolean', short: 'q', description: 'No progress or notices on stderr' },
  debug: { type: 'boolean', description: 'Show stack traces on errors' },
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function optionHelp(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    const def = o.default !== undefined ? ` (default: ${o.default})` : '';
    return `  ${flag.padEnd(34)} ${o.description}${def}`;
  });
}

/** Exit code of a typed error: usage errors (bad flags, unknown methods or options) 2, cancelled 130, else 3. */
export function exitCodeOf(code: string): number {
  if (code === 'E_ABORTED') return EXIT.aborted;
  return code === 'E_USAGE' || code === 'E_UNKNOWN_METHOD' || code === 'E_OPTION' ? EXIT.usage : EXIT.input;
}

/**
 * The command's own message for a parse error of node:util parseArgs (unknown option, missing
 * value), with the nearest option name, instead of the parser's text.
 */
export function parseErrorMessage(
  command: string,
  e: Error & { code?: string },
  options: Record<string, OptionSpec>,
  helpOf: string = command,
): string {
  const help = `Run 'celldeconv ${helpOf} --help' for its options.`;
  const unknown = /Unknown option '([^']+)'/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const flag = unknown[1] as string;
    const names = Object.keys(options);
    const near = suggestName(flag.replace(/^-+/, ''), names);
    return `celldeconv ${command}: unknown option '${flag}'.${near ? ` Did you mean '--${near}'?` : ''} ${help}`;
  }
  const missing = /Option '(-\w, )?(--[^ ']+)[^']*' argument missing/.exec(e.message);
  if (missing) {
    const name = (missing[2] as string).slice(2);
    return `celldeconv ${command}: option '--${name}' needs a value (--${name} ${options[name]?.valueName ?? 'VALUE'}). ${help}`;
  }
  return `celldeconv ${command}: ${e.message.split('. ')[0]}. ${help}`;
}

export function commandHelp(c: CommandSpec, argv: readonly string[] = []): string {
  const pos = (c.positionals ?? []).map((p) => (p.required === false ? `[${p.name}]` : p.name)).join(' ');
  const lines = [`Usage: celldeconv ${c.name}${pos ? ` ${pos}` : ''} [options]`, '', c.summary];
  if (c.details) lines.push('', c.details);
  if (c.positionals?.length) {
    lines.push('', 'Arguments:');
    for (const p of c.positionals) lines.push(`  ${p.name.padEnd(34)} ${p.description}`);
  }
  lines.push('', 'Options:', ...optionHelp(c.options), ...optionHelp(GLOBAL_OPTIONS));
  const more = c.dynamicHelp?.(argv);
  if (more) lines.push('', more);
  return lines.join('\n');
}

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  return [
    'celldeconv: cell-type deconvolution of bulk RNA-seq from single-cell references',
    '',
    'Usage: celldeconv <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Global options: --help, --version, --json, --quiet, --debug',
    "Run 'celldeconv <command> --help' for a command's options.",
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script). Returns the exit code. */
export async function runCli(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    stderr.write(`celldeconv: unknown command '${name}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}. Run 'celldeconv --help'.\n`);
    return EXIT.usage;
  }
  let dynamic: Record<string, OptionSpec> = {};
  try {
    dynamic = cmd.dynamicOptions?.(rest) ?? {};
  } catch (e) {
    if (!isCelldeconvError(e)) throw e;
    stderr.write(`celldeconv ${name}: error ${e.code}: ${e.message}\n`);
    return exitCodeOf(e.code);
  }
  const options = { ...dynamic, ...cmd.options, ...GLOBAL_OPTIONS };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [
          k,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // For a command whose flags depend on the method (train METHOD), point to that method's help.
    const pos = cmd.dynamicOptions ? firstPositional(rest, options) : undefined;
    const helpOf = pos !== undefined && Object.keys(dynamic).length > 0 ? `${name} ${pos}` : name;
    stderr.write(`${parseErrorMessage(name, e as Error & { code?: string }, options, helpOf)}\n`);
    return EXIT.usage;
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    try {
      stdout.write(`${commandHelp(cmd, rest)}\n`);
    } catch (e) {
      if (!isCelldeconvError(e)) throw e;
      stderr.write(`celldeconv ${name}: error ${e.code}: ${e.message}\n`);
      return exitCodeOf(e.code);
    }
    return EXIT.ok;
  }
  const required = (cmd.positionals ?? []).filter((p) => p.required !== false).length;
  const maxPos = (cmd.positionals ?? []).length;
  if (parsed.positionals.length < required || parsed.positionals.length > maxPos) {
    stderr.write(
      `celldeconv ${name}: expected ${required === maxPos ? required : `${required} to ${maxPos}`} argument(s), got ${parsed.positionals.length}. Run 'celldeconv ${name} --help'.\n`,
    );
    return EXIT.usage;
  }
  const out = new Output({ json: Boolean(values.json), quiet: Boolean(values.quiet), debug: Boolean(values.debug), stdout, stderr });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const code = await cmd.run({ args: { values, positionals: parsed.positionals }, out, signal: controller.signal });
    return code ?? EXIT.ok;
  } catch (e) {
    if (isCelldeconvError(e)) {
      out.error(`celldeconv ${name}: error ${e.code}: ${e.message}`);
      if (values.debug) out.error(e.stack ?? '');
      return exitCodeOf(e.code);
    }
    out.error(
      `celldeconv ${name}: internal error: ${(e as Error)?.message ?? String(e)}${values.debug ? `\n${(e as Error)?.stack ?? ''}` : ' (run with --debug for the stack trace; please report it)'}`,
    );
    return EXIT.internal;
  } finally {
    out.close();
    process.removeListener('SIGINT', onSigint);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
