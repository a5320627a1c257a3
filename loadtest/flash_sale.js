// flash_sale.js: the moment a flash sale opens.
//
// setup() creates a fresh sale (STOCK units, one per buyer). Then the arrival rate jumps
// from a trickle to RATE new buyers per second within RAMP_S, holds for HOLD_S and drains
// over DOWN_S. Every iteration is a DISTINCT buyer buying one unit, so the stock sells out
// early in the burst and the rest of it hammers a sold-out sale.
//
// What it proves (thresholds fail the run otherwise):
//   - never oversold: accepted orders (202) <= STOCK, and the sale is exactly sold out
//     (accepted == STOCK) whenever demand exceeds the stock;
//   - every refusal is a clean 409 sold_out: no 5xx, no other error codes, no network errors;
//   - the service stays fast under the burst: p99 of order requests < P99_MS;
//   - k6 kept up with the schedule (dropped_iterations bounded), so the figures are real;
//   - teardown: GET /admin/sales/{id} shows reserved <= stock_total and, within
//     PERSIST_TIMEOUT_S, pending == 0 and confirmed == reserved: no accepted order was lost
//     on its way to Postgres.
//
// Environment (besides BASE_URL, ADMIN_TOKEN, RUN_ID, RESULTS_DIR, PERSIST_TIMEOUT_S: see lib.js):
//   STOCK       units on sale                                   (default 5000)
//   RATE        peak arrival rate, buyers per second            (default 2500)
//   START_RATE  arrival rate before the jump                    (default 50)
//   RAMP_S      seconds to jump from START_RATE to RATE         (default 1)
//   HOLD_S      seconds at RATE                                 (default 10)
//   DOWN_S      seconds to drain back to 0                      (default 2)
//   P99_MS      p99 bound for order requests, milliseconds      (default 250)
//   MAX_DROPPED_PCT  dropped iterations allowed, % of planned   (default 1)
//   MAX_VUS     most VUs k6 may use                             (default 1000)
import exec from 'k6/execution';
import http from 'k6/http';
import { check } from 'k6';
import {
  SUMMARY_TREND_STATS, createSale, num, placeOrder, summary, verifySale,
} from './lib.js';

const STOCK = num('STOCK', 5000);
const RATE = num('RATE', 2500);
const START_RATE = num('START_RATE', 50);
const RAMP_S = num('RAMP_S', 1);
const HOLD_S = num('HOLD_S', 10);
const DOWN_S = num('DOWN_S', 2);
const P99_MS = num('P99_MS', 250);
const MAX_DROPPED_PCT = num('MAX_DROPPED_PCT', 1);
const MAX_VUS = num('MAX_VUS', 1000);

// Buyers the schedule plans to start (area under the rate curve).
const PLANNED = Math.round(((START_RATE + RATE) / 2) * RAMP_S + RATE * HOLD_S + (RATE / 2) * DOWN_S);
const DEMAND_EXCEEDS_STOCK = PLANNED >= 1.5 * STOCK;

// 202 and 409 are answers the test expects; anything else counts in http_req_failed.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

export const options = {
  scenarios: {
    burst: {
      executor: 'ramping-arrival-rate',
      startRate: START_RATE,
      timeUnit: '1s',
      // Enough VUs up front for the jump: creating VUs mid-run is slow and drops iterations.
      preAllocatedVUs: Math.min(MAX_VUS, Math.max(50, Math.ceil(RATE / 5))),
      maxVUs: MAX_VUS,
      stages: [
        { target: RATE, duration: `${RAMP_S}s` },
        { target: RATE, duration: `${HOLD_S}s` },
        { target: 0, duration: `${DOWN_S}s` },
      ],
    },
  },
  thresholds: {
    // Never more accepted than stock; exactly the stock when demand is well above it.
    orders_accepted: DEMAND_EXCEEDS_STOCK ? [`count<=${STOCK}`, `count>=${STOCK}`] : [`count<=${STOCK}`],
    orders_other: ['count==0'],
    http_5xx: ['count==0'],
    http_req_failed: ['rate==0'],
    'http_req_duration{endpoint:order}': [`p(99)<${P99_MS}`],
    dropped_iterations: [`count<=${Math.ceil((PLANNED * MAX_DROPPED_PCT) / 100)}`],
    integrity_ok: ['rate==1'],
    'checks{phase:burst}': ['rate==1'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: '30s',
  teardownTimeout: `${num('PERSIST_TIMEOUT_S', 30) + 30}s`,
};

export function setup() {
  console.log(`planned buyers ${PLANNED} for stock ${STOCK} (peak ${RATE}/s)`);
  return { sale: createSale('flash-sale', STOCK) };
}

export default function (data) {
  // iterationInTest is unique across all VUs: one distinct buyer per iteration.
  const { res, outcome } = placeOrder(data.sale.id, `buyer-${exec.scenario.iterationInTest}`);
  if (outcome === 'accepted') {
    check(res, {
      'accepted order is pending': (r) => r.json('status') === 'pending',
      'accepted order has a Location': (r) => (r.headers.Location || '').endsWith(`/orders/${r.json('order_id')}`),
    }, { phase: 'burst' });
  }
}

export function teardown(data) {
  verifySale(data.sale.id, { expectSoldOut: DEMAND_EXCEEDS_STOCK });
}

export function handleSummary(data) {
  return summary('flash_sale', data);
}
