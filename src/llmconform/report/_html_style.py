"""The inline stylesheet of the HTML report (kept apart so the renderer stays readable).

System fonts only: the page must not load anything, fonts included.
"""

from __future__ import annotations

STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --good: #1a7f37; --bad: #cf222e; --meh: #9a6700; --off: #6e7781; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 4px 0 10px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 8px; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
code { overflow-wrap: anywhere; }
pre { margin: 0; padding: 8px 10px; background: var(--soft); border: 1px solid var(--line);
  border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 260px;
  overflow: auto; }
.muted { color: var(--muted); font-weight: normal; }
.good { color: var(--good); } .bad { color: var(--bad); } .meh { color: var(--meh); }
.cert { border: 2px solid var(--line); border-radius: 10px; padding: 18px 22px;
  background: linear-gradient(180deg, #fbfcfd, #fff); }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: 12px;
  color: var(--muted); }
.verdict { display: inline-block; margin: 0 0 12px; padding: 4px 12px; border-radius: 6px;
  font-weight: 700; font-size: 16px; color: #fff; }
.verdict.good { background: var(--good); } .verdict.bad { background: var(--bad); }
.verdict.meh { background: var(--meh); } .verdict.off { background: var(--off); }
.pvs { list-style: none; padding: 0; margin: 0 0 14px; display: flex; flex-wrap: wrap;
  gap: 8px; }
.pv { display: inline-flex; border-radius: 5px; overflow: hidden; font-size: 13px;
  border: 1px solid var(--line); }
.pv-name { padding: 3px 9px; background: #444c56; color: #fff; }
.pv-word { padding: 3px 9px; color: #fff; font-weight: 600; }
.pv.certified .pv-word { background: var(--good); }
.pv.not-certified .pv-word { background: var(--bad); }
.pv.inconclusive .pv-word { background: #bf8700; }
.pv.not-tested .pv-word { background: var(--off); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
  border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px;
  font-weight: 600; color: #fff; background: var(--off); white-space: nowrap; }
.pill.certified, .pill.pass { background: var(--good); }
.pill.not-certified, .pill.fail { background: var(--bad); }
.pill.inconclusive, .pill.warn { background: #bf8700; }
.pill.error { background: #8250df; } .pill.unsupported { background: #0969da; }
.apis { margin: 4px 0; padding-left: 20px; color: var(--muted); }
.case { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 12px 0; }
.msg { overflow-wrap: anywhere; }
.exchange { margin-top: 8px; }
.ex-head { margin: 4px 0; }
.excerpts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.excerpts p { margin: 0 0 2px; font-size: 12px; }
figure { margin: 12px 0; }
svg.latency { max-width: 100%; height: auto; background: #fff;
  border: 1px solid var(--line); border-radius: 6px; }
svg.latency .bar { fill: #54aeff; }
svg.latency .tick { stroke: #0969da; stroke-opacity: .55; stroke-width: 1.5; }
svg.latency .axis { stroke: var(--muted); }
svg.latency text { font-size: 11px; fill: var(--muted); }
svg.latency .chart-title { font-size: 13px; fill: var(--ink); font-weight: 600; }
svg.latency .pct { stroke-width: 1.5; stroke-dasharray: 4 3; }
svg.latency .p50 { stroke: var(--good); } svg.latency .p90 { stroke: var(--meh); }
svg.latency .p99 { stroke: var(--bad); }
svg.latency .pct-label { fill: var(--ink); font-weight: 600; }
pre.response, pre.curl, pre.focus { max-height: none; }
pre.focus { border-color: var(--bad); margin-bottom: 8px; }
svg.latency .threshold { stroke: var(--bad); stroke-width: 2.5; }
.failure { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 8px;
  padding: 12px 16px; margin: 14px 0; }
.failure.warn { border-left-color: #bf8700; }
.failure h3 { font-size: 16px; }
.failure dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 6px 0; }
.failure dt { color: var(--muted); } .failure dd { margin: 0; overflow-wrap: anywhere; }
.summary-list { margin: 6px 0 12px; padding-left: 20px; }
details > summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { .case { break-inside: avoid; } pre { max-height: none; } }
"""
