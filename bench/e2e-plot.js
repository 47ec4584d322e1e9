// The end-to-end benchmark's plot, as a self-contained SVG: per policy (columns), demand with the forecast band and
// the replicas (top), and per-second p95 latency against the target with failed requests (bottom).
import { writeFileSync } from 'node:fs';

const W = 520;
const H = 230;
const M = { l: 48, r: 44, t: 26, b: 28 };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function polyline(points, color, width = 1.5, dash = '') {
  const segs = [];
  let cur = [];
  for (const p of points) {
    if (p === null) {
      if (cur.length) segs.push(cur);
      cur = [];
    } else cur.push(`${p[0].toFixed(1)},${p[1].toFixed(1)}`);
  }
  if (cur.length) segs.push(cur);
  return segs
    .map(
      (s) =>
        `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${s.join(' ')}"/>`,
    )
    .join('');
}

function axis(x0, y0, w, h, yMax, label, right = false, rightMax = 0, rightLabel = '') {
  let out = `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`;
  for (let i = 0; i <= 4; i++) {
    const y = y0 + h - (i / 4) * h;
    out += `<text x="${x0 - 4}" y="${y + 3}" font-size="9" text-anchor="end">${Number(((yMax * i) / 4).toFixed(yMax < 10 ? 1 : 0))}</text>`;
    if (right)
      out += `<text x="${x0 + w + 4}" y="${y + 3}" font-size="9">${Number(((rightMax * i) / 4).toFixed(1))}</text>`;
  }
  out += `<text x="${x0 - 36}" y="${y0 + h / 2}" font-size="10" transform="rotate(-90 ${x0 - 36} ${y0 + h / 2})" text-anchor="middle">${esc(label)}</text>`;
  if (right)
    out += `<text x="${x0 + w + 34}" y="${y0 + h / 2}" font-size="10" transform="rotate(90 ${x0 + w + 34} ${y0 + h / 2})" text-anchor="middle">${esc(rightLabel)}</text>`;
  return out;
}

/** `timelines`: { predictive: rows, hpa: rows } from e2e-run.js; rows per wall second of the replay. */
export function writePlot(file, timelines, targetMs) {
  const names = Object.keys(timelines);
  const all = names.flatMap((n) => timelines[n]);
  const n = Math.max(...names.map((k) => timelines[k].length));
  const demandMax = Math.max(1, ...all.map((r) => Math.max(r.sent, r.forecastUpperPerS ?? 0))) * 1.1;
  const replicasMax = Math.max(1, ...all.map((r) => (r.ready ?? 0) + (r.warming ?? 0))) + 1;
  const latMax = Math.max(targetMs * 2, ...all.map((r) => r.p95Ms ?? 0)) * 1.05;
  const latLog = (v) => Math.log10(Math.max(1, v)) / Math.log10(latMax);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  let body = '';
  names.forEach((name, col) => {
    const rows = timelines[name];
    const ox = col * W + M.l;
    const x = (t) => ox + (t / Math.max(1, n - 1)) * pw;
    // top: demand, forecast, replicas
    let oy = M.t;
    const yD = (v) => oy + ph - (v / demandMax) * ph;
    const yR = (v) => oy + ph - (v / replicasMax) * ph;
    body += `<text x="${ox}" y="${oy - 8}" font-size="12" font-weight="bold">${esc(name)}</text>`;
    body += axis(ox, oy, pw, ph, demandMax, 'requests / s', true, replicasMax, 'replicas');
    const band = rows.filter((r) => r.forecastUpperPerS !== null && r.forecastP50PerS !== null);
    if (band.length) {
      const up = band.map((r) => `${x(r.t).toFixed(1)},${yD(r.forecastUpperPerS).toFixed(1)}`);
      const lo = [...band].reverse().map((r) => `${x(r.t).toFixed(1)},${yD(r.forecastP50PerS).toFixed(1)}`);
      body += `<polygon fill="#f4a261" fill-opacity="0.25" stroke="none" points="${[...up, ...lo].join(' ')}"/>`;
      body += polyline(
        band.map((r) => [x(r.t), yD(r.forecastUpperPerS)]),
        '#e76f51',
        1,
        '4 2',
      );
    }
    body += polyline(
      rows.map((r) => [x(r.t), yD(r.sent)]),
      '#264653',
      1.5,
    );
    body += polyline(
      rows.map((r) => (r.ready === null ? null : [x(r.t), yR(r.ready)])),
      '#2a9d8f',
      2,
    );
    body += polyline(
      rows.map((r) => (r.ready === null ? null : [x(r.t), yR(r.ready + r.warming)])),
      '#2a9d8f',
      1,
      '2 2',
    );
    // bottom: latency
    oy = H + M.t;
    const yL = (v) => oy + ph - latLog(v) * ph;
    body += `<rect x="${ox}" y="${oy}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
    for (const v of [1, 10, 100, 1000, 10000].filter((v) => v <= latMax))
      body += `<text x="${ox - 4}" y="${yL(v) + 3}" font-size="9" text-anchor="end">${v}</text>`;
    body += `<text x="${ox - 36}" y="${oy + ph / 2}" font-size="10" transform="rotate(-90 ${ox - 36} ${oy + ph / 2})" text-anchor="middle">p95 ms / s (log)</text>`;
    body += `<line x1="${ox}" x2="${ox + pw}" y1="${yL(targetMs)}" y2="${yL(targetMs)}" stroke="#d62828" stroke-dasharray="5 3"/>`;
    body += polyline(
      rows.map((r) => (r.p95Ms === null ? null : [x(r.t), yL(r.p95Ms)])),
      '#6a4c93',
      1.5,
    );
    for (const r of rows)
      if (r.failed > 0)
        body += `<circle cx="${x(r.t).toFixed(1)}" cy="${oy + 4}" r="2.5" fill="#d62828"><title>${r.failed} failed</title></circle>`;
    for (let t = 0; t < n; t += 20)
      body += `<text x="${x(t)}" y="${oy + ph + 12}" font-size="9" text-anchor="middle">${t}</text>`;
    body += `<text x="${ox + pw / 2}" y="${oy + ph + 24}" font-size="10" text-anchor="middle">wall seconds of the replay</text>`;
  });
  const legend = [
    ['#264653', 'requests sent / s'],
    ['#e76f51', 'forecast band (p50 to upper)'],
    ['#2a9d8f', 'ready replicas (dotted: + warming)'],
    ['#6a4c93', 'p95 latency per second'],
    ['#d62828', 'p95 target; dots: failed requests'],
  ]
    .map(
      ([c, t], i) =>
        `<rect x="${10 + i * 200}" y="${2 * H + 6}" width="12" height="4" fill="${c}"/><text x="${26 + i * 200}" y="${2 * H + 12}" font-size="10">${esc(t)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W * names.length}" height="${2 * H + 20}" viewBox="0 0 ${W * names.length} ${2 * H + 20}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${body}${legend}</svg>\n`;
  writeFileSync(file, svg);
}
