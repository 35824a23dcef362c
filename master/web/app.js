// Spate master page: reads /api/v1/ every two seconds and draws the cluster and job views.
// Every value that comes from outside (user ids, job arguments, topic names, messages) reaches
// the DOM through createTextNode/textContent or setAttribute, never through HTML parsing.
'use strict';

(function () {
  const REFRESH_MS = 2000;
  const HISTORY = 180; // batches drawn in the charts
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1',
    '#ff9da7', '#9c755f', '#bab0ac'];
  const PHASES = [
    { key: 'planning', name: 'planning', color: '#bab0ac' },
    { key: 'stage1', name: 'stage 1 (read, parse, shuffle write)', color: '#4e79a7' },
    { key: 'stage2', name: 'stage 2 (state)', color: '#f28e2b' },
    { key: 'commit', name: 'sink + commit', color: '#59a14f' },
  ];

  let timer = null;
  let paused = false;
  let generation = 0;

  // ------------------------------------------------------------------ DOM helpers

  function add(el, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) add(el, c);
      else if (typeof c === 'string' || typeof c === 'number') el.appendChild(document.createTextNode(String(c)));
      else el.appendChild(c);
    }
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return el;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, String(v));
    }
    return el;
  }

  // h('td', {class: 'num'}, 'text', child, ...): text children become text nodes.
  function h(tag, attrs, ...children) {
    return add(setAttrs(document.createElement(tag), attrs), children);
  }

  function s(tag, attrs, ...children) {
    return add(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
  }

  function jobHref(id) { return '#/jobs/' + encodeURIComponent(id); }

  // ------------------------------------------------------------------ formatting

  function num(v) { return typeof v === 'number' && isFinite(v); }

  function fmtInt(v) {
    if (!num(v)) return '–';
    return Math.round(v).toLocaleString('en-US');
  }

  function fmtCompact(v) {
    if (!num(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 10 || v === Math.round(v)) return String(Math.round(v));
    return v.toFixed(1);
  }

  function fmtBytes(v) {
    if (!num(v)) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    return (i === 0 ? String(Math.round(x)) : x.toFixed(x >= 100 ? 0 : 1)) + ' ' + units[i];
  }

  // Compact: fits chart axes and cards.
  function fmtMs(v) {
    if (!num(v)) return '–';
    const a = Math.abs(v);
    if (a < 1000) return Math.round(v) + ' ms';
    if (a < 60e3) return (v / 1000).toFixed(a < 10e3 ? 2 : 1) + ' s';
    if (a < 3600e3) return (v / 60e3).toFixed(1) + ' min';
    if (a < 86400e3) return (v / 3600e3).toFixed(1) + ' h';
    return (v / 86400e3).toFixed(1) + ' days';
  }

  // Long: how long a job has run.
  function fmtDuration(v) {
    if (!num(v)) return '–';
    const a = Math.abs(v);
    if (a < 60e3) return fmtMs(v);
    if (a < 3600e3) return Math.floor(v / 60e3) + ' min ' + Math.round((v % 60e3) / 1000) + ' s';
    if (a < 86400e3) return Math.floor(v / 3600e3) + ' h ' + Math.round((v % 3600e3) / 60e3) + ' min';
    return (v / 86400e3).toFixed(1) + ' days';
  }

  function pad(n, w) { return String(n).padStart(w || 2, '0'); }

  // Wall-clock times in the viewer's time zone.
  function fmtClock(ms) {
    if (!num(ms)) return '–';
    const d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function fmtDateTime(ms) {
    if (!num(ms) || ms <= 0) return '–';
    const d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + fmtClock(ms);
  }

  // Event time is shown in UTC, as the results' windows are.
  function fmtUtc(ms) {
    if (!num(ms)) return '–';
    const d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }

  function fmtRanges(groups) {
    return (groups || []).map((g) => g.begin + '–' + (g.end - 1)).join(', ');
  }

  function short(text, max) {
    const t = String(text);
    return t.length > max ? t.slice(0, max - 1) + '…' : t;
  }

  // ------------------------------------------------------------------ fetching

  async function getJson(path) {
    const res = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.error) || (res.status + ' ' + res.statusText));
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function setConnection(ok, text) {
    document.getElementById('conn').className = 'dot ' + (ok ? 'ok' : 'bad');
    document.getElementById('updated').textContent = text;
    const banner = document.getElementById('banner');
    if (ok) {
      banner.hidden = true;
    } else {
      banner.hidden = false;
      banner.textContent = 'Cannot reach the master: ' + text + '. Retrying every ' + REFRESH_MS / 1000 + ' s; the data below may be stale.';
    }
  }

  // ------------------------------------------------------------------ building blocks

  function card(label, value, unit, hint, opts) {
    const o = opts || {};
    return h('div', { class: 'card ' + (o.tone || ''), 'data-metric': o.metric, 'data-value': o.raw },
      h('div', { class: 'label' }, label),
      h('div', { class: 'value' }, value, unit ? h('span', { class: 'unit' }, unit) : null),
      h('div', { class: 'hint', title: hint || '' }, hint || ' '));
  }

  function badge(state) { return h('span', { class: 'badge ' + state }, state); }

  function meter(used, total, fmt) {
    const f = fmt || fmtInt;
    const pct = total > 0 ? Math.min(100, (100 * used) / total) : 0;
    return h('div', { class: 'meter' },
      h('div', { class: 'track' }, h('div', { class: 'fill', style: 'width:' + pct.toFixed(1) + '%' })),
      h('span', { class: 'text' }, f(used) + ' / ' + f(total)));
  }

  function table(columns, rows, emptyText, attrs) {
    if (!rows.length) return h('div', { class: 'empty' }, emptyText);
    return h('div', { class: 'table-wrap' },
      h('table', attrs || {},
        h('thead', null, h('tr', null, columns.map((c) =>
          h('th', { class: c.num ? 'num' : null, title: c.title || null }, c.name)))),
        h('tbody', null, rows)));
  }

  function panel(title, sub, ...children) {
    return h('section', { class: 'panel' },
      h('h2', null, title, sub ? h('span', { class: 'sub' }, sub) : null), children);
  }

  // ------------------------------------------------------------------ charts (inline SVG)

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // A chart over batches. kind: 'line' (series drawn as lines) or 'stack' (stacked bars).
  // series: [{name, color, values: [number|null per batch]}]; refs: [{value, label}].
  function chart(id, title, sub, history, series, opts) {
    const o = opts || {};
    // Series with `right: true` use their own scale, labelled on the right (format o.fmt2).
    const hasRight = series.some((se) => se.right);
    const W = 420, H = 180, L = 50, R = hasRight ? 50 : 10, T = 8, B = 22;
    const n = history.length;
    const iw = W - L - R, ih = H - T - B;
    let max = 0;
    if (o.kind === 'stack') {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (const se of series) sum += se.values[i] > 0 ? se.values[i] : 0;
        max = Math.max(max, sum);
      }
    } else {
      for (const se of series) if (!se.right) for (const v of se.values) if (num(v)) max = Math.max(max, v);
    }
    let max2 = 0;
    for (const se of series) if (se.right) for (const v of se.values) if (num(v)) max2 = Math.max(max2, v);
    const top2 = niceMax(max2 * 1.05);
    const fmt2 = o.fmt2 || fmtCompact;
    for (const r of o.refs || []) if (num(r.value)) max = Math.max(max, r.value);
    const top = niceMax(max * 1.05);
    const fmt = o.fmt || fmtCompact;
    const x = (i) => L + (n <= 1 ? iw / 2 : (i * iw) / (n - 1));
    const slot = n > 0 ? iw / n : iw;
    const xb = (i) => L + i * slot;
    const y = (v) => T + ih - (Math.max(0, v) / top) * ih;
    const y2 = (v) => T + ih - (Math.max(0, v) / top2) * ih;

    const svg = s('svg', { class: 'chart', 'data-chart': id, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      svg.appendChild(s('line', { class: k === 0 ? 'axis' : 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      svg.appendChild(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
      if (hasRight) svg.appendChild(s('text', { x: W - R + 6, y: y(v) + 4, 'text-anchor': 'start' }, fmt2((top2 * k) / 4)));
    }
    if (n === 0) {
      svg.appendChild(s('text', { x: L + iw / 2, y: T + ih / 2, 'text-anchor': 'middle' }, 'no batch committed yet'));
    }
    // x labels: wall-clock time of a few batches
    const ticks = Math.min(n, 5);
    for (let k = 0; k < ticks; k++) {
      const i = ticks === 1 ? n - 1 : Math.round((k * (n - 1)) / (ticks - 1));
      const xi = o.kind === 'stack' ? xb(i) + slot / 2 : x(i);
      svg.appendChild(s('text', { x: xi, y: H - 8, 'text-anchor': k === 0 && ticks > 1 ? 'start' : (k === ticks - 1 && ticks > 1 ? 'end' : 'middle') },
        fmtClock(history[i].timestampMs)));
    }
    if (o.kind === 'stack') {
      for (let i = 0; i < n; i++) {
        let base = 0;
        for (const se of series) {
          const v = se.values[i] > 0 ? se.values[i] : 0;
          if (v <= 0) continue;
          const y0 = y(base), y1 = y(base + v);
          svg.appendChild(s('rect', { x: xb(i) + slot * 0.1, width: Math.max(0.8, slot * 0.8), y: y1, height: Math.max(0.5, y0 - y1), fill: se.color }));
          base += v;
        }
      }
    } else {
      series.forEach((se, si) => {
        const pts = [];
        const ys = se.right ? y2 : y;
        se.values.forEach((v, i) => { if (num(v)) pts.push(x(i).toFixed(1) + ',' + ys(v).toFixed(1)); });
        if (!pts.length) return;
        if (si === 0 && o.area !== false) {
          const first = pts[0].split(',')[0], last = pts[pts.length - 1].split(',')[0];
          svg.appendChild(s('polygon', { points: first + ',' + y(0) + ' ' + pts.join(' ') + ' ' + last + ',' + y(0), fill: se.color, 'fill-opacity': 0.1 }));
        }
        svg.appendChild(s('polyline', { points: pts.join(' '), fill: 'none', stroke: se.color, 'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-dasharray': se.dash || null }));
        if (pts.length === 1) {
          const [px, py] = pts[0].split(',');
          svg.appendChild(s('circle', { cx: px, cy: py, r: 3, fill: se.color }));
        }
      });
    }
    for (const r of o.refs || []) {
      if (!num(r.value)) continue;
      svg.appendChild(s('line', { x1: L, x2: W - R, y1: y(r.value), y2: y(r.value), stroke: r.color || '#b3261e', 'stroke-dasharray': '5 4', 'stroke-width': 1.2 }));
      svg.appendChild(s('text', { x: W - R - 4, y: y(r.value) - 4, 'text-anchor': 'end', style: 'fill:' + (r.color || '#b3261e') }, r.label));
    }
    // hover targets: one per batch, with its values as a tooltip
    for (let i = 0; i < n; i++) {
      const lines = ['batch ' + history[i].batchId + ' at ' + fmtClock(history[i].timestampMs)];
      for (const se of series) lines.push(se.name + ': ' + (num(se.values[i]) ? (se.right ? fmt2 : o.tip || fmt)(se.values[i]) : '–'));
      svg.appendChild(s('rect', { class: 'hover', x: xb(i), y: T, width: Math.max(slot, 1), height: ih, fill: 'transparent' },
        s('title', null, lines.join('\n'))));
    }
    const legend = h('div', { class: 'legend' }, series.map((se) => {
      const last = [...se.values].reverse().find(num);
      return h('span', null, h('span', { class: 'swatch', style: 'background:' + se.color }), se.name + ' ',
        h('b', null, num(last) ? (se.right ? fmt2 : o.tip || fmt)(last) : '–'), se.right ? ' (right axis)' : null);
    }));
    return h('section', { class: 'panel chart-panel' },
      h('h2', null, title), sub ? h('div', { class: 'chart-sub' }, sub) : null, legend, svg);
  }

  // ------------------------------------------------------------------ the DAG

  function dag(job, history) {
    const d = job.dag;
    const execColor = {};
    job.executors.forEach((e, i) => { execColor[e.executorId] = PALETTE[i % PALETTE.length]; });
    const ownerOfKafka = {}, ownerOfShuffle = {};
    for (const e of job.executors) {
      for (const p of e.kafkaPartitions) ownerOfKafka[p] = e.executorId;
      for (const p of e.shufflePartitions) ownerOfShuffle[p] = e.executorId;
    }
    const last = history.length ? history[history.length - 1] : null;
    const W = 1180, H = 202;
    const svg = s('svg', { class: 'dag', 'data-chart': 'dag', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'stages of the job' });
    const defs = s('defs', null,
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#7a8896' })));
    svg.appendChild(defs);

    const boxes = [
      { x: 10, w: 180, kind: 'src' },
      { x: 265, w: 290, kind: 'stage' },
      { x: 690, w: 290, kind: 'stage' },
      { x: 1040, w: 130, kind: 'sink' },
    ];
    const top = 12, bh = 180;
    const midY = top + 60;
    for (const b of boxes) {
      svg.appendChild(s('rect', { class: 'box ' + b.kind, x: b.x, y: top, width: b.w, height: bh, rx: 8 }));
    }
    const text = (x, y, cls, t, full, anchor) => {
      const el = s('text', { x, y, class: cls, 'text-anchor': anchor || null }, t);
      if (full && full !== t) el.appendChild(s('title', null, full));
      svg.appendChild(el);
    };
    // source
    text(22, top + 24, 'title', 'Kafka source');
    text(22, top + 46, '', short('topic ' + d.source.topic, 22), 'topic ' + d.source.topic);
    text(22, top + 66, 'op', d.source.partitions + ' partitions');
    if (last) {
      text(22, top + 96, 'op', fmtInt(last.numInputRows) + ' rows in batch ' + last.batchId);
      text(22, top + 114, 'op', fmtCompact(last.inputRowsPerSecond) + ' rows/s in');
    }
    // stages
    const stageBox = (b, st, owners, partitions, execStats) => {
      text(b.x + 12, top + 24, 'title', st.name + ' · ' + st.tasks + ' task' + (st.tasks === 1 ? '' : 's'));
      text(b.x + 12, top + 42, 'op', 'one per ' + st.taskUnit);
      st.operations.forEach((op, i) => text(b.x + 12, top + 64 + i * 17, 'op', '▸ ' + op));
      // task squares, coloured by the executor that runs them
      const size = 14, gap = 3, perRow = Math.floor((b.w - 24 + gap) / (size + gap));
      const shown = Math.min(partitions, perRow * 2);
      const y0 = top + 64 + 5 * 17 - 6;
      for (let i = 0; i < shown; i++) {
        const ex = owners[i];
        const r = s('rect', { class: 'task', x: b.x + 12 + (i % perRow) * (size + gap), y: y0 + Math.floor(i / perRow) * (size + gap), width: size, height: size, rx: 2, fill: execColor[ex] || '#c5ccd4' },
          s('title', null, 'task ' + i + ' on ' + (ex || '?')));
        svg.appendChild(r);
      }
      if (partitions > shown) text(b.x + b.w - 12, top + bh - 8, 'op', '+' + (partitions - shown) + ' more', null, 'end');
      if (execStats) text(b.x + b.w - 12, top + 24, 'op', 'last batch ' + execStats, null, 'end');
    };
    const s1 = d.stages[0], s2 = d.stages[1];
    stageBox(boxes[1], s1, ownerOfKafka, s1.tasks, last ? fmtMs(last.durationMs.stage1) : null);
    stageBox(boxes[2], s2, ownerOfShuffle, s2.tasks, last ? fmtMs(last.durationMs.stage2) : null);
    // sink
    text(1052, top + 24, 'title', 'Sink');
    text(1052, top + 46, '', short(d.sink.kind, 14), d.sink.spec);
    text(1052, top + 66, 'op', fmtCompact(job.totals.rowsEmitted) + ' rows out');
    if (d.sink.spec !== d.sink.kind) text(1052, top + 86, 'op', short(d.sink.spec.slice(d.sink.kind.length + 1), 16), d.sink.spec);
    // edges
    const edge = (x1, x2) => svg.appendChild(s('path', { class: 'edge', d: 'M ' + x1 + ' ' + midY + ' L ' + (x2 - 2) + ' ' + midY, 'marker-end': 'url(#arrow)' }));
    edge(190, 265);
    edge(555, 690);
    edge(980, 1040);
    text(565, midY - 30, 'edge-label', 'shuffle');
    text(565, midY - 14, 'edge-label', 'hash(' + short(d.shuffle.key, 10) + ')', 'hash(' + d.shuffle.key + ')');
    text(565, midY + 20, 'edge-label', d.shuffle.keyGroups + ' key groups');
    text(565, midY + 36, 'edge-label', '→ ' + d.shuffle.partitions + ' partitions');
    if (last) text(565, midY + 56, 'edge-label', fmtBytes(last.shuffleBytes));

    const legend = h('div', { class: 'legend' }, 'tasks run on:',
      job.executors.map((e) => h('span', null, h('span', { class: 'swatch', style: 'background:' + execColor[e.executorId] }),
        e.executorId + ' (' + e.workerId + ')')));
    return h('section', { class: 'panel' },
      h('h2', null, 'Stages', h('span', { class: 'sub' }, 'each micro-batch: stage 1 per Kafka partition → shuffle by key group → stage 2 per shuffle partition → sink')),
      svg, legend);
  }

  // ------------------------------------------------------------------ cluster view

  function jobRows(jobs) {
    return jobs.map((j) => h('tr', { 'data-job-id': j.id },
      h('td', { class: 'nowrap' }, h('a', { href: jobHref(j.id), class: 'mono' }, j.id)),
      h('td', { class: 'nowrap' }, j.name, j.appName ? h('div', { class: 'muted' }, short(j.appName, 40)) : null),
      h('td', null, badge(j.state), j.active ? null : h('div', { class: 'message' }, short(j.message, 80))),
      h('td', { class: 'num' }, j.numExecutors + ' × ' + j.executorCores + ' cores'),
      h('td', { class: 'num', 'data-metric': 'inputRowsPerSecond', 'data-value': j.inputRowsPerSecond }, num(j.inputRowsPerSecond) ? fmtCompact(j.inputRowsPerSecond) + '/s' : '–'),
      h('td', { class: 'num', 'data-metric': 'processedRowsPerSecond', 'data-value': j.processedRowsPerSecond }, num(j.processedRowsPerSecond) ? fmtCompact(j.processedRowsPerSecond) + '/s' : '–'),
      h('td', { class: 'num' }, fmtMs(j.lastBatchDurationMs)),
      h('td', { class: 'num' }, fmtInt(j.batchesCommitted)),
      h('td', { class: 'num' }, fmtInt(j.totals.inputRows)),
      h('td', { class: 'num' }, fmtInt(j.totals.rowsEmitted)),
      h('td', { class: 'nowrap' }, fmtDateTime(j.submittedAtMs)),
      h('td', { class: 'num nowrap' }, fmtDuration(j.durationMs))));
  }

  const JOB_COLUMNS = [
    { name: 'Job' }, { name: 'Name' }, { name: 'State' }, { name: 'Executors', num: true },
    { name: 'Input rate', num: true, title: 'rows read per second of the last batch' },
    { name: 'Process rate', num: true, title: 'rows processed per second of the last batch' },
    { name: 'Last batch', num: true }, { name: 'Batches', num: true }, { name: 'Input rows', num: true },
    { name: 'Rows out', num: true }, { name: 'Submitted' }, { name: 'Duration', num: true },
  ];

  async function renderCluster(gen) {
    const [cluster, workers, jobs] = await Promise.all([
      getJson('/api/v1/cluster'), getJson('/api/v1/workers'), getJson('/api/v1/jobs')]);
    if (gen !== generation) return;
    document.title = 'Spate master · cluster';
    const active = jobs.filter((j) => j.active);
    const done = jobs.filter((j) => !j.active);
    const alive = workers.filter((w) => w.alive).length;

    const workerRows = workers.map((w) => h('tr', { 'data-worker-id': w.id },
      h('td', { class: 'mono nowrap' }, w.id),
      h('td', { class: 'mono nowrap' }, w.address),
      h('td', null, badge(w.state)),
      h('td', null, meter(w.coresUsed, w.cores)),
      h('td', null, meter(w.memoryUsedBytes, w.memoryBytes, fmtBytes)),
      h('td', { class: 'num', title: w.lastHeartbeat }, (w.heartbeatAgeMs / 1000).toFixed(1) + ' s ago'),
      h('td', null, w.executors.length
        ? h('div', { class: 'holds' }, w.executors.map((e) => h('div', null,
          h('a', { href: jobHref(e.jobId), class: 'mono' }, e.jobId), ' · ', e.executorId, ' ',
          h('span', { class: 'chip', title: 'Kafka partitions read by stage 1' }, 'partitions ' + (e.kafkaPartitions.join(', ') || 'none')),
          h('span', { class: 'chip kg', title: 'key groups whose window state this executor owns (stage 2)' }, 'key groups ' + (fmtRanges(e.keyGroups) || 'none')))))
        : h('span', { class: 'muted' }, 'idle'))));

    const view = h('div', { 'data-view': 'cluster' },
      h('h1', null, 'Cluster'),
      h('div', { class: 'subtitle' }, 'master ', h('span', { class: 'mono' }, cluster.masterAddress || '?'),
        ' · up since ' + fmtDateTime(cluster.startedAtMs),
        cluster.ha ? ' · leader, epoch ' + cluster.ha.epoch +
          (cluster.ha.takeoverMs ? ' · took over in ' + cluster.ha.takeoverMs + ' ms' : '') : ''),
      h('div', { class: 'cards' },
        card('Workers', alive, '/ ' + workers.length, cluster.workersLost ? cluster.workersLost + ' lost' : 'all alive', { tone: cluster.workersLost ? 'warn' : 'good', metric: 'workersAlive', raw: alive }),
        card('Cores in use', cluster.coresUsed, '/ ' + cluster.cores, 'reserved by executors', { metric: 'coresUsed', raw: cluster.coresUsed }),
        card('Memory in use', fmtBytes(cluster.memoryUsedBytes), '/ ' + fmtBytes(cluster.memoryBytes), 'reserved by executors'),
        card('Running jobs', cluster.jobsActive, null, cluster.jobsCompleted + ' completed', { metric: 'jobsActive', raw: cluster.jobsActive }),
        card('Input rate', fmtCompact(active.reduce((a, j) => a + (j.inputRowsPerSecond || 0), 0)), 'rows/s', 'all running jobs, last batch')),
      panel('Workers', alive + ' alive · ' + (workers.length - alive) + ' lost',
        table([{ name: 'Worker' }, { name: 'Address' }, { name: 'State' }, { name: 'Cores used' },
          { name: 'Memory used' }, { name: 'Last heartbeat', num: true },
          { name: 'Executors and what they own', title: 'Kafka partitions read by stage 1, key groups whose state stage 2 keeps' }], workerRows,
          'No worker has registered yet. Start one with: spate-worker --master spate://HOST:7077', { 'data-table': 'workers' })),
      panel('Running jobs', active.length ? null : 'none',
        table(JOB_COLUMNS, jobRows(active), 'No job is running. Submit one with spate-submit.', { 'data-table': 'running-jobs' })),
      panel('Completed jobs', done.length + '',
        table(JOB_COLUMNS, jobRows(done), 'None yet.', { 'data-table': 'completed-jobs' })));
    document.getElementById('app').replaceChildren(view);
  }

  // ------------------------------------------------------------------ job view

  function killButton(job) {
    if (!job.killEnabled || !job.active) return null;
    return h('button', {
      type: 'button', class: 'danger',
      onclick: async (ev) => {
        if (!window.confirm('Kill job ' + job.id + '? The running batch is abandoned.')) return;
        ev.target.disabled = true;
        try {
          const res = await fetch('/api/v1/jobs/' + encodeURIComponent(job.id) + '/kill',
            { method: 'POST', headers: { 'X-Spate-Action': 'kill', 'X-Spate-CSRF': job.csrfToken || '' } });
          if (!res.ok) window.alert('Kill failed: ' + res.status);
        } finally { refreshSoon(0); }
      },
    }, 'Kill job');
  }

  function skewBar(value, max, color) {
    const pct = max > 0 ? (100 * value) / max : 0;
    return h('div', { class: 'skew' }, h('span', null, value),
      h('div', { class: 'track' }, h('div', { class: 'fill', style: 'width:' + pct.toFixed(1) + '%;background:' + color })));
  }

  function executorsPanel(job, history) {
    const last = history.length ? history[history.length - 1] : null;
    const lastBy = {};
    if (last) for (const e of last.executors) lastBy[e.executorId] = e;
    const max = { r: 0, w: 0, rd: 0, l: 0 };
    for (const e of job.executors) {
      max.r = Math.max(max.r, e.totals.recordsRead);
      max.w = Math.max(max.w, e.totals.shuffleBytesWritten);
      max.rd = Math.max(max.rd, e.totals.shuffleBytesRead);
      max.l = Math.max(max.l, lastBy[e.executorId] ? lastBy[e.executorId].recordsRead : 0);
    }
    const rows = job.executors.map((e, i) => {
      const c = PALETTE[i % PALETTE.length];
      const lb = lastBy[e.executorId];
      return h('tr', { 'data-executor-id': e.executorId },
        h('td', { class: 'nowrap' }, h('span', { class: 'swatch', style: 'background:' + c }), e.executorId,
          h('div', { class: 'muted' }, e.cores + (e.cores === 1 ? ' core · ' : ' cores · ') + fmtBytes(e.memoryBytes))),
        h('td', { class: 'mono nowrap' }, e.workerId, h('div', { class: 'muted' }, e.address)),
        h('td', null, h('div', null, h('span', { class: 'chip', title: 'Kafka partitions read by stage 1' }, 'partitions ' + (e.kafkaPartitions.join(', ') || 'none'))),
          h('div', null, h('span', { class: 'chip kg', title: 'key groups whose window state this executor owns (stage 2)' }, 'key groups ' + (fmtRanges(e.keyGroups) || 'none') + ' (' + e.keyGroupCount + ')'))),
        h('td', { class: 'num' }, skewBar(fmtInt(lb ? lb.recordsRead : 0), max.l, c)),
        h('td', { class: 'num' }, skewBar(fmtInt(e.totals.recordsRead), max.r, c)),
        h('td', { class: 'num' }, skewBar(fmtBytes(e.totals.shuffleBytesWritten), max.w, c),
          h('div', { class: 'muted', title: 'shuffle bytes sent to executors in other worker processes' }, fmtBytes(e.totals.shuffleBytesRemote || 0) + ' remote')),
        h('td', { class: 'num' }, skewBar(fmtBytes(e.totals.shuffleBytesRead), max.rd, c)),
        h('td', { class: 'num' }, fmtInt(e.totals.tasks)),
        h('td', { class: 'num' }, fmtMs(e.totals.taskTimeMs)));
    });
    return panel('Executors', 'bars compare executors: a long bar next to short ones is skew',
      table([{ name: 'Executor' }, { name: 'Worker' }, { name: 'Owns' },
        { name: 'Last batch', num: true, title: 'records read in the last batch' }, { name: 'Records read', num: true },
        { name: 'Shuffle write', num: true }, { name: 'Shuffle read', num: true },
        { name: 'Tasks', num: true }, { name: 'Task time', num: true }], rows, 'No executor yet (the job waits for resources).', { 'data-table': 'executors' }));
  }

  function resultsPanel(job, results) {
    const sub = 'newest batches first' + (results.truncated ? ' · truncated' : '');
    const empty = 'No result row yet: a window is emitted once the watermark passes its end.';
    if (results.columns && results.columns.length) {
      // A SQL job: its output columns, the window pair shown as one column.
      const cols = results.columns;
      const windowed = cols.length > 1 && cols[0] === 'window_start' && cols[1] === 'window_end';
      const shown = windowed ? cols.slice(2) : cols;
      const cell = (v) => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));
      const rows = results.rows.map((r) => {
        const values = r.values || [];
        const own = windowed ? values.slice(2) : values;
        return h('tr', null,
          h('td', { class: 'num' }, r.batchId),
          windowed ? h('td', { class: 'mono' }, r.windowStart + ' – ' + r.windowEnd.slice(11)) : null,
          own.map((v, i) => h('td', { class: typeof v === 'number' ? 'num' : 'mono', 'data-col': shown[i] }, cell(v))));
      });
      const head = [{ name: 'Batch', num: true }].concat(windowed ? [{ name: 'Window (UTC)' }] : [],
        shown.map((c) => ({ name: c })));
      return panel('Latest results', sub, table(head, rows, empty, { 'data-table': 'results' }));
    }
    const rows = results.rows.map((r) => h('tr', null,
      h('td', { class: 'num' }, r.batchId),
      h('td', { class: 'mono' }, r.windowStart + ' – ' + r.windowEnd.slice(11)),
      h('td', { class: 'mono', 'data-col': 'key' }, r.key),
      h('td', { class: 'num' }, fmtInt(r.count))));
    return panel('Latest results', sub,
      table([{ name: 'Batch', num: true }, { name: 'Window (UTC)' }, { name: results.keyColumn || 'key' },
        { name: results.countColumn || 'count', num: true }], rows, empty, { 'data-table': 'results' }));
  }

  function configPanel(job) {
    const c = job.config;
    const pairs = [
      ['job', c.jobName + ' ' + c.jobArgs.join(' ')],
      ['app name', c.appName || '–'],
      ['executors', c.numExecutors + ' × ' + c.executorCores + ' cores × ' + fmtBytes(c.executorMemoryBytes)],
      ['spate.sql.shuffle.partitions', c.shufflePartitions],
      ['spate.key-groups', c.keyGroups],
      ['source', c.bootstrap + ' · topic ' + c.topic + ' · starting offsets ' + c.startingOffsets],
      ['max offsets per trigger', c.maxOffsetsPerTrigger ? fmtInt(c.maxOffsetsPerTrigger) : 'unbounded'],
      ['trigger', c.trigger],
      ['sink', c.sink],
      ['checkpoint dir', c.checkpointDir || '–'],
      ['idle timeout', fmtMs(c.idleTimeoutMs)],
      ['window', fmtMs(job.windowMs) + ' tumbling on event time, key ' + job.keyColumn],
    ];
    for (const [k, v] of Object.entries(c.conf || {})) pairs.push(['--conf ' + k, v]);
    return panel('Configuration', null,
      h('table', { class: 'kv', 'data-table': 'config' }, h('tbody', null,
        pairs.map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'mono' }, String(v)))))));
  }

  function triggerMs(trigger) {
    const m = /^processing-time=(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(trigger || '');
    if (!m) return null;
    const v = parseFloat(m[1]);
    return m[2] === 'ms' ? v : m[2] === 'm' ? v * 60000 : v * 1000;
  }

  async function renderJob(gen, id) {
    const base = '/api/v1/jobs/' + encodeURIComponent(id);
    let job;
    try {
      job = await getJson(base);
    } catch (e) {
      if (e.status === 404) {
        if (gen !== generation) return;
        document.getElementById('app').replaceChildren(h('div', { 'data-view': 'job-missing' },
          h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Cluster'), ' › job'),
          h('h1', null, 'No such job'),
          h('p', null, 'This master does not know job ', h('span', { class: 'mono' }, id), '.')));
        return;
      }
      throw e;
    }
    const [history, results] = await Promise.all([
      getJson(base + '/progress?limit=' + HISTORY), getJson(base + '/results?batches=5&limit=40')]);
    if (gen !== generation) return;
    document.title = 'Spate master · ' + job.id;
    const lp = job.lastProgress;
    const now = Date.now();
    const wm = lp && lp.eventTime ? lp.eventTime.watermark : null;
    const lagMs = num(wm) ? now - wm : null;
    const trig = triggerMs(job.config.trigger);
    const falling = lp && num(lp.inputRowsPerSecond) && lp.inputRowsPerSecond > 0 && lp.processedRowsPerSecond < lp.inputRowsPerSecond;
    const malformedReasons = Object.entries(job.totals.malformedByReason || {});
    const rec = job.recovery;

    const col = (f) => history.map(f);
    const charts = h('div', { class: 'charts' },
      chart('rates', 'Input rate vs process rate', 'rows/s per batch: process below input means falling behind', history, [
        { name: 'input', color: '#4e79a7', values: col((p) => p.inputRowsPerSecond) },
        { name: 'processed', color: '#f28e2b', values: col((p) => p.processedRowsPerSecond) },
      ], { tip: (v) => fmtInt(v) + ' rows/s' }),
      chart('duration', 'Batch duration', trig ? 'should stay under the trigger interval' : null, history, [
        { name: 'batch duration', color: '#59a14f', values: col((p) => p.durationMs.total) },
      ], { fmt: fmtMs, refs: trig ? [{ value: trig, label: 'trigger ' + fmtMs(trig) }] : [] }),
      chart('phases', 'Time per phase', 'stacked per batch; the shuffle write is inside stage 1', history,
        PHASES.map((ph) => ({ name: ph.name, color: ph.color, values: col((p) => p.durationMs[ph.key]) })),
        { kind: 'stack', fmt: fmtMs }),
      chart('watermark', 'Event time behind wall clock', 'wall clock at the batch minus the watermark / the newest event', history, [
        { name: 'watermark lag', color: '#b07aa1', values: col((p) => (num(p.eventTime.watermark) ? p.timestampMs - p.eventTime.watermark : null)) },
        { name: 'newest event lag', color: '#76b7b2', values: col((p) => (num(p.eventTime.max) ? p.timestampMs - p.eventTime.max : null)) },
      ], { fmt: fmtMs, area: false }),
      chart('input', 'Rows per batch', 'read from Kafka / passed the filters / emitted', history, [
        { name: 'input', color: '#4e79a7', values: col((p) => p.numInputRows) },
        { name: 'matched', color: '#edc948', values: col((p) => p.rowsMatched) },
        { name: 'emitted', color: '#e15759', values: col((p) => p.rowsEmitted) },
      ], { tip: fmtInt }),
      chart('state', 'Window state', 'open windows held after each batch (state store)', history, [
        { name: 'rows', color: '#9c755f', values: col((p) => p.stateRows) },
        { name: 'bytes', color: '#76b7b2', right: true, dash: '5 3', values: col((p) => p.stateBytes) },
      ], { tip: fmtInt, fmt2: fmtBytes }),
      chart('dropped', 'Late and malformed records', 'per batch: older than the watermark (dropped) / not parseable', history, [
        { name: 'dropped by watermark', color: '#e15759', values: col((p) => p.rowsDroppedByWatermark) },
        { name: 'malformed', color: '#edc948', values: col((p) => p.malformedRows) },
      ], { kind: 'stack', tip: fmtInt }),
      chart('executor-records', 'Records read per executor', 'per batch: diverging lines are skew', history,
        job.executors.map((e, i) => ({
          name: e.executorId, color: PALETTE[i % PALETTE.length],
          values: col((p) => { const x = p.executors.find((q) => q.executorId === e.executorId); return x ? x.recordsRead : null; }),
        })), { tip: fmtInt, area: false }),
      chart('executor-shuffle', 'Shuffle bytes per executor', 'per batch: written (solid) and read (dashed)', history,
        job.executors.flatMap((e, i) => [
          { name: e.executorId + ' write', color: PALETTE[i % PALETTE.length], values: col((p) => { const x = p.executors.find((q) => q.executorId === e.executorId); return x ? x.shuffleBytesWritten : null; }) },
          { name: e.executorId + ' read', color: PALETTE[i % PALETTE.length], dash: '5 3', values: col((p) => { const x = p.executors.find((q) => q.executorId === e.executorId); return x ? x.shuffleBytesRead : null; }) },
        ]), { fmt: fmtBytes, area: false }));

    const view = h('div', { 'data-view': 'job', 'data-job-id': job.id },
      h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Cluster'), ' › job'),
      h('h1', null, h('span', { class: 'mono' }, job.id), badge(job.state), killButton(job)),
      h('div', { class: 'subtitle' }, job.name + (job.appName ? ' (' + job.appName + ')' : '') + ' · ' + job.trigger +
        ' · submitted ' + fmtDateTime(job.submittedAtMs) + (job.active ? ' · running for ' : ' · ran for ') + fmtDuration(job.durationMs) + ' · ',
        h('span', { class: 'message' }, job.message)),
      h('div', { class: 'cards' },
        card('Input rate', lp ? fmtCompact(lp.inputRowsPerSecond) : '–', 'rows/s', lp ? fmtCompact(lp.numInputRows) + ' in last batch' : 'no batch yet',
          { metric: 'inputRowsPerSecond', raw: lp ? lp.inputRowsPerSecond : null }),
        card('Process rate', lp ? fmtCompact(lp.processedRowsPerSecond) : '–', 'rows/s', falling ? 'below the input rate' : 'keeping up',
          { metric: 'processedRowsPerSecond', raw: lp ? lp.processedRowsPerSecond : null, tone: falling ? 'warn' : '' }),
        card('Last batch', lp ? fmtMs(lp.durationMs.total) : '–', null, trig ? 'trigger ' + fmtMs(trig) : job.config.trigger,
          { metric: 'lastBatchDurationMs', raw: lp ? lp.durationMs.total : null, tone: lp && trig && lp.durationMs.total > trig ? 'warn' : '' }),
        card('Batches', fmtInt(job.batchesCommitted), null, fmtCompact(job.totals.inputRows) + ' rows in all', { metric: 'batchesCommitted', raw: job.batchesCommitted }),
        card('Watermark', num(wm) ? fmtUtc(wm).slice(11, 19) : '–', null, num(lagMs) ? 'UTC · lag ' + fmtMs(lagMs) : 'not set yet', { metric: 'watermark', raw: wm }),
        card('State', lp ? fmtCompact(lp.stateRows) : '–', 'rows', lp ? fmtBytes(lp.stateBytes) : '', { metric: 'stateRows', raw: lp ? lp.stateRows : null }),
        card('Dropped late', fmtInt(job.totals.rowsDroppedByWatermark), null, 'late rows in all', { metric: 'rowsDroppedByWatermark', raw: job.totals.rowsDroppedByWatermark, tone: job.totals.rowsDroppedByWatermark ? 'warn' : '' }),
        card('Malformed', fmtInt(job.totals.malformedRows), null, malformedReasons.length ? malformedReasons.map(([k, v]) => k + ' ' + v).join(', ') : 'none', { metric: 'malformedRows', raw: job.totals.malformedRows, tone: job.totals.malformedRows ? 'warn' : '' }),
        card('Rows out', fmtInt(job.totals.rowsEmitted), null, 'to the ' + job.dag.sink.kind + ' sink', { metric: 'rowsEmitted', raw: job.totals.rowsEmitted }),
        rec && (rec.recoveries || rec.replayedBatches) ? card('Recoveries', fmtInt(rec.recoveries), null,
          fmtInt(rec.replayedBatches) + ' replayed · ' + fmtCompact(rec.restoredStateRows) + ' state rows restored' +
          (num(rec.lastRecoveryMs) ? ' · last took ' + fmtMs(rec.lastRecoveryMs) : ''),
          { metric: 'recoveries', raw: rec.recoveries, tone: 'warn' }) : null),
      dag(job, history),
      charts,
      executorsPanel(job, history),
      h('div', { class: 'two' }, resultsPanel(job, results), configPanel(job)),
      malformedReasons.length ? panel('Malformed records by reason', null,
        table([{ name: 'Reason' }, { name: 'Records', num: true }],
          malformedReasons.map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'num' }, fmtInt(v)))), '')) : null);
    document.getElementById('app').replaceChildren(view);
  }

  // ------------------------------------------------------------------ routing and refresh

  function route() {
    const hash = window.location.hash || '#/';
    const m = /^#\/jobs\/(.+)$/.exec(hash);
    if (m) return { view: 'job', id: decodeURIComponent(m[1]) };
    return { view: 'cluster' };
  }

  async function refresh() {
    timer = null;
    const gen = generation;
    const r = route();
    document.getElementById('nav-cluster').className = r.view === 'cluster' ? 'current' : '';
    try {
      if (r.view === 'job') await renderJob(gen, r.id);
      else await renderCluster(gen);
      if (gen === generation) setConnection(true, 'updated ' + fmtClock(Date.now()));
    } catch (e) {
      if (gen === generation) setConnection(false, e.message || String(e));
    }
    if (gen === generation) refreshSoon(REFRESH_MS);
  }

  function refreshSoon(ms) {
    if (timer) clearTimeout(timer);
    timer = null;
    if (paused) return;
    timer = setTimeout(refresh, ms);
  }

  window.addEventListener('hashchange', () => {
    generation++;
    window.scrollTo(0, 0);
    refreshSoon(0);
  });
  document.getElementById('pause').addEventListener('click', (ev) => {
    paused = !paused;
    ev.target.textContent = paused ? 'Resume' : 'Pause';
    document.getElementById('updated').textContent = paused ? 'paused' : 'resuming…';
    if (!paused) refreshSoon(0);
    else if (timer) { clearTimeout(timer); timer = null; }
  });
  refreshSoon(0);
}());
