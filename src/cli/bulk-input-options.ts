/**
 * CLI flags of the shared real-bulk input step (`deconvolve`, `benchmark`-style commands): units,
 * fractions, platform correction, duplicated genes, gene map, strict. One definition, so every
 * command that deconvolves a bulk spells them the same way.
 */
import { resolve } from 'node:path';
import { type BulkInputOptions, PLATFORM_CORRECTIONS, type PlatformCorrection } from '../methods/bulk-input-options.js';
import type { DeconvolutionResult } from '../methods/types.js';
import { DUPLICATE_GENES_POLICIES, type DuplicateGenesPolicy } from '../preprocess/bulk-genes.js';
import { BULK_UNIT_NAMES, parseUnits } from '../preprocess/units.js';
import { optBool, optString, UsageError } from './args.js';
import type { CommandContext, CommandSpec } from './command.js';

/** Exit status of a run whose result is degenerate (written, but flagged). */
export const DEGENERATE_EXIT = 4;

export const BULK_INPUT_CLI_OPTIONS: CommandSpec['options'] = {
  'bulk-units': {
    type: 'string',
    description: `Units of the bulk: auto (detected, the default), counts, cpm, tpm, fpkm, relative, log1p-cpm, log2-tpm, ... (${BULK_UNIT_NAMES.length} names)`,
    valueName: 'UNITS',
  },
  fractions: { type: 'string', description: 'cell (default) or mrna fractions', valueName: 'KIND' },
  'platform-correction': {
    type: 'string',
    description: 'Gene-wise platform correction: none or bmode (default: bmode for Scaden/TAPE/SimpleDNN, else none)',
    valueName: 'HOW',
  },
  'duplicate-genes': {
    type: 'string',
    description: 'Duplicated bulk gene names: first (default, with a warning), sum, mean or error',
    valueName: 'HOW',
  },
  'gene-map': {
    type: 'string',
    description: 'Two-column file mapping bulk gene ids to the reference ids (orthologues)',
    valueName: 'FILE',
  },
  strict: { type: 'boolean', description: 'Degenerate results (a cell type 0 everywhere, identical samples) are errors' },
};

/** The `bulkInput` options from the flags above. */
export function bulkInputFromArgs(args: CommandContext['args']): BulkInputOptions {
  const units = optString(args, 'bulk-units');
  if (units !== undefined) {
    try {
      parseUnits(units);
    } catch {
      throw new UsageError('invalid value', 'bulk-units', units, BULK_UNIT_NAMES.join(' | '));
    }
  }
  const fractions = optString(args, 'fractions');
  if (fractions !== undefined && fractions !== 'cell' && fractions !== 'mrna')
    throw new UsageError('invalid value', 'fractions', fractions, 'cell | mrna');
  const platform = optString(args, 'platform-correction');
  if (platform !== undefined && !PLATFORM_CORRECTIONS.includes(platform as PlatformCorrection)) {
    throw new UsageError('invalid value', 'platform-correction', platform, PLATFORM_CORRECTIONS.join(' | '));
  }
  const dup = optString(args, 'duplicate-genes');
  if (dup !== undefined && !DUPLICATE_GENES_POLICIES.includes(dup as DuplicateGenesPolicy)) {
    throw new UsageError('invalid value', 'duplicate-genes', dup, DUPLICATE_GENES_POLICIES.join(' | '));
  }
  const map = optString(args, 'gene-map');
  return {
    ...(units !== undefined ? { units } : {}),
    ...(fractions !== undefined ? { fractions: fractions as 'cell' | 'mrna' } : {}),
    ...(platform !== undefined ? { platformCorrection: platform as PlatformCorrection } : {}),
    ...(dup !== undefined ? { duplicateGenes: dup as DuplicateGenesPolicy } : {}),
    ...(map !== undefined ? { geneMap: resolve(map) } : {}),
    ...(optBool(args, 'strict') ? { strict: true } : {}),
  };
}

/** One line on how the bulk was read (units and evidence, conversion, platform correction, fractions). */
export function describeBulkInput(res: DeconvolutionResult): string | undefined {
  const r = res.diagnostics.extra?.bulkInput as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const parts = [`bulk units ${String(r.units)}`];
  if (r.unitsConfidence) parts[0] += ` (${String(r.unitsConfidence)}: ${(r.unitsEvidence as string[]).join('; ')})`;
  if (r.convertedTo && r.convertedTo !== 'as-is')
    parts.push(`converted to the fitted ${String(r.convertedTo)} scale${r.library ? ` (library ${Math.round(Number(r.library))})` : ''}`);
  if (r.platformCorrection !== undefined) {
    const p = r.platformCorrection;
    parts.push(`platform correction ${typeof p === 'string' ? p : String((p as { method: string }).method)}`);
  }
  parts.push(`${String(r.fractions)} fractions`);
  return parts.join('; ');
}
