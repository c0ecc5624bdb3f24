// i18n.js -- the three string catalogues and the current language.
// The language is the one remembered in localStorage ("chorus.lang"), else the
// first of the browser's languages we have, else English. t() falls back to
// English, then to the key itself, so a missing string is visible, not blank.
import en from '../i18n/en.js';
import zh from '../i18n/zh.js';
import id from '../i18n/id.js';

export const CATALOGUES = { en, zh, id };
export const LANGS = ['en', 'zh', 'id'];
const HTML_LANG = { en: 'en', zh: 'zh-Hans', id: 'id' };
const SHORT = { en: 'EN', zh: '中文', id: 'ID' };
const listeners = [];
let current = pick();

function pick() {
  const q = new URLSearchParams(location.search).get('lang');
  const saved = q || store('chorus.lang');
  if (saved && CATALOGUES[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (base === 'in' || base === 'ms') return 'id'; // old code for Indonesian; Malay reads it
    if (CATALOGUES[base]) return base;
  }
  return 'en';
}

function store(k, v) {
  try {
    if (v === undefined) return localStorage.getItem(k);
    localStorage.setItem(k, v);
  } catch { /* private mode: the choice just isn't remembered */ }
  return null;
}

/**
 * Add strings that only one page needs ({en: {...}, zh: {...}, id: {...}}),
 * kept out of the shared catalogues so the phone's bundle does not carry them.
 */
export function extend(more) {
  for (const l of LANGS) Object.assign(CATALOGUES[l], more[l]);
}

/** The current language code: "en", "zh" or "id". */
export const lang = () => current;

/** The string for key in the current language, with {name} replaced from vars. */
export function t(key, vars) {
  let s = CATALOGUES[current][key];
  if (s === undefined) s = en[key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Numbers in the current language's format. */
export const num = (n) => new Intl.NumberFormat(HTML_LANG[current]).format(n);

/** Switch language, remember it and re-render every subscriber. */
export function setLang(l) {
  if (!CATALOGUES[l] || l === current) return;
  current = l;
  store('chorus.lang', l);
  applyDom();
  for (const f of listeners) f(l);
}

/** Call f after every language switch. */
export const onLang = (f) => listeners.push(f);

/** Fill every [data-t] element's text (and [data-t-ph] placeholders) in root. */
export function applyDom(root = document) {
  document.documentElement.lang = HTML_LANG[current];
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll('[data-t-ph]')) el.placeholder = t(el.dataset.tPh);
  for (const el of root.querySelectorAll('[data-t-aria]')) el.setAttribute('aria-label', t(el.dataset.tAria));
}

/** A labelled <select> that switches the language; each name in its own language. */
export function langSelect(cls = 'lang') {
  const wrap = document.createElement('label');
  wrap.className = cls;
  const span = document.createElement('span');
  span.className = 'sr-only';
  span.dataset.t = 'lang.label';
  span.textContent = t('lang.label');
  const sel = document.createElement('select');
  for (const l of LANGS) {
    const o = document.createElement('option');
    o.value = l;
    o.textContent = CATALOGUES[l]['lang.name'];
    o.lang = HTML_LANG[l];
    sel.append(o);
  }
  sel.value = current;
  // The visible face can be short (a chip); the native picker lists full names.
  const face = document.createElement('span');
  face.className = 'lang-face';
  face.setAttribute('aria-hidden', 'true');
  face.textContent = SHORT[current];
  sel.addEventListener('change', () => setLang(sel.value));
  onLang((l) => { sel.value = l; face.textContent = SHORT[l]; });
  wrap.append(span, face, sel);
  return wrap;
}
