// build.mjs -- bundle the pages into web/dist for the hub to serve.
//
// dist/index.html (phone, for / and /e/<code>), screen.html, stage.html,
// crew.html, join.html; hashed bundles in dist/assets/ (safe to cache
// forever); a gzip -9 twin (X.gz) beside every file; dist/.built last, as the
// make target. Asset paths are absolute (/assets/...) because /e/DEMO is a
// nested path. Run: node web/build.mjs (from anywhere).
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync, constants } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

const PAGES = {
  // The phone's CSS is inlined: on a slow link the page then needs one asset
  // request (the script, on the html's kept-alive connection), not two.
  index: { entry: 'phone', warm: true, inlineCss: true, title: 'Chorus', theme: '#07070d', viewport: 'width=device-width, initial-scale=1, viewport-fit=cover' },
  screen: { entry: 'screen', title: 'Chorus · Screen', theme: '#000000' },
  stage: { entry: 'stage', title: 'Chorus · Stage', theme: '#000000' },
  crew: { entry: 'crew', title: 'Chorus · Crew', theme: '#07070d' },
  join: { entry: 'join', title: 'Chorus · Join', theme: '#ffffff' },
};

// The phone opens its WebSocket while its bundle is still downloading: on a
// slow link the handshake's round trips are then paid by the time the Join
// button appears. No hello is sent until the person joins (conn.js adopts it).
const WARM = `<script>try{window.__chorusWarmAt=Date.now();window.__chorusWarm=new WebSocket((location.protocol=="https:"?"wss://":"ws://")+location.host+"/ws","chorus.v1")}catch(e){}</script>`;

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: Object.fromEntries(Object.values(PAGES).map((p) => [p.entry, `src/${p.entry}.js`])),
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});

// entry name -> {js, css} public paths
const out = {};
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  if (!info.entryPoint) continue;
  const name = info.entryPoint.replace(/^src\//, '').replace(/\.js$/, '');
  out[name] = { js: `/${relative('dist', file)}`, css: info.cssBundle ? `/${relative('dist', info.cssBundle)}` : null };
}

for (const [page, p] of Object.entries(PAGES)) {
  const a = out[p.entry];
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="${p.viewport || 'width=device-width, initial-scale=1'}">
<meta name="theme-color" content="${p.theme}">
<meta name="color-scheme" content="dark">
<title>${p.title}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%23ff2e7e'/%3E%3Cpath d='M4 11V7M8 12V4M12 11V6' stroke='%23fff' stroke-width='2' stroke-linecap='round'/%3E%3C/svg%3E">
${p.warm ? WARM : ''}
${a.css && p.inlineCss ? `<style>${readFileSync(join(dist, a.css)).toString().trim()}</style>` : ''}
${a.css && !p.inlineCss ? `<link rel="stylesheet" href="${a.css}">` : ''}
<script type="module" src="${a.js}"></script>
</head>
<body>
<noscript><p style="font:18px system-ui;padding:24px;color:#fff;background:#07070d">Chorus needs JavaScript to run.</p></noscript>
</body>
</html>
`;
  writeFileSync(join(dist, `${page}.html`), html);
}

// gzip -9 twin of every file, for the hub's Content-Encoding: gzip path.
function walk(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (!f.endsWith('.gz') && !f.startsWith('.')) writeFileSync(`${p}.gz`, gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION }));
  }
}
walk(dist);

// The phone page's whole weight (what a phone downloads on first load).
const ph = out.phone;
const gz = (pub) => statSync(join(dist, `${pub}.gz`)).size;
const total = gz('/index.html') + gz(ph.js) + (ph.css && !PAGES.index.inlineCss ? gz(ph.css) : 0);
console.log(`web: built ${Object.keys(PAGES).length} pages; phone page loads ${(total / 1024).toFixed(1)} KB gzipped`);
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
