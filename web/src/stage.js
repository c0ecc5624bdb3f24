// stage.js -- the performers' monitor (/stage?key=…): dark, huge, readable
// from three metres. Four facts only: the leading option and its share, the
// crowd's energy, the top chant, how long the poll has been open.
import './css/base.css';
import './css/stage.css';
import { h, setText, clock } from './lib/dom.js';
import { t, num, onLang, applyDom } from './lib/i18n.js';
import { keyConn, kiosk } from './lib/keypage.js';

const S = { poll: null, counts: [], voters: 0, energy: 0, chant: null, audience: 0, ev: null };

document.body.className = 'stage';
const el = {
  lead: h('div.st-lead'), share: h('div.st-share'), votes: h('div.st-sub'),
  energy: h('div.st-big.st-energy'), ebar: h('i'),
  chant: h('div.st-chant'), chantN: h('div.st-sub'),
  timer: h('div.st-big.st-timer'), timerLabel: h('div.st-label'),
  ev: h('div.st-ev'), aud: h('div.st-aud'), pill: h('div.pill', { role: 'status' }),
  leadLabel: h('div.st-label'), q: h('div.st-q'),
};
const root = h('main.st-root', null,
  h('header.st-head', null, h('span.logo', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), el.ev, el.pill, el.aud),
  h('section.st-tile.st-leadtile', null, h('div.st-lhead', null, el.leadLabel, el.q), el.lead, h('div.st-row', null, el.share, el.votes)),
  h('section.st-tile', null, h('div.st-label', { 'data-t': 'stage.energy' }, t('stage.energy')), el.energy, h('div.st-ebar', null, el.ebar)),
  h('section.st-tile.st-timertile', null, el.timerLabel, el.timer),
  h('section.st-tile.st-chanttile', null, h('div.st-label', { 'data-t': 'stage.chant' }, t('stage.chant')), el.chant, el.chantN),
);
document.body.append(root);

const conn = keyConn('performer', {
  root,
  onMessage(m) {
    if (m.t === 'welcome') {
      S.ev = m.event || {};
      setText(el.ev, S.ev.name || S.ev.code || '');
      if (m.poll) setPoll(m.poll); else if (S.poll?.open) S.poll = { ...S.poll, open: false, closed: conn.now() };
    } else if (m.t === 'poll') setPoll(m.poll);
    else if (m.t === 'snap') {
      if (m.poll && S.poll && m.poll.id === S.poll.id) { S.counts = m.poll.counts || S.counts; S.voters = m.poll.voters || 0; }
      S.energy = m.energy || 0;
      S.audience = m.audience || 0;
      S.chant = Array.isArray(m.chants) && m.chants.length ? m.chants[0] : null;
    } else return;
    render();
  },
  onState: (s) => renderPill(s),
});

function setPoll(p) {
  if (!p) return;
  if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; }
  S.poll = p;
  if (p.counts) { S.counts = p.counts; S.voters = p.voters || 0; }
}

function render() {
  const p = S.poll;
  if (p) {
    const total = S.counts.reduce((a, b) => a + b, 0);
    let best = -1;
    S.counts.forEach((n, i) => { if (n > 0 && (best < 0 || n > S.counts[best])) best = i; });
    const tie = best >= 0 && S.counts.filter((n) => n === S.counts[best]).length > 1;
    setText(el.leadLabel, p.open ? t('stage.leading') : t('stage.closed'));
    setText(el.lead, best >= 0 ? p.options[best] + (tie ? ' =' : '') : p.question);
    el.lead.classList.toggle('q', best < 0);
    setText(el.share, best >= 0 ? `${Math.round((100 * S.counts[best]) / total)}%` : '—');
    setText(el.votes, t('stage.votes', { n: num(S.voters || total) }));
    setText(el.q, best >= 0 ? p.question : '');
  } else {
    setText(el.q, '');
    setText(el.leadLabel, t('stage.leading'));
    setText(el.lead, t('stage.nopoll'));
    el.lead.classList.add('q');
    setText(el.share, '—');
    setText(el.votes, '');
  }
  setText(el.energy, S.energy);
  el.ebar.style.transform = `scaleX(${S.energy / 100})`;
  root.classList.toggle('hot', S.energy >= 70);
  setText(el.chant, S.chant ? S.chant[0] : t('stage.nochant'));
  setText(el.chantN, S.chant ? `×${num(S.chant[1])}` : '');
  setText(el.aud, t('live.audience.n', { n: num(S.audience) }));
  tick();
}

function tick() {
  const p = S.poll;
  if (p && p.open) {
    setText(el.timerLabel, t('stage.open'));
    setText(el.timer, clock(conn.now() - p.opened));
  } else if (p && p.closed) {
    setText(el.timerLabel, t('stage.closed'));
    setText(el.timer, clock(p.closed - p.opened));
  } else {
    setText(el.timerLabel, t('stage.open'));
    setText(el.timer, '—');
  }
}
setInterval(tick, 250);

function renderPill(s) {
  el.pill.className = `pill ${s}`;
  el.pill.hidden = s === 'live';
  setText(el.pill, s === 'reconnecting' ? t('conn.reconnecting') : t('conn.connecting'));
}

onLang(render);
applyDom();
kiosk();
render();
