// A school clerk registers a student for the exam in a real browser (Playwright driving Debian's Chromium,
// headless): log in at the school console, open 中考报名, fill in the student and the preferences chosen from the
// county's plans, submit, see the registration in the school's list.
// Environment: SCHOOL (base URL), USER, PASSWORD, NAME, ID_NUMBER, OUT (directory for screenshots).
// Exit status 0 when the registration shows in the list; otherwise 1 with the reason on stderr.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const { SCHOOL, USER, PASSWORD, NAME, ID_NUMBER, OUT } = process.env;
mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = null;
try {
  const page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${SCHOOL}/console/login`);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${SCHOOL}/console/`), page.click('button[type=submit]')]);

  await page.goto(`${SCHOOL}/console/exam`);
  await page.waitForSelector('#exam-register');
  await page.fill('#exam-name', NAME);
  await page.fill('#exam-idNumber', ID_NUMBER);
  await page.fill('#exam-guardianPhone', '13912345678');
  // first batch: two choices from the county's plans, in order; second batch: one
  await page.selectOption('#pref_1_1', { index: 1 });
  await page.selectOption('#pref_1_2', { index: 2 });
  await page.selectOption('#pref_2_1', { index: 1 });
  await page.screenshot({ path: `${OUT}/1-exam-form-filled.png`, fullPage: true });
  await Promise.all([page.waitForLoadState('load'), page.click('#exam-submit')]);
  await page.waitForSelector('#exam-message');
  const message = await page.textContent('#exam-message');
  const list = await page.textContent('#exam-registrations');
  await page.screenshot({ path: `${OUT}/2-exam-registered.png`, fullPage: true });
  if (!message.includes(NAME) || !list.includes(NAME)) {
    failed = `the registration of ${NAME} is not confirmed: ${message} / ${list.slice(0, 300)}`;
  } else if (list.includes(ID_NUMBER)) {
    failed = 'the list shows the full ID number';
  }
} catch (e) {
  failed = String(e && e.stack || e);
} finally {
  await browser.close();
}
if (failed) {
  console.error(failed);
  process.exit(1);
}
console.log(`exam registration in the browser: ${NAME} registered and listed (ID number masked)`);
