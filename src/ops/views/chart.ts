import type { Series } from '../../metrics/snapshot';
import { formatDuration, html, type SafeHtml } from '../html';
import { chartWindow, clockLabel, countTicks, durationTicks, timeTicks } from './chart-scale';

const W = 600;
const H = 210;
const PAD = { left: 44, right: 60, top: 30, bottom: 40 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
const BOTTOM = PAD.top + PLOT_H;
const RIGHT = PAD.left + PLOT_W;

const f = (n: number): string => n.toFixed(1);
/** A round tick value in seconds, as people say it: 0, 30 s, 90 s, 5 min, 2 h. */
const durationLabel = (v: number): string => (v === 0 ? '0' : v < 120 ? `${String(v)} s` : v < 7200 ? `${String(v / 60)} min` : `${String(v / 3600)} h`);
const spanWords = (ms: number): string => (ms < 7_200_000 ? `${String(Math.round(ms / 60_000))} minutes` : `${String(Math.round(ms / 3_600_000))} hours`);

/**
 * Throughput (bars: requests finished per slot, the part that did not succeed in red) and time to outcome (lines with
 * dots: p50, p95) as inline SVG, with labelled axes: finished per slot on the left, time to outcome on the right, UTC
 * time below, each with round tick values (axis titles sit above and below the plot, so nothing is clipped when the
 * chart is drawn small). With little data the window shortens (chart-scale.ts); with none, the
 * chart says so instead. Presentation attributes and classes only (no style attributes), so the page's CSP needs no
 * 'unsafe-inline'. The figure's caption and the SVG's label say the same in words.
 */
export function seriesChart(label: string, series: Series, windowWords: string): SafeHtml {
  const unit = series.slotMs >= 1_800_000 ? 'half hour' : 'minute';
  const summary = `${String(series.done)} finished (${String(series.succeeded)} succeeded); time to outcome p50 ${formatDuration(series.p50)}, p95 ${formatDuration(series.p95)}.`;
  if (series.done === 0) {
    return html`<figure class="chart">
<figcaption><strong>${label}</strong></figcaption>
<p class="empty chart-empty">No resets yet in this window: none finished in ${windowWords}. The chart appears when one does.</p>
</figure>`;
  }
  const view = chartWindow(series);
  const span = view.to - view.from;
  const x = (t: number) => PAD.left + ((t - view.from) / span) * PLOT_W;
  const slotW = (series.slotMs / span) * PLOT_W;

  const counts = countTicks(Math.max(...view.points.map((p) => p.done)));
  const countTop = counts.at(-1) ?? 1;
  const yCount = (v: number) => BOTTOM - (v / countTop) * PLOT_H;
  const p95s = view.points.map((p) => p.p95).filter((v) => v !== undefined);
  const durations = p95s.length === 0 ? [] : durationTicks(Math.max(...p95s));
  const durationTop = durations.at(-1) ?? 1;
  const yTime = (v: number) => BOTTOM - (v / durationTop) * PLOT_H;

  const bars = view.points.map((p) => {
    if (p.done === 0) return html``;
    const failed = p.done - p.succeeded;
    const left = f(x(p.at) + 1);
    const w = f(Math.max(1, slotW - 2));
    return html`<rect class="bar" x="${left}" y="${f(yCount(p.done))}" width="${w}" height="${f(BOTTOM - yCount(p.done))}"><title>${`${clockLabel(p.at)} UTC: ${String(p.done)} finished, ${String(p.succeeded)} succeeded`}</title></rect>${
      failed > 0 ? html`<rect class="bar fail" x="${left}" y="${f(yCount(failed))}" width="${w}" height="${f(BOTTOM - yCount(failed))}"></rect>` : ''
    }`;
  });
  const line = (pick: 'p50' | 'p95') => {
    const at = view.points.flatMap((p) => (p[pick] === undefined ? [] : [{ cx: f(x(p.at) + slotW / 2), cy: f(yTime(p[pick])), v: p[pick] }]));
    if (at.length === 0) return html``;
    return html`<polyline class="${pick}" points="${at.map((p) => `${p.cx},${p.cy}`).join(' ')}"></polyline>${at.map(
      (p) => html`<circle class="${pick}" cx="${p.cx}" cy="${p.cy}" r="3"><title>${`${pick} ${formatDuration(p.v)}`}</title></circle>`,
    )}`;
  };

  const countAxis = counts.map(
    (v) => html`<line class="grid-line" x1="${PAD.left}" y1="${f(yCount(v))}" x2="${RIGHT}" y2="${f(yCount(v))}"></line><text class="tick" x="${PAD.left - 6}" y="${f(yCount(v) + 4)}" text-anchor="end">${v}</text>`,
  );
  const durationAxis = durations.map((v) => html`<text class="tick" x="${RIGHT + 6}" y="${f(yTime(v) + 4)}">${durationLabel(v)}</text>`);
  const timeAxis = timeTicks(view.from, view.to).map(
    (t) => html`<line class="axis" x1="${f(x(t))}" y1="${BOTTOM}" x2="${f(x(t))}" y2="${BOTTOM + 4}"></line><text class="tick" x="${f(x(t))}" y="${BOTTOM + 16}" text-anchor="middle">${clockLabel(t)}</text>`,
  );
  const shown = view.trimmed ? ` Showing the last ${spanWords(span)}: nothing finished earlier.` : '';
  return html`<figure class="chart">
<figcaption><strong>${label}</strong> <span class="muted small">${summary}${shown}</span></figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`${label}: ${summary}${shown}`}">
${countAxis}
<line class="axis" x1="${PAD.left}" y1="${BOTTOM}" x2="${RIGHT}" y2="${BOTTOM}"></line>
<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${BOTTOM}"></line>
${timeAxis}
${bars}
${line('p50')}
${line('p95')}
${durationAxis}
<text class="axis-title" x="0" y="14">finished per ${unit}</text>
${durations.length === 0 ? '' : html`<text class="axis-title" x="${W}" y="14" text-anchor="end">time to outcome</text>`}
<text class="axis-title" x="${f(PAD.left + PLOT_W / 2)}" y="${H - 4}" text-anchor="middle">time (UTC)</text>
</svg>
<div class="legend"><span><span class="swatch bar"></span>finished per ${unit}</span><span><span class="swatch fail"></span>not succeeded</span><span><span class="swatch p50"></span>p50 time to outcome</span><span><span class="swatch p95"></span>p95</span></div>
</figure>`;
}
