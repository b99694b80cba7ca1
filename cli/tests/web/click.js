// Loads the inprof web UI in headless Chromium, reads the top table,
// clicks a function and waits for its callers to show, and takes a
// screenshot. Usage: node click.js URL FUNCTION SCREENSHOT.png
const { chromium } = require('playwright-core');

(async () => {
  const [url, fn, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(url);
    const first = (await page.textContent('#top tbody tr td.fn')).trim();
    await page.click(`#top tbody td.fn a >> text="${fn}"`);
    await page.waitForFunction(() => document.getElementById('peek').textContent.includes('|'), null, { timeout: 10000 });
    const peek = await page.textContent('#peek');
    const flame = await page.$$eval('svg g', (gs) => gs.length);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(JSON.stringify({ first, peek, flame }));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
