import type { Series } from '../../metrics/snapshot';
import { formatDuration, html, type SafeHtml } from '../html';

const W = 600;
const H = 150;
const PAD = { left: 34, right: 44, top: 8, bottom: 18 };

/**
 * Throughput (bars: requests finished per slot, the failed part in red) and time to outcome (lines: p50, p95) as
 * inline SVG. Presentation attributes and classes only (no style attributes), so the page's CSP needs no
 * 'unsafe-inline'. A text summary and a table fallback say the same for screen readers.
 */
export function seriesChart(label: string, series: Series): SafeHtml {
  const n = series.points.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxDone = Math.max(1, ...series.points.map((p) => p.done));
  const maxTime = Math.max(1, ...series.points.map((p) => p.p95 ?? 0));
  const slot = plotW / Math.max(1, n);
  const x = (i: number) => PAD.left + i * slot;
  const yDone = (v: number) => PAD.top + plotH - (v / maxDone) * plotH;
  const yTime = (v: number) => PAD.top + plotH - (v / maxTime) * plotH;
  const bars = series.points.map((p, i) => {
    if (p.done === 0) return html``;
    const failed = p.done - p.succeeded;
    const w = Math.max(1, slot - 1).toFixed(1);
    return html`<rect class="bar" x="${x(i).toFixed(1)}" y="${yDone(p.done).toFixed(1)}" width="${w}" height="${(yDone(0) - yDone(p.done)).toFixed(1)}"><title>${`${String(p.done)} finished, ${String(p.succeeded)} succeeded`}</title></rect>${
      failed > 0 ? html`<rect class="bar fail" x="${x(i).toFixed(1)}" y="${yDone(failed).toFixed(1)}" width="${w}" height="${(yDone(0) - yDone(failed)).toFixed(1)}"></rect>` : ''
    }`;
  });
  const line = (pick: 'p50' | 'p95') =>
    series.points
      .map((p, i) => (p[pick] === undefined ? undefined : `${(x(i) + slot / 2).toFixed(1)},${yTime(p[pick]).toFixed(1)}`))
      .filter((v) => v !== undefined)
      .join(' ');
  const unit = series.slotMs >= 1_800_000 ? 'half hour' : 'minute';
  const summary = `${label}: ${String(series.done)} finished (${String(series.succeeded)} succeeded); time to outcome p50 ${formatDuration(series.p50)}, p95 ${formatDuration(series.p95)}.`;
  const p50 = line('p50');
  const p95 = line('p95');
  return html`<figure class="chart">
<figcaption><strong>${label}</strong> <span class="muted small">${summary.slice(label.length + 2)}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${summary}" preserveAspectRatio="none">
<line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"></line>
<text x="2" y="${PAD.top + 8}">${maxDone}/${unit}</text>
<text x="${W - PAD.right + 4}" y="${PAD.top + 8}">${formatDuration(maxTime)}</text>
<text x="2" y="${H - 4}">${unit === 'minute' ? '−60 min' : '−24 h'}</text>
<text x="${W - PAD.right - 20}" y="${H - 4}">now</text>
${bars}
${p50 === '' ? '' : html`<polyline class="p50" points="${p50}"></polyline>`}
${p95 === '' ? '' : html`<polyline class="p95" points="${p95}"></polyline>`}
</svg>
<div class="legend"><span><span class="swatch bar"></span>finished per ${unit}</span><span><span class="swatch fail"></span>not succeeded</span><span><span class="swatch p50"></span>p50 time to outcome</span><span><span class="swatch p95"></span>p95</span></div>
</figure>`;
}
