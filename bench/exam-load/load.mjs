// Load client of bench/exam-load.sh: POSTs registrations (each with a fresh, valid GB 11643 ID number and a
// unique Chinese name) to a school node's /api/v1/exam/registrations with autocannon, and writes the ids of
// the acknowledged (201) ones, one a line, for the durability check; the status and body of the first few other
// answers to <result-file>.refused.0, and in the result the first index not used ("next").
//   node load.mjs <base-url> <password> <connections> <seconds> <first-index> <acked-file> <result-file>
import autocannon from 'autocannon';
import { appendFileSync, writeFileSync } from 'node:fs';

const [base, password, connections, seconds, first, ackedFile, resultFile] = process.argv.slice(2);
const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const HAN = '甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土日月山川风云雨雪春夏秋冬松竹梅兰';
const DAY0 = Date.UTC(2010, 8, 1); // eligibility from 2010-09-01 for 1,095 days
// districts of Sichuan (GB/T 2260): 20 x 1,095 days x 1,000 sequences = 21,900,000 distinct ID numbers (the
// demo's own student is from 510185, not one of them)
const REGIONS = ['510104', '510105', '510106', '510107', '510108', '510112', '510113', '510114', '510115', '510116',
  '510117', '510118', '510121', '510129', '510131', '510132', '510181', '510182', '510183', '510184'];
const auth = 'Basic ' + Buffer.from('admin:' + password).toString('base64');

/** Registration number i: a district, a birth day and a sequence unique to i. */
function idNumber(i) {
  const d = new Date(DAY0 + (i % 1095) * 86400000);
  const seq = String(Math.floor(i / 1095) % 1000).padStart(3, '0');
  const birth = d.getUTCFullYear() + String(d.getUTCMonth() + 1).padStart(2, '0') + String(d.getUTCDate()).padStart(2, '0');
  const head = REGIONS[Math.floor(i / 1095000) % REGIONS.length] + birth + seq;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += (head.charCodeAt(k) - 48) * W[k];
  return head + '10X98765432'[sum % 11];
}

/** A unique name for i: 考生 and i in base 48 written with Han characters. */
function name(i) {
  let s = '';
  let n = i;
  do { s = HAN[n % HAN.length] + s; n = Math.floor(n / HAN.length); } while (n > 0);
  return '考生' + s;
}

let next = Number(first);
const acked = [];
let refused = 0;
writeFileSync(resultFile + '.refused.0', '');
const result = await autocannon({
  url: base + '/api/v1/exam/registrations',
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 10,
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    setupRequest: (req, context) => {
      const i = next++;
      context.name = name(i);
      return { ...req, body: JSON.stringify({
        year: '2027', name: context.name, idNumber: idNumber(i), guardianPhone: '13800138000',
        preferences: { '1': ['5101040001', '5101040002'], '2': ['5101040002'] } }) };
    },
    onResponse: (status, body) => {
      if (status === 201) acked.push(JSON.parse(body).id);
      else if (++refused <= 5) appendFileSync(resultFile + '.refused.0', status + ' ' + body + '\n');
    },
  }],
});
writeFileSync(ackedFile, acked.join('\n') + (acked.length ? '\n' : ''));
writeFileSync(resultFile, JSON.stringify({
  sent: next - Number(first), next, acked: acked.length, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts,
  seconds: result.duration, rps: acked.length / result.duration,
  p50_ms: result.latency.p50, p99_ms: result.latency.p99, max_ms: result.latency.max,
}));
