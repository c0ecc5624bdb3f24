// qr.js -- a QR code as one crisp SVG path (qrcode-generator does the coding).
import qrcode from 'qrcode-generator';

/**
 * SVG markup for text, error correction "M", a 4-module quiet zone, dark
 * modules in `fg` on `bg`. Scales to its container (width/height 100%).
 */
export function qrSvg(text, { fg = '#000', bg = '#fff', label = '' } = {}) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount(), q = 4, size = n + 2 * q;
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.isDark(r, c)) continue;
      let run = 1;
      while (c + run < n && qr.isDark(r, c + run)) run++;
      d += `M${c + q} ${r + q}h${run}v1h-${run}z`;
      c += run - 1;
    }
  }
  const esc = (s) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="100%" height="100%" shape-rendering="crispEdges" role="img" aria-label="${esc(label || text)}"><rect width="${size}" height="${size}" fill="${bg}"/><path fill="${fg}" d="${d}"/></svg>`;
}
