// expect.mjs -- the known truth of the scripted databases of gen.c, worked
// out by hand from the history written there (not from chorus-report).
// T = 2026-01-01 00:00:00 UTC in ms, S = T / 1000.
export const T = 1767225600000;
export const S = T / 1000;

const m1 = { id: 1, ts_ms: T + 60000, kind: 'song_start', label: 'Song One' };
const m2 = { id: 2, ts_ms: T + 600000, kind: 'song_end', label: 'Song One' };
const m3 = { id: 3, ts_ms: T + 900000, kind: 'note', label: 'Technical break' };
const m4 = { id: 4, ts_ms: T + 1000000, kind: 'song_start', label: 'Song Two' };
const m5 = { id: 5, ts_ms: T + 2000000, kind: 'song_end', label: 'Song Two' };
const third = 1 / 3;

/* small: 5 devices; d1 joins twice (section A, then B); d4's session never
 * closed (hub killed); d5 watches only; a crew and a screen session that must
 * not count; poll 1 with a vote changed three times and a tie; poll 2 still
 * open; a marker (Technical break) with no signal; a 60 s gap in `seconds`. */
export const small = {
  format: 1,
  event: {
    code: 'SMALL', name: 'Small Test Night', created_ms: T - 60000, songs: ['Song One', 'Song Two'],
    start_ms: T, end_ms: T + 2400000, duration_s: 2400,
    reactions: ['heart', 'fire', 'clap'], sections: ['A', 'B', 'C', ''],
  },
  reach: {
    devices: 5, sessions: 6, rejoined_devices: 1, peak_audience: 5, peak_sec: S + 40,
    sections: [
      { section: 'A', devices: 1, share: 0.2 }, { section: 'B', devices: 3, share: 0.6 },
      { section: 'C', devices: 0, share: 0 }, { section: '', devices: 1, share: 0.2 },
    ],
  },
  totals: { signals: 20, react_signals: 8, taps: 66, votes: 6, chants: 6, taps_by_kind: { heart: 36, fire: 23, clap: 7 } },
  funnel: [
    { stage: 'joined', devices: 5, share: 1 }, { stage: 'reacted', devices: 4, share: 0.8 },
    { stage: 'voted', devices: 3, share: 0.6 }, { stage: 'chanted', devices: 3, share: 0.6 },
  ],
  ladder: {
    levels: ['watched', 'reacted', 'voted', 'chanted', 'all'],
    overall: { devices: 5, counts: [1, 0, 1, 1, 2], shares: [0.2, 0, 0.2, 0.2, 0.4] },
    sections: [
      { section: 'A', devices: 1, counts: [0, 0, 0, 0, 1], shares: [0, 0, 0, 0, 1] },
      { section: 'B', devices: 3, counts: [0, 0, 1, 1, 1], shares: [0, 0, third, third, third] },
      { section: 'C', devices: 0, counts: [0, 0, 0, 0, 0], shares: [null, null, null, null, null] },
      { section: '', devices: 1, counts: [1, 0, 0, 0, 0], shares: [1, 0, 0, 0, 0] },
    ],
  },
  markers: [m1, m2, m3, m4, m5],
  peaks: [
    { rank: 1, sec: S + 120, taps: 20, audience: 4, taps_per_device: 5, reactions: { heart: 10, fire: 3, clap: 7 }, marker: m1 },
    { rank: 2, sec: S + 300, taps: 20, audience: 4, taps_per_device: 5, reactions: { heart: 0, fire: 20, clap: 0 }, marker: m1 },
    { rank: 3, sec: S + 61, taps: 5, audience: 5, taps_per_device: 1, reactions: { heart: 5, fire: 0, clap: 0 }, marker: m1 },
    { rank: 4, sec: S + 1200, taps: 4, audience: 3, taps_per_device: 4 / 3, reactions: { heart: 4, fire: 0, clap: 0 }, marker: m4 },
    { rank: 5, sec: S + 1100, taps: 2, audience: 4, taps_per_device: 0.5, reactions: { heart: 2, fire: 0, clap: 0 }, marker: m4 },
  ],
  polls: [
    {
      id: 1, question: 'Best song?', allow_change: true, opened_ms: T + 1300000, closed_ms: T + 1500000, audience_at_open: 2,
      options: [
        { idx: 0, label: 'Song One', votes: 1, share: 0.5 }, { idx: 1, label: 'Song Two', votes: 1, share: 0.5 },
        { idx: 2, label: 'Both', votes: 0, share: 0 },
      ],
      winner: [0, 1], voters: 2, turnout: 1, changed_devices: 1, changes: 3, vote_signals: 5,
      tally: { sec: [S + 1310, S + 1320, S + 1330, S + 1340], counts: [[1, 1, 0], [0, 2, 0], [0, 1, 1], [1, 1, 0]] },
    },
    {
      id: 2, question: 'Encore?', allow_change: false, opened_ms: T + 1600000, closed_ms: null, audience_at_open: 3,
      options: [{ idx: 0, label: 'Yes', votes: 1, share: 1 }, { idx: 1, label: 'No', votes: 0, share: 0 }],
      winner: [0], voters: 1, turnout: third, changed_devices: 0, changes: 0, vote_signals: 1,
      tally: { sec: [S + 1605], counts: [[1, 0]] },
    },
  ],
  chants: {
    total: 6, distinct: 4,
    top: [
      { text: 'LOUDER', count: 3, devices: 2 }, { text: 'encore', count: 1, devices: 1 },
      { text: 'say "hey", ho', count: 1, devices: 1 }, { text: 'we love you', count: 1, devices: 1 },
    ],
    segments: [
      { marker: null, start_ms: T, end_ms: T + 60000, taps: 0, chants: 0, top: [] },
      { marker: m1, start_ms: T + 60000, end_ms: T + 600000, taps: 60, chants: 2, top: [{ text: 'LOUDER', count: 2 }] },
      { marker: m2, start_ms: T + 600000, end_ms: T + 900000, taps: 0, chants: 0, top: [] },
      { marker: m3, start_ms: T + 900000, end_ms: T + 1000000, taps: 0, chants: 0, top: [] },
      {
        marker: m4, start_ms: T + 1000000, end_ms: T + 2000000, taps: 6, chants: 3,
        top: [{ text: 'LOUDER', count: 1 }, { text: 'say "hey", ho', count: 1 }, { text: 'we love you', count: 1 }],
      },
      { marker: m5, start_ms: T + 2000000, end_ms: T + 2400000, taps: 0, chants: 1, top: [{ text: 'encore', count: 1 }] },
    ],
  },
  retention: {
    interval_s: 300, start_ms: T,
    marks: [[1, 1], [4, 5], [4, 5], [4, 5], [3, 5], [3, 5], [3, 5], [3, 5], [0, 5]].map(([c, j], k) =>
      ({ minute: 5 * k, ts_ms: T + k * 300000, connected: c, joined: j, share: c / j })),
  },
  sections: {
    sections: [
      { section: 'A', devices: 2, taps: 40, taps_per_device: 20, device_minutes: 3590000 / 60000, taps_per_device_minute: 40 * 60000 / 3590000 },
      { section: 'B', devices: 3, taps: 26, taps_per_device: 26 / 3, device_minutes: 75, taps_per_device_minute: 26 / 75 },
      { section: 'C', devices: 0, taps: 0, taps_per_device: null, device_minutes: 0, taps_per_device_minute: null },
      { section: '', devices: 1, taps: 0, taps_per_device: 0, device_minutes: 1, taps_per_device_minute: 0 },
    ],
    loudest: 'A',
  },
};

/* Timeline spot checks for small: [sec, audience, taps, votes, chants, heart, fire, clap].
 * Seconds S+1800..S+1859 were not recorded (hub down): 2340 rows. */
export const smallTimeline = {
  length: 2340,
  rows: [
    [S, 1, 0, 0, 0, 0, 0, 0],
    [S + 40, 5, 0, 0, 0, 0, 0, 0],
    [S + 100, 4, 0, 0, 0, 0, 0, 0],
    [S + 120, 4, 20, 0, 0, 10, 3, 7],
    [S + 125, 4, 15, 0, 0, 15, 0, 0],
    [S + 1310, 2, 0, 2, 0, 0, 0, 0],
    [S + 1799, 3, 0, 0, 0, 0, 0, 0],
    [S + 1860, 3, 0, 0, 0, 0, 0, 0],
    [S + 2100, 3, 0, 0, 1, 0, 0, 0],
    [S + 2399, 3, 0, 0, 0, 0, 0, 0],
  ],
  sums: { taps: 66, votes: 6, chants: 6, heart: 36, fire: 23, clap: 7 },
};

/* devices.csv rows of small (id,section,level,created_ms,first_ms,sessions,connected_s,reacts,taps,votes,chants). */
export const smallDevicesCsv = [
  `1,B,voted,${T},${T},2,2100,3,18,1,0`,
  `2,A,all,${T + 10000},${T + 10000},1,2390,2,22,4,2`,
  `3,B,chanted,${T + 20000},${T + 20000},1,1230,2,24,0,1`,
  `4,B,all,${T + 30000},${T + 30000},1,2370,1,2,1,3`,
  `5,,watched,${T + 40000},${T + 40000},1,60,0,0,0,0`,
];

/* quiet: no polls, no chants, no markers; sparse device ids 1, 2, 1000000;
 * device 2's only session lasts 500 ms inside one second, so the hub never
 * counted it at a second's end. */
export const quiet = {
  event: { code: 'QUIET', start_ms: T, end_ms: T + 600000, duration_s: 600, reactions: ['heart', 'clap'], sections: [''] },
  reach: { devices: 3, sessions: 3, rejoined_devices: 0, peak_audience: 2, peak_sec: S + 5, sections: [{ section: '', devices: 3, share: 1 }] },
  totals: { signals: 3, react_signals: 3, taps: 11, votes: 0, chants: 0, taps_by_kind: { heart: 7, clap: 4 } },
  funnel: [
    { stage: 'joined', devices: 3, share: 1 }, { stage: 'reacted', devices: 2, share: 2 / 3 },
    { stage: 'voted', devices: 0, share: 0 }, { stage: 'chanted', devices: 0, share: 0 },
  ],
  ladder: { overall: { devices: 3, counts: [1, 2, 0, 0, 0] } },
  markers: [],
  peaks: [
    { rank: 1, sec: S + 20, taps: 10, audience: 2, taps_per_device: 5, reactions: { heart: 6, clap: 4 }, marker: null },
    { rank: 2, sec: S + 200, taps: 1, audience: 2, taps_per_device: 0.5, reactions: { heart: 1, clap: 0 }, marker: null },
  ],
  polls: [],
  chants: { total: 0, distinct: 0, top: [], segments: [{ marker: null, start_ms: T, end_ms: T + 600000, taps: 11, chants: 0, top: [] }] },
  retention: {
    interval_s: 300, start_ms: T,
    marks: [
      { minute: 0, ts_ms: T, connected: 1, joined: 1, share: 1 },
      { minute: 5, ts_ms: T + 300000, connected: 1, joined: 3, share: third },
      { minute: 10, ts_ms: T + 600000, connected: 0, joined: 3, share: 0 },
    ],
  },
  sections: { sections: [{ section: '', devices: 3, taps: 11, taps_per_device: 11 / 3 }], loudest: null },
};

/* empty: a hub that started and saw nobody. */
export const empty = {
  event: { code: 'EMPTY', start_ms: T - 60000, end_ms: T - 60000, duration_s: 0 },
  reach: { devices: 0, sessions: 0, rejoined_devices: 0, peak_audience: 0, peak_sec: null },
  totals: { signals: 0, taps: 0, votes: 0, chants: 0 },
  funnel: [
    { stage: 'joined', devices: 0, share: null }, { stage: 'reacted', devices: 0, share: null },
    { stage: 'voted', devices: 0, share: null }, { stage: 'chanted', devices: 0, share: null },
  ],
  peaks: [], polls: [], markers: [],
  retention: { start_ms: null, marks: [] },
  sections: { loudest: null },
  timeline: { sec: [], audience: [] },
};
