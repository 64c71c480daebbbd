import { hostOf } from './packages/journey/src/stage-rules.ts';
const urls = Array.from({length: 1000}, (_, i) => 'https://shop.example.com/about' + (i % 7));
const RE = /^(?:[a-z][a-z0-9+.-]*:)?\/\/([^/?#]*)([^?#]*)/i;
const RE2 = /^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?\/\/([^/?#]*)/;
let sink = 0;
function time(name: string, f: (s: string) => number) {
  for (let w = 0; w < 3; w++) { const t0 = performance.now(); for (let k = 0; k < 300; k++) for (const u of urls) sink += f(u); const dt = performance.now() - t0; if (w === 2) console.log(name, (dt * 1e6 / 300000).toFixed(1), 'ns'); }
}
time('hostOf', (u) => hostOf(u).length);
time('re exec', (u) => RE.exec(u)?.[1]?.length ?? 0);
time('re2 exec', (u) => RE2.exec(u)?.[1]?.length ?? 0);
time('re test', (u) => RE.test(u) ? 1 : 0);
time('indexOf', (u) => { const s = u.indexOf('//'); const e = u.indexOf('/', s + 2); return u.slice(s + 2, e).length; });
time('lower', (u) => u.toLowerCase().length);
