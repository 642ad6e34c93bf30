/**
 * The `sample-distances` HTML page: one heatmap of the aggregated sample–sample distances per group,
 * samples ordered by the average-linkage tree, with the Newick tree below. Plain inline SVG, no
 * script, nothing loaded: it opens offline, in the benchmark report's style.
 */

/** One group's heatmap. */
export interface HeatmapGroup {
  group: string;
  nCells: number;
  /** Sample names in tree order. */
  samples: string[];
  /** Distances in the same order (row-major). */
  D: Float64Array;
  newick: string;
  /** Samples dropped by the k-rule. */
  dropped: string[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Viridis-like ramp (5 anchors of matplotlib's viridis, linear in between). */
function color(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i] as number[];
  const b = stops[i + 1] as number[];
  const c = a.map((v, k) => Math.round(v + f * ((b[k] as number) - v)));
  return `rgb(${c.join(',')})`;
}

/** SVG heatmap of a symmetric matrix with row/column labels (labels omitted above 150 samples). */
export function heatmapSvg(samples: readonly string[], D: Float64Array): string {
  const S = samples.length;
  const labels = S <= 150;
  const cell = S <= 40 ? 14 : S <= 150 ? 6 : Math.max(1, Math.floor(900 / S));
  const pad = labels ? 90 : 10;
  let max = 0;
  for (const v of D) if (v > max) max = v;
  const parts: string[] = [];
  const size = pad + S * cell + 70;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${pad + S * cell + 10}" font-size="${Math.min(11, cell)}" font-family="Helvetica, Arial, sans-serif">`,
  );
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const v = D[i * S + j] as number;
      parts.push(
        `<rect x="${pad + j * cell}" y="${pad + i * cell}" width="${cell}" height="${cell}" fill="${color(max > 0 ? v / max : 0)}"><title>${esc(samples[i] as string)} – ${esc(samples[j] as string)}: ${v.toFixed(4)}</title></rect>`,
      );
    }
    if (labels) {
      parts.push(`<text x="${pad - 3}" y="${pad + i * cell + cell * 0.8}" text-anchor="end">${esc(samples[i] as string)}</text>`);
      parts.push(`<text transform="translate(${pad + i * cell + cell * 0.8},${pad - 3}) rotate(-90)">${esc(samples[i] as string)}</text>`);
    }
  }
  // colour bar
  const x0 = pad + S * cell + 15;
  const h = Math.max(60, S * cell);
  for (let k = 0; k < 20; k++)
    parts.push(`<rect x="${x0}" y="${pad + (h * (19 - k)) / 20}" width="12" height="${h / 20 + 0.5}" fill="${color(k / 19)}"/>`);
  parts.push(`<text x="${x0 + 16}" y="${pad + 8}">${max.toPrecision(3)}</text><text x="${x0 + 16}" y="${pad + h}">0</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The full page.
 *
 * @param title - Page title.
 * @param groups - One heatmap per group.
 * @param metadata - Run table (model, data, k, command...).
 */
export function renderSampleDistanceReport(title: string, groups: readonly HeatmapGroup[], metadata: Record<string, string>): string {
  const sections = groups
    .map((g) => {
      const body =
        g.samples.length >= 2
          ? `<figure>${heatmapSvg(g.samples, g.D)}<figcaption>Mean counterfactual distance ‖z<sup>a</sup> − z<sup>b</sup>‖ over the ${g.nCells} cells of '${esc(g.group)}', samples in average-linkage tree order.</figcaption></figure>
<p class="note">Newick: <code>${esc(g.newick)}</code></p>`
          : `<p class="note">Fewer than two samples have at least k cells in this group: no matrix.</p>`;
      const dropped = g.dropped.length
        ? `<p class="note">Dropped by the k-rule (${g.dropped.length}): ${esc(g.dropped.join(', '))}</p>`
        : '';
      return `<section><h2>${esc(g.group)} (${g.nCells} cells, ${g.samples.length} samples)</h2>${body}${dropped}</section>`;
    })
    .join('\n');
  const meta = Object.entries(metadata)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1150px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
figure { margin: 16px 0; overflow-x: auto; } figcaption { font-size: 12px; color: #555; }
code { font-size: 12px; word-break: break-all; }
p.note { font-size: 13px; color: #444; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="note">MrVI sample–sample distances (seed §3.1–3.2): for every cell, its state under each sample is compared; matrices are
averaged over the cells of each group, and samples with fewer than k cells in the group are dropped (the k-rule).</p>
${sections}
<section><h2>Run</h2><table>${meta}</table></section>
</body>
</html>
`;
}
