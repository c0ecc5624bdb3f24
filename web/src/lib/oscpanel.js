// oscpanel.js -- the crew's OSC panel: the master gate (the lighting
// operator's one click that cuts the crowd out of the lights and video),
// one gate per target, what went out and what the listener refused. It
// shows the hub's `osc` status message (every second, at once on connect
// and after any crew member's change): never a state the hub did not say.
import { h, fill, setText } from './dom.js';
import { t, num, extend } from './i18n.js';

extend({
  en: {
    'crew.osc': 'OSC to the show',
    'crew.osc.all': 'All OSC',
    'crew.osc.on': 'Sending',
    'crew.osc.off': 'Off',
    'crew.osc.cut': 'Cut',
    'crew.osc.open': 'Open',
    'crew.osc.sent': 'sent',
    'crew.osc.errors': 'dropped',
    'crew.osc.in': 'Desk in',
    'crew.osc.accepted': 'accepted',
    'crew.osc.refused': 'refused',
  },
  zh: {
    'crew.osc': 'OSC 演出控制', 'crew.osc.all': '全部 OSC', 'crew.osc.on': '发送中', 'crew.osc.off': '关闭',
    'crew.osc.cut': '切断', 'crew.osc.open': '打开', 'crew.osc.sent': '已发送', 'crew.osc.errors': '丢弃',
    'crew.osc.in': '控台输入', 'crew.osc.accepted': '已接受', 'crew.osc.refused': '已拒绝',
  },
  id: {
    'crew.osc': 'OSC ke pertunjukan', 'crew.osc.all': 'Semua OSC', 'crew.osc.on': 'Mengirim', 'crew.osc.off': 'Mati',
    'crew.osc.cut': 'Putus', 'crew.osc.open': 'Buka', 'crew.osc.sent': 'terkirim', 'crew.osc.errors': 'terbuang',
    'crew.osc.in': 'Masuk dari konsol', 'crew.osc.accepted': 'diterima', 'crew.osc.refused': 'ditolak',
  },
});

// request(msg) -> Promise<ack>; onError(ack) logs a refusal.
export function oscPanel({ request, onError }) {
  const body = h('div.c-osc');
  const el = h('section.c-card.c-osccard', { 'aria-labelledby': 'oh', hidden: true },
    h('h2', { id: 'oh', 'data-t': 'crew.osc' }, t('crew.osc')), body);
  let last = null;
  const busy = new Set();

  async function gate(target, on, btn) {
    btn.disabled = true;
    busy.add(target);
    const msg = { t: 'osc.gate', on };
    if (target >= 0) msg.target = target;
    const ack = await request(msg);
    busy.delete(target);
    btn.disabled = false;
    if (!ack.ok) onError(ack);
  }

  // on: this gate; live: the stream actually flows (this gate and the master).
  function row(label, on, live, target, extra) {
    const btn = h(`button.btn.small${on ? '.danger' : '.c-ok'}`, { type: 'button', disabled: busy.has(target) },
      on ? t('crew.osc.cut') : t('crew.osc.open'));
    btn.onclick = () => gate(target, !on, btn);   // one click: no confirmation in the way of a cut
    return h('li.c-oscrow', { 'data-on': live ? '1' : '0' },
      h('b', null, label), h('span.c-oscstate', null, live ? t('crew.osc.on') : t('crew.osc.off')),
      extra ? h('small', null, extra) : null, btn);
  }

  function render() {
    const m = last;
    if (!m) return;
    el.hidden = false;
    const rows = [row(t('crew.osc.all'), m.on, m.on, -1)];
    for (const x of m.targets || []) {
      rows.push(row(x.name, x.on, x.on && m.on, x.i,
        `${x.host}:${x.port} · ${x.rate}/s · ${num(x.sent)} ${t('crew.osc.sent')}${x.errors ? ` · ${num(x.errors)} ${t('crew.osc.errors')}` : ''}`));
    }
    const kids = [h('ul.c-oscrows', null, ...rows)];
    if (m.listen) {
      const l = m.listen;
      kids.push(h('p.c-oscin', null, `${t('crew.osc.in')} ${l.host}:${l.port}: ${num(l.accepted)} ${t('crew.osc.accepted')}, `,
        h(l.refused ? 'b.warn' : 'span', null, `${num(l.refused)} ${t('crew.osc.refused')}`),
        l.last_refusal ? h('small', null, ` (${l.last_refusal})`) : null));
    }
    fill(body, ...kids);
    setText(el.querySelector('h2'), t('crew.osc'));
  }

  return { el, update(m) { last = m; render(); }, render };
}
