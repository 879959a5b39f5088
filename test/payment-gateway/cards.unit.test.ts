import {
  brandOf,
  issueToken,
  luhnValid,
  parseToken,
  scenarioOf,
  TEST_CARDS,
} from '../../src/payment-gateway/cards';

describe('cards', () => {
  it('accepts Luhn-valid numbers and refuses the rest', () => {
    for (const number of Object.values(TEST_CARDS)) expect(luhnValid(number)).toBe(true);
    expect(luhnValid('5555555555554444')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('42424242')).toBe(false);
    expect(luhnValid('4242x24242424242')).toBe(false);
  });

  it('names the brand by its leading digits', () => {
    expect(brandOf('4242424242424242')).toBe('visa');
    expect(brandOf('5555555555554444')).toBe('mastercard');
    expect(brandOf('2223003122003222')).toBe('mastercard');
    expect(brandOf('378282246310005')).toBe('amex');
    expect(brandOf('6011111111111117')).toBe('discover');
    expect(brandOf('9000000000000004')).toBe('unknown');
  });

  it('gives each test card its scenario and every other card the rates', () => {
    expect(scenarioOf(TEST_CARDS.succeeds)).toBe('succeeds');
    expect(scenarioOf(TEST_CARDS.declined)).toBe('declined');
    expect(scenarioOf(TEST_CARDS.insufficientFunds)).toBe('insufficient_funds');
    expect(scenarioOf(TEST_CARDS.gatewayError)).toBe('gateway_error');
    expect(scenarioOf('5555555555554444')).toBe('rates');
  });

  it('issues tokens that carry scenario, brand and last four, never the number', () => {
    const card = { scenario: 'insufficient_funds', brand: 'visa', last4: '9995' } as const;
    const token = issueToken(card);
    expect(token).not.toContain(TEST_CARDS.insufficientFunds);
    expect(parseToken(token)).toEqual(card);
    expect(issueToken(card)).not.toBe(token);
    expect(parseToken('tok_ok_visa_4242')).toBeUndefined();
    expect(parseToken('card_4242424242424242')).toBeUndefined();
    // A well-formed token with a brand this gateway never issues is not one of its tokens.
    const forged = issueToken(card).replace('_visa_', '_diners_');
    expect(forged).toContain('_diners_');
    expect(parseToken(forged)).toBeUndefined();
  });
});
