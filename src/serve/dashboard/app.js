// The ratesim serve dashboard: polls /ratesim/stats every second and draws
// what it returns. No libraries: plain DOM and canvas.
'use strict';

const DIMS = ['rpm', 'itpm', 'otpm'];
const COLORS = { rpm: '#d9534f', itpm: '#f0ad4e', otpm: '#8e44ad', other: '#7f8c8d', e529: '#2c3e50' };
const WINDOW_S = 300; // seconds drawn

function text(id, value) {
  const el = document.getElementById(id);
  if (el) el.textContent = String(value);
}

function fmt(n) {
  if (n === null || n === undefined) return '∞';
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return String(n);
}

// Per pool and dimension, the rolling 60 s sum at each second of the window.
function rolling(seconds, pool, key) {
  const out = [];
  let sum = 0;
  const q = [];
  for (const s of seconds) {
    const v = s.pools[pool] ? s.pools[pool][key] : 0;
    q.push(v);
    sum += v;
    if (q.length > 60) sum -= q.shift();
    out.push(sum);
  }
  return out;
}

function drawLines(canvas, series, maxY, labels) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = '#eee';
  ctx.fillStyle = '#999';
  ctx.font = '10px sans-serif';
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const y = h - 4 - f * (h - 14);
    ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
    if (labels) ctx.fillText(labels(f), 2, y - 2);
  }
  for (const { values, color } of series) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / Math.max(1, WINDOW_S - 1)) * w;
      const y = h - 4 - Math.min(1.05, v / maxY) * (h - 14);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

function drawPools(doc, seconds) {
  const host = document.getElementById('pools');
  doc.pools.forEach((p, i) => {
    let div = document.getElementById('pool-' + i);
    if (!div) {
      div = document.createElement('div');
      div.className = 'pool';
      div.id = 'pool-' + i;
      div.innerHTML = `<h2>${p.name}: use of each limit, last minute (% of limit)</h2>
        <canvas width="540" height="140"></canvas>
        <div class="use"></div>`;
      host.appendChild(div);
    }
    const series = [];
    const use = [];
    const keys = { rpm: 'requests', itpm: 'input_tokens', otpm: 'output_tokens' };
    for (const d of DIMS) {
      const limit = p.limits[d];
      const used = p.last_minute[keys[d]];
      use.push(`${d} <b id="use-${i}-${d}">${fmt(used)}</b> / ${fmt(limit)}`);
      if (limit) {
        series.push({ values: rolling(seconds, i, keys[d]).map((v) => (100 * v) / limit), color: COLORS[d] });
      }
    }
    div.querySelector('.use').innerHTML = use.join(' · ') + ` · in flight ${p.in_flight}`;
    drawLines(div.querySelector('canvas'), series, 100, (f) => Math.round(f * 100) + '%');
  });
}

function drawErrors(seconds) {
  const canvas = document.getElementById('errors');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  let max = 1;
  const rows = seconds.map((s) => {
    const r = s.rate_limited;
    const other = Object.entries(r).filter(([k]) => !DIMS.includes(k)).reduce((a, [, v]) => a + v, 0);
    const parts = [['rpm', r.rpm], ['itpm', r.itpm], ['otpm', r.otpm], ['other', other], ['e529', s.overloaded]];
    max = Math.max(max, parts.reduce((a, [, v]) => a + v, 0));
    return parts;
  });
  const bw = w / WINDOW_S;
  rows.forEach((parts, i) => {
    let y = h;
    for (const [k, v] of parts) {
      if (!v) continue;
      const bh = (v / max) * (h - 12);
      ctx.fillStyle = COLORS[k];
      ctx.fillRect(i * bw, y - bh, Math.max(1, bw - 1), bh);
      y -= bh;
    }
  });
  ctx.fillStyle = '#999';
  ctx.font = '10px sans-serif';
  ctx.fillText('max ' + max + '/s', 2, 10);
}

function drawInFlight(seconds) {
  const values = seconds.map((s) => s.in_flight);
  const max = Math.max(1, ...values);
  drawLines(document.getElementById('inflight'), [{ values, color: '#2980b9' }], max, (f) => (f * max).toFixed(max < 4 ? 1 : 0));
}

function drawRecent(recent) {
  const body = document.querySelector('#recent tbody');
  // Wait before a retry: since the end of the previous attempt of the same body.
  const last = {};
  const rows = recent.map((r) => {
    const prev = last[r.attempt.body_hash];
    const waited = prev && r.attempt.retry_count > 0
      ? (r.timestamp - prev.timestamp - prev.attempt.latency_ms / 1000).toFixed(2) : '';
    last[r.attempt.body_hash] = r;
    return { r, waited };
  });
  body.innerHTML = '';
  for (const { r, waited } of rows.reverse()) {
    const a = r.attempt;
    const tr = document.createElement('tr');
    const cells = [r.timestamp.toFixed(2), a.request_id, r.model, a.status, a.dimension || '',
      a.retry_after ?? '', a.retry_count ?? '', waited, r.input_tokens, r.output_tokens, a.latency_ms.toFixed(0)];
    cells.forEach((c, i) => {
      const td = document.createElement('td');
      td.textContent = String(c);
      if (i === 3 && a.status !== 200) td.className = 's' + a.status;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
}

async function poll() {
  try {
    const res = await fetch('/ratesim/stats', { cache: 'no-store' });
    const doc = await res.json();
    const t = doc.totals;
    const r = t.rate_limited;
    const total429 = Object.values(r).reduce((a, b) => a + b, 0);
    text('total-attempts', t.attempts);
    text('total-ok', t.ok);
    text('total-429', total429);
    text('r429-rpm', r.rpm);
    text('r429-itpm', r.itpm);
    text('r429-otpm', r.otpm);
    text('r429-other', total429 - r.rpm - r.itpm - r.otpm);
    text('total-529', t.overloaded + t.stream_errors);
    text('in-flight', doc.in_flight);
    text('total-invalid', t.invalid);
    text('clock', `t = ${doc.now_s.toFixed(1)} s simulated · ${doc.wall_s.toFixed(1)} s wall · speed ${doc.speed}×`);
    const seconds = doc.seconds.slice(-WINDOW_S);
    drawPools(doc, seconds);
    drawErrors(seconds);
    drawInFlight(seconds);
    drawRecent(doc.recent);
    document.body.dataset.updated = String(doc.totals.attempts);
  } catch (e) {
    text('clock', 'cannot reach the server: ' + e);
  }
}

poll();
setInterval(poll, 1000);
