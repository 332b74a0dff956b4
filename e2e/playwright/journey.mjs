// The citizen's whole journey in Chromium, driven by Playwright. Run by
// e2e/playwright_test.go (TestPlaywrightJourney), which starts the real
// server, a real SMTP server and a control endpoint, and passes the
// configuration as JSON on standard input. This script does what people do
// in a browser and asserts what they see; it prints progress lines and, at
// the end, one "RESULT {json}" line for the Go side's database checks.
//
// playwright-core (no bundled browsers) drives Debian's /usr/bin/chromium
// through chromium.launch({executablePath}); 1.65.1, the newest, works with
// Debian 12's Chromium 156 and needs Node.js 20 or newer.
// scripts/install-deps.sh --test installs it into e2e/node_modules.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(await new Promise((resolve, reject) => {
  let s = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => resolve(s));
  process.stdin.on('error', reject);
}));

const t0 = Date.now();
function log(...a) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`, ...a);
}

class JourneyError extends Error {}
function check(ok, msg) {
  if (!ok) {
    throw new JourneyError(msg);
  }
}

// poll calls f until it returns a truthy value or the deadline passes; the
// last non-empty detail it gave explains a timeout.
async function poll(what, timeoutMs, f) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const [done, detail] = await f();
    if (done) {
      return done;
    }
    if (detail) {
      last = detail;
    }
    if (Date.now() > deadline) {
      throw new JourneyError(`${what}: not reached within ${timeoutMs / 1000}s; last: ${last}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

const pages = new Map(); // name → {page, console: []}
function watch(name, page) {
  const lines = [];
  pages.set(name, { page, lines });
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return page;
}

// diagnose prints each open page's address, text and console, and keeps a
// screenshot in /tmp for a failed run.
async function diagnose() {
  let dir = '';
  try {
    dir = mkdtempSync('/tmp/nahbar-playwright-');
  } catch { /* no screenshots then */ }
  for (const [name, { page, lines }] of pages) {
    if (page.isClosed()) {
      continue;
    }
    console.log(`--- page ${name}: ${page.url()}`);
    try {
      const text = await page.evaluate(() => document.body ? document.body.innerText.slice(0, 1500) : '');
      console.log(text.replace(/\n+/g, ' | '));
      if (dir) {
        const path = join(dir, `${name}.png`);
        await page.screenshot({ path, fullPage: true, timeout: 5000 });
        console.log(`screenshot: ${path}`);
      }
    } catch (e) {
      console.log(`(cannot read the page: ${e.message})`);
    }
    console.log('console:\n  ' + lines.slice(-30).join('\n  '));
  }
}

const base = cfg.base;
const browsers = [];

// launch starts one Chromium with its own fake camera and microphone files
// (the flags of shared/BROWSER-TESTING.md); a participant per browser
// process, because the capture files apply to the whole process.
async function launch(media) {
  const b = await chromium.launch({
    executablePath: cfg.chromium,
    timeout: 60_000,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${media.video}`,
      `--use-file-for-fake-audio-capture=${media.audio}`,
      '--autoplay-policy=no-user-gesture-required',
      // The server is on the namespace's address over plain http; let the
      // pages use camera and microphone there.
      `--unsafely-treat-insecure-origin-as-secure=${base}`,
    ],
  });
  browsers.push(b);
  return b;
}

async function newPage(browser, name, locale) {
  const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(20_000);
  return watch(name, await ctx.newPage());
}

async function htmlLangDir(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir || 'ltr',
    direction: getComputedStyle(document.body).direction,
  }));
}

// book walks the booking pages as a citizen: choose type, topic and the
// conversation language, pick a free day and a time, fill in the form,
// confirm. It returns the chosen slot (Unix seconds) and the confirmation's
// join link.
async function book(page, who, opts) {
  const exp = cfg.expect[who.lang];
  await page.goto(`${base}/b/${cfg.slug}?lang=${who.lang}`);
  const ld = await htmlLangDir(page);
  check(ld.lang === who.lang && ld.dir === exp.dir && ld.direction === exp.dir,
    `${who.lang} booking page: lang/dir/direction ${JSON.stringify(ld)}, want ${who.lang}/${exp.dir}`);
  await page.selectOption('#type', String(cfg.typeId));
  await page.selectOption('#topic', cfg.topic);
  await page.selectOption('#lang_conv', who.lang);
  await page.click('#show');
  await page.waitForSelector('#grid');
  // next goes to the next month and waits until that page is there (the
  // current one has a #grid too).
  const next = async () => {
    const href = new URL(await page.getAttribute('#next', 'href'), base).href;
    await Promise.all([page.waitForURL(href), page.click('#next')]);
    await page.waitForSelector('#grid');
  };
  if (opts.nextMonth) {
    await next();
  }
  // The current month may have no free day left (its last evening).
  for (let i = 0; i < 2 && await page.locator('#grid a.day.free').count() === 0; i++) {
    await next();
  }
  check(await page.locator('#grid a.day.free').count() > 0, `${who.lang}: no free day in the calendar`);
  await page.locator('#grid a.day.free').first().click();
  await page.waitForSelector('#day a.slot');
  const slots = page.locator('#day a.slot');
  const slot = opts.lastTime ? slots.last() : slots.first();
  const href = await slot.getAttribute('href');
  const start = Number(new URL(href, base).searchParams.get('start'));
  check(start > Date.now() / 1000, `${who.lang}: chosen slot ${href} is not in the future`);
  const label = await slot.getAttribute('aria-label');
  await slot.click();
  await page.waitForSelector('#book');
  check(await page.inputValue('#language') === who.lang, `${who.lang}: the form's language is not preselected`);
  await page.fill('#name', who.name);
  await page.fill('#email', who.email);
  await page.check('#consent');
  await page.click('#confirm');
  await page.waitForSelector('#done');
  const title = (await page.textContent('#done')).trim();
  check(title === exp.booked, `${who.lang} confirmation says ${JSON.stringify(title)}, want ${JSON.stringify(exp.booked)}`);
  const mailed = (await page.locator('#done ~ p[role="status"]').allTextContents()).map((x) => x.trim());
  check(mailed.length === 1 && mailed[0] === exp.mailed,
    `${who.lang} confirmation says ${JSON.stringify(mailed)} about the e-mail, want ${JSON.stringify(exp.mailed)}`);
  const invite = await page.getAttribute('#invite-link', 'href');
  const ld2 = await htmlLangDir(page);
  check(ld2.dir === exp.dir, `${who.lang} confirmation page direction ${JSON.stringify(ld2)}`);
  log(`${who.lang}: booked ${label} (${new Date(start * 1000).toISOString()}), page ${ld.lang}/${ld.dir}`);
  return { start, invite };
}

// mailTo fetches the e-mail to addr from the test's SMTP server, already
// taken apart by the Go side (MIME walked, .ics parsed with golang-ical).
async function mailTo(addr) {
  return poll(`e-mail to ${addr}`, 20_000, async () => {
    const r = await fetch(`${cfg.control}/mail?to=${encodeURIComponent(addr)}`);
    if (r.status === 200) {
      return [await r.json()];
    }
    return [null, `${r.status} ${(await r.text()).trim()}`];
  });
}

// checkMail asserts the invitation: text and HTML parts, the calendar
// alternative and the invite.ics attachment whose DTSTART is the booked
// slot, the same join link as the confirmation page; its HTML is rendered
// in Chromium to see the language, direction and the link as a reader does.
async function checkMail(browser, who, booking) {
  const m = await mailTo(who.email);
  const exp = cfg.expect[who.lang];
  for (const part of ['text/plain', 'text/html', 'text/calendar']) {
    check(m.structure.includes(part), `${who.lang} e-mail lacks ${part}: ${m.structure}`);
  }
  check(m.attachments.includes('invite.ics'), `${who.lang} e-mail has no invite.ics: ${m.attachments}`);
  check(m.ics.start === booking.start,
    `${who.lang} .ics DTSTART ${new Date(m.ics.start * 1000).toISOString()} is not the booked slot ${new Date(booking.start * 1000).toISOString()}`);
  check(m.ics.end > m.ics.start && m.ics.method === 'REQUEST' && m.ics.uid && m.ics.summary,
    `${who.lang} .ics: ${JSON.stringify(m.ics)}`);
  check(m.joinLinks.length > 0 && m.joinLinks.every((l) => l === booking.invite),
    `${who.lang} e-mail's text links ${m.joinLinks} are not the confirmation's ${booking.invite}`);
  check(m.ics.url === booking.invite, `${who.lang} .ics URL ${m.ics.url}, want ${booking.invite}`);
  const page = await newPage(browser, `mail-${who.lang}`, who.lang);
  await page.setContent(m.html);
  const ld = await htmlLangDir(page);
  check(ld.lang === who.lang && ld.dir === exp.dir, `${who.lang} e-mail HTML: lang/dir ${JSON.stringify(ld)}`);
  const links = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  check(links.includes(booking.invite), `${who.lang} e-mail HTML has no link to ${booking.invite}: ${links}`);
  await page.context().close();
  log(`${who.lang}: e-mail "${m.subject}" (${m.language}, ${ld.dir}) with text, HTML and invite.ics; DTSTART = booked slot`);
  return m;
}

// remoteVideo reports what a call page receives: decoded frames, the
// picture's size, and whether a layout cell shows the other's colour.
async function remoteVideo(page, rgb) {
  return page.evaluate(async (want) => {
    const n = window.nahbar;
    if (!n || !n.pc) {
      return { ok: false, detail: 'no call' };
    }
    let frames = 0;
    (await n.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        frames = Math.max(frames, r.framesDecoded || 0);
      }
    });
    const v = document.getElementById('remote');
    const w = v.videoWidth, h = v.videoHeight;
    let seen = [];
    if (w && h && n.layout) {
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(v, 0, 0, w, h);
      for (const cell of n.layout.cells) {
        const cx = (cell.x + cell.w / 2) * w, cy = (cell.y + cell.h / 2) * h;
        const s = Math.max(2, Math.min(cell.w * w, cell.h * h) / 4);
        const d = g.getImageData(cx - s / 2, cy - s / 2, s, s).data;
        const m = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4) {
          m[0] += d[i]; m[1] += d[i + 1]; m[2] += d[i + 2];
        }
        seen.push(m.map((x) => Math.round(x / (d.length / 4))));
      }
    }
    const close = seen.some((m) => m.every((x, i) => Math.abs(x - want[i]) <= 40));
    return {
      ok: frames > 10 && w > 0 && h > 0 && close,
      detail: `state ${n.state}, ${n.roster.length} in roster, ${frames} frames decoded, ${w}x${h}, cells ${JSON.stringify(seen)}, want ${want}`,
    };
  }, rgb);
}

let result;
try {
  const [citizenBrowser, advisorBrowser] = await Promise.all([launch(cfg.media.citizen), launch(cfg.media.advisor)]);
  log(`Chromium ${citizenBrowser.version()} launched twice (citizen, advisor)`);
  const de = cfg.citizens.de, ar = cfg.citizens.ar;

  // 1. Two bookings: German, and Arabic (right to left) in another month so
  // the slots differ.
  const bookDe = await book(await newPage(citizenBrowser, 'book-de', 'de-DE'), de, { nextMonth: false, lastTime: false });
  const bookAr = await book(await newPage(citizenBrowser, 'book-ar', 'ar'), ar, { nextMonth: true, lastTime: true });
  check(bookDe.start !== bookAr.start, 'both citizens got the same slot');

  // 2. Both invitations arrive at the SMTP server.
  await checkMail(citizenBrowser, de, bookDe);
  await checkMail(citizenBrowser, ar, bookAr);

  // 3. The German citizen opens the link from the e-mail; every click to
  // the waiting room is counted here and, as trusted click events, by the
  // pages themselves (sessionStorage survives the navigations of the tab).
  const citizen = await newPage(citizenBrowser, 'citizen', 'de-DE');
  await citizen.context().addInitScript(() => {
    document.addEventListener('click', (e) => {
      if (e.isTrusted) {
        sessionStorage.setItem('clicks', String(Number(sessionStorage.getItem('clicks') || 0) + 1));
      }
    }, true);
  });
  let clicks = 0;
  const click = async (sel) => {
    await citizen.click(sel);
    clicks++;
  };
  await citizen.goto(bookDe.invite);
  const ld = await htmlLangDir(citizen);
  check(ld.lang === 'de', `invitation page language ${JSON.stringify(ld)}, want de`);
  await click('#start');
  const device = await poll('device check', 40_000, async () => {
    const s = await citizen.evaluate(() => {
      const c = document.getElementById('check');
      if (!c) {
        return null;
      }
      const r = (id) => document.getElementById(id).dataset.result;
      return { done: c.dataset.done === 'true', browser: r('browser-result'), camera: r('camera-result'),
        mic: r('mic-result'), conn: r('conn-result'), figures: document.getElementById('conn-figures').textContent };
    });
    return [s && s.done && s, JSON.stringify(s)];
  });
  check(device.browser === 'ok' && device.camera === 'ok' && device.mic === 'ok',
    `device check did not pass: ${JSON.stringify(device)}`);
  log(`device check passed: browser, camera and microphone ok; connection ${device.conn}: ${device.figures}`);
  await click('#continue');
  await citizen.waitForURL(/\/wait/);
  await citizen.waitForSelector('#recording-notice');
  const notice = (await citizen.textContent('#rec-title')).trim();
  check(notice === cfg.expect.de.recording, `waiting room's recording notice ${JSON.stringify(notice)}, want ${JSON.stringify(cfg.expect.de.recording)}`);
  const seenClicks = Number(await citizen.evaluate(() => sessionStorage.getItem('clicks')));
  log(`waiting room reached with ${clicks} clicks (the pages counted ${seenClicks}); notice: ${notice}`);
  check(seenClicks === clicks, `the pages counted ${seenClicks} clicks, the script ${clicks}`);
  check(clicks <= cfg.maxClicks, `${clicks} clicks from the e-mail's link to the waiting room, want at most ${cfg.maxClicks}`);

  // 4. The advisor logs in, sees the citizen waiting, enters the call and admits.
  const consolePage = await newPage(advisorBrowser, 'console', 'de-DE');
  await consolePage.goto(`${base}/console/login`);
  await consolePage.fill('#email', cfg.advisor.email);
  await consolePage.fill('#password', cfg.advisor.password);
  await consolePage.press('#password', 'Enter');
  await consolePage.waitForSelector('section.appt');
  // The booked slot may fall on tomorrow (the test runs at any hour).
  const appt = consolePage.locator('section.appt', { hasText: de.name });
  for (let i = 0; i < 2 && await appt.count() === 0; i++) {
    const next = await consolePage.getAttribute('a[rel="next"]', 'href');
    await Promise.all([consolePage.waitForURL((u) => u.href.endsWith(next)), consolePage.click('a[rel="next"]')]);
    await consolePage.waitForSelector('nav.days');
    log(`console: the appointment is not today, went to ${next}`);
  }
  check(await appt.count() === 1, `the console shows no appointment of ${de.name}`);
  const admit = appt.locator('button[data-act="admit"]');
  await admit.waitFor({ timeout: 20_000 });
  const waiting = (await appt.locator('.lobby').innerText()).replace(/\s+/g, ' ');
  check(waiting.includes(de.name), `the console's waiting list ${JSON.stringify(waiting)} lacks ${de.name}`);
  log(`console: ${waiting}`);
  const [callPage] = await Promise.all([
    consolePage.context().waitForEvent('page'),
    appt.locator('form[action$="/enter"] button').click(),
  ]);
  watch('advisor-call', callPage);
  await callPage.waitForSelector('#join:not([disabled])', { timeout: 30_000 });
  await callPage.click('#join');
  await poll('advisor in the call', 30_000, async () => {
    const s = await callPage.evaluate(() => window.nahbar && window.nahbar.state);
    return [s === 'connected', s];
  });
  await admit.click();
  log('advisor entered the call and admitted the citizen');

  // 5. Both are in the call and each receives the other's picture.
  await citizen.waitForURL(/\/call/, { timeout: 30_000 });
  await Promise.all([
    poll("citizen receives the advisor's picture", 40_000, async () => {
      const r = await remoteVideo(citizen, cfg.media.advisor.rgb);
      return [r.ok && r.detail, r.detail];
    }).then((d) => log(`citizen: ${d}`)),
    poll("advisor receives the citizen's picture", 40_000, async () => {
      const r = await remoteVideo(callPage, cfg.media.citizen.rgb);
      return [r.ok && r.detail, r.detail];
    }).then((d) => log(`advisor: ${d}`)),
  ]);

  // 6. The citizen leaves and answers the survey.
  await citizen.click('#leave');
  await citizen.waitForSelector('#survey', { timeout: 20_000 });
  const surveyTitle = (await citizen.textContent('h1')).trim();
  check(surveyTitle === cfg.expect.de.survey, `survey page title ${JSON.stringify(surveyTitle)}`);
  const answers = { easy: 'yes', recommend: 'yes', next: 'unsure' };
  for (const [q, a] of Object.entries(answers)) {
    await citizen.check(`input[name="${q}"][value="${a}"]`);
  }
  const comment = 'Sehr einfach, danke.';
  await citizen.fill('#comment', comment);
  await citizen.click('#submit');
  await citizen.waitForSelector('#thanks');
  const thanks = (await citizen.textContent('#thanks')).trim();
  check(thanks === cfg.expect.de.thanks, `thank-you page says ${JSON.stringify(thanks)}, want ${JSON.stringify(cfg.expect.de.thanks)}`);
  log(`survey answered ${JSON.stringify(answers)} + free text; thank-you page shown`);

  result = { clicks, comment, answers, joinLinks: [bookDe.invite, bookAr.invite] };
} catch (e) {
  console.log(`FAIL: ${e instanceof JourneyError ? e.message : e.stack}`);
  await diagnose();
  process.exitCode = 1;
} finally {
  await Promise.all(browsers.map((b) => b.close().catch(() => {})));
}
if (result) {
  console.log('RESULT ' + JSON.stringify(result));
}
