// make-har.mjs records, with headless Chromium driven by playwright-core,
// the HAR that TestHARFromChromium reads. A page calls the reference
// server twice with the same Bearer token, as a single-page app does:
//
//  1. same-origin, through the page's own server, which forwards /v1/ to
//     the API: the browser records the API's 401 and its headers;
//  2. cross-origin, straight to the API: the browser's CORS preflight is
//     not answered, so the request fails (status -1, net::ERR_FAILED).
//
// Usage (see README.md):
//   API=http://127.0.0.1:18080 TOKEN=... OUT=chromium.har node make-har.mjs
import http from 'node:http';
import { chromium } from 'playwright-core';

const api = process.env.API;
const token = process.env.TOKEN;
const out = process.env.OUT || 'chromium.har';
if (!api || !token) {
  console.error('API and TOKEN must be set');
  process.exit(2);
}

const page = `<!doctype html><title>running</title><script>
const h = {headers: {Authorization: ${JSON.stringify('Bearer ' + token)}}};
(async () => {
  const r = [];
  try { r.push((await fetch('/v1/me', h)).status); } catch (e) { r.push(String(e)); }
  try { r.push((await fetch(${JSON.stringify(api + '/v1/me')}, h)).status); } catch (e) { r.push(String(e)); }
  document.title = 'done ' + r.join(', ');
})();
</script>`;
const site = http.createServer((req, res) => {
  if (req.url.startsWith('/v1/')) { // same-origin API: forward as a gateway would
    const up = http.request(api + req.url, { method: req.method, headers: { ...req.headers, host: new URL(api).host } }, ur => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page);
});
await new Promise(r => site.listen(0, '127.0.0.1', r));
const origin = `http://localhost:${site.address().port}`; // another origin than the API's 127.0.0.1

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const context = await browser.newContext({ recordHar: { path: out, content: 'omit' } });
const tab = await context.newPage();
await tab.goto(origin + '/');
await tab.waitForFunction(() => document.title.startsWith('done'), null, { timeout: 15000 });
console.log('page says:', await tab.title());
await context.close(); // writes the HAR
await browser.close();
site.close();
