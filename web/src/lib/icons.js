// icons.js -- the reaction glyphs, as 24x24 SVG paths: one source for the
// phone's buttons (inline SVG) and the screen's bursts (canvas Path2D).
// Colour is decoration only; every reaction also has a text label.
export const ICONS = {
  heart: { c: '#ff3d71', d: 'M12 21.3l-1.4-1.3C5.4 15.4 2 12.3 2 8.5 2 5.4 4.4 3 7.5 3c1.7 0 3.4.8 4.5 2.1C13.1 3.8 14.8 3 16.5 3 19.6 3 22 5.4 22 8.5c0 3.8-3.4 6.9-8.6 11.5L12 21.3z' },
  fire: { c: '#ff8a1f', d: 'M13.5.7s.7 2.6.7 4.7c0 2-1.3 3.6-3.3 3.6S7.4 7.4 7.4 5.4l.1-.4C5.3 7.6 4 11 4 14.6 4 19 7.6 22.6 12 22.6s8-3.6 8-8C20 9.2 17.4 4.4 13.5.7zM11.7 19.6c-1.8 0-3.2-1.4-3.2-3.1 0-1.6 1-2.8 2.8-3.1 1.8-.4 3.6-1.2 4.6-2.6.4 1.3.6 2.6.6 4 0 2.6-2.1 4.8-4.8 4.8z' },
  clap: { c: '#ffd23f', d: 'M12 1l2.2 6.6L21 8l-5.4 4.1L17.6 19 12 15l-5.6 4 2-6.9L3 8l6.8-.4L12 1z' },
  rock: { c: '#a78bfa', d: 'M13 1L4 14h6.5L9 23l10-13.5h-6.6L13 1z' },
  laugh: { c: '#2ee6c8', d: 'M12 2a10 10 0 100 20 10 10 0 000-20zM8.5 7.5a1.6 1.6 0 110 3.2 1.6 1.6 0 010-3.2zm7 0a1.6 1.6 0 110 3.2 1.6 1.6 0 010-3.2zM6.5 13h11a5.5 5.5 0 01-11 0z' },
  _: { c: '#7dd3fc', d: 'M12 2l2.9 6.9L22 9.6l-5.4 4.8 1.6 7.2L12 17.8 5.8 21.6l1.6-7.2L2 9.6l7.1-.7L12 2z' },
};

/** The icon for a reaction kind (a generic star for kinds we don't draw). */
export const icon = (kind) => ICONS[kind] || ICONS._;

/** An inline <svg> for kind, hidden from screen readers (the label speaks). */
export function iconSvg(kind, size = 40) {
  const i = icon(kind);
  return `<svg viewBox="0 0 24 24" width="${size}" height="${size}" aria-hidden="true" focusable="false"><path fill="${i.c}" fill-rule="evenodd" d="${i.d}"/></svg>`;
}
