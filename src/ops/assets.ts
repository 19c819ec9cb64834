/**
 * The dashboard's only static files, kept as strings so `tsc` carries them into dist/ and `npm start` serves them
 * with no front-end build step. Served from /ops/static/ with a content hash in the URL (cached for a year).
 */
import { createHash } from 'node:crypto';

export const CSS = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1b1f24; --muted: #5b6470; --card: #fff; --line: #d9dde3;
  --accent: #0b5cad; --ok: #17753a; --warn: #8a5a00; --bad: #b3261e; --warn-bg: #fff4d6; --bad-bg: #fde8e7; --ok-bg: #e3f4e8; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171b; --fg: #e8eaed; --muted: #a0a8b3; --card: #1d2126; --line: #343a42;
  --accent: #7cb6f5; --ok: #6fd08f; --warn: #f0c05a; --bad: #ff8a80; --warn-bg: #3a2f12; --bad-bg: #3d1c1a; --ok-bg: #173222; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 600; margin-right: auto; }
header.top nav { display: flex; flex-wrap: wrap; gap: 1rem; }
header.top nav a[aria-current="page"] { font-weight: 600; text-decoration: none; }
header.top form { margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(min(280px, 100%), 1fr)); }
.grid > * { min-width: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin-bottom: 1rem; min-width: 0; }
.muted { color: var(--muted); }
.small { font-size: .85rem; }
.banner { border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.banner.warn { background: var(--warn-bg); border-color: var(--warn); }
.banner.bad { background: var(--bad-bg); border-color: var(--bad); }
.banner.ok { background: var(--ok-bg); border-color: var(--ok); }
.banner strong { display: block; }
.table-wrap { overflow-x: auto; max-width: 100%; position: relative; }
td code, th code { overflow-wrap: anywhere; }
td.reason { min-width: 12rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.state { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .85rem; border: 1px solid var(--line); white-space: nowrap; }
.state.succeeded, .state.delivered, .state.done { color: var(--ok); border-color: var(--ok); }
.state.failed, .state.timed_out, .state.ineligible, .state.rejected, .state.expired, .state.undeliverable, .state.notSupported { color: var(--bad); border-color: var(--bad); }
.state.awaiting_approval, .state.approved, .state.retrying, .state.cancelled { color: var(--warn); border-color: var(--warn); }
.counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .5rem; margin: 0; }
.counts div { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .6rem; }
.counts dt { font-size: .8rem; color: var(--muted); }
.counts dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.counts a { text-decoration: none; color: inherit; display: block; }
form.filters { display: grid; gap: .6rem; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); align-items: end; }
label { display: block; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; }
input, select { width: 100%; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button, .button { display: inline-block; padding: .45rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: transparent; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
form.inline { display: inline-flex; gap: .4rem; flex-wrap: wrap; align-items: end; margin: 0 .4rem .4rem 0; }
form.inline input { width: auto; min-width: 8rem; }
.actions { display: flex; flex-wrap: wrap; gap: .4rem; }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline li { border-left: 3px solid var(--line); padding: .3rem 0 .6rem .8rem; }
ol.timeline li.final { border-left-color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 0; }
.chart svg { width: 100%; height: auto; display: block; }
.chart .bar { fill: var(--accent); }
.chart .bar.fail { fill: var(--bad); }
.chart .p95 { stroke: var(--warn); fill: none; stroke-width: 2; }
.chart .p50 { stroke: var(--ok); fill: none; stroke-width: 2; }
.chart .axis { stroke: var(--muted); }
.chart .grid-line { stroke: var(--line); stroke-dasharray: 2 3; }
.chart circle.p50 { fill: var(--ok); stroke: var(--card); stroke-width: 1.5; } .chart circle.p95 { fill: var(--warn); stroke: var(--card); stroke-width: 1.5; }
.chart text { fill: var(--muted); font-size: 12px; }
.chart .axis-title { font-size: 12px; font-style: italic; }
.chart-empty { border: 1px dashed var(--line); border-radius: 6px; margin: .4rem 0 0; }
.legend { display: flex; flex-wrap: wrap; gap: 1rem; font-size: .85rem; color: var(--muted); }
.swatch { display: inline-block; width: .8rem; height: .8rem; vertical-align: -1px; margin-right: .25rem; border-radius: 2px; }
.swatch.bar { background: var(--accent); } .swatch.fail { background: var(--bad); } .swatch.p50 { background: var(--ok); } .swatch.p95 { background: var(--warn); }
.pager { display: flex; gap: .6rem; margin-top: .8rem; flex-wrap: wrap; }
#live-status { font-size: .8rem; }
.empty { padding: 1rem; text-align: center; color: var(--muted); }
.login { max-width: 420px; margin: 3rem auto; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 600px) { main { padding: .6rem; } .card { padding: .7rem; } th, td { padding: .35rem; } dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .4rem; }
  .chart text { font-size: 17px; } .chart .axis-title { font-size: 15px; } }
/* Narrow screens: a table.stack becomes one box per row, each cell under its column's name (data-label). */
@media (max-width: 600px) {
  table.stack, table.stack tbody, table.stack tr { display: block; width: 100%; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .6rem; padding: .3rem .6rem; }
  table.stack th[scope="row"] { display: block; border-bottom: 1px solid var(--line); text-transform: none; letter-spacing: 0; font-size: .9rem; color: var(--fg); }
  table.stack td { display: flex; justify-content: space-between; gap: 1rem; border-bottom: 0; padding: .25rem 0; text-align: right; }
  table.stack td::before { content: attr(data-label); color: var(--muted); font-size: .8rem; text-align: left; }
  table.stack td.block { display: block; text-align: left; }
  table.stack td.block::before { display: block; margin-bottom: .3rem; }
}
`;

export const JS = `
'use strict';
(function () {
  // Confirm before destructive actions (forms with data-confirm).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // Live updates by short polling: every element with data-live and an id is refreshed from the same page, rendered
  // by the server (so it is escaped there), every data-refresh seconds while the tab is visible.
  var regions = document.querySelectorAll('[data-live][id]');
  var status = document.getElementById('live-status');
  if (regions.length === 0) return;
  var seconds = Number(document.body.dataset.refresh || '5');
  var busy = false;
  function say(text) { if (status) status.textContent = text; }
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(window.location.href, { headers: { 'x-ops-live': '1' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (response.redirected && response.url.indexOf('/ops/login') !== -1) { say('Your session ended: sign in again to keep this page live.'); return null; }
        if (!response.ok) { say('Live updates paused: the server answered ' + response.status + '. Retrying.'); return null; }
        return response.text();
      })
      .then(function (text) {
        if (text === null || text === undefined) return;
        var doc = new DOMParser().parseFromString(text, 'text/html');
        regions.forEach(function (region) {
          var fresh = doc.getElementById(region.id);
          if (fresh && fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
        });
        say('Live: updated ' + new Date().toLocaleTimeString());
      })
      .catch(function () { say('Live updates paused: the server cannot be reached. Retrying.'); })
      .finally(function () { busy = false; });
  }
  say('Live: updates every ' + seconds + ' s');
  window.setInterval(refresh, seconds * 1000);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
})();
`;

/** The dashboard's icon (a padlock on the accent colour), served at /favicon.svg and /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b5cad"/><path d="M11 15v-4a5 5 0 0 1 10 0v4" fill="none" stroke="#fff" stroke-width="2.6"/><rect x="7.5" y="14.5" width="17" height="12" rx="2.5" fill="#fff"/><circle cx="16" cy="19.6" r="2" fill="#0b5cad"/><rect x="15.1" y="20" width="1.8" height="3.8" rx=".9" fill="#0b5cad"/></svg>
`;
export const FAVICON_PATH = '/favicon.svg';

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);
export const CSS_PATH = `/ops/static/app.${hash(CSS)}.css`;
export const JS_PATH = `/ops/static/app.${hash(JS)}.js`;
