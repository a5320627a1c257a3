// sold_out_storm.js: the crowd that keeps pressing "buy" long after the item is gone.
//
// setup() creates a sale with a tiny stock (STOCK, default 10). A constant RATE of distinct
// buyers then storms it for DURATION_S: the stock goes in the first few milliseconds and
// nearly every request after that must be refused. This is the service's sold-out fast
// path (answered from memory, re-checked against Redis every 500 ms), which has to stay
// cheap and correct for the whole storm.
//
// What it proves (thresholds fail the run otherwise):
//   - exactly STOCK accepted, never more, through the whole storm;
//   - sold_out responses dominate (share > MIN_SOLD_OUT_SHARE) and every refusal is a
//     proper 409 problem+json with code sold_out: no 5xx, no other codes;
//   - the sold-out answer is fast: its p99 < SOLD_OUT_P99_MS, all order requests' p99 < P99_MS;
//   - dropped_iterations bounded: k6 really sent the planned storm;
//   - teardown: the admin view shows reserved == stock_total and, within
//     PERSIST_TIMEOUT_S, confirmed == reserved and pending == 0.
//
// Environment (besides BASE_URL, ADMIN_TOKEN, RUN_ID, RESULTS_DIR, PERSIST_TIMEOUT_S: see lib.js):
//   STOCK               units on sale                             (default 10)
//   RATE                buyers per second, constant               (default 2500)
//   DURATION_S          length of the storm, seconds              (default 15)
//   SOLD_OUT_P99_MS     p99 bound of sold_out answers, ms         (default 100)
//   P99_MS              p99 bound of all order requests, ms       (default 250)
//   MIN_SOLD_OUT_SHARE  share of order answers that are sold_out  (default 0.99)
//   MAX_DROPPED_PCT     dropped iterations allowed, % of planned  (default 1)
//   MAX_VUS             most VUs k6 may use                       (default 1000)
import exec from 'k6/execution';
import http from 'k6/http';
import { check } from 'k6';
import { Rate, Trend } from 'k6/metrics';
import {
  SUMMARY_TREND_STATS, createSale, num, placeOrder, summary, verifySale,
} from './lib.js';

const STOCK = num('STOCK', 10);
const RATE = num('RATE', 2500);
const DURATION_S = num('DURATION_S', 15);
const SOLD_OUT_P99_MS = num('SOLD_OUT_P99_MS', 100);
const P99_MS = num('P99_MS', 250);
const MIN_SOLD_OUT_SHARE = num('MIN_SOLD_OUT_SHARE', 0.99);
const MAX_DROPPED_PCT = num('MAX_DROPPED_PCT', 1);
const MAX_VUS = num('MAX_VUS', 1000);
const PLANNED = RATE * DURATION_S;

const soldOutShare = new Rate('sold_out_share'); // one sample per order answer
const soldOutDuration = new Trend('sold_out_duration', true); // latency of sold_out answers

http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

export const options = {
  scenarios: {
    storm: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: `${DURATION_S}s`,
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(50, Math.ceil(RATE / 10))),
      maxVUs: MAX_VUS,
    },
  },
  thresholds: {
    orders_accepted: [`count<=${STOCK}`, `count>=${STOCK}`],
    orders_other: ['count==0'],
    http_5xx: ['count==0'],
    http_req_failed: ['rate==0'],
    sold_out_share: [`rate>${MIN_SOLD_OUT_SHARE}`],
    sold_out_duration: [`p(99)<${SOLD_OUT_P99_MS}`],
    'http_req_duration{endpoint:order}': [`p(99)<${P99_MS}`],
    dropped_iterations: [`count<=${Math.ceil((PLANNED * MAX_DROPPED_PCT) / 100)}`],
    'checks{phase:storm}': ['rate==1'],
    integrity_ok: ['rate==1'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '30s',
  teardownTimeout: `${num('PERSIST_TIMEOUT_S', 30) + 30}s`,
};

export function setup() {
  return { sale: createSale('sold-out-storm', STOCK) };
}

export default function (data) {
  const { res, outcome } = placeOrder(data.sale.id, `storm-${exec.scenario.iterationInTest}`);
  soldOutShare.add(outcome === 'sold_out');
  if (outcome === 'sold_out') {
    soldOutDuration.add(res.timings.duration);
    // Check the shape of a (small) sample of refusals rather than all of them: JSON
    // parsing in k6 costs more CPU than the server's answer.
    if (exec.scenario.iterationInTest % 50 === 0) {
      check(res, {
        'sold_out is a 409 problem+json': (r) => r.status === 409 &&
          (r.headers['Content-Type'] || '').startsWith('application/problem+json') &&
          r.json('status') === 409,
      }, { phase: 'storm' });
    }
  }
}

export function teardown(data) {
  verifySale(data.sale.id, { expectSoldOut: true });
}

export function handleSummary(data) {
  return summary('sold_out_storm', data, ['sold_out_duration', 'sold_out_share']);
}
