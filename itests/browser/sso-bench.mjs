// Figures of single sign-on and login, for bench/sso.sh (not a test). In one run, against a running demo
// federation (./edufed demo):
//   sso_ms          with a province session: from opening <school>/saml/sp/login until the school console
//                   has loaded (AuthnRequest, IdP answer, auto-POST, ACS, console page) — median and p90
//   journey_ms      the whole journey in a fresh browser: log in at the province console, then the above
//   local_ms        baseline: log in at the school console with a local account (form, console page)
//   logins_cold_per_s  API logins at the school of accounts never seen before (one Argon2id verification each),
//                   CONCURRENCY at a time
//   logins_warm_per_s  the same accounts again within the minute their verification is remembered
// Environment: PROVINCE, SCHOOL, PROVINCE_PASSWORD, SCHOOL_PASSWORD (admin), N (20), USERS (40), CONCURRENCY (4).
import { chromium } from 'playwright-core';

const env = process.env;
const N = Number(env.N || 20);
const USERS = Number(env.USERS || 40);
const CONCURRENCY = Number(env.CONCURRENCY || 4);
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: Math.round(at(0.5) * 10) / 10, p90: Math.round(at(0.9) * 10) / 10 };
};

async function login(page, base, user, password) {
  await page.goto(`${base}/console/login`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/console/`), page.click('button[type=submit]')]);
}

const sso = [];
const journey = [];
const local = [];
for (let i = 0; i < N + 2; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const t0 = performance.now();
  await login(page, env.PROVINCE, 'admin', env.PROVINCE_PASSWORD);
  const t1 = performance.now();
  await page.goto(`${env.SCHOOL}/saml/sp/login`);
  await page.waitForURL(`${env.SCHOOL}/console/`);
  await page.waitForLoadState('load');
  const t2 = performance.now();
  await context.close();
  const baseline = await browser.newContext();
  const p2 = await baseline.newPage();
  p2.setDefaultTimeout(30000);
  const t3 = performance.now();
  await login(p2, env.SCHOOL, 'admin', env.SCHOOL_PASSWORD);
  await p2.waitForLoadState('load');
  const t4 = performance.now();
  await baseline.close();
  if (i >= 2) { // two warm-up rounds
    sso.push(t2 - t1);
    journey.push(t2 - t0);
    local.push(t4 - t3);
  }
}
await browser.close();

// login throughput at the school: accounts created for the run, each logging in through the API
const auth = (u, p) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
const run = Date.now().toString(36);
const users = [];
for (let i = 0; i < USERS; i++) {
  const username = `bench-${run}-${i}`;
  const r = await fetch(`${env.SCHOOL}/api/v1/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: auth('admin', env.SCHOOL_PASSWORD) },
    body: JSON.stringify({ username, displayName: `压测 ${i}`, roles: ['viewer'] }),
  });
  if (r.status !== 201) throw new Error(`account ${username}: ${r.status} ${await r.text()}`);
  users.push({ username, password: (await r.json()).oneTimePassword });
}
async function logins(list) {
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < list.length) {
      const u = list[next++];
      const r = await fetch(`${env.SCHOOL}/api/v1/account`, { headers: { Authorization: auth(u.username, u.password) } });
      await r.arrayBuffer();
      if (r.status !== 200) failed++;
    }
  }));
  const s = (performance.now() - t0) / 1000;
  if (failed) throw new Error(`${failed} logins failed`);
  return Math.round(list.length / s * 10) / 10;
}
const cold = await logins(users);
const warm = await logins(Array.from({ length: 10 }, () => users).flat());

const out = {
  sso_ms: stats(sso).median, sso_p90_ms: stats(sso).p90,
  journey_ms: stats(journey).median,
  local_ms: stats(local).median, local_p90_ms: stats(local).p90,
  sso_vs_local: Math.round(stats(sso).median / stats(local).median * 100) / 100,
  logins_cold_per_s: cold, logins_warm_per_s: warm,
  n: N, users: USERS, concurrency: CONCURRENCY,
};
console.log(JSON.stringify(out));
