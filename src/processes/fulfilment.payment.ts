import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import { Batcher, batcherPer } from '../infra/batcher';
import type { CommandMetadata } from '../commands/command-handler';
import type { ConsumerLogger } from '../consumers';
import type { OrderState } from '../domain/orders/order.decider';
import type { PaymentFailureReason } from '../domain/payments/payment.events';
import type { EventStore } from '../eventstore';
import {
  expectRight,
  loadOrder,
  orderCommand,
  paymentCommand,
  settleAll,
} from './fulfilment.commands';
import { isoNow } from '../infra/clock';
import { releaseLines } from './fulfilment.stock';
import type { FulfilmentConfig } from './fulfilment.config';
import type { PaymentClient } from './payment-client';
import { scheduleRetry } from './scheduled-retries';

export interface PaymentDeps {
  store: EventStore;
  pool: Pool;
  logger: ConsumerLogger;
  paymentClient: PaymentClient;
  config: Pick<FulfilmentConfig, 'paymentCheckDelayMs' | 'paymentChecks'>;
}

// Concurrent payments look their tokens up in one statement.
const tokenReaders = batcherPer(
  (pool: Pool) =>
    new Batcher<string, string | undefined>(async (orderIds) => {
      const { rows } = await pool.query<{ order_id: string; token: string | null }>({
        name: 'fulfilment_payment_tokens',
        text: 'SELECT order_id, token FROM order_payment_tokens WHERE order_id = ANY($1::uuid[])',
        values: [orderIds],
      });
      const tokens = new Map(rows.map((r) => [r.order_id, r.token ?? undefined]));
      return orderIds.map((id) => tokens.get(id));
    }),
);

/** The gateway token the orders API stored for an order, if any. */
export function paymentToken(pool: Pool, orderId: string): Promise<string | undefined> {
  return tokenReaders(pool).call(orderId);
}

/**
 * Takes payment for an order whose stock is reserved: one charge, the order id as the
 * gateway's idempotency key (the client retries errors and timeouts itself, with backoff),
 * so running this again after a crash finds the first charge instead of making a second.
 * Captured → PaymentCaptured, OrderPaymentCaptured, OrderProcessed. Declined, or the gateway
 * still failing after the client's retries → PaymentFailed, OrderFailed, stock released.
 */
export async function takePayment(
  deps: PaymentDeps,
  orderId: string,
  cause: CommandMetadata,
  /** The revision of the event that asked for payment. */
  seenRevision?: bigint,
): Promise<void> {
  const order = await loadOrder(deps.store, orderId, seenRevision);
  if (order.status === 'paid' && order.capture !== null) {
    // Crashed after the order recorded the capture: finish what recordCapture began.
    return recordCapture(deps, order, order.capture.paymentId, cause);
  }
  if (order.status !== 'stock_reserved') return;
  const { totalPrice: amount, currency } = order;
  // The payment request is recorded before the charge, as the token is looked up.
  const [token, requested] = await settleAll([
    paymentToken(deps.pool, orderId),
    paymentCommand(
      deps.store,
      { type: 'RequestPayment', orderId, amount, currency, attempt: 1, now: isoNow() },
      `${orderId}:payment-request:1`,
      cause,
      true,
    ),
  ]);
  expectRight('RequestPayment', requested);
  if (token === undefined) {
    return failOrderPayment(deps, order, 'no payment token for the order', cause);
  }
  const charged = await deps.paymentClient.charge({ orderId, amount, currency, token });
  switch (charged.kind) {
    case 'captured':
      return recordCapture(deps, order, charged.chargeId, cause);
    case 'declined': {
      const reason: PaymentFailureReason =
        charged.reason === 'insufficient_funds' ? 'insufficient_funds' : 'declined';
      await failPaymentStream(deps, orderId, reason, cause);
      return failOrderPayment(deps, order, `payment declined (${charged.reason})`, cause);
    }
    case 'unavailable': {
      // Shutting down is not the gateway's fault: leave the event to be handled again.
      if (charged.reason === 'stopped') throw new Error('payment interrupted: stopping');
      // A timed-out or failed call may still have charged the card. The order fails now (its
      // stock goes back on sale); the payment stays open and is checked again later with
      // the same key, so money that did move is found and refunded.
      const retryAt = new Date(Date.now() + deps.config.paymentCheckDelayMs);
      expectRight(
        'FailPaymentAttempt',
        await paymentCommand(
          deps.store,
          {
            type: 'FailPaymentAttempt',
            orderId,
            attempt: 1,
            reason: charged.reason.includes('timeout') ? 'timeout' : 'gateway_error',
            retryAt: retryAt.toISOString(),
            now: isoNow(),
          },
          `${orderId}:payment-attempt-failed:1`,
          cause,
        ),
      );
      await scheduleRetry(deps.pool, {
        kind: 'payment_check',
        orderId,
        attempt: 1,
        dueAt: retryAt,
      });
      return failOrderPayment(
        deps,
        order,
        `payment gateway unavailable after ${charged.attempts} attempts (${charged.reason})`,
        cause,
      );
    }
  }
}

/**
 * Asks the gateway again, with the order id as key, how a charge whose outcome was unknown
 * ended. Captured → recorded (on the failed order as a late capture, which the reactor
 * refunds); declined → the payment fails for good; still unavailable → asked again later,
 * up to `paymentChecks` times, then recorded as failed. If the first call never reached the
 * gateway, this call charges now and the refund follows: the customer is never left charged.
 */
export async function checkPayment(
  deps: PaymentDeps,
  orderId: string,
  check: number,
  cause: CommandMetadata,
): Promise<void> {
  const order = await loadOrder(deps.store, orderId);
  if (order.capture !== null) return;
  const token = await paymentToken(deps.pool, orderId);
  if (token === undefined) return;
  const { totalPrice: amount, currency } = order;
  const charged = await deps.paymentClient.charge({ orderId, amount, currency, token });
  if (charged.kind === 'captured') return recordCapture(deps, order, charged.chargeId, cause);
  if (charged.kind === 'unavailable' && charged.reason === 'stopped') {
    throw new Error('payment check interrupted: stopping');
  }
  if (charged.kind === 'unavailable' && check < deps.config.paymentChecks) {
    const dueAt = new Date(Date.now() + deps.config.paymentCheckDelayMs * 2 ** check);
    return scheduleRetry(deps.pool, { kind: 'payment_check', orderId, attempt: check + 1, dueAt });
  }
  const reason: PaymentFailureReason =
    charged.kind === 'unavailable'
      ? 'gateway_unavailable'
      : charged.reason === 'insufficient_funds'
        ? 'insufficient_funds'
        : 'declined';
  await failPaymentStream(deps, orderId, reason, cause);
}

async function recordCapture(
  deps: PaymentDeps,
  order: OrderState,
  chargeId: string,
  cause: CommandMetadata,
): Promise<void> {
  const { orderId, totalPrice: amount } = order;
  // Two streams, side by side. Each command is idempotent: after a crash between them, the
  // order's 'paid' status brings the run back here (see takePayment).
  const [payment, paid] = await settleAll([
    paymentCommand(
      deps.store,
      { type: 'CapturePayment', orderId, transactionId: chargeId, amount, now: isoNow() },
      `${orderId}:payment-capture`,
      cause,
    ),
    // On an order stopped meanwhile this records the late capture; the reactor then refunds.
    orderCommand(
      deps.store,
      { type: 'MarkPaymentCaptured', orderId, paymentId: chargeId, amount, now: isoNow() },
      `${orderId}:order-paid`,
      cause,
    ),
  ]);
  expectRight('CapturePayment', payment);
  expectRight('MarkPaymentCaptured', paid);
  await markProcessed(deps, orderId, cause);
}

async function markProcessed(
  deps: PaymentDeps,
  orderId: string,
  cause: CommandMetadata,
): Promise<void> {
  const result = await orderCommand(
    deps.store,
    { type: 'MarkProcessed', orderId, now: isoNow() },
    `${orderId}:processed`,
    cause,
  );
  if (E.isLeft(result)) {
    deps.logger.info({ orderId, refusal: result.left }, 'fulfilment: paid order stopped meanwhile');
  }
}

async function failPaymentStream(
  deps: PaymentDeps,
  orderId: string,
  reason: PaymentFailureReason,
  cause: CommandMetadata,
): Promise<void> {
  expectRight(
    'FailPayment',
    await paymentCommand(
      deps.store,
      { type: 'FailPayment', orderId, reason, now: isoNow() },
      `${orderId}:payment-failed`,
      cause,
    ),
  );
}

/** The order fails for its payment (a no-op on an order already stopped); stock released. */
async function failOrderPayment(
  deps: PaymentDeps,
  order: OrderState,
  reason: string,
  cause: CommandMetadata,
): Promise<void> {
  const { orderId } = order;
  const result = await orderCommand(
    deps.store,
    { type: 'MarkPaymentFailed', orderId, reason, retryable: false, now: isoNow() },
    `${orderId}:order-payment-failed`,
    cause,
  );
  if (E.isLeft(result)) {
    deps.logger.info({ orderId, refusal: result.left }, 'fulfilment: order moved on meanwhile');
  }
  const lines = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
  await releaseLines(deps.store, orderId, lines, `${orderId}:release-payment`, cause);
}

/**
 * Refunds an order's captured payment once: the gateway's refund is keyed by the order,
 * PaymentRefunded and OrderRefunded by the refund id. Nothing to do without a capture or
 * after the refund. A gateway that refuses or stays unavailable throws: the reactor retries.
 */
export async function refundOrder(
  deps: PaymentDeps,
  orderId: string,
  cause: CommandMetadata,
): Promise<void> {
  const order = await loadOrder(deps.store, orderId);
  if (order.capture === null || order.refund !== null) return;
  const { paymentId: chargeId, amount } = order.capture;
  const refunded = await deps.paymentClient.refund({ orderId, chargeId, amount });
  if (refunded.kind !== 'refunded') {
    throw new Error(`refund of order ${orderId} failed: ${refunded.kind} (${refunded.reason})`);
  }
  const { refundId } = refunded;
  const payment = await paymentCommand(
    deps.store,
    { type: 'RefundPayment', orderId, refundId, amount, now: isoNow() },
    `${orderId}:payment-refund`,
    cause,
  );
  if (E.isLeft(payment) && payment.left.code !== 'PAYMENT_ALREADY_REFUNDED') {
    throw new Error(`RefundPayment refused: ${JSON.stringify(payment.left)}`);
  }
  expectRight(
    'MarkRefunded',
    await orderCommand(
      deps.store,
      { type: 'MarkRefunded', orderId, refundId, amount, now: isoNow() },
      `${orderId}:order-refunded`,
      cause,
    ),
  );
}
