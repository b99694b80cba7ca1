// Drives the inprof web UI in headless Chromium on one profile: entering
// by the URL it printed (its token), the top
// view and the sample type it says it shows, switching the sample type,
// a focus that applies to the views, the call graph and a click on a node
// (its peek), the source view, the flame and icicle graphs. Screenshots
// of each view are kept (PREFIX-VIEW.png).
// Usage: node ui.js URL FUNCTION OTHER_SAMPLE_TYPE PREFIX
const { chromium } = require('playwright-core');

(async () => {
  const [url, fn, other, prefix] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(url);
    await page.waitForSelector('#top tbody tr td.fn', { timeout: 20000 });
    // The URL (or the page leading to it) carries the token; the page
    // it leads to does not.
    out.entered = page.url();
    out.shown = (await page.textContent('#shown')).trim();
    out.summary = (await page.textContent('.summary')).trim();
    out.first = (await page.textContent('#top tbody tr td.fn')).trim();
    out.rows = await page.$$eval('#top tbody tr', (r) => r.length);
    await page.screenshot({ path: `${prefix}-top.png`, fullPage: true });

    // Another sample type: the page says so and the table follows.
    await page.selectOption('#si', other);
    await page.waitForFunction((o) => document.querySelector('.summary') &&
      document.querySelector('.summary').textContent.includes(o), other, { timeout: 20000 });
    out.other_summary = (await page.textContent('.summary')).trim();
    await page.selectOption('#si', { index: 0 });

    // A focus: every view keeps only the stacks through FUNCTION.
    await page.fill('#focus', fn);
    await page.dispatchEvent('#focus', 'change');
    await page.waitForFunction(() => location.hash.includes('focus='), null, { timeout: 10000 });
    await page.waitForSelector('#top tbody tr td.fn', { timeout: 20000 });
    out.focused_rows = await page.$$eval('#top tbody tr', (r) => r.length);

    // The call graph: nodes are links; a click opens the function's peek.
    await page.click('nav a[data-view="graph"]');
    await page.waitForSelector('#view svg g.node', { timeout: 30000 });
    out.graph_nodes = await page.$$eval('#view svg g.node', (n) => n.length);
    await page.screenshot({ path: `${prefix}-graph.png`, fullPage: true });
    const node = await page.$(`#view svg g.node a[*|title="${fn}"], #view svg g.node a[title="${fn}"]`);
    if (node) {
      await node.click();
    } else {
      await page.evaluate((f) => { location.hash = 'view=peek&fn=' + encodeURIComponent(f); }, fn);
    }
    await page.waitForFunction(() => location.hash.includes('view=peek'), null, { timeout: 10000 });
    await page.waitForFunction(() => { const p = document.querySelector('#view pre'); return p && p.textContent.includes('|'); }, null, { timeout: 20000 });
    out.peek = await page.textContent('#view pre');
    out.clicked_node = !!node;
    await page.screenshot({ path: `${prefix}-peek.png`, fullPage: true });

    // The source of the function, line by line.
    await page.click('nav a[data-view="source"]');
    await page.waitForFunction(() => { const p = document.querySelector('#view pre'); return p && p.textContent.includes('ROUTINE'); }, null, { timeout: 20000 });
    out.source = await page.textContent('#view pre');
    await page.screenshot({ path: `${prefix}-source.png`, fullPage: true });

    // Flame and icicle graphs: each a document of its own.
    for (const v of ['flame', 'icicle']) {
      await page.click(`nav a[data-view="${v}"]`);
      await page.waitForSelector('#view object', { timeout: 10000 });
      const data = await page.getAttribute('#view object', 'data');
      out[v] = await page.evaluate(async (d) => { const r = await fetch(d); const t = await r.text(); return r.status + ' ' + (t.includes('<svg') ? 'svg' : t.slice(0, 80)); }, data);
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${prefix}-${v}.png`, fullPage: true });
    }
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
