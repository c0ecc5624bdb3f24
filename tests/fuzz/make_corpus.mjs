// make_corpus.mjs -- writes the committed seed corpora of the fuzz targets:
// tests/fuzz/corpus/fuzz_proto (chorus.v1 client frames, docs/protocol.md)
// and tests/fuzz/corpus/fuzz_frame (fragment sequences, see fuzz_frame.c).
// Run from anywhere with `node tests/fuzz/make_corpus.mjs` (uses the
// @msgpack/msgpack of tests/node_modules); the output is deterministic, so
// rerunning it leaves git clean. Seeds named ok-* are frames the hub accepts;
// bad-* ones it must reject with a named error (the codec, or for a chant
// whose text is fine as a string, the normalizer of chant.c).
import { encode } from '@msgpack/msgpack';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function writeCorpus(name, seeds) {
    const dir = join(here, 'corpus', name);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    for (const [file, bytes] of Object.entries(seeds)) writeFileSync(join(dir, file), Buffer.from(bytes));
}

// --- fuzz_proto: one client frame per file -------------------------------
const mp = (o) => encode(o);
const cut = (b, n) => b.subarray(0, b.length - n);
const vote = mp({ t: 'vote', id: 7, poll: 1, option: 2 });
// {t:"ping", c:1, x:[[[...]]]} with `depth` nested arrays: the map plus 7
// arrays is the deepest frame proto_prescan() allows (8 levels).
const nested = (depth) => {
    let v = 0;
    for (let i = 0; i < depth; i++) v = [v];
    return mp({ t: 'ping', c: 1, x: v });
};

const proto = {
    'ok-hello-audience': mp({ t: 'hello', role: 'audience' }),
    'ok-hello-audience-token': mp({ t: 'hello', role: 'audience', event: 'DEMO', section: 'floor',
        token: 'AAAAAQAAAAEAAAAAAAAAAA.c2lnbmF0dXJlLXNpZ25hdHVyZQ' }),
    'ok-hello-screen': mp({ t: 'hello', role: 'screen', key: 'screen-key' }),
    'ok-hello-performer': mp({ t: 'hello', role: 'performer', key: 'stage-key', event: '' }),
    'ok-hello-crew': mp({ t: 'hello', role: 'crew', key: 'crew-key', event: 'DEMO' }),
    'ok-vote': vote,
    'ok-react': mp({ t: 'react', kind: 'clap', n: 12 }),
    'ok-chant': mp({ t: 'chant', id: 3, text: "LET'S GO" }),
    'ok-chant-unicode': mp({ t: 'chant', text: '  ＬＥＴ\u2003’Ｓ\tgo  \u00e9\u0301 🎸 ' }),
    'ok-ping': mp({ t: 'ping', c: -9007199254740991 }),
    'ok-poll-open': mp({ t: 'poll.open', id: 9, question: 'Encore?', options: ['Yes', 'No', 'Twice'],
        allow_change: true }),
    'ok-poll-close': mp({ t: 'poll.close', id: 10, poll: 1 }),
    'ok-marker': mp({ t: 'marker', id: 11, label: 'Intro', kind: 'song_start' }),
    'ok-marker-note': mp({ t: 'marker', id: 12, label: 'lights out', unknown: [1, { a: null }] }),

    'bad-empty': [],
    'bad-nil': [0xc0],
    'bad-reserved-c1': [0x81, 0xa1, 0x74, 0xc1],
    'bad-not-a-map': mp(['vote', 1, 2]),
    'bad-no-type': mp({ id: 1, poll: 1 }),
    'bad-type-not-string': mp({ t: 5 }),
    'bad-unknown-type': mp({ t: 'v\u00f6te\n', id: 1 }),
    'bad-truncated-vote': cut(vote, 1),
    'bad-truncated-str': cut(mp({ t: 'chant', text: 'hello there' }), 4),
    'bad-trailing-bytes': Buffer.concat([vote, Buffer.from([0x00])]),
    'bad-two-frames': Buffer.concat([vote, vote]),
    // a map32 / array32 / str32 that claims 4 G entries or bytes in a few bytes
    'bad-map32-huge': [0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x74],
    'bad-array32-huge': [0x82, 0xa1, 0x74, 0xa4, 0x70, 0x69, 0x6e, 0x67, 0xa1, 0x78, 0xdd, 0xff, 0xff, 0xff, 0xfe],
    'bad-str32-huge': [0x81, 0xa1, 0x74, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61],
    'bad-ext-huge': [0x81, 0xa1, 0x74, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],
    'ok-nested-8': nested(7),
    'bad-nested-9': nested(8),
    'bad-nested-64': nested(64),
    'bad-oversized': mp({ t: 'chant', text: 'x'.repeat(4100) }),
    'bad-chant-too-long': mp({ t: 'chant', id: 4, text: 'é'.repeat(40) }),
    'bad-chant-blank': mp({ t: 'chant', text: ' \t\u3000 ' }),
    'bad-chant-control': mp({ t: 'chant', text: 'go\u0007go' }),
    'bad-chant-utf8': [...mp({ t: 'chant', text: 'ab' })].slice(0, -3).concat([0xa2, 0xc3, 0x28]),
    'bad-hello-role': mp({ t: 'hello', role: 'admin' }),
    'bad-hello-role-bin': [0x82, 0xa1, 0x74, 0xa5, ...Buffer.from('hello'), 0xa4, ...Buffer.from('role'),
        0xc4, 0x05, ...Buffer.from('crew!')],
    'bad-vote-no-id': mp({ t: 'vote', poll: 1, option: 0 }),
    'bad-vote-id-float': mp({ t: 'vote', id: 1.5, poll: 1, option: 0 }),
    'bad-vote-id-negative': mp({ t: 'vote', id: -1, poll: 1, option: 0 }),
    'bad-vote-id-2p53+1': [0x84, 0xa1, 0x74, 0xa4, ...Buffer.from('vote'), 0xa2, 0x69, 0x64,
        0xcf, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xa4, ...Buffer.from('poll'), 0x01, 0xa6, ...Buffer.from('option'), 0x00],
    'ok-vote-id-2p53': [0x84, 0xa1, 0x74, 0xa4, ...Buffer.from('vote'), 0xa2, 0x69, 0x64,
        0xcf, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xa4, ...Buffer.from('poll'), 0x01, 0xa6, ...Buffer.from('option'), 0x00],
    'bad-vote-id-u64max': [0x84, 0xa1, 0x74, 0xa4, ...Buffer.from('vote'), 0xa2, 0x69, 0x64,
        0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xa4, ...Buffer.from('poll'), 0x01, 0xa6, ...Buffer.from('option'), 0x00],
    'bad-react-n-zero': mp({ t: 'react', kind: 'clap', n: 0 }),
    'bad-react-n-51': mp({ t: 'react', kind: 'clap', n: 51 }),
    'bad-ping-no-c': mp({ t: 'ping', c: null }),
    'bad-poll-open-1-option': mp({ t: 'poll.open', id: 1, question: 'Q', options: ['only'] }),
    'bad-poll-open-13-options': mp({ t: 'poll.open', id: 1, question: 'Q',
        options: Array.from({ length: 13 }, (_, i) => `o${i}`) }),
    'bad-poll-open-empty-option': mp({ t: 'poll.open', id: 1, question: 'Q', options: ['a', ''] }),
    'bad-poll-open-allow-change': mp({ t: 'poll.open', id: 1, question: 'Q', options: ['a', 'b'],
        allow_change: 1 }),
    'bad-poll-close-no-poll': mp({ t: 'poll.close', id: 2 }),
    'bad-marker-kind': mp({ t: 'marker', id: 3, label: 'x', kind: 'song_middle' }),
    'bad-marker-label-long': mp({ t: 'marker', id: 3, label: 'm'.repeat(65) }),
};

// --- fuzz_frame: [max lo, max hi] then fragments [h (bit0 final, bit1 long,
// bits 2..7 short length), long length lo hi?, data]. Each seed stays under
// the 8192 bytes of -max_len. ----------------------------------------------
const le16 = (n) => [n & 0xff, n >> 8];
const data = (n, c = 0x61) => Array.from({ length: n }, (_, i) => (c + i) & 0xff);
const short = (len, final, c) => [(len << 2) | (final ? 1 : 0), ...data(len, c)];
const long = (len, final, c) => [2 | (final ? 1 : 0), ...le16(len), ...data(len, c)];

const frame = {
    'single': [...le16(4096), ...short(10, true)],
    'fragments-3': [...le16(64), ...short(5, false), ...short(7, false, 0x41), ...short(9, true, 0x30)],
    'exactly-max': [...le16(64), ...short(32, false), ...short(32, true)],
    'one-over-max': [...le16(64), ...short(32, false), ...short(33, true), ...short(3, true)],
    'single-over-max': [...le16(16), ...short(17, true), ...short(16, true)],
    'long-4096': [...le16(4096), ...long(4000, false), ...long(96, true)],
    'long-4097': [...le16(4096), ...long(4097, true), ...short(1, false), ...short(3, true)],
    'empty-fragments': [...le16(0), 0x00, 0x00, 0x01, 0x01, ...short(1, true)],
    'two-messages': [...le16(100), ...short(20, false), ...short(20, true), ...short(50, false),
        ...short(50, true), ...short(1, true)],
    'msgpack-vote': [...le16(4096), ...[vote.length << 2], ...vote, 0x01],
};

writeCorpus('fuzz_proto', proto);
writeCorpus('fuzz_frame', frame);
console.log(`fuzz_proto: ${Object.keys(proto).length} seeds, fuzz_frame: ${Object.keys(frame).length} seeds`);
