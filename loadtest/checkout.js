// checkout.js: a flash sale that sells holds. Winners must pay within the payment window, or
// the unit goes back on sale.
//
// setup() creates a sale of STOCK units with a payment window of WINDOW_S seconds. Two waves
// of distinct buyers (one unit each):
//   burst   RATE buyers/s for BURST_S: sells the stock out;
//   resale  RESALE_RATE buyers/s for RESALE_S, once the first wave's unpaid holds have ended:
//           buys the units that came back.
// Every winner then does one of three things, at random:
//   pay     (PAY_SHARE) after a random delay in [0, WINDOW_S + PAY_LATE_S), so some race the
//           deadline or miss it: 200 `paid` (then the same ref again: 200; another ref and a
//           cancel: 409 order_paid), or 409 order_expired, answered after the deadline;
//   cancel  (CANCEL_SHARE) within the window: 200 `cancelled` (again: 200; another buyer: 404;
//           a payment: 409 order_cancelled);
//   lapse   (the rest): the order reads `expired` within EXPIRE_WITHIN_S of the deadline
//           (hold_expired_after_deadline: how soon), then a payment and a cancel get 409
//           order_expired.
//
// What it proves (thresholds fail the run otherwise):
//   - no 5xx, no failed request, no order refusal but sold_out, every check above holds;
//   - teardown: within HOLDS_TIMEOUT_S no hold is left (awaiting_payment == 0, pending == 0)
//     and every ended hold's units are back (reserved == paid), then paid + stock_left ==
//     stock_total, nothing confirmed or rejected, and the admin view's paid, cancelled and
//     expired equal what this run saw: the 200s to first payments, the 200s to first cancels,
//     and the rest of the accepted orders. Teardown reads the run's counters from k6's REST
//     API (K6_API, see lib.js): k6 gives teardown no metrics.
//
// Environment (besides BASE_URL, ADMIN_TOKEN, RUN_ID, RESULTS_DIR: see lib.js):
//   STOCK 200, RATE 400, BURST_S 3, RESALE_RATE 100, RESALE_S 2, WINDOW_S 10 (10..86400)
//   PAY_SHARE 0.5, CANCEL_SHARE 0.2, PAY_LATE_S 1
//   EXPIRE_WITHIN_S 3   how soon after its deadline a lapsed hold must read `expired`
//                       (the server's FLASHSALE_HOLD_SWEEP_MS plus slack; scripts/k6.sh runs
//                       the server with 200 ms)
//   SKEW_MS 250         tolerance on the deadline between k6's clock and the server's
//   HOLDS_TIMEOUT_S     how long teardown waits for every hold to end (WINDOW_S + 30)
//   MAX_VUS 1000
import exec from 'k6/execution';
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Counter, Gauge, Trend } from 'k6/metrics';
import {
  SUMMARY_TREND_STATS, adminSale, createSale, get, integrityOk, num, placeOrder, postJson,
  problemCode, runCount, summary,
} from './lib.js';

const STOCK = num('STOCK', 200);
const RATE = num('RATE', 400);
const BURST_S = num('BURST_S', 3);
const RESALE_RATE = num('RESALE_RATE', 100);
const RESALE_S = num('RESALE_S', 2);
const WINDOW_S = num('WINDOW_S', 10);
const PAY_SHARE = num('PAY_SHARE', 0.5);
const CANCEL_SHARE = num('CANCEL_SHARE', 0.2);
const PAY_LATE_S = num('PAY_LATE_S', 1);
const EXPIRE_WITHIN_S = num('EXPIRE_WITHIN_S', 3);
const SKEW_MS = num('SKEW_MS', 250);
const HOLDS_TIMEOUT_S = num('HOLDS_TIMEOUT_S', WINDOW_S + 30);
const MAX_VUS = num('MAX_VUS', 1000);

const paid = new Counter('holds_paid'); // first payments answered 200
const payRefused = new Counter('holds_pay_refused'); // payments answered 409 order_expired
const cancelled = new Counter('holds_cancelled'); // first cancels answered 200
const lapsed = new Counter('holds_lapsed');
const expiredAfter = new Trend('hold_expired_after_deadline', true);
const salePaid = new Gauge('sale_paid');
const saleStockLeft = new Gauge('sale_stock_left');
const saleExpired = new Gauge('sale_expired');
// Seconds between the last hold ending in Postgres and its units being back in Redis.
const returnsLag = new Gauge('sale_returns_lag_s');

// 404 answers the cancel by another buyer; 409 every refused transition.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 404, 409));

// A winner's iteration lasts up to a window and a bit, so the VUs hold that many buyers.
const vus = (rate) => Math.min(MAX_VUS, Math.max(50, Math.ceil(rate * 1.5), Math.ceil(STOCK * 1.2)));
export const options = {
  scenarios: {
    burst: {
      executor: 'constant-arrival-rate', rate: RATE, timeUnit: '1s', duration: `${BURST_S}s`,
      preAllocatedVUs: vus(RATE), maxVUs: MAX_VUS,
    },
    // Starts when the first wave's last holds have lapsed and been swept.
    resale: {
      executor: 'constant-arrival-rate', rate: RESALE_RATE, timeUnit: '1s', duration: `${RESALE_S}s`,
      startTime: `${BURST_S + WINDOW_S + EXPIRE_WITHIN_S}s`,
      preAllocatedVUs: vus(RESALE_RATE), maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    http_5xx: ['count==0'],
    http_req_failed: ['rate==0'],
    orders_other: ['count==0'],
    orders_accepted: ['count>0'],
    checks: ['rate==1'],
    integrity_ok: ['rate==1'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '30s',
  teardownTimeout: `${HOLDS_TIMEOUT_S + 30}s`,
};

export function setup() {
  return { sale: createSale('checkout', STOCK, { payment_window_s: WINDOW_S, per_user_limit: 1 }) };
}

export default function (data) {
  const sale = data.sale.id;
  const user = `${exec.scenario.name}-${exec.scenario.iterationInTest}`;
  const { res, outcome } = placeOrder(sale, user);
  if (outcome !== 'accepted') return;
  const order = res.json('order_id');
  const deadline = Date.parse(res.json('created_at')) + WINDOW_S * 1000;
  const roll = Math.random();
  if (roll < PAY_SHARE) payHold(sale, user, order, deadline);
  else if (roll < PAY_SHARE + CANCEL_SHARE) cancelHold(sale, user, order);
  else lapseHold(sale, user, order, deadline);
}

const pay = (sale, order, ref) => postJson(`/admin/sales/${sale}/orders/${order}/pay`, { payment_ref: ref },
  { endpoint: 'pay', name: 'POST /admin/sales/{id}/orders/{oid}/pay' }, true);
const cancel = (sale, order, user) => postJson(`/api/sales/${sale}/orders/${order}/cancel`, { user_id: user },
  { endpoint: 'cancel', name: 'POST /api/sales/{id}/orders/{oid}/cancel' });

/** Repeats `call` while the order is not yet in Postgres (409 order_pending), at most 5 times. */
function settled(call) {
  let res = call();
  for (let i = 0; i < 5 && res.status === 409 && problemCode(res) === 'order_pending'; i++) {
    sleep(Number(res.headers['Retry-After'] || 1));
    res = call();
  }
  return res;
}

const refused = (res, expected) => res.status === 409 && problemCode(res) === expected;

function payHold(sale, user, order, deadline) {
  sleep(Math.random() * (WINDOW_S + PAY_LATE_S));
  const ref = `pay-${order}`;
  const sent = Date.now();
  const res = settled(() => pay(sale, order, ref));
  const answered = Date.now();
  if (res.status !== 200) {
    payRefused.add(1);
    check(res, {
      'late payment: 409 order_expired': (r) => refused(r, 'order_expired'),
      'late payment: refused only after the deadline': () => answered >= deadline - SKEW_MS,
    });
    return;
  }
  paid.add(1);
  check(res, {
    'payment: 200 paid with its ref': (r) => r.json('status') === 'paid' && r.json('payment_ref') === ref,
    'payment: accepted only before the deadline': () => sent <= deadline + SKEW_MS,
    'payment again, same ref: 200 paid': () => pay(sale, order, ref).json('status') === 'paid',
    'payment again, other ref: 409 order_paid': () => refused(pay(sale, order, `${ref}-2`), 'order_paid'),
    'cancel of a paid order: 409 order_paid': () => refused(cancel(sale, order, user), 'order_paid'),
  });
}

function cancelHold(sale, user, order) {
  sleep(Math.random() * Math.max(0, WINDOW_S - 2));
  const res = settled(() => cancel(sale, order, user));
  const ok = check(res, { 'cancel: 200 cancelled': (r) => r.status === 200 && r.json('status') === 'cancelled' });
  if (!ok) {
    console.warn(`cancel ${order}: HTTP ${res.status} ${res.body}`);
    return;
  }
  cancelled.add(1);
  check(res, {
    'cancel again: 200 cancelled': () => cancel(sale, order, user).json('status') === 'cancelled',
    'cancel by another buyer: 404': () => cancel(sale, order, `${user}-other`).status === 404,
    'payment of a cancelled order: 409 order_cancelled': () => refused(pay(sale, order, `pay-${order}`), 'order_cancelled'),
  });
}

function lapseHold(sale, user, order, deadline) {
  lapsed.add(1);
  sleep(Math.max(0, deadline - Date.now()) / 1000);
  let status;
  while (Date.now() < deadline + EXPIRE_WITHIN_S * 1000) {
    status = get(`/api/sales/${sale}/orders/${order}`, { endpoint: 'order_status', name: 'GET order' }).json('status');
    if (status === 'expired') break;
    sleep(0.05);
  }
  if (status === 'expired') expiredAfter.add(Date.now() - deadline);
  check(status, { [`lapsed hold: expired within ${EXPIRE_WITHIN_S}s of its deadline`]: (s) => s === 'expired' });
  check(null, {
    'payment after the deadline: 409 order_expired': () => refused(pay(sale, order, `pay-${order}`), 'order_expired'),
    'cancel after the deadline: 409 order_expired': () => refused(cancel(sale, order, user), 'order_expired'),
  });
}

export function teardown(data) {
  const id = data.sale.id;
  const started = Date.now();
  // The service ends a hold in Postgres first and gives its units back in Redis after, so the
  // view shows the two steps apart: wait for both (reserved == paid once every unit is back).
  let sale = adminSale(id);
  let holdsEnded = null;
  for (;;) {
    if (sale.awaiting_payment === 0 && sale.pending === 0) {
      holdsEnded = holdsEnded || Date.now();
      if (sale.reserved === sale.paid) break;
    }
    if (Date.now() - started >= HOLDS_TIMEOUT_S * 1000) break;
    sleep(0.05);
    sale = adminSale(id);
  }
  returnsLag.add(holdsEnded === null ? -1 : (Date.now() - holdsEnded) / 1000);
  const waited = (Date.now() - started) / 1000;
  sleep(1); // lets k6 take in the last iterations' samples before its REST API is read
  const seen = { accepted: runCount('orders_accepted'), paid: runCount('holds_paid'), cancelled: runCount('holds_cancelled') };
  salePaid.add(sale.paid);
  saleStockLeft.add(sale.stock_left);
  saleExpired.add(sale.expired);
  const fields = ['stock_total', 'stock_left', 'reserved', 'pending', 'awaiting_payment', 'paid', 'expired',
    'cancelled', 'confirmed', 'rejected', 'state'];
  console.log(`sale ${id} after ${waited.toFixed(2)} s: ` +
    JSON.stringify(Object.fromEntries(fields.map((f) => [f, sale[f]]))) + `; this run saw ${JSON.stringify(seen)}`);
  const checks = {
    [`every hold ended within ${HOLDS_TIMEOUT_S}s: awaiting_payment == 0 and pending == 0`]:
      sale.awaiting_payment === 0 && sale.pending === 0,
    [`every ended hold's units back within ${HOLDS_TIMEOUT_S}s: reserved == paid`]: sale.reserved === sale.paid,
    'paid + stock_left == stock_total': sale.paid + sale.stock_left === sale.stock_total,
    'nothing confirmed or rejected': sale.confirmed === 0 && sale.rejected === 0,
    'paid == the 200s to first payments': sale.paid === seen.paid,
    'cancelled == the 200s to first cancels': sale.cancelled === seen.cancelled,
    'expired == accepted - paid - cancelled': sale.expired === seen.accepted - seen.paid - seen.cancelled,
  };
  const failed = Object.keys(checks).filter((name) => !checks[name]);
  for (const [name, ok] of Object.entries(checks)) {
    check(sale, { [name]: () => ok }, { phase: 'teardown' });
    integrityOk.add(ok);
  }
  if (failed.length > 0) fail(`sale ${id} failed: ${failed.join('; ')}`);
}

export function handleSummary(data) {
  return summary('checkout', data, ['holds_paid', 'holds_pay_refused', 'holds_cancelled', 'holds_lapsed',
    'hold_expired_after_deadline', 'sale_paid', 'sale_expired', 'sale_stock_left', 'sale_returns_lag_s']);
}
