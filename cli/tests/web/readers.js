// Opens one of our profiles with two other readers of pprof: npm's
// pprof-format (decodes it: sample types, function names) and speedscope
// (imports it in headless Chromium; its Sandwich view lists the
// functions). Usage: node readers.js PROFILE FUNCTION SCREENSHOT.png
const { Profile } = require('pprof-format');
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

(async () => {
  const [file, fn, shot] = process.argv.slice(2);
  const out = {};
  const p = Profile.decode(zlib.gunzipSync(fs.readFileSync(file)));
  const str = (i) => p.stringTable.strings[Number(i)];
  out.types = p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`);
  out.default = str(p.defaultSampleType);
  out.samples = p.sample.length;
  out.pprof_format_has_fn = p.function.some((f) => str(f.name) === fn);

  const index = path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist/release/index.html');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // speedscope draws with WebGL: software rendering (SwiftShader), which
    // Chromium 130 and later no longer fall back to by themselves (with
    // --disable-gpu, Chromium 148 gives "Failed to create WebGL context").
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const log = [];
    page.on('console', (m) => log.push(m.text()));
    await page.goto(`file://${index}`);
    await page.waitForSelector('input[type=file]', { state: 'attached', timeout: 20000 });
    await page.setInputFiles('input[type=file]', file);
    await page.waitForFunction(() => document.body.textContent.includes('Sandwich'), null, { timeout: 20000 });
    await page.click('text=Sandwich');
    await page.waitForFunction((f) => document.body.textContent.includes(f), fn, { timeout: 20000 });
    out.speedscope_has_fn = true;
    out.speedscope_import = log.find((l) => l.includes('Importing as')) || '';
    await page.screenshot({ path: shot });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
