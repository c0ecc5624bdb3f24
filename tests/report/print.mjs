// print.mjs -- the HTML report printed on A4, in Debian's chromium.
//   node tests/report/print.mjs REPORT_BIN GEN_BIN WORKDIR
// Renders the report of gen.c's "small" event (plus crowded markers, a long
// chant and big numbers, the cases that broke a printout) with print media at
// the A4 text width and checks what a reader of the paper would: no summary
// card or table cell clipped or running off the page, table headers that
// repeat and rows that are not cut, headings kept with what follows, marker
// kinds in words. Saves tests/artifacts/report-print.pdf (A4) and
// report-print.png (the print media at A4 width). Prints "PASS name" /
// "FAIL name: why" per check.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from '../web/lib.mjs';

const [REPORT, GEN, DIR] = process.argv.slice(2);
const ART = resolve('tests/artifacts');
mkdirSync(ART, { recursive: true });
let failed = 0;
const ok = (name, cond, why) => { if (cond) console.log(`PASS ${name}`); else { failed++; console.log(`FAIL ${name}: ${why}`); } };

const T = 1767225600000;
const db = join(DIR, 'print.db');
execFileSync(GEN, ['small', db]);
// Three markers within seconds of each other (labels that used to overlap),
// a long chant (the top chant card), and a busy night's numbers.
execFileSync('sqlite3', [db, `INSERT INTO markers(ts_ms, kind, label) VALUES
    (${T + 1001000}, 'note', 'Guitar swap'), (${T + 1003000}, 'note', 'Lights down'), (${T + 1005000}, 'song_start', 'Song Three');
  INSERT INTO signals(ts_ms, device, section, kind, text) VALUES
    ${[1, 2, 3, 4].map((i) => `(${T + 2200000 + i * 1000}, 2, 'A', 'chant', 'Wonderwall-Wonderwall-Wonderwall-Wonderwall-Wonderwall')`).join(', ')};
  UPDATE signals SET n = n * 1234567 WHERE kind = 'react';
  UPDATE seconds SET taps = taps * 1234567;
  UPDATE event SET name = 'Small Test Night at the Royal Albert Hall, London (second show)';`]);
const html = join(DIR, 'print.html');
const r = spawnSync(REPORT, ['--db', db, '--html', html], { encoding: 'utf8' });
if (r.status !== 0) { console.log(`FAIL print: chorus-report exited ${r.status}: ${r.stderr}`); process.exit(1); }

// A4 is 210 mm; less 2 x 12 mm of margin (page.css @page) that is 186 mm,
// 703 CSS px at 96 px per inch.
const A4_TEXT_PX = Math.floor(186 / 25.4 * 96);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: A4_TEXT_PX, height: 1000 } });
  await page.emulateMedia({ media: 'print' });
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction(() => document.querySelectorAll('canvas').length > 0 &&
    [...document.querySelectorAll('canvas')].every((c) => c.width > 0));

  const m = await page.evaluate(() => {
    const W = document.documentElement.clientWidth;
    const out = { W, docWidth: document.documentElement.scrollWidth, cards: [], cells: [], canvases: [], kinds: [] };
    for (const c of document.querySelectorAll('.card')) {
      const b = c.getBoundingClientRect(), v = c.querySelector('.value');
      const clipped = b.left < 0 || b.right > W + 0.5 || v.scrollWidth > v.clientWidth + 1 ||
        [...c.children].some((k) => k.getBoundingClientRect().right > b.right + 0.5);
      if (clipped) out.cards.push(`${c.querySelector('.label').textContent}: [${b.left}, ${b.right}] value ${v.scrollWidth}/${v.clientWidth}`);
    }
    for (const cell of document.querySelectorAll('td, th')) {
      const b = cell.getBoundingClientRect(), t = cell.closest('table').parentElement.getBoundingClientRect();
      if (b.right > W + 0.5 || b.right > t.right + 0.5 || cell.scrollWidth > cell.clientWidth + 1)
        out.cells.push(`"${cell.textContent.slice(0, 30)}" right ${b.right} of ${Math.min(W, t.right)}, ${cell.scrollWidth}/${cell.clientWidth}`);
    }
    for (const c of document.querySelectorAll('canvas')) {
      const b = c.getBoundingClientRect(), p = c.parentElement.getBoundingClientRect();
      if (b.right > p.right + 0.5 || b.right > W + 0.5 || b.height < 40) out.canvases.push(`${c.id}: ${b.width}x${b.height} in ${p.width}`);
    }
    const mt = [...document.querySelectorAll('h3')].find((h) => h.textContent === 'Markers');
    if (mt) out.kinds = [...mt.nextElementSibling.querySelectorAll('tbody tr')].map((tr) => tr.children[1].textContent);
    const cs = (sel, prop) => { const e = document.querySelector(sel); return e ? getComputedStyle(e)[prop] : null; };
    out.style = { thead: cs('thead', 'display'), tr: cs('tbody tr', 'breakInside'), h2: cs('h2', 'breakAfter'), h3: cs('h3', 'breakAfter'),
                  card: cs('.card', 'breakInside'), chart: cs('.chart', 'breakInside') };
    out.screenKinds = document.body.innerText.includes('song_start');   // not the embedded JSON
    return out;
  });
  ok('print: the page is no wider than A4 (186 mm of text)', m.docWidth <= m.W, `page ${m.docWidth} px for ${m.W} px`);
  ok('print: no summary card clipped or past the edge', m.cards.length === 0, m.cards.join('; '));
  ok('print: no table cell clipped or past its table', m.cells.length === 0, m.cells.slice(0, 5).join('; '));
  ok('print: every chart fits the page width', m.canvases.length === 0, m.canvases.join('; '));
  ok('print: tables repeat their header, rows and cards are not cut, headings stay with what follows',
    m.style.thead === 'table-header-group' && m.style.tr === 'avoid' && m.style.h2 === 'avoid' && m.style.h3 === 'avoid' &&
    m.style.card === 'avoid' && m.style.chart === 'avoid', JSON.stringify(m.style));
  ok('print: marker kinds in words', m.kinds.length === 8 && m.kinds.includes('song start') && m.kinds.includes('song end') &&
    m.kinds.includes('note') && m.kinds.every((k) => !k.includes('_')) && !m.screenKinds, JSON.stringify(m.kinds));

  await page.screenshot({ path: join(ART, 'report-print.png'), fullPage: true });
  await page.pdf({ path: join(ART, 'report-print.pdf'), format: 'A4', printBackground: true });
  // The PDF: A4 pages, and not padded with near-empty ones (the small event
  // fits in a few pages).
  const pdf = await import('node:fs').then((fs) => fs.readFileSync(join(ART, 'report-print.pdf'), 'latin1'));
  const pages = (pdf.match(/\/Type\s*\/Page[^s]/g) || []).length;
  const a4 = /\/MediaBox\s*\[\s*0 0 59[56](\.\d+)? 84[123](\.\d+)?\s*\]/.test(pdf);   // 210 x 297 mm in points
  ok('print: the PDF is A4, in few pages', a4 && pages >= 2 && pages <= 7, `${pages} pages, A4 ${a4}`);

  await page.emulateMedia({ media: 'screen' });
  const screenKinds = await page.evaluate(() => [...document.querySelectorAll('td')].some((td) => td.textContent === 'song start'));
  ok('screen: marker kinds in words too', screenKinds, 'no "song start" cell on screen');
} finally {
  await browser.close();
}
console.log(failed ? `print.mjs: ${failed} failed` : 'print.mjs: all checks passed');
process.exit(failed ? 1 : 0);
