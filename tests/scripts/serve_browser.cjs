// SPDX-License-Identifier: MIT
// serve_browser.cjs - drives Debian's headless chromium through
// playwright-core against a running `flowzap serve` (tests/scripts/
// test_serve_browser.sh starts it and passes its address). Opens the runs
// page, starts `flowzap run` in another process, follows the run page as
// its nodes change colour, clicks Approve at the gate, sees the run
// complete; then edits a watched workflow and sees the picture change in
// place (no reload), and keep the last good picture when the text breaks.
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const env = process.env;
const url = env.SERVE_URL;
const out = env.OUT;
const work = env.WORK;
const log = (...a) => console.log(...a);
let current = null;

async function nodeClass(page, id) {
  return page.evaluate((id) => {
    const g = document.querySelector('#diagram svg g.node[id="' + id + '"]');
    return g ? g.getAttribute('class') : null;
  }, id);
}

// page.waitForFunction evaluates strings, which the page's CSP forbids
// (as it should): poll with page.evaluate instead.
async function until(page, fn, arg, ms, what) {
  const end = Date.now() + (ms || 20000);
  for (;;) {
    try {
      if (await page.evaluate(fn, arg)) return;
    } catch (e) { /* the page is navigating */ }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitClass(page, id, cls, ms) {
  await until(page, ([id, cls]) => {
    const g = document.querySelector('#diagram svg g.node[id="' + id + '"]');
    return !!g && g.classList.contains(cls);
  }, [id, cls], ms, id + ' ' + cls);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  current = page;
  const problems = [];
  // Any error is a failure (a CSP violation, a script error), except the
  // browser's own request for /favicon.ico, which the server does not serve.
  page.on('console', (m) => {
    const where = (m.location() && m.location().url) || '';
    if (m.type() === 'error' && !/\/favicon\.ico$/.test(where))
      problems.push('console: ' + m.text() + ' (' + where + ')');
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));

  // 1. The runs page, empty, then live: a run started elsewhere appears.
  await page.goto(url);
  await page.waitForSelector('#live:has-text("live")', { timeout: 10000 });
  await page.evaluate(() => { window.fzMarker = 'same page'; });
  const run = spawn(env.FLOWZAP, ['run', path.join(work, 'release.fz'), '--bindings',
    path.join(work, 'release.yaml'), '--db', env.DB], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let runOut = '';
  run.stdout.on('data', (d) => { runOut += d; });
  run.stderr.on('data', (d) => { runOut += d; });
  const runDone = new Promise((res) => run.on('exit', (code) => res(code)));
  await page.waitForSelector('#runs-body a[href="/run/1"]', { timeout: 20000 });
  if (await page.evaluate(() => window.fzMarker) !== 'same page')
    throw new Error('the runs page reloaded instead of updating');
  await page.screenshot({ path: path.join(out, 'serve-runs.png'), fullPage: true });
  log('runs page: run 1 appeared live');

  // 2. The run page: nodes change colour as steps finish.
  await page.click('#runs-body a[href="/run/1"]');
  await page.waitForSelector('#diagram svg');
  // Build and Test sleep 3 s each: the page sees Test running, then done.
  await waitClass(page, 'n3', 'st-running');
  const seen = ['n3 running (n2 ' + (await nodeClass(page, 'n2')).match(/st-\w+/)[0] + ')'];
  await page.evaluate(() => { window.fzMarker = 'run page'; });
  await page.screenshot({ path: path.join(out, 'serve-run-running.png'), fullPage: true });
  await waitClass(page, 'n3', 'st-done');
  await waitClass(page, 'n4', 'st-waiting');
  seen.push('n3 done', 'n4 waiting');
  const approve = await page.waitForSelector('button.approve', { timeout: 10000 });
  if (await page.evaluate(() => window.fzMarker) !== 'run page')
    throw new Error('the run page reloaded instead of updating');
  await page.screenshot({ path: path.join(out, 'serve-run-waiting.png'), fullPage: true });
  log('run page: ' + seen.join(', '));

  // 3. Approve: the gate's answer is recorded, the run completes.
  await approve.click();
  await until(page, () => {
    const s = document.getElementById('run-state');
    return !!s && s.textContent === 'completed';
  }, null, 30000, 'the run to complete');
  await waitClass(page, 'n5', 'st-done');
  await waitClass(page, 'n7', 'st-done');
  const n6 = await nodeClass(page, 'n6');
  if (!/st-none/.test(n6)) throw new Error('n6 (not taken) is painted: ' + n6);
  const taken = await page.evaluate(() => document.querySelectorAll('#diagram g.edge.taken').length);
  if (taken < 5) throw new Error('only ' + taken + ' edges drawn as taken');
  const answers = await page.textContent('#signals');
  if (!/yes at n4/.test(answers) || !/session/.test(answers))
    throw new Error('the answer is not listed with who gave it: ' + answers);
  await page.screenshot({ path: path.join(out, 'serve-run.png'), fullPage: true });
  const code = await runDone;
  if (code !== 0) throw new Error('flowzap run exited ' + code + ':\n' + runOut);
  log('approved: run completed (flowzap run exit 0), ' + taken + ' edges taken');

  // 4. A watched workflow: redrawn in place on save; errors keep the picture.
  await page.goto(new URL('/wf/1', url).toString());
  await page.waitForSelector('#live:has-text("live")', { timeout: 10000 });
  await page.evaluate(() => { window.fzMarker = 'wf page'; });
  const count = () => page.evaluate(() => document.querySelectorAll('#diagram svg g.node').length);
  const before = await count();
  await page.screenshot({ path: path.join(out, 'serve-watch-before.png'), fullPage: true });
  const edit = path.join(work, 'edit.fz');
  fs.writeFileSync(edit, fs.readFileSync(edit, 'utf8').replace('n2.handle(right) -> n3.handle(left)',
    'n2.handle(right) -> n4.handle(left)\nn4: rectangle label:"Added on save"\n' +
    'n4.handle(right) -> n3.handle(left)'));
  await until(page, (n) =>
    document.querySelectorAll('#diagram svg g.node').length === n + 1, before, 10000,
  'the picture to gain a node');
  await page.waitForSelector('#diagram text:has-text("Added on save")');
  await page.screenshot({ path: path.join(out, 'serve-watch.png'), fullPage: true });
  fs.writeFileSync(edit, 'Broken { # oops\nn1: circle label:"Start"\nn1.handle(right) -> \n');
  await page.waitForSelector('#diags li.error', { timeout: 10000 });
  if (await count() !== before + 1) throw new Error('the last good picture was not kept');
  if (await page.evaluate(() => window.fzMarker) !== 'wf page')
    throw new Error('the workflow page reloaded');
  await page.screenshot({ path: path.join(out, 'serve-watch-error.png'), fullPage: true });
  log('watch: ' + before + ' -> ' + (before + 1) + ' nodes in place; errors shown, picture kept');

  // 5. The simulation report: heat map, outcomes, durations, paths.
  await page.goto(new URL('/sim', url).toString());
  await page.waitForSelector('#diagram svg g.node');
  await page.waitForSelector('svg.histogram rect');
  const rows = await page.evaluate(() => document.querySelectorAll('table.outcomes tbody tr').length);
  if (rows < 2) throw new Error('the report page lists ' + rows + ' outcomes');
  await page.screenshot({ path: path.join(out, 'serve-sim.png'), fullPage: true });
  log('sim report: heat map, ' + rows + ' outcomes, histogram');

  await browser.close();
  if (problems.length) throw new Error(problems.join('\n'));
})().catch(async (e) => {
  console.error('FAIL: ' + (e && e.stack || e));
  if (current) {
    try {
      fs.writeFileSync(path.join(out, 'failed.html'), await current.content());
      await current.screenshot({ path: path.join(out, 'failed.png'), fullPage: true });
    } catch (e2) { /* the page is gone */ }
  }
  process.exit(1);
});
