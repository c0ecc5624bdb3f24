// stage.js -- the performers' monitor (/stage?key=…): dark, huge, readable
// from three metres. A few facts only: the song now playing, the poll's
// question and its leader (the leader's own votes out of the total), the
// crowd's energy, the top chant, how long the poll has been open.
//
// Like the venue screen it shows the hub's state (the welcome's open poll,
// else the last closed one, and now_playing), so a reloaded monitor agrees
// with one that stayed on. Results the crew keeps hidden (reveal on_close or
// manual) stay hidden here too: only how many votes came in. Texts are
// never cut: each tile's type shrinks until its content fits.
import './css/base.css';
import './css/stage.css';
import { h, setText, clock } from './lib/dom.js';
import { t, num, onLang, applyDom } from './lib/i18n.js';
import { keyConn, kiosk } from './lib/keypage.js';

const S = { poll: null, counts: [], voters: 0, hidden: false, energy: 0, chant: null, audience: 0, ev: null, nowPlaying: null, chosen: null, partial: false };

document.body.className = 'stage';
const el = {
  lead: h('div.st-lead'), share: h('div.st-share'), votes: h('div.st-sub'),
  energy: h('div.st-big.st-energy'), ebar: h('i'),
  chant: h('div.st-chant'), chantN: h('div.st-sub'),
  timer: h('div.st-big.st-timer'), timerLabel: h('div.st-label'),
  ev: h('div.st-ev'), aud: h('div.st-aud'), pill: h('div.pill', { role: 'status' }),
  leadLabel: h('div.st-label'), q: h('div.st-q'),
  partial: h('div.st-partial', { hidden: true, role: 'status', 'data-t': 'live.partial' }, t('live.partial')),
  song: h('div.st-song', { hidden: true }), songName: h('b'), songChosen: h('span.st-songchosen'),
};
el.song.append(h('span.st-songhead', { 'data-t': 'stage.nowplaying' }, t('stage.nowplaying')), el.songName, el.songChosen);
const tiles = {
  lead: h('section.st-tile.st-leadtile', null, h('div.st-fit', null,
    h('div.st-lhead', null, el.leadLabel), el.q, el.lead, h('div.st-row', null, el.share, el.votes))),
  chant: h('section.st-tile.st-chanttile', null, h('div.st-fit', null,
    h('div.st-label', { 'data-t': 'stage.chant' }, t('stage.chant')), el.chant, el.chantN)),
  timer: h('section.st-tile.st-timertile', null, el.timerLabel, el.timer),
};
const root = h('main.st-root', null,
  h('header.st-head', null, h('span.logo', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), el.ev, el.song, el.partial, el.pill, el.aud),
  tiles.lead,
  h('section.st-tile', null, h('div.st-label', { 'data-t': 'stage.energy' }, t('stage.energy')), el.energy, h('div.st-ebar', null, el.ebar)),
  tiles.timer,
  tiles.chant,
);
document.body.append(root);

const conn = keyConn('performer', {
  root,
  onMessage(m) {
    if (m.t === 'welcome') {
      S.ev = m.event || {};
      setText(el.ev, S.ev.name || S.ev.code || '');
      S.nowPlaying = m.now_playing || null;
      S.chosen = m.chosen || null;
      const p = m.poll || m.last_poll || null;
      if (p) setPoll(p); else S.poll = null;
    } else if (m.t === 'poll') setPoll(m.poll);
    else if (m.t === 'marker') {
      const mk = m.marker || {};
      S.chosen = m.chosen || null;
      if (mk.kind === 'song_start') S.nowPlaying = mk.label || null;
      else if (mk.kind === 'song_end') S.nowPlaying = null;
    } else if (m.t === 'markers') {
      S.nowPlaying = m.now_playing || null;   // a marker was corrected or deleted
      S.chosen = m.chosen || null;
    } else if (m.t === 'snap') {
      if (m.poll && S.poll && m.poll.id === S.poll.id) {
        if (m.poll.counts) S.counts = m.poll.counts;
        S.hidden = !!m.poll.hidden && !m.poll.counts;
        S.voters = m.poll.voters || 0;
      }
      S.energy = m.energy || 0;
      S.audience = m.audience || 0;
      S.chant = Array.isArray(m.chants) && m.chants.length ? m.chants[0] : null;
      S.partial = !!m.partial; // a cluster of hubs: the figures lack part of the event
    } else return;
    render();
  },
  onState: (s) => renderPill(s),
});

function setPoll(p) {
  if (!p) return;
  if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; }
  S.poll = p;
  S.hidden = !!p.hidden && !p.counts;
  if (p.counts) S.counts = p.counts;
  if (typeof p.voters === 'number') S.voters = p.voters;
}

const plural = (n, key, vars = {}) => (n === 1 && t(`${key}.one`) !== `${key}.one` ? t(`${key}.one`, vars) : t(key, { n: num(n), ...vars }));

function render() {
  const p = S.poll;
  root.classList.toggle('nopoll', !p);
  // The song: in the header while a poll has the big tile, else the big tile's.
  setText(el.songName, S.nowPlaying || '');
  // "Chosen by the crowd · 8,215 votes" under the song the crowd chose.
  const chosen = S.nowPlaying && S.chosen ? plural(S.chosen.votes || 0, 'chosen.now') : '';
  setText(el.songChosen, chosen);
  el.songChosen.hidden = !chosen;
  el.song.hidden = !p || !S.nowPlaying;
  if (p) {
    const total = S.counts.reduce((a, b) => a + b, 0);
    const max = Math.max(0, ...S.counts);
    // Played by the crew: the crowd's choice leads (whatever the counts).
    const played = !p.open && p.played && p.options[p.played.option] !== undefined ? p.played.option : null;
    const leaders = played !== null ? [played] : !S.hidden && max > 0 ? S.counts.flatMap((n, i) => (n === max ? [i] : [])) : [];
    const tie = leaders.length > 1;
    const lead = leaders.length ? S.counts[leaders[0]] || 0 : 0;
    let label;
    if (played !== null) label = t('stage.crowdchose');
    else if (S.hidden) label = p.open ? t('stage.hidden') : t('stage.closed');
    else if (!p.open) label = t('stage.closed');
    else label = tie ? t('stage.tied') : t('stage.leading');
    setText(el.leadLabel, label);
    setText(el.q, p.question);
    el.q.classList.toggle('main', !leaders.length);
    if (S.hidden && played === null) {
      setText(el.lead, plural(S.voters, 'stage.hidden.votes'));
      setText(el.share, '');
      setText(el.votes, p.open ? t('stage.hidden.after') : t('stage.hidden.soon'));
    } else if (leaders.length) {
      setText(el.lead, leaders.map((i) => p.options[i]).join(' = '));
      setText(el.share, total ? `${Math.round((100 * lead) / total)}%` : '');
      // The leader's own votes out of the total, never a bare number that
      // reads as the leader's.
      setText(el.votes, t(tie ? 'stage.leadvotes.tie' : 'stage.leadvotes', { n: num(lead), total: num(total) }));
    } else {
      setText(el.lead, t('stage.novotes'));
      setText(el.share, '');
      setText(el.votes, '');
    }
    el.lead.classList.toggle('q', !leaders.length);
  } else {
    setText(el.leadLabel, S.nowPlaying ? t('stage.nowplaying') : '');
    setText(el.q, '');
    setText(el.lead, S.nowPlaying || t('stage.nopoll'));
    el.lead.classList.toggle('q', !S.nowPlaying);
    setText(el.share, '');
    setText(el.votes, chosen);
  }
  setText(el.energy, S.energy);
  el.ebar.style.transform = `scaleX(${S.energy / 100})`;
  root.classList.toggle('hot', S.energy >= 70);
  setText(el.chant, S.chant ? S.chant[0] : t('stage.nochant'));
  setText(el.chantN, S.chant ? `×${num(S.chant[1])}` : '');
  setText(el.aud, t('live.audience.n', { n: num(S.audience) }));
  if (el.partial.hidden === S.partial) el.partial.hidden = !S.partial;
  tick();
  fitAll();
}

// Each text tile's type (--k, a factor on its vw sizes) shrinks until its
// content fits: a 200-byte question or a 64-byte option is shown whole.
const fitKeys = new WeakMap();
function fitTile(tile, force) {
  const inner = tile.firstElementChild;
  const key = `${innerWidth}x${innerHeight}:${inner.textContent}`;
  if (!force && fitKeys.get(tile) === key) return;
  fitKeys.set(tile, key);
  const cs = getComputedStyle(tile);
  const room = () => tile.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
  const fits = () => inner.scrollHeight <= room() + 1 && inner.scrollWidth <= inner.clientWidth + 1;
  let lo = 0.25, hi = 1;
  tile.style.setProperty('--k', '1');
  if (fits()) return;
  for (let i = 0; i < 9; i++) {
    const mid = (lo + hi) / 2;
    tile.style.setProperty('--k', String(mid));
    if (fits()) lo = mid; else hi = mid;
  }
  tile.style.setProperty('--k', String(lo));
}
function fitAll(force) {
  fitTile(tiles.lead, force);
  fitTile(tiles.chant, force);
}
addEventListener('resize', () => fitAll(true));
document.fonts?.ready?.then(() => fitAll(true));

function tick() {
  const p = S.poll;
  if (p && p.open) {
    setText(el.timerLabel, t('stage.open'));
    setText(el.timer, clock(conn.now() - p.opened));
  } else if (p && p.closed) {
    setText(el.timerLabel, t('stage.duration'));
    setText(el.timer, clock(p.closed - p.opened));
  } else {
    setText(el.timerLabel, '');
    setText(el.timer, '');
  }
}
setInterval(tick, 250);

function renderPill(s) {
  el.pill.className = `pill ${s}`;
  el.pill.hidden = s === 'live';
  setText(el.pill, s === 'reconnecting' || s === 'stale' ? t('conn.reconnecting') : t('conn.connecting'));
}

onLang(() => render());
applyDom();
kiosk();
render();
