// mixed.js: a sale in full swing, buyers and browsers at once.
//
// setup() creates a sale with STOCK units (default large enough to last most of the run).
// Two scenarios run side by side at constant arrival rates for DURATION_S:
//   buyers    RATE distinct buyers per second place an order; each accepted buyer then
//             does what a shop's order page does: follows the Location header at once,
//             then polls GET /api/sales/{id}/orders/{order_id} every POLL_INTERVAL_S until
//             the order is confirmed (at most CONFIRM_TIMEOUT_S). Every answer must be 200
//             with status pending or confirmed, and the same order.
//   browsers  BROWSE_RATE product-page views per second: GET /api/sales/{id} must be 200
//             with a sane stock_left and state.
//
// What it proves (thresholds fail the run otherwise):
//   - no 5xx, no failed requests, no unexpected order refusals; accepted <= STOCK;
//   - every accepted order is visible right away (pending) and confirmed soon: the
//     accept-to-confirmed time's p95 < CONFIRM_P95_MS, and none left unconfirmed;
//   - p99 latency bounds for placing orders, reading orders and reading the sale;
//   - teardown: admin view shows confirmed == reserved, pending == 0, reserved <= stock.
//
// Environment (besides BASE_URL, ADMIN_TOKEN, RUN_ID, RESULTS_DIR, PERSIST_TIMEOUT_S: see lib.js):
//   STOCK              units on sale                                 (default 6000)
//   RATE               buyers per second                             (default 500)
//   BROWSE_RATE        sale page views per second                    (default 500)
//   DURATION_S         length of the run, seconds                    (default 15)
//   POLL_INTERVAL_S    wait between order status reads, seconds       (default 0.1)
//   CONFIRM_TIMEOUT_S  give up waiting for confirmed after, seconds  (default 5)
//   CONFIRM_P95_MS     p95 bound of accept-to-confirmed, ms          (default 2000)
//   P99_MS             p99 bound of each endpoint, ms                (default 250)
//   MAX_VUS            most VUs per scenario                         (default 1000)
import exec from 'k6/execution';
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import {
  SUMMARY_TREND_STATS, createSale, get, num, placeOrder, summary, verifySale,
} from './lib.js';

const STOCK = num('STOCK', 6000);
const RATE = num('RATE', 500);
const BROWSE_RATE = num('BROWSE_RATE', 500);
const DURATION_S = num('DURATION_S', 15);
const POLL_INTERVAL_S = num('POLL_INTERVAL_S', 0.1);
const CONFIRM_TIMEOUT_S = num('CONFIRM_TIMEOUT_S', 5);
const CONFIRM_P95_MS = num('CONFIRM_P95_MS', 2000);
const P99_MS = num('P99_MS', 250);
const MAX_VUS = num('MAX_VUS', 1000);

const timeToConfirmed = new Trend('order_time_to_confirmed', true);
const unconfirmed = new Counter('orders_unconfirmed'); // accepted, not confirmed in time
const pendingOnFirstRead = new Rate('order_pending_on_first_read'); // informative, no threshold
const ORDER_STATUSES = ['pending', 'confirmed'];
const SALE_STATES = ['active', 'sold_out'];

http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

export const options = {
  scenarios: {
    buyers: {
      executor: 'constant-arrival-rate',
      exec: 'buy',
      rate: RATE,
      timeUnit: '1s',
      duration: `${DURATION_S}s`,
      // An accepted buyer's iteration lasts a few polls (up to ~1 s when the persister
      // lags), so it holds its VU a while: start with enough VUs for one second of buyers,
      // since creating VUs mid-run is slow and drops iterations.
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(50, RATE)),
      maxVUs: MAX_VUS,
    },
    browsers: {
      executor: 'constant-arrival-rate',
      exec: 'browse',
      rate: BROWSE_RATE,
      timeUnit: '1s',
      duration: `${DURATION_S}s`,
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(50, Math.ceil(BROWSE_RATE / 10))),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    orders_accepted: [`count<=${STOCK}`, 'count>0'],
    orders_other: ['count==0'],
    orders_unconfirmed: ['count==0'],
    http_5xx: ['count==0'],
    http_req_failed: ['rate==0'],
    order_time_to_confirmed: [`p(95)<${CONFIRM_P95_MS}`],
    'http_req_duration{endpoint:order}': [`p(99)<${P99_MS}`],
    'http_req_duration{endpoint:order_status}': [`p(99)<${P99_MS}`],
    'http_req_duration{endpoint:sale}': [`p(99)<${P99_MS}`],
    'checks{scenario:buyers}': ['rate==1'],
    'checks{scenario:browsers}': ['rate==1'],
    dropped_iterations: [`count<=${Math.ceil(((RATE + BROWSE_RATE) * DURATION_S) / 100)}`],
    integrity_ok: ['rate==1'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '30s',
  teardownTimeout: `${num('PERSIST_TIMEOUT_S', 30) + 30}s`,
};

export function setup() {
  return { sale: createSale('mixed', STOCK) };
}

// A buyer: place an order, then watch it on the order page until it is confirmed.
export function buy(data) {
  const { res, outcome } = placeOrder(data.sale.id, `mixed-${exec.scenario.iterationInTest}`);
  if (outcome !== 'accepted') return; // sold_out late in the run is fine; other codes are counted
  const acceptedAt = Date.now();
  const order = res.json();
  const location = res.headers.Location;
  check(res, { 'accepted order has a Location': () => Boolean(location) });
  if (!location) return;

  // The first read comes at once: an accepted order must be visible immediately (pending,
  // or already confirmed), then it is polled until the persister has confirmed it.
  for (let first = true; Date.now() - acceptedAt < CONFIRM_TIMEOUT_S * 1000; first = false) {
    if (!first) sleep(POLL_INTERVAL_S);
    const status = get(location, { endpoint: 'order_status', name: 'GET /api/sales/{id}/orders/{order_id}' });
    const ok = check(status, {
      'order status is 200': (r) => r.status === 200,
      'order status is pending or confirmed': (r) => r.status === 200 && ORDER_STATUSES.includes(r.json('status')),
      'order status is the same order': (r) => r.status === 200 &&
        r.json('order_id') === order.order_id && r.json('user_id') === order.user_id,
    });
    if (ok && first) pendingOnFirstRead.add(status.json('status') === 'pending');
    if (ok && status.json('status') === 'confirmed') {
      timeToConfirmed.add(Date.now() - acceptedAt);
      return;
    }
    if (!ok) return; // counted by the checks threshold
  }
  unconfirmed.add(1);
}

// A shopper looking at the product page.
export function browse(data) {
  const res = get(`/api/sales/${data.sale.id}`, { endpoint: 'sale', name: 'GET /api/sales/{id}' });
  check(res, {
    'sale is 200': (r) => r.status === 200,
    'sale state and stock are sane': (r) => {
      if (r.status !== 200) return false;
      const sale = r.json();
      return SALE_STATES.includes(sale.state) && sale.stock_left >= 0 && sale.stock_left <= sale.stock_total;
    },
  });
}

export function teardown(data) {
  verifySale(data.sale.id);
}

export function handleSummary(data) {
  return summary('mixed', data, ['order_time_to_confirmed', 'order_pending_on_first_read']);
}
