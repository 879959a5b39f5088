import { randomBytes } from 'node:crypto';

/**
 * How a card behaves in the sandbox (DESIGN.md section 8): the four test cards have a fixed
 * outcome, every other valid number follows the gateway's configured rates.
 */
export type CardScenario =
  'succeeds' | 'declined' | 'insufficient_funds' | 'gateway_error' | 'rates';

const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'unknown'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

/** The sandbox's test cards, as real gateways publish them. */
export const TEST_CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  gatewayError: '4000000000000119',
} as const;

const SCENARIO_OF_TEST_CARD: Record<string, CardScenario> = {
  [TEST_CARDS.succeeds]: 'succeeds',
  [TEST_CARDS.declined]: 'declined',
  [TEST_CARDS.insufficientFunds]: 'insufficient_funds',
  [TEST_CARDS.gatewayError]: 'gateway_error',
};

/** True for 12 to 19 digits that pass the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The card network by its leading digits (IIN ranges); `unknown` when none matches. */
export function brandOf(digits: string): CardBrand {
  if (/^4/.test(digits)) return 'visa';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  return 'unknown';
}

export function scenarioOf(digits: string): CardScenario {
  return SCENARIO_OF_TEST_CARD[digits] ?? 'rates';
}

/** What a token stands for. The card number itself is never kept, not even in memory. */
export interface TokenizedCard {
  scenario: CardScenario;
  brand: CardBrand;
  last4: string;
}

const SCENARIO_CODES: Record<CardScenario, string> = {
  succeeds: 'ok',
  declined: 'declined',
  insufficient_funds: 'nsf',
  gateway_error: 'error',
  rates: 'rates',
};

const TOKEN = new RegExp(
  `^tok_(ok|declined|nsf|error|rates)_(${CARD_BRANDS.join('|')})_(\\d{4})_[0-9a-f]{16}$`,
);

/**
 * Issues a token for a card. Tokens are self-describing (like a sandbox's `tok_visa`): they
 * carry the scenario, brand and last four digits, never the number, so a token issued before
 * the gateway restarted still charges as it would have.
 */
export function issueToken(card: TokenizedCard): string {
  const id = randomBytes(8).toString('hex');
  return `tok_${SCENARIO_CODES[card.scenario]}_${card.brand}_${card.last4}_${id}`;
}

/** The card behind a token, or undefined for a string this gateway never issued. */
export function parseToken(token: string): TokenizedCard | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, code, brand, last4] = match;
  const scenario = (Object.keys(SCENARIO_CODES) as CardScenario[]).find(
    (s) => SCENARIO_CODES[s] === code,
  );
  // The brand as the constant, not a new string per token: the ledger keeps it per charge.
  const known = CARD_BRANDS.find((b) => b === brand);
  if (!scenario || !known) return undefined;
  return { scenario, brand: known, last4: last4 ?? '' };
}
