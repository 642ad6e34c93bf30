/**
 * Every CLI command, in the order `celldeconv --help` lists them. One line per command: add a
 * new command by writing cli/commands/<name>.ts and importing it here.
 */
import type { CommandSpec } from '../command.js';
import { benchmarkCommand } from './benchmark.js';
import { convertCommand } from './convert.js';
import { deconvolveCommand } from './deconvolve.js';
import { demoCommand } from './demo.js';
import { embedCommand } from './embed.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { methodsCommand } from './methods.js';
import { sampleDistancesCommand, simulateSamplesCommand } from './mrvi.js';
import { signatureCommand } from './signature.js';
import { simulateCommand } from './simulate.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

export const COMMANDS: CommandSpec[] = [
  infoCommand,
  convertCommand,
  methodsCommand,
  simulateCommand,
  benchmarkCommand,
  demoCommand,
  signatureCommand,
  deconvolveCommand,
  trainCommand,
  workerCommand,
  embedCommand,
  generateCommand,
  simulateSamplesCommand,
  sampleDistancesCommand,
];
