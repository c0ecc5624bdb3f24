// analytics.js -- the crew dashboard's Analytics view: the engagement figures
// of docs/analytics.md, read from the hub's GET /api/report (crew key as a
// Bearer header), refreshed every 10 s while the view is shown and the tab is
// visible, and on demand. Charts are small inline SVGs (no chart library).
// Every failure (403, 500 {"error"}, 503, no answer) is shown in words above
// the last figures that did arrive, which stay marked with their time.
import { h, fill, setText, clock } from './dom.js';
import { t, num, extend } from './i18n.js';
import { analytics as en } from '../i18n/en.js';
import { analytics as zh } from '../i18n/zh.js';
import { analytics as id } from '../i18n/id.js';

extend({ en, zh, id });

const EVERY_MS = 10000;
const TIMEOUT_MS = 30000;
const LEVEL_COLOURS = ['#3a3a52', '#6f6fe0', '#2ea8e6', '#ff9f1c', '#ff2e7e'];
const MARK = { song_start: '▶', song_end: '■', note: '✎' };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pctFmt = (d) => new Intl.NumberFormat(document.documentElement.lang, { style: 'percent', maximumFractionDigits: d });
/** A share (0..1, or null) as a percentage: "—" for null, one decimal below 10%. */
export const pct = (x) => (x === null || x === undefined ? '—' : pctFmt(x > 0 && x < 0.1 ? 1 : 0).format(x));
const dec = (x, d = 1) => (x === null || x === undefined ? '—' : new Intl.NumberFormat(document.documentElement.lang, { maximumFractionDigits: d }).format(x));
const hhmm = (ms) => new Date(ms).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
const hhmmss = (ms) => new Date(ms).toLocaleTimeString(document.documentElement.lang);
/** t() with the ".one" form of key when count is 1 (en: "1 device", "2 devices"). */
const tn = (key, count, vars = {}) => t(count === 1 ? `${key}.one` : key, { n: num(count), d: num(count), ...vars });
const secName = (s) => (s === '' ? t('crew.nosection') : t('join.section.name', { section: s }));

/**
 * opts.key(): the crew key; opts.onError(text): called once per new error
 * text (the dashboard logs it with the hub's other messages); opts.forgetKey():
 * offered as a button when the hub refuses the key.
 */
export function analyticsView(opts) {
  const S = { data: null, at: null, err: null, busy: false, shown: false, lastTry: 0 };
  const status = h('span.a-status', { role: 'status', 'aria-live': 'polite' });
  const refresh = h('button.btn.small.a-refresh', { type: 'button', onclick: () => load() }, t('an.refresh'));
  const alertText = h('span');
  const rekey = h('button.btn.small.a-rekey', { type: 'button', hidden: true, onclick: () => opts.forgetKey?.() }, t('an.rekey'));
  const alert = h('div.alert.a-alert', { role: 'alert', hidden: true }, alertText, rekey);
  const body = h('div.a-body');
  const el = h('section.a-root', { 'aria-labelledby': 'an-h' },
    h('div.a-bar', null,
      h('h2', { id: 'an-h' }, t('an.title')), h('span.a-window'), status, refresh),
    alert, body);

  let lastErrText = '';
  async function load() {
    if (S.busy || !opts.key()) return; // no key yet: the key form is showing
    S.busy = true;
    S.lastTry = Date.now();
    refresh.disabled = true;
    renderStatus();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
    try {
      const r = await fetch('/api/report', { headers: { Authorization: `Bearer ${opts.key() || ''}` }, cache: 'no-store', signal: ctl.signal });
      if (!r.ok) {
        let msg = '';
        try {
          const txt = await r.text();
          try { msg = JSON.parse(txt).error || ''; } catch { msg = txt.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim(); }
        } catch { /* no body */ }
        throw Object.assign(new Error(msg), { status: r.status, detail: msg });
      }
      let data;
      try { data = await r.json(); } catch (e) { throw Object.assign(new Error(e.message), { status: r.status, detail: t('an.err.json') }); }
      if (data.format !== 1) throw Object.assign(new Error('format'), { format: data.format });
      S.data = data;
      S.at = Date.now();
      S.err = null;
      lastErrText = '';
    } catch (e) {
      S.err = e;
    } finally {
      clearTimeout(timer);
      S.busy = false;
      refresh.disabled = false;
    }
    render();
  }

  function errText(e) {
    if (e.status === 403) return t('an.err.403');
    if (e.status === 500) return t('an.err.500', { msg: e.detail || '—' });
    if (e.status === 503) return t('an.err.503');
    if (e.status) return t('an.err.http', { status: e.status, msg: e.detail || '—' });
    if (e.format !== undefined) return t('an.err.format', { v: String(e.format) });
    if (e.name === 'AbortError') return t('an.err.timeout', { s: TIMEOUT_MS / 1000 });
    return t('an.err.net', { msg: e.message || String(e) });
  }

  function renderStatus() {
    if (S.busy) setText(status, S.data ? t('an.updating') : t('an.loading'));
    else if (S.at) setText(status, t('an.updated', { time: hhmmss(S.at), s: EVERY_MS / 1000 }));
    else setText(status, '');
  }

  function render() {
    renderStatus();
    if (S.err) {
      const text = errText(S.err) + (S.data ? ` ${t('an.stale', { time: hhmmss(S.at) })}` : '');
      setText(alertText, text);
      setText(rekey, t('an.rekey'));
      rekey.hidden = S.err.status !== 403 || !opts.forgetKey;
      alert.hidden = false;
      const key = errText(S.err);
      if (key !== lastErrText) { lastErrText = key; opts.onError?.(S.err, key); }
    } else alert.hidden = true;
    el.classList.toggle('stale', !!S.err && !!S.data);
    const d = S.data;
    if (!d) { if (!S.err) fill(body, h('p.c-empty', null, t('an.loading'))); else fill(body); return; }
    const ev = d.event || {};
    setText(el.querySelector('.a-window'), ev.start_ms ? t('an.window', { from: hhmm(ev.start_ms), to: hhmm(ev.end_ms), dur: clock((ev.duration_s || 0) * 1000) }) : '');
    fill(body,
      hubsNote(d),
      headline(d),
      h('div.a-row', null, card('an.funnel', 'a-funnel', funnel(d)), card('an.ladder', 'a-ladder', ladder(d))),
      card('an.timeline', 'a-timeline', timeline(d)),
      h('div.a-row.a-row3', null,
        card('an.polls', 'a-polls', polls(d)),
        h('div.a-col', null, card('an.chants', 'a-chants', chants(d)), card('an.retention', 'a-retention', retention(d)))),
      d.cocreation ? card('an.co', 'a-co', cocreation(d)) : null); // a hub from before co-creation: no card
    drawCharts();
  }

  // ---------------------------------------------------------------- pieces
  const card = (titleKey, cls, ...kids) => {
    const id = `an-${cls}`;
    return h('section.c-card', { class: cls, 'aria-labelledby': id }, h('h2', { id }, t(titleKey)), ...kids);
  };
  const big = (label, value, sub, cls = '') => h('div.a-kpi', { class: cls },
    h('span.a-klabel', null, label), h('b.a-kval', null, value), sub ? h('span.a-ksub', null, sub) : null);
  const since = (d, ms) => `+${clock(ms - (d.event?.start_ms || ms))}`;

  function headline(d) {
    const r = d.reach || {}, tot = d.totals || {};
    const peakMs = r.peak_sec ? r.peak_sec * 1000 : null;
    const top = d.chants?.top?.[0];
    const loud = d.sections?.loudest;
    const loudRow = (d.sections?.sections || []).find((s) => s.section === loud);
    const joined = d.funnel?.find((f) => f.stage === 'joined')?.devices || r.devices || 0;
    return h('div.a-kpis', null,
      big(t('an.devices'), num(r.devices || 0), t('an.devices.sub', { n: num(r.sessions || 0), r: num(r.rejoined_devices || 0) }), 'hero a-k-devices'),
      big(t('an.peak'), num(r.peak_audience || 0), peakMs ? t('an.peak.at', { at: since(d, peakMs), time: hhmmss(peakMs) }) : t('an.peak.none'), 'a-k-peak'),
      big(t('an.taps'), num(tot.taps || 0), t('an.taps.sub', { n: dec(joined ? (tot.taps || 0) / joined : 0), v: num(tot.votes || 0), c: num(tot.chants || 0) }), 'a-k-taps'),
      big(t('an.loudest'), loud ? secName(loud) : '—', loud ? t('an.loudest.sub', { n: dec(loudRow?.taps_per_device) }) : t('an.loudest.none'), 'a-k-loud'),
      big(t('an.topchant'), top ? `“${top.text}”` : '—', top ? tn('an.topchant.sub', top.devices, { n: num(top.count) }) : t('an.chants.none'), 'a-k-chant'));
  }

  // A cluster (docs/cluster.md): which hubs' records the figures cover. The
  // whole event in one quiet line; hubs left out in a warning that says why
  // and where the whole report comes from.
  function hubsNote(d) {
    const ev = d.event || {};
    if (!Array.isArray(ev.hub_ids) || !Array.isArray(ev.missing)) return null; // one hub
    const list = (ids) => new Intl.ListFormat(document.documentElement.lang, { type: 'conjunction' }).format([...ids].sort((a, b) => a - b).map(String));
    if (!ev.missing.length) return h('p.a-hubs', null, t('an.hubs.all', { n: num(ev.hub_ids.length), list: list(ev.hub_ids) }));
    const why = (m) => {
      const colon = (m.where || '').indexOf(':');
      const host = colon > 0 ? m.where.slice(0, colon) : '';
      const path = colon > 0 ? m.where.slice(colon + 1) : '';
      const key = ['other_host', 'same_file', 'unreadable', 'unknown', 'attach_limit', 'merge'].includes(m.why) ? m.why : 'unknown';
      return t(`an.hubs.why.${key}`, { host, path, msg: m.detail || '—' });
    };
    return h('div.a-hubs.part', { role: 'note' },
      h('b', null, t(ev.hub_ids.length === 1 ? 'an.hubs.part.one' : 'an.hubs.part', { list: list(ev.hub_ids), n: num(ev.hub_ids.length + ev.missing.length) })),
      h('ul', null, [...ev.missing].sort((a, b) => a.hub - b.hub).map((m) => h('li', { 'data-hub': String(m.hub) },
        h('span.a-hubid', null, t('an.hubs.hub', { id: String(m.hub) })), ' ', why(m)))),
      h('span', null, t('an.hubs.whole')));
  }

  function funnel(d) {
    const rows = d.funnel || [];
    return [
      h('ol.a-steps', null, rows.map((f, i) => h('li', { class: `a-step-${f.stage}` },
        h('span.a-sname', null, i ? h('span.a-arrow', { 'aria-hidden': 'true' }, '→ ') : null, t(`an.stage.${f.stage}`)),
        h('b', null, num(f.devices)),
        h('span.a-share', null, pct(f.share)),
        h('span.a-meter', { 'aria-hidden': 'true' }, h('i', { style: { transform: `scaleX(${f.share || 0})` } }))))),
      h('p.c-hint', null, t('an.funnel.note')),
    ];
  }

  function ladder(d) {
    const L = d.ladder || {}, o = L.overall || { counts: [], shares: [] };
    const levels = L.levels || [];
    const order = levels.map((lv, i) => i).reverse(); // highest first, as people read a ladder
    return [
      h('div.a-stack', { 'aria-hidden': 'true' }, levels.map((lv, i) => (o.shares[i] ? h('i', { style: { flexGrow: String(o.shares[i]), background: LEVEL_COLOURS[i] }, title: t(`an.level.${lv}`) }) : null))),
      h('ol.a-levels', null, order.map((i) => h('li', null,
        h('span.a-sw', { 'aria-hidden': 'true', style: { background: LEVEL_COLOURS[i] } }),
        h('span.a-lname', null, t(`an.level.${levels[i]}`)),
        h('b', null, pct(o.shares[i])),
        h('span.a-lcount', null, tn('an.devices.n', o.counts[i] || 0))))),
      h('p.c-hint', null, t('an.ladder.note')),
    ];
  }

  // The timeline: a placeholder now, drawn at the card's real width (and again on resize).
  function timeline(d) {
    const tl = d.timeline || { sec: [] };
    if (!tl.sec?.length) return h('p.c-empty', null, t('an.tl.empty'));
    const peaks = (d.peaks || []).slice(0, 3);
    return [
      h('div.a-legend', null,
        h('span', null, h('i.a-lg-taps', { 'aria-hidden': 'true' }), t('an.tl.taps')),
        h('span', null, h('i.a-lg-aud', { 'aria-hidden': 'true' }), t('an.tl.aud')),
        h('span', null, h('i.a-lg-mark', { 'aria-hidden': 'true' }), t('an.tl.markers', { n: num((d.markers || []).length) }))),
      h('div.a-chart', { role: 'img' }),
      peaks.length ? h('div.a-peaks', null, h('h3.c-sub', null, t('an.peaks')),
        h('ol', null, peaks.map((p) => h('li', null,
          h('time', null, since(d, p.sec * 1000)),
          h('b', null, t('an.peaks.taps', { n: num(p.taps) })),
          h('span', null, t('an.peaks.per', { n: dec(p.taps_per_device) })),
          p.marker ? h('span.a-pm', null, `${MARK[p.marker.kind] || '•'} ${p.marker.label}`) : null)))) : null,
    ];
  }

  function drawCharts() {
    const box = el.querySelector('.a-chart');
    if (!box || !S.data) return;
    const d = S.data, tl = d.timeline;
    const W = Math.max(280, Math.round(box.clientWidth || 800)), H = 190;
    const L = 44, R = 44, T = 26, B = 24, iw = W - L - R, ih = H - T - B;
    const sec = tl.sec, n = sec.length;
    const t0 = sec[0], t1 = Math.max(sec[n - 1] + 1, t0 + 2);
    // Buckets: about one per 3 px, taps averaged, audience at the bucket's last second.
    const span = t1 - t0, bs = Math.max(1, Math.ceil(span / Math.max(1, Math.floor(iw / 3))));
    const buckets = new Map();
    for (let i = 0; i < n; i++) {
      const k = Math.floor((sec[i] - t0) / bs);
      const b = buckets.get(k) || { taps: 0, n: 0, aud: 0 };
      b.taps += tl.taps[i] || 0; b.n += 1; b.aud = tl.audience[i] || 0;
      buckets.set(k, b);
    }
    const pts = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([k, b]) => ({ k, taps: b.taps / b.n, aud: b.aud }));
    const maxT = Math.max(1, ...pts.map((p) => p.taps)), maxA = Math.max(1, ...pts.map((p) => p.aud));
    // Steps: each bucket is a flat run over its own seconds (a count per second, not a slope).
    const xl = (k) => L + ((k * bs) / span) * iw, xr = (k) => L + (Math.min(span, (k + 1) * bs) / span) * iw;
    const yT = (v) => T + ih - (v / maxT) * ih, yA = (v) => T + ih - (v / maxA) * ih;
    // Runs of consecutive buckets (seconds while the hub was down are gaps, not zeros).
    const runs = [];
    for (const p of pts) { const last = runs.at(-1); if (last && p.k - last.at(-1).k <= 1) last.push(p); else runs.push([p]); }
    const f = (v) => v.toFixed(1);
    const line = (run, y, key) => run.map((p, i) => `${i ? 'L' : 'M'}${f(xl(p.k))},${f(y(p[key]))}H${f(xr(p.k))}`).join('');
    const area = (run) => `${line(run, yT, 'taps')}V${T + ih}H${f(xl(run[0].k))}Z`;
    // Markers: dashed lines; a label where it does not collide with the previous one.
    let lastLabel = -1e9;
    const marks = (d.markers || []).filter((m) => m.ts_ms / 1000 >= t0 - 1 && m.ts_ms / 1000 <= t1 + 1).map((m) => {
      const mx = L + ((m.ts_ms / 1000 - t0) / span) * iw;
      const lab = `${MARK[m.kind] || '•'} ${m.label}`;
      const show = mx - lastLabel > 90;
      if (show) lastLabel = mx;
      return `<g class="mk ${esc(m.kind)}"><title>${esc(`${since(d, m.ts_ms)} ${lab}`)}</title><line x1="${mx.toFixed(1)}" x2="${mx.toFixed(1)}" y1="${T - 4}" y2="${T + ih}"/>${show ? `<text x="${(mx + 4).toFixed(1)}" y="${T - 10}">${esc(lab.length > 18 ? `${lab.slice(0, 17)}…` : lab)}</text>` : ''}</g>`;
    }).join('');
    const seen = new Set();
    const ticks = (iw < 420 ? [0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1]).map((f) => {
      const tx = L + f * iw;
      const lab = clock(Math.round(f * span) * 1000);
      if (seen.has(lab)) return '';
      seen.add(lab);
      return `<text class="tx" x="${tx.toFixed(1)}" y="${H - 6}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">+${lab}</text><line class="gt" x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${T + ih}" y2="${T + ih + 4}"/>`;
    }).join('');
    const top = pts.reduce((a, p) => (p.taps > a.taps ? p : a), pts[0]);
    const svg = `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" aria-hidden="true" focusable="false">
<defs><linearGradient id="a-tg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff2e7e" stop-opacity=".55"/><stop offset="1" stop-color="#ff2e7e" stop-opacity=".04"/></linearGradient></defs>
<line class="gh" x1="${L}" x2="${W - R}" y1="${T}" y2="${T}"/><line class="gh" x1="${L}" x2="${W - R}" y1="${T + ih / 2}" y2="${T + ih / 2}"/><line class="ax" x1="${L}" x2="${W - R}" y1="${T + ih}" y2="${T + ih}"/>
<text class="yl taps" x="${L - 6}" y="${T + 4}" text-anchor="end">${esc(dec(maxT))}</text><text class="yl taps" x="${L - 6}" y="${T + ih}" text-anchor="end">0</text>
<text class="yl aud" x="${W - R + 6}" y="${T + 4}">${esc(num(maxA))}</text><text class="yl aud" x="${W - R + 6}" y="${T + ih}">0</text>
${runs.map((r) => `<path class="ta" d="${area(r)}"/><path class="tl" d="${line(r, yT, 'taps')}"/>`).join('')}
${runs.map((r) => `<path class="al" d="${line(r, yA, 'aud')}"/>`).join('')}
${marks}${ticks}
${top && top.taps > 0 ?  `<circle class="pk" cx="${f((xl(top.k) + xr(top.k)) / 2)}" cy="${yT(top.taps).toFixed(1)}" r="4"/>` : ''}
</svg>`;
    box.innerHTML = svg;
    box.setAttribute('aria-label', t('an.tl.summary', { from: hhmm(t0 * 1000), to: hhmm(t1 * 1000), taps: dec(maxT), aud: num(maxA), m: num((d.markers || []).length) }) + (bs > 1 ? ` ${t('an.tl.bucket', { s: bs })}` : ''));
    box.title = bs > 1 ? t('an.tl.bucket', { s: bs }) : '';
  }

  function polls(d) {
    const list = [...(d.polls || [])].sort((a, b) => b.id - a.id); // the latest first
    if (!list.length) return h('p.c-empty', null, t('an.polls.none'));
    return h('ol.a-polllist', null, list.map((p) => {
      const win = p.winner || [];
      const winText = !p.voters ? t('an.poll.novotes')
        : win.length > 1 ? t('an.poll.tie', { w: win.map((i) => p.options[i]?.label).join(' · ') })
          : t('an.poll.winner', { w: p.options[win[0]]?.label ?? '—' });
      const max = Math.max(1, ...p.options.map((o) => o.votes));
      return h('li.a-poll', { 'data-poll': String(p.id) },
        h('div.a-ptop', null,
          h('span.c-tag', { class: p.closed_ms === null ? 'open' : 'closed' }, p.closed_ms === null ? t('an.poll.open') : t('an.poll.closed')),
          h('time', null, `${since(d, p.opened_ms)} · ${hhmm(p.opened_ms)}`)),
        h('h3.a-pq', null, p.question),
        h('p.a-win', null, p.voters ? h('span', { 'aria-hidden': 'true' }, '★ ') : null, winText),
        h('dl.a-pstats', null,
          h('div', null, h('dt', null, t('an.poll.voters')), h('dd', null, num(p.voters || 0))),
          h('div', null, h('dt', null, t('an.poll.turnout')), h('dd', null, pct(p.turnout_of_peak ?? p.turnout),
            h('small', null, (p.peak_during ?? p.audience_at_open) ? t('an.poll.turnout.of', { v: num(p.voters || 0), n: num(p.peak_during ?? p.audience_at_open) }) : t('an.poll.turnout.none')))),
          h('div', null, h('dt', null, t('an.poll.changed')), h('dd', null, num(p.changed_devices || 0),
            h('small', null, tn('an.poll.changes', p.changes || 0))))),
        h('table.a-opts', null,
          h('caption.sr-only', null, t('an.poll.votes', { q: p.question })),
          h('thead.sr-only', null, h('tr', null, h('th', { scope: 'col' }, t('an.poll.option')), h('th', { scope: 'col' }, t('an.poll.votesh')), h('th', { scope: 'col' }, t('an.poll.share')))),
          h('tbody', null, p.options.map((o) => {
            const lead = p.voters > 0 && win.includes(o.idx);
            return h('tr', { class: lead ? 'lead' : '' },
              h('th', { scope: 'row' }, h('span.a-olabel', null, o.label, lead ? h('span.a-star', null, ' ★', h('span.sr-only', null, ` (${t('an.poll.win')})`)) : null),
                h('span.a-obar', { 'aria-hidden': 'true' }, h('i', { style: { transform: `scaleX(${o.votes / max})` } }))),
              h('td.a-ovotes', null, num(o.votes)),
              h('td.a-oshare', null, pct(o.share)));
          }))));
    }));
  }

  // Co-creation (docs/analytics.md, "Co-creation"): the lift in words, the
  // polls the crew played with "Play it" and the song each started, and taps
  // a minute per phone song by song, the crowd's choices marked.
  function cocreation(d) {
    const co = d.cocreation, songs = co.songs || [], chosen = co.chosen || [];
    const nc = songs.filter((s) => s.poll !== null && s.poll !== undefined).length, no = songs.length - nc;
    const words = nc
      ? tn('an.co.chosen', nc, { r: dec(co.chosen_rate) }) + (!no ? t('an.co.noother')
        : tn('an.co.other', no, { r: dec(co.other_rate) }) + (co.lift !== null && co.lift !== undefined ? t('an.co.lift', { x: dec(co.lift) }) : t('an.co.end')))
      : [t('an.co.nochosen'), no ? tn('an.co.songs.rate', no, { r: dec(co.other_rate) }) : ''].filter(Boolean).join(' ');
    const winning = co.winning_side !== null && co.winning_side !== undefined ? ` ${t('an.co.winning', { p: pct(co.winning_side) })}` : '';
    const old = (d.event?.schema_version || 0) < 3;
    const max = Math.max(0, ...songs.map((s) => s.taps_per_device_minute || 0)) || 1;
    return [
      old ? h('p.c-hint.a-co-old', null, t('an.co.old', { v: String(d.event?.schema_version ?? '?') })) : null,
      h('p.a-cowords', null, words + winning),
      h('div.a-row', null,
        h('div.a-cochoices', null, h('h3.c-sub', null, t('an.co.choices')),
          chosen.length ? h('ol.a-colist', null, chosen.map((c) => h('li.a-choice', { 'data-poll': String(c.poll) },
            h('span.a-coq', null, c.question),
            h('b.a-colabel', null, c.label ?? '—'),
            h('span.a-covotes', null, `${t('an.co.votes', { v: num(c.votes), n: num(c.voters) })} · ${pct(c.share)}`),
            h('time.a-coat', null, t('an.co.confirmed', { at: `${since(d, c.played_ms)} · ${hhmm(c.played_ms)}` })),
            c.marker ? h('span.a-cosong', null, `${MARK.song_start} ${c.marker.label} · ${t('an.co.started', { at: since(d, c.marker.ts_ms) })}`)
              : h('span.a-cosong.none', null, t('an.co.notplayed')))))
            : h('p.c-empty', null, old ? '—' : t('an.co.none'))),
        songs.length ? h('div.a-cosongs', null, h('h3.c-sub', null, t('an.co.songs')),
          h('ol.a-cobars', null, songs.map((s) => {
            const ch = s.poll !== null && s.poll !== undefined;
            return h('li', { class: ch ? 'chosen' : '', 'data-marker': String(s.marker) },
              h('span.a-coname', null, s.label, ch ? ' ' : null, ch ? h('span.a-cobadge', null, t('an.co.badge')) : null),
              h('span.a-obar', { 'aria-hidden': 'true' }, h('i', { style: { transform: `scaleX(${(s.taps_per_device_minute || 0) / max})` } })),
              h('b', null, dec(s.taps_per_device_minute)));
          }))) : null),
    ];
  }

  function chants(d) {
    const c = d.chants || {};
    if (!c.top?.length) return h('p.c-empty', null, t('an.chants.none'));
    return [
      h('p.a-csub', null, t('an.chants.sub', { total: num(c.total || 0), distinct: num(c.distinct || 0) })),
      h('ol.a-clist', null, c.top.map((x) => h('li', null,
        h('span.a-ctext', null, x.text), h('b', null, `×${num(x.count)}`), h('small', null, tn('an.devices.n', x.devices))))),
    ];
  }

  function retention(d) {
    const marks = d.retention?.marks || [];
    if (!marks.length) return h('p.c-empty', null, t('an.ret.none'));
    return h('div.a-rwrap', null, h('table.a-ret', null,
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('an.ret.minute')), h('th', { scope: 'col' }, t('an.ret.connected')),
        h('th', { scope: 'col' }, t('an.ret.joined')), h('th', { scope: 'col' }, t('an.ret.share')))),
      h('tbody', null, marks.map((m) => h('tr', null,
        h('th', { scope: 'row' }, `+${m.minute}′`, h('small', null, hhmm(m.ts_ms))),
        h('td', null, num(m.connected)), h('td', null, num(m.joined)),
        h('td.a-rshare', null, h('span.a-rbar', { 'aria-hidden': 'true' }, h('i', { style: { transform: `scaleX(${m.share || 0})` } })), h('span', null, pct(m.share))))))));
  }

  // ---------------------------------------------------------------- life
  setInterval(() => {
    if (S.shown && document.visibilityState === 'visible' && Date.now() - S.lastTry >= EVERY_MS - 500) load();
  }, 1000);
  document.addEventListener('visibilitychange', () => {
    if (S.shown && document.visibilityState === 'visible' && Date.now() - S.lastTry >= EVERY_MS) load();
  });
  let rw = 0;
  new ResizeObserver(() => { if (S.shown && el.clientWidth !== rw) { rw = el.clientWidth; drawCharts(); } }).observe(el);

  return {
    el,
    load,
    show() { S.shown = true; if (!S.data || Date.now() - S.lastTry >= EVERY_MS) load(); else { render(); } },
    hide() { S.shown = false; },
    relang() { refresh.textContent = t('an.refresh'); setText(el.querySelector('#an-h'), t('an.title')); if (S.data || S.err) render(); else renderStatus(); },
  };
}
