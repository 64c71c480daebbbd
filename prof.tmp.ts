import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from './packages/journey/src/index.ts';
const c = compileRuleset(DEFAULT_STAGE_RULESET);
const mk = (path: string, extra: object = {}) => ({ type: 'page', event: null, name: 'x', pagePath: path, pageUrl: 'https://shop.example.com' + path, pageReferrer: 'https://shop.example.com/', pageSearch: null, campaignSource: null, campaignMedium: null, campaignName: null, campaignTerm: null, campaignContent: null, clickId: null, properties: '{}', ...extra }) as never;
const sets: Record<string, unknown[]> = {
  pricing: Array.from({length: 1000}, (_, i) => mk('/pricing')),
  products: Array.from({length: 1000}, (_, i) => mk('/products/x' + i)),
  home: Array.from({length: 1000}, (_, i) => mk('/')),
  homeDiffPaths: Array.from({length: 1000}, (_, i) => mk('/about' + (i % 7))),
  homeExternal: Array.from({length: 1000}, (_, i) => mk('/', { pageReferrer: 'https://www.google.com/' })),
  utm: Array.from({length: 1000}, (_, i) => mk('/', { campaignSource: 'google' })),
};
let sink = 0;
for (const [name, arr] of Object.entries(sets)) {
  for (let w = 0; w < 3; w++) { const t0 = performance.now(); for (let k = 0; k < 300; k++) for (const tp of arr) sink += classifyTouchpoint(c, tp as never).stage; const dt = performance.now() - t0; if (w === 2) console.log(name, (dt * 1e6 / 300000).toFixed(0), 'ns'); }
}
console.log(sink > 0);
