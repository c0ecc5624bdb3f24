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
      // d1 sent from A, then from B: in both (docs/analytics.md, "No section")
      { section: 'A', devices: 2, share: 0.4 }, { section: 'B', devices: 3, share: 0.6 },
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
      // per section, what each device sent from it: d1 only reacted from A and only voted from B
      { section: 'A', devices: 2, counts: [0, 1, 0, 0, 1], shares: [0, 0.5, 0, 0, 0.5] },
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
      { section: 'A', devices: 2, taps: 40, taps_per_device: 20 },
      { section: 'B', devices: 3, taps: 26, taps_per_device: 26 / 3 },
      { section: 'C', devices: 0, taps: 0, taps_per_device: null },
      { section: '', devices: 1, taps: 0, taps_per_device: 0 },
    ],
    loudest: 'A',
  },
  /* schema v3, but no poll was played: two songs, neither chosen by the crowd.
   * Song One: seconds 60..599 (to its song_end at +600 s), taps 5+20+15+20 =
   * 60; audience d1..d4 540 s each, d5 60..99 = 40 s: 2200 device-seconds.
   * Song Two: 1000..1999 less the gap 1800..1859 = 940 seconds, taps 2+4 = 6;
   * d1 1000..1199 and 1500..1999 less the gap (200+440), d2 940, d3
   * 1000..1249 (250), d4 940: 2770. */
  cocreation: {
    songs: [
      { marker: 1, label: 'Song One', start_ms: T + 60000, end_ms: T + 600000, poll: null, seconds: 540, taps: 60,
        device_minutes: 2200 / 60, taps_per_device_minute: 60 * 60 / 2200 },
      { marker: 4, label: 'Song Two', start_ms: T + 1000000, end_ms: T + 2000000, poll: null, seconds: 940, taps: 6,
        device_minutes: 2770 / 60, taps_per_device_minute: 6 * 60 / 2770 },
    ],
    chosen: [], chosen_rate: null, other_rate: 66 * 60 / (2200 + 2770), lift: null, winning_side: null,
  },
  /* schema v2 tables, but no moderation happened */
  moderation: {
    mode_start: 'auto', mode_end: 'auto', blocked: 0, blocked_devices: 0, held: 0, held_texts: 0,
    approved_texts: 0, hidden_texts: 0, hidden_chants: 0, banned_devices: 0, devices_ever_banned: 0,
    approval: { texts: 0, median_ms: null, p95_ms: null },
    actions: { approve: 0, hide: 0, unhide: 0, ban: 0, unban: 0, mode: 0, blocked: 0 },
    sessions: [],
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
  moderation: { blocked: 0, held: 0, approval: { texts: 0, median_ms: null, p95_ms: null }, sessions: [] },
};

/* mod: schema v2 with chant moderation (gen.c gen_moderated). Crew session 1
 * sets approve mode at +30 s, session 2 sets auto at +200 s; "encore" is sent
 * in four spellings (one group of 4, shown as the first sent, "Encore");
 * "louder" twice and "LOUDER" once (shown "louder", the most sent); "olé" has
 * no chant_key (grouped by its text).
 * Held = sent in [+30 s, +200 s) before its text's first approval:
 *   ENCORE +40, ＥＮＣＯＲＥ +50 (encore approved +60), go team and GO TEAM +70
 *   (approved +90; "Go Team" at +90 exactly is not held), LOUDER +80 and
 *   louder +110 (approved +240) = 6 chants of 3 texts.
 * First send to approval: encore 60-10 = 50 s, go team 90-70 = 20 s,
 *   louder 240-80 = 160 s; nearest rank of [20, 50, 160]: median the 2nd
 *   (50 s), p95 the 3rd (160 s).
 * chant_mod at the end: encore 1, go team 3 (approved, hidden), louder 1
 *   (hidden at +100, approving it at +240 unhid it), boo 0 (hidden, unhidden),
 *   meh 2 (never sent): 3 approved, 2 hidden (go team: 3 chants).
 * Bans: device 5 banned twice and let back, device 3 banned at the end. */
const fin = { id: 1, ts_ms: T + 100000, kind: 'song_start', label: 'Finale' };
export const mod = {
  event: { code: 'MOD', schema_version: 3, start_ms: T, end_ms: T + 300000 },
  totals: { signals: 12, taps: 3, chants: 11 },
  funnel: [
    { stage: 'joined', devices: 5 }, { stage: 'reacted', devices: 1 },
    { stage: 'voted', devices: 0 }, { stage: 'chanted', devices: 5 },
  ],
  chants: {
    total: 11, distinct: 4,
    top: [
      { text: 'Encore', count: 4, devices: 3, hidden: false },
      { text: 'go team', count: 3, devices: 3, hidden: true },
      { text: 'louder', count: 3, devices: 3, hidden: false },
      { text: 'olé', count: 1, devices: 1, hidden: false },
    ],
    segments: [
      { marker: null, start_ms: T, end_ms: T + 100000, taps: 3, chants: 8,
        top: [{ text: 'Encore', count: 4, hidden: false }, { text: 'go team', count: 3, hidden: true },
              { text: 'louder', count: 1, hidden: false }] },
      { marker: fin, start_ms: T + 100000, end_ms: T + 300000, taps: 0, chants: 3,
        top: [{ text: 'louder', count: 2, hidden: false }, { text: 'olé', count: 1, hidden: false }] },
    ],
  },
  /* One song, Finale (+100 s to the end, +300 s), no poll played and no tap
   * in it: d1, d2, d4 200 s each, d3 100..159 (60), d5 100..119 and
   * 155..169 (35) = 695 device-seconds. A rate of 0 gives no lift. */
  cocreation: {
    songs: [{ marker: 1, label: 'Finale', start_ms: T + 100000, end_ms: T + 300000, poll: null, seconds: 200, taps: 0,
              device_minutes: 695 / 60, taps_per_device_minute: 0 }],
    chosen: [], chosen_rate: null, other_rate: 0, lift: null, winning_side: null,
  },
  moderation: {
    mode_start: 'auto', mode_end: 'auto',
    blocked: 3, blocked_devices: 2,
    held: 6, held_texts: 3,
    approved_texts: 3, hidden_texts: 2, hidden_chants: 3,
    banned_devices: 1, devices_ever_banned: 2,
    approval: { texts: 3, median_ms: 50000, p95_ms: 160000 },
    actions: { approve: 3, hide: 4, unhide: 1, ban: 3, unban: 2, mode: 2, blocked: 3 },
    sessions: [
      { session: 1, approve: 2, hide: 2, unhide: 1, ban: 2, unban: 1, mode: 1, actions: 9, first_ms: T + 30000, last_ms: T + 240000 },
      { session: 2, approve: 1, hide: 2, unhide: 0, ban: 1, unban: 1, mode: 1, actions: 6, first_ms: T + 90000, last_ms: T + 230000 },
    ],
  },
};

/* chants.csv of mod (rank,text,count,devices,first_ms,hidden,held,approved_ms). */
export const modChantsCsv = [
  'rank,text,count,devices,first_ms,hidden,held,approved_ms',
  `1,Encore,4,3,${T + 10000},0,2,${T + 60000}`,
  `2,go team,3,3,${T + 70000},1,2,${T + 90000}`,
  `3,louder,3,3,${T + 80000},0,2,${T + 240000}`,
  `4,olé,1,1,${T + 210000},0,0,`,
];

/* mod_log.csv of mod: every mod_log row by time (ts_ms,ts_utc,session,action,text,device,detail;
 * the check drops ts_utc after checking it against ts_ms). */
export const modLogCsv = [
  'ts_ms,session,action,text,device,detail',
  ...[
    [30000, 1, 'mode', '', '', 'approve'], [60000, 1, 'approve', 'Encore', '', ''],
    [90000, 2, 'approve', 'go team', '', ''], [100000, 2, 'hide', 'LOUDER', '', ''],
    [115000, 0, 'blocked', 'f.u.c.k', 5, ''], [116000, 0, 'blocked', 'sh1t', 5, ''],
    [117000, 0, 'blocked', 'fuuuck', 3, ''], [120000, 1, 'ban', '', 5, ''],
    [150000, 1, 'unban', '', 5, ''], [160000, 2, 'ban', '', 3, ''],
    [170000, 1, 'ban', '', 5, ''], [180000, 2, 'unban', '', 5, ''],
    [200000, 2, 'mode', '', '', 'auto'], [230000, 2, 'hide', 'go team', '', ''],
    [235000, 1, 'hide', 'boo', '', ''], [236000, 1, 'unhide', 'boo', '', ''],
    [237000, 1, 'hide', 'meh', '', ''], [240000, 1, 'approve', 'LOUDER', '', ''],
  ].map(([dt, ...rest]) => [T + dt, ...rest].join(',')),
];

/* v1: the same crowd in an un-migrated schema v1 archive: chants group by
 * their exact text (ten texts; ties by byte order), no moderation record. */
export const v1 = {
  event: { code: 'OLD', schema_version: 1, start_ms: T, end_ms: T + 300000 },
  totals: { signals: 12, taps: 3, chants: 11 },
  chants: {
    total: 11, distinct: 10,
    top: [['louder', 2, 2], ['ENCORE'], ['Encore'], ['GO TEAM'], ['Go Team'], ['LOUDER'], ['encore'], ['go team'],
          ['olé'], ['ＥＮＣＯＲＥ']].map(([text, count = 1, devices = 1]) => ({ text, count, devices, hidden: false })),
  },
  moderation: null,
};

/* cocreation: schema v3, "Play it" (gen.c gen_cocreation). Audience at the
 * end of each second: d1..d4 always (4), d5 seconds 200..399, d6 250..599.
 *   Warm Up    +60 s to its song_end +120 s: seconds 60..119, 4 each = 240
 *              device-seconds; taps 12 + 8 (at +119.999 s) = 20 -> 5 a minute.
 *              The 5 taps at +120 s (the song_end's second) are in no song.
 *   Neon Skies +180.5 s (linked to poll 1) to Slow Song's start +300 s:
 *              seconds 181..299 (second 180 began before +180.5 s: its 7 taps
 *              are in no song); 19 x 4 + 50 x 5 + 50 x 6 = 626; taps
 *              40 + 35 + 25 = 100 -> 6000 / 626 = 9.584665 a minute.
 *   Slow Song  +300 s to the end +600 s (the note at +360 s cuts nothing):
 *              100 x 6 + 200 x 5 = 1600; taps 30 + 42 = 72 -> 2.7.
 * chosen_rate 9.584665; other_rate (20 + 72) x 60 / (240 + 1600) = 3;
 * lift = 3.194888. Played: poll 1 option 0 (3 of 4 votes, started by marker
 * 4) and poll 2 option 1 (a 2-2 tie, never started); poll 3 was not played:
 * winning side (3 + 2) / (4 + 4) = 0.625. */
const neon = { id: 4, ts_ms: T + 180500, kind: 'song_start', label: 'Neon Skies', poll: 1 };
export const cocreation = {
  event: { code: 'PLAY', schema_version: 3, start_ms: T, end_ms: T + 600000 },
  totals: { taps: 204, votes: 10 },
  markers: [
    { id: 1, ts_ms: T + 60000, kind: 'song_start', label: 'Warm Up', poll: null },
    { id: 2, ts_ms: T + 120000, kind: 'song_end', label: 'Warm Up', poll: null },
    { id: 3, ts_ms: T + 150000, kind: 'note', label: 'Talk', poll: null },
    neon,
    { id: 5, ts_ms: T + 300000, kind: 'song_start', label: 'Slow Song', poll: null },
    { id: 6, ts_ms: T + 360000, kind: 'note', label: 'Lights', poll: null },
  ],
  cocreation: {
    songs: [
      { marker: 1, label: 'Warm Up', start_ms: T + 60000, end_ms: T + 120000, poll: null, seconds: 60, taps: 20,
        device_minutes: 4, taps_per_device_minute: 5 },
      { marker: 4, label: 'Neon Skies', start_ms: T + 180500, end_ms: T + 300000, poll: 1, seconds: 119, taps: 100,
        device_minutes: 626 / 60, taps_per_device_minute: 9.584665 },
      { marker: 5, label: 'Slow Song', start_ms: T + 300000, end_ms: T + 600000, poll: null, seconds: 300, taps: 72,
        device_minutes: 1600 / 60, taps_per_device_minute: 2.7 },
    ],
    chosen: [
      { poll: 1, question: 'What next?', option: 0, label: 'Neon Skies', votes: 3, voters: 4, share: 0.75,
        played_ms: T + 175000, marker: { id: 4, ts_ms: T + 180500, label: 'Neon Skies' } },
      { poll: 2, question: 'Last song?', option: 1, label: 'Rain', votes: 2, voters: 4, share: 0.5,
        played_ms: T + 460000, marker: null },
    ],
    chosen_rate: 9.584665, other_rate: 3, lift: 3.194888, winning_side: 0.625,
  },
};

/* cocreation_songs.csv of cocreation (marker,label,start_ms,end_ms,poll,seconds,taps,device_minutes,taps_per_device_minute;
 * the check drops the *_utc twins after checking them). */
export const cocreationSongsCsv = [
  'marker,label,start_ms,end_ms,poll,seconds,taps,device_minutes,taps_per_device_minute',
  `1,Warm Up,${T + 60000},${T + 120000},,60,20,4,5`,
  `4,Neon Skies,${T + 180500},${T + 300000},1,119,100,10.433333,9.584665`,
  `5,Slow Song,${T + 300000},${T + 600000},,300,72,26.666667,2.7`,
];

/* cocreation-v2: the same crowd in a schema v2 file. No poll was played and
 * no marker linked: the same three songs, none chosen; other_rate over all
 * three = 192 x 60 / 2466. */
export const cocreationV2 = {
  event: { schema_version: 2 },
  markers: cocreation.markers.map((m) => ({ ...m, poll: null })),
  cocreation: {
    songs: cocreation.cocreation.songs.map((s) => ({ ...s, poll: null })),
    chosen: [], chosen_rate: null, other_rate: 192 * 60 / 2466, lift: null, winning_side: null,
  },
};
