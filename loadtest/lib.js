// Shared helpers for the flashsale k6 scripts (flash_sale.js, sold_out_storm.js, mixed.js,
// checkout.js).
//
// Environment (read by every script; each script documents its own extra variables):
//   BASE_URL      service to test                       (default http://127.0.0.1:8080)
//   ADMIN_TOKEN   the service's FLASHSALE_ADMIN_TOKEN    (required: setup creates a sale)
//   RUN_ID        suffix that makes sale ids unique     (default: time + random)
//   RESULTS_DIR   where handleSummary writes <sale id>.json (default loadtest/results; k6
//                 does not create it, scripts/k6.sh does)
//   PERSIST_TIMEOUT_S  how long teardown waits for every accepted order to reach Postgres (30)
//   SALE_MINUTES  the test sale's ends_at, minutes after creation (15)
//   K6_API        k6's REST API as host:port, where teardown reads the run's counters
//                 (default 127.0.0.1:6565, k6's default --address; scripts/k6.sh sets both)
//
// Order outcomes are counted in custom metrics, so thresholds can say "never more accepted
// orders than stock" and "no 5xx" directly:
//   orders_accepted (202), orders_sold_out (409 sold_out), orders_other (anything else: other
//   409 codes, 4xx, 5xx, network errors), http_5xx, integrity_ok (teardown's checks).
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Counter, Gauge, Rate } from 'k6/metrics';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || '';
export const RUN_ID = __ENV.RUN_ID || `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
export const RESULTS_DIR = (__ENV.RESULTS_DIR || 'loadtest/results').replace(/\/+$/, '');
const K6_API = __ENV.K6_API || '127.0.0.1:6565';
const PERSIST_TIMEOUT_S = num('PERSIST_TIMEOUT_S', 30);
const SALE_MINUTES = num('SALE_MINUTES', 15);

export const accepted = new Counter('orders_accepted');
export const soldOut = new Counter('orders_sold_out');
export const other = new Counter('orders_other');
export const http5xx = new Counter('http_5xx');
// One sample per teardown check: a threshold `rate==1` makes any failed check fail the run.
export const integrityOk = new Rate('integrity_ok');
// What teardown read from the admin API, so it shows up in the summary.
const saleReserved = new Gauge('sale_reserved');
const saleConfirmed = new Gauge('sale_confirmed');
const persistSeconds = new Gauge('sale_persisted_after_s');

const JSON_HEADERS = { 'Content-Type': 'application/json' };
let warned = 0; // unexpected order outcomes seen by this VU

/** Trend stats in the summary (k6's default has no p(99)). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

/** A numeric env var, or `fallback` when unset. Fails the run on garbage. */
export function num(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
  return value;
}

function adminParams(tags) {
  return {
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${ADMIN_TOKEN}` },
    tags: { endpoint: 'admin', ...tags },
  };
}

/** Creates a sale through the admin API (call it from setup()); throws unless 201. */
export function createSale(prefix, stock, extra = {}) {
  if (!ADMIN_TOKEN) throw new Error('ADMIN_TOKEN is required (the server\'s FLASHSALE_ADMIN_TOKEN)');
  // The sale ends SALE_MINUTES after creation, so a test sale on a shared instance leaves
  // the persister's list of streams to read once it is over (sales without an end stay).
  const endsAt = new Date(Date.now() + SALE_MINUTES * 60 * 1000).toISOString();
  const body = { id: `${prefix}-${RUN_ID}`.slice(0, 64), name: `k6 ${prefix}`, stock, ends_at: endsAt, ...extra };
  const res = http.post(`${BASE_URL}/admin/sales`, JSON.stringify(body), adminParams({ name: 'POST /admin/sales' }));
  if (res.status !== 201) {
    throw new Error(`creating sale ${body.id} at ${BASE_URL}: HTTP ${res.status} ${res.body}`);
  }
  const sale = res.json();
  console.log(`sale ${sale.id}: stock ${sale.stock_total}, per-user limit ${sale.per_user_limit}, state ${sale.state}`);
  return sale;
}

/** GET /admin/sales/{id}: the sale plus reserved / confirmed / pending / rejected. */
export function adminSale(id) {
  const res = http.get(`${BASE_URL}/admin/sales/${id}`, adminParams({ name: 'GET /admin/sales/{id}' }));
  if (res.status !== 200) throw new Error(`GET /admin/sales/${id}: HTTP ${res.status} ${res.body}`);
  return res.json();
}

/**
 * POST /api/sales/{id}/orders and count the outcome. Returns the response and its outcome:
 * 'accepted' | 'sold_out' | the error code | 'http_<status>'.
 */
export function placeOrder(saleId, userId, quantity = 1) {
  const res = http.post(
    `${BASE_URL}/api/sales/${saleId}/orders`,
    JSON.stringify({ user_id: userId, quantity }),
    { headers: JSON_HEADERS, tags: { endpoint: 'order', name: 'POST /api/sales/{id}/orders' } },
  );
  if (res.status >= 500) http5xx.add(1);
  let outcome;
  if (res.status === 202) {
    outcome = 'accepted';
    accepted.add(quantity);
  } else {
    outcome = problemCode(res) || `http_${res.status}`;
    if (outcome === 'sold_out') {
      soldOut.add(1);
    } else {
      other.add(1);
      // Each VU shows its first one; thresholds count them all.
      if (warned++ === 0) console.warn(`order for ${userId}: HTTP ${res.status} ${outcome} ${res.error || ''}`);
    }
  }
  return { res, outcome };
}

/** GET a path (e.g. an order's Location) and count 5xx. */
export function get(path, tags) {
  const res = http.get(`${BASE_URL}${path}`, { tags });
  if (res.status >= 500) http5xx.add(1);
  return res;
}

/** POST a JSON body (with the admin token when `admin`) and count 5xx. */
export function postJson(path, body, tags, admin = false) {
  const headers = admin ? adminParams().headers : JSON_HEADERS;
  const res = http.post(`${BASE_URL}${path}`, JSON.stringify(body), { headers, tags });
  if (res.status >= 500) http5xx.add(1);
  return res;
}

/** A counter of this run as k6's REST API sees it now (teardown gets no metrics from k6). */
export function runCount(metric) {
  const res = http.get(`http://${K6_API}/v1/metrics/${metric}`, { tags: { endpoint: 'k6_api' } });
  if (res.status === 404) return 0; // never added to
  if (res.status !== 200) throw new Error(`k6 REST API at ${K6_API} (set K6_API): HTTP ${res.status} ${res.error}`);
  return res.json('data.attributes.sample.count');
}

/** The problem `code` of an error answer, or null. */
export function problemCode(res) {
  try {
    return res.json('code') || null;
  } catch (_) {
    return null;
  }
}

/**
 * Teardown: proves nothing was oversold and no accepted order was lost.
 * Reads GET /admin/sales/{id} until pending == 0 and confirmed == reserved (bounded by
 * PERSIST_TIMEOUT_S), then checks reserved <= stock_total, reserved + stock_left ==
 * stock_total, rejected == 0 and, when `expectSoldOut`, that every unit was sold. Every
 * check feeds integrity_ok (threshold rate==1); any failure also throws, so k6 exits non-zero.
 */
export function verifySale(saleId, { expectSoldOut = false } = {}) {
  const started = Date.now();
  let sale;
  try {
    sale = adminSale(saleId);
    while ((sale.pending !== 0 || sale.confirmed !== sale.reserved) &&
           Date.now() - started < PERSIST_TIMEOUT_S * 1000) {
      sleep(0.25);
      sale = adminSale(saleId);
    }
  } catch (e) {
    integrityOk.add(false); // the sale could not even be read: that fails the run too
    throw e;
  }
  const waited = (Date.now() - started) / 1000;
  saleReserved.add(sale.reserved);
  saleConfirmed.add(sale.confirmed);
  persistSeconds.add(waited);
  console.log(`sale ${saleId} after ${waited.toFixed(2)} s: ` + JSON.stringify({
    stock_total: sale.stock_total, stock_left: sale.stock_left, reserved: sale.reserved,
    confirmed: sale.confirmed, pending: sale.pending, rejected: sale.rejected, state: sale.state,
  }));

  const checks = {
    'not oversold: reserved <= stock_total': sale.reserved <= sale.stock_total,
    'stock adds up: reserved + stock_left == stock_total': sale.reserved + sale.stock_left === sale.stock_total,
    [`all persisted within ${PERSIST_TIMEOUT_S}s: pending == 0`]: sale.pending === 0,
    'no order lost: confirmed == reserved': sale.confirmed === sale.reserved,
    'nothing rejected by Postgres': sale.rejected === 0,
  };
  if (expectSoldOut) checks['sold out: reserved == stock_total'] = sale.reserved === sale.stock_total;
  const failed = [];
  for (const [name, ok] of Object.entries(checks)) {
    check(sale, { [name]: () => ok }, { phase: 'teardown' });
    integrityOk.add(ok);
    if (!ok) failed.push(name);
  }
  if (failed.length > 0) fail(`sale ${saleId} failed: ${failed.join('; ')}`);
  return sale;
}

// ---------------------------------------------------------------------------------------
// End-of-test summary: a JSON file with everything k6 measured, and a short text on stdout.

/** handleSummary body shared by the scripts. */
export function summary(name, data, extraMetrics = []) {
  const saleId = data.setup_data && data.setup_data.sale ? data.setup_data.sale.id : `${name}-${RUN_ID}`;
  const file = `${RESULTS_DIR}/${saleId}.json`;
  return {
    stdout: textSummary(name, data, file, extraMetrics),
    [file]: JSON.stringify(data, null, 2),
  };
}

function textSummary(name, data, file, extraMetrics) {
  const m = data.metrics;
  const v = (metric, stat) => (m[metric] && m[metric].values[stat] !== undefined ? m[metric].values[stat] : 0);
  const ms = (x) => `${x.toFixed(2)} ms`;
  const seconds = data.state.testRunDurationMs / 1000;
  const saleId = data.setup_data && data.setup_data.sale ? data.setup_data.sale.id : '?';
  const lines = [
    '',
    `== ${name}: sale ${saleId}, ${seconds.toFixed(1)} s ==`,
    `requests        ${v('http_reqs', 'count')} (${v('http_reqs', 'rate').toFixed(0)}/s), failed ${(100 * v('http_req_failed', 'rate')).toFixed(3)}%, 5xx ${v('http_5xx', 'count')}`,
    `orders          accepted ${v('orders_accepted', 'count')}, sold_out ${v('orders_sold_out', 'count')}, other ${v('orders_other', 'count')}`,
    `latency (all)   p50 ${ms(v('http_req_duration', 'med'))}  p95 ${ms(v('http_req_duration', 'p(95)'))}  p99 ${ms(v('http_req_duration', 'p(99)'))}  max ${ms(v('http_req_duration', 'max'))}`,
    `iterations      ${v('iterations', 'count')}, dropped ${v('dropped_iterations', 'count')}, VUs max ${v('vus_max', 'value')}`,
  ];
  if (m.sale_reserved) {
    lines.push(`teardown        reserved ${v('sale_reserved', 'value')}, confirmed ${v('sale_confirmed', 'value')}, persisted after ${v('sale_persisted_after_s', 'value').toFixed(2)} s`);
  }
  for (const metric of extraMetrics) {
    if (m[metric]) lines.push(`${metric.padEnd(15)} ${describe(m[metric])}`);
  }
  lines.push('thresholds:');
  let allOk = true;
  for (const [metric, info] of Object.entries(m).sort(([a], [b]) => a.localeCompare(b))) {
    if (!info.thresholds) continue;
    for (const [expr, res] of Object.entries(info.thresholds)) {
      allOk = allOk && res.ok;
      lines.push(`  ${res.ok ? 'PASS' : 'FAIL'}  ${metric}: ${expr}  (${describe(info)})`);
    }
  }
  lines.push(`${allOk ? 'ALL THRESHOLDS PASSED' : 'SOME THRESHOLDS FAILED'}; JSON summary: ${file}`, '');
  return lines.join('\n');
}

/** The values a threshold was judged on, in one short string. */
function describe(info) {
  const x = info.values;
  switch (info.type) {
    case 'counter': return `count=${x.count}`;
    case 'rate': return `rate=${x.rate.toFixed(5)}, ${x.passes}/${x.passes + x.fails}`;
    case 'gauge': return `value=${x.value}`;
    default: return ['med', 'p(95)', 'p(99)', 'max'].map((k) => `${k}=${(x[k] || 0).toFixed(2)}`).join(' ');
  }
}
