// Loads a page in headless Chromium and prints, as one line of JSON, what
// the page's fetch() calls saw: the page sets window.corsResults to a
// promise of that list. For authgate's end-to-end CORS test
// (examples/server/cors_e2e_test.go).
//
// Usage: node fetch.mjs <page URL>
//
// The browser is the system's Chromium (Debian's package chromium), never
// one downloaded by Playwright: CHROMIUM names it, /usr/bin/chromium by
// default.
import { chromium } from 'playwright-core';

const pageURL = process.argv[2];
if (!pageURL) {
  console.error('usage: node fetch.mjs <page URL>');
  process.exit(2);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Chromium's sandbox refuses to run as root.
  args: root ? ['--no-sandbox'] : [],
  timeout: 30000,
});
try {
  const page = await browser.newPage();
  await page.goto(pageURL);
  const results = await page.evaluate(() => window.corsResults);
  process.stdout.write(JSON.stringify(results) + '\n');
} finally {
  await browser.close();
}
