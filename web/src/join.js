// join.js -- the printable join page (/join.html?url=&code=&name=), opened
// from the crew dashboard: a big QR code, the event code and the address,
// with the instructions in all three languages. Black on white for paper.
import './css/base.css';
import './css/join.css';
import { h } from './lib/dom.js';
import { CATALOGUES, LANGS } from './lib/i18n.js';
import { qrSvg } from './lib/qr.js';

const q = new URLSearchParams(location.search);
const code = q.get('code') || '';
const url = q.get('url') || `${location.origin}/e/${encodeURIComponent(code)}`;
const name = q.get('name') || 'Chorus';
document.title = `${name} · Join`;
document.body.className = 'joinpage';
const lines = LANGS.map((l) => h('div.j-lang', { lang: l === 'zh' ? 'zh-Hans' : l },
  h('h2', null, CATALOGUES[l]['joinpage.title']), h('p', null, CATALOGUES[l]['joinpage.steps'])));
document.body.append(h('main.j-sheet', null,
  h('h1.j-name', null, name),
  h('div.j-qr', { html: qrSvg(url, { label: url }) }),
  h('div.j-code', null, code),
  h('div.j-url', null, url.replace(/^https?:\/\//, '')),
  h('div.j-langs', null, lines),
  h('button.btn.primary.j-print', { type: 'button', onclick: () => print() }, CATALOGUES.en['joinpage.print'])));
