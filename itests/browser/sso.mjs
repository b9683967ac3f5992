// The SSO journey in a real browser (Playwright driving Debian's Chromium, headless): log in at the province
// console, open the school console, choose single sign-on, land logged in without typing a password again.
// Environment: PROVINCE, SCHOOL (base URLs), SSO_USER, SSO_PASSWORD, OUT (directory for screenshots).
// Exit status 0 when the journey succeeds; otherwise 1 with the reason on stderr.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const { PROVINCE, SCHOOL, SSO_USER, SSO_PASSWORD, OUT } = process.env;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = null;
try {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  page.setDefaultTimeout(20000);

  await page.goto(`${PROVINCE}/console/login`);
  await page.fill('#username', SSO_USER);
  await page.fill('#password', SSO_PASSWORD);
  await Promise.all([page.waitForURL(`${PROVINCE}/console/`), page.click('button[type=submit]')]);
  await page.screenshot({ path: `${OUT}/1-province-console.png`, fullPage: true });

  // a browser without a province session: the school tries the province quietly, then shows its own login
  // page with the single sign-on link
  const stranger = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  stranger.setDefaultTimeout(20000);
  await stranger.goto(`${SCHOOL}/console/`);
  await stranger.waitForURL(`${SCHOOL}/console/login`);
  if (!(await stranger.isVisible('#sso-login'))) {
    throw new Error('the school login page offers no single sign-on');
  }
  await stranger.screenshot({ path: `${OUT}/2-school-login-without-province-session.png`, fullPage: true });

  // logged in at the province: opening the school console lands logged in (passive request, the IdP's
  // self-submitting form, the ACS), no second login
  await page.goto(`${SCHOOL}/console/`);
  await page.waitForURL(`${SCHOOL}/console/`);
  const text = await page.textContent('body');
  await page.screenshot({ path: `${OUT}/3-school-console.png`, fullPage: true });
  const expected = `${SSO_USER}@`;
  if (!text.includes(expected)) {
    failed = `the school console does not show ${expected}…: ${text.slice(0, 300)}`;
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
console.log('SSO journey: province login, school console opened through single sign-on');
