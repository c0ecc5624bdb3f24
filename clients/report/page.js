/* page.js -- draws the charts of chorus-report's HTML page with Chart.js.
 * Inlined by html.c after Chart.js itself; reads the report JSON from
 * <script id="report-data">. Every number is also in the page's tables. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var PALETTE = ['#e11d48', '#f97316', '#0ea5e9', '#8b5cf6', '#eab308', '#10b981', '#64748b', '#ec4899', '#14b8a6', '#a16207'];
  var LEVEL_COLORS = ['#cbd5e1', '#93c5fd', '#60a5fa', '#8b5cf6', '#6d28d9'];
  var charts = [];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.color = '#374151';

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  /* seconds since the start -> "+1:02:03" / "+12:03" */
  function el(s) {
    s = Math.round(s);
    var neg = s < 0; if (neg) s = -s;
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, x = s % 60;
    return (neg ? '-' : '+') + (h ? h + ':' + pad(m) : m) + ':' + pad(x);
  }
  function make(id, cfg) {
    var c = document.getElementById(id);
    if (!c) return null;
    var ch = new Chart(c, cfg);
    charts.push(ch);
    return ch;
  }
  function pct(v) { return v == null ? '–' : (v * 100).toFixed(1) + '%'; }

  /* Dashed vertical lines with a label for the event's markers. */
  var markerPlugin = {
    id: 'markers',
    afterDatasetsDraw: function (chart, args, opts) {
      if (!opts || !opts.list) return;
      var ctx = chart.ctx, a = chart.chartArea, x = chart.scales.x;
      /* Labels run downwards, 11 px type: one needs 13 px of width. A marker
       * closer than that to the last labelled one gets its line only (every
       * marker is in the table under the chart), so labels never overlap. */
      var lastLabel = -Infinity;
      ctx.save();
      ctx.font = '11px system-ui, sans-serif';
      opts.list.slice().sort(function (p, q) { return p.x - q.x; }).forEach(function (m) {
        var px = x.getPixelForValue(m.x);
        if (px < a.left || px > a.right) return;
        ctx.strokeStyle = m.color; ctx.lineWidth = 1.2; ctx.setLineDash(m.dash || [5, 4]);
        ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
        ctx.setLineDash([]);
        if (px - lastLabel < 14) return;
        lastLabel = px;
        ctx.save(); ctx.translate(px + 3, a.top + 3); ctx.rotate(Math.PI / 2);
        ctx.fillStyle = m.color; ctx.textBaseline = 'top';
        ctx.fillText(m.label.length > 28 ? m.label.slice(0, 27) + '…' : m.label, 0, -13);
        ctx.restore();
      });
      /* Peak moments: numbered badges along the top edge. */
      (opts.peaks || []).forEach(function (p) {
        var px = x.getPixelForValue(p.x);
        if (px < a.left || px > a.right) return;
        ctx.fillStyle = '#111827';
        ctx.beginPath(); ctx.arc(px, a.top + 8, 8, 0, 2 * Math.PI); ctx.fill();
        ctx.fillStyle = '#fff'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
        ctx.font = 'bold 10px system-ui, sans-serif';
        ctx.fillText(String(p.rank), px, a.top + 8.5);
        ctx.textAlign = 'start';
      });
      ctx.restore();
    }
  };

  function report(R) {
    var t0 = R.event.start_ms / 1000, tl = R.timeline, kinds = R.event.reactions;
    var markerList = R.markers.map(function (m) {
      return { x: m.ts_ms / 1000 - t0, label: m.label,
               color: m.kind === 'song_start' ? '#15803d' : m.kind === 'song_end' ? '#6b7280' : '#2563eb' };
    });
    /* Polls opening and closing, in the timeline too (dotted, purple). */
    R.polls.forEach(function (p) {
      markerList.push({ x: p.opened_ms / 1000 - t0, label: 'poll ' + p.id + ' opens', color: '#7c3aed', dash: [2, 3] });
      if (p.closed_ms != null)
        markerList.push({ x: p.closed_ms / 1000 - t0, label: 'poll ' + p.id + ' closes', color: '#7c3aed', dash: [2, 3] });
    });
    /* Timeline: averaged into buckets so a long show stays readable (the CSV
     * and JSON keep every second). Seconds the hub did not record are gaps. */
    if (tl.sec.length) {
      var first = tl.sec[0], last = tl.sec[tl.sec.length - 1];
      var B = Math.max(1, Math.ceil((last - first + 1) / 3600));
      var nb = Math.floor((last - first) / B) + 1, i, k;
      var sums = kinds.map(function () { return new Float64Array(nb); });
      var aud = new Array(nb).fill(null), have = new Uint8Array(nb);
      for (i = 0; i < tl.sec.length; i++) {
        var b = Math.floor((tl.sec[i] - first) / B);
        have[b] = 1;
        aud[b] = Math.max(aud[b] || 0, tl.audience[i]);
        for (k = 0; k < kinds.length; k++) sums[k][b] += tl.reactions[kinds[k]][i];
      }
      var xs = []; for (i = 0; i < nb; i++) xs.push(first + i * B - t0);
      var sets = kinds.map(function (name, k) {
        return { label: name, type: 'line', yAxisID: 'y', stack: 'taps', fill: k === 0 ? 'origin' : '-1',
                 borderWidth: 1, pointRadius: 0, backgroundColor: PALETTE[k % PALETTE.length] + 'b0',
                 borderColor: PALETTE[k % PALETTE.length], spanGaps: false,
                 data: xs.map(function (x, j) { return { x: x, y: have[j] ? sums[k][j] / B : null }; }) };
      });
      sets.push({ label: 'audience', type: 'line', yAxisID: 'y2', borderColor: '#111827', borderWidth: 1.5,
                  pointRadius: 0, fill: false, data: xs.map(function (x, j) { return { x: x, y: aud[j] }; }) });
      make('ch-timeline', {
        type: 'line', data: { datasets: sets },
        options: {
          parsing: true, interaction: { mode: 'index', intersect: false },
          scales: {
            x: { type: 'linear', min: xs[0], max: xs[xs.length - 1] + B, ticks: { callback: function (v) { return el(v); }, maxTicksLimit: 14 },
                 title: { display: true, text: 'time since start' + (B > 1 ? ' (' + B + '-second averages)' : '') } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'taps per second' } },
            y2: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'connected audience' } }
          },
          plugins: { markers: { list: markerList, peaks: R.peaks.map(function (p) { return { x: p.sec - t0, rank: p.rank }; }) },
                     tooltip: { callbacks: { title: function (it) { return it.length ? el(it[0].parsed.x) : ''; } } } }
        },
        plugins: [markerPlugin]
      });
    }

    make('ch-funnel', {
      type: 'bar',
      data: { labels: R.funnel.map(function (s) { return s.stage + ' (' + pct(s.share) + ')'; }),
              datasets: [{ label: 'devices', data: R.funnel.map(function (s) { return s.devices; }),
                           backgroundColor: ['#6d28d9', '#8b5cf6', '#a78bfa', '#c4b5fd'] }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
    });

    var rows = [R.ladder.overall].concat(R.ladder.sections.filter(function (s) { return s.devices > 0; }));
    make('ch-ladder', {
      type: 'bar',
      data: { labels: rows.map(function (r) { return r.section === undefined ? 'everyone' : (r.section || 'no section'); }),
              datasets: R.ladder.levels.map(function (lv, l) {
                return { label: lv, backgroundColor: LEVEL_COLORS[l % LEVEL_COLORS.length],
                         data: rows.map(function (r) { return r.shares[l] == null ? 0 : r.shares[l] * 100; }) };
              }) },
      options: { indexAxis: 'y', scales: { x: { stacked: true, max: 100, ticks: { callback: function (v) { return v + '%'; } } },
                                           y: { stacked: true, ticks: { autoSkip: false } } },   /* every row named */
                 plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + c.parsed.x.toFixed(1) + '%'; } } } } }
    });

    R.polls.forEach(function (p, i) {
      make('ch-poll-' + i, {
        type: 'bar',
        data: { labels: p.options.map(function (o) { return o.label; }),
                datasets: [{ label: 'votes', data: p.options.map(function (o) { return o.votes; }),
                             backgroundColor: p.options.map(function (o, k) { return PALETTE[k % PALETTE.length]; }) }] },
        options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      var open = p.opened_ms / 1000;
      make('ch-tally-' + i, {
        type: 'line',
        data: { datasets: p.options.map(function (o, k) {
          var pts = [{ x: 0, y: 0 }].concat(p.tally.sec.map(function (s, j) { return { x: s + 1 - open, y: p.tally.counts[j][k] }; }));
          /* hold the final count until the poll closed (or the event ended) */
          var end = (p.closed_ms != null ? p.closed_ms : R.event.end_ms) / 1000 - open;
          if (end > pts[pts.length - 1].x) pts.push({ x: end, y: pts[pts.length - 1].y });
          return { label: o.label, data: pts, stepped: 'after', pointRadius: 0, borderWidth: 2,
                   borderColor: PALETTE[k % PALETTE.length], backgroundColor: PALETTE[k % PALETTE.length] };
        }) },
        options: { scales: { x: { type: 'linear', min: 0, ticks: { callback: function (v) { return el(v); } },
                                  title: { display: true, text: 'time since the poll opened' } },
                             y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'votes' } } } }
      });
    });

    /* Co-creation: taps a minute per phone, song by song; the crowd's choices in the accent colour. */
    var songs = R.cocreation ? R.cocreation.songs : [];
    make('ch-cocreation', {
      type: 'bar',
      data: { labels: songs.map(function (s) { return s.label; }),
              datasets: [{ label: 'taps a minute per phone', data: songs.map(function (s) { return s.taps_per_device_minute; }),
                           backgroundColor: songs.map(function (s) { return s.poll != null ? '#6d28d9' : '#c4b5fd'; }) }] },
      /* no axis title: the short chart would cut it; the table above names the figure */
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } }
    });

    var marks = R.retention.marks;
    make('ch-retention', {
      type: 'line',
      data: { labels: marks.map(function (m) { return '+' + m.minute + ' min'; }),
              datasets: [{ label: 'still connected', data: marks.map(function (m) { return m.connected; }),
                           borderColor: '#6d28d9', backgroundColor: '#6d28d933', fill: true },
                         { label: 'joined so far', data: marks.map(function (m) { return m.joined; }),
                           borderColor: '#9ca3af', borderDash: [6, 4], pointRadius: 0 }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'devices' } } } }
    });

    var secs = R.sections.sections.filter(function (s) { return s.devices > 0; });
    make('ch-sections', {
      type: 'bar',
      data: { labels: secs.map(function (s) { return s.section || 'no section'; }),
              datasets: [{ label: 'taps per device', data: secs.map(function (s) { return s.taps_per_device; }),
                           backgroundColor: secs.map(function (s) { return s.section === R.sections.loudest ? '#6d28d9' : '#c4b5fd'; }) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'taps per device' } } } }
    });
  }

  function compare(C) {
    var ev = C.events, labels = ev.map(function (e) { return [e.name || e.code, e.code + ' ' + new Date(e.start_ms).toISOString().slice(0, 10)]; });
    make('ch-cmp-reach', {
      type: 'bar',
      data: { labels: labels, datasets: [
        { label: 'devices joined', data: ev.map(function (e) { return e.devices; }), backgroundColor: '#6d28d9' },
        { label: 'peak audience', data: ev.map(function (e) { return e.peak_audience; }), backgroundColor: '#a78bfa' }] },
      options: { scales: { y: { beginAtZero: true } } }
    });
    make('ch-cmp-shares', {
      type: 'bar',
      data: { labels: labels, datasets: ['reacted', 'voted', 'chanted'].map(function (k, i) {
        return { label: k, backgroundColor: PALETTE[i], data: ev.map(function (e) { return e[k + '_share'] == null ? 0 : e[k + '_share'] * 100; }) };
      }) },
      options: { scales: { y: { beginAtZero: true, max: 100, ticks: { callback: function (v) { return v + '%'; } } } } }
    });
  }

  if (D.kind === 'report') report(D.report); else compare(D.compare);
  /* Printing scales the screen bitmaps (page.css); redraw when back. */
  window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
})();
