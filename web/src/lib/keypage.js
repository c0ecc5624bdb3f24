// keypage.js -- the connection shared by the screen, stage and crew pages:
// hello with a role key, and a clear page-wide message when the hub refuses
// the key or the event. The key comes from ?key=, else from localStorage
// (crew) or sessionStorage (screen, stage: this tab); once it worked it is
// remembered there and removed from the address bar.
import { Conn, eventCode, rememberEvent } from './conn.js';
import { h, fill, param, store } from './dom.js';
import { t, applyDom } from './i18n.js';

/**
 * Connect as role ("screen" | "performer" | "crew").
 * opts.onMessage(msg), opts.onState(state); opts.root: the element that the
 * refusal message replaces; opts.askKey: show a key form (crew) instead of a
 * dead end when the key is missing or wrong.
 */
export function keyConn(role, opts) {
  const fromUrl = param('key');
  const memKey = `chorus.key.${role}`;
  let key = fromUrl || (opts.askKey ? store(memKey) : tabKey(memKey));
  let code = eventCode();
  let conn;

  const refuse = (msg) => {
    const roleName = t(`role.${role}`);
    if (opts.askKey) return askKey(msg);
    let title, detail;
    if (!msg) { title = t('key.missing.title'); detail = t('key.missing'); }
    else if (msg.code === 'bad_key') { title = t('key.wrong.title'); detail = t('key.wrong.url', { role: roleName }); }
    else if (msg.code === 'unknown_event' || msg.code === 'bad_field') { title = t('event.title'); detail = t('event.needcode'); }
    else { title = 'Chorus'; detail = t('err.other', { msg: msg.msg || msg.code }); }
    document.body.className = `${document.body.className} refused`;
    fill(document.body, h('main.refusal', { role: 'alert' }, h('div', null,
      h('div.refusal-mark', { 'aria-hidden': 'true' }, '!'), h('h1', null, title), h('p', null, detail))));
  };

  const askKey = (msg) => {
    const roleName = t(`role.${role}`);
    const keyIn = h('input.field', { id: 'key', name: 'key', type: 'password', autocomplete: 'current-password', required: true, value: key || '' });
    const evIn = h('input.field', { id: 'evcode', name: 'event', autocomplete: 'off', value: code || '' });
    const needCode = msg && (msg.code === 'unknown_event' || msg.code === 'bad_field');
    let err = null;
    if (msg?.code === 'bad_key') err = t('key.wrong', { role: roleName });
    else if (needCode) err = t('err.unknown_event');
    else if (msg) err = t('err.other', { msg: msg.msg || msg.code });
    opts.root.hidden = true;
    document.querySelector('.keygate')?.remove();
    const gate = h('div.keygate', null, h('form', {
      onsubmit: (e) => {
        e.preventDefault();
        key = keyIn.value.trim();
        code = evIn.value.trim() || code;
        gate.remove();
        opts.root.hidden = false;
        conn.restart();
      },
    },
    h('h1', null, t('key.title', { role: roleName })),
    err ? h('p.alert', { role: 'alert' }, err) : null,
    h('label', { for: 'key' }, t('key.label')), keyIn,
    h('label', { for: 'evcode' }, t('key.event')), evIn,
    h('button.btn.primary.big', { type: 'submit' }, t('key.button'))));
    document.body.append(gate);
    keyIn.focus();
  };

  conn = new Conn({
    hello: () => ({ t: 'hello', role, event: code || undefined, key }),
    onMessage: (m) => {
      if (m.t === 'welcome') {
        // Remembered now (crew: this browser; screen and stage: this tab, so
        // a kiosk reload still works): take the key out of the address bar
        // (and out of screenshots, history and shoulder-surfing).
        if (key && (opts.askKey ? (store(memKey, key), true) : tabKey(memKey, key))) {
          const u = new URL(location.href);
          if (u.searchParams.has('key')) { u.searchParams.delete('key'); history.replaceState(null, '', u); }
        }
        if (m.event?.code) { code = m.event.code; rememberEvent(code); }
      }
      opts.onMessage(m);
    },
    onState: (s, info) => {
      if (s === 'refused') {
        if (info?.code === 'bad_key' && opts.askKey) store(memKey, null);
        refuse(info);
      }
      opts.onState?.(s, info);
    },
  });
  conn.forgetKey = () => { store(memKey, null); key = null; conn.stop(); askKey(null); };
  /** The key this page holds (for the crew's HTTP calls, e.g. /api/report). */
  conn.key = () => key;
  applyDom();
  if (!key) refuse(null); else conn.start();
  return conn;
}

/** The key kept for this tab only (sessionStorage): read, or write (then
 * true when it was kept, false when the browser refuses storage). */
function tabKey(name, value) {
  try {
    if (value === undefined) return sessionStorage.getItem(name);
    sessionStorage.setItem(name, value);
    return true;
  } catch { return value === undefined ? null : false; }
}

/** Scale a fixed-size design (w x h) to fit the window, letterboxed. */
export function fitStage(el, w, hgt) {
  const fit = () => el.style.setProperty('--s', String(Math.min(innerWidth / w, innerHeight / hgt)));
  addEventListener('resize', fit);
  fit();
}

/** A number that glides to its new value (for counts read from far away). */
export class Tween {
  constructor(el, fmt = String) { this.el = el; this.fmt = fmt; this.v = 0; this.to = 0; this.raf = 0; }
  set(to) {
    if (to === this.to) return;
    this.to = to;
    cancelAnimationFrame(this.raf); // a glide still heading for the old value must not land after us
    clearTimeout(this.timer);
    if (document.hidden || Math.abs(to - this.v) < 1) { this.v = to; this.el.textContent = this.fmt(to); return; }
    const from = this.v, start = performance.now(), dur = 500;
    const step = (now) => {
      const k = Math.max(0, Math.min(1, (now - start) / dur)), e = 1 - (1 - k) ** 3;
      this.v = Math.round(from + (to - from) * e);
      this.el.textContent = this.fmt(this.v);
      if (k < 1) this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
    // rAF pauses in hidden or occluded windows; the number must still land.
    this.timer = setTimeout(() => {
      if (this.to !== to) return;
      cancelAnimationFrame(this.raf);
      this.v = to;
      this.el.textContent = this.fmt(to);
    }, dur + 60);
  }
}

/**
 * For unattended displays: keep the screen awake (Wake Lock, re-taken when
 * the page is shown again), hide the pointer after 3 s still, and let F or a
 * double click toggle fullscreen.
 */
export function kiosk() {
  let lock = null;
  const wake = async () => {
    try { if (!lock && navigator.wakeLock && document.visibilityState === 'visible') { lock = await navigator.wakeLock.request('screen'); lock.addEventListener('release', () => { lock = null; }); } } catch { /* not allowed here */ }
  };
  document.addEventListener('visibilitychange', wake);
  wake();
  let idle = 0;
  const moved = () => {
    document.documentElement.classList.remove('nocursor');
    clearTimeout(idle);
    idle = setTimeout(() => document.documentElement.classList.add('nocursor'), 3000);
  };
  addEventListener('pointermove', moved);
  moved();
  const toggle = () => {
    if (document.fullscreenElement) document.exitFullscreen?.();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  };
  addEventListener('dblclick', toggle);
  addEventListener('keydown', (e) => { if (e.key === 'f' || e.key === 'F') toggle(); });
}
