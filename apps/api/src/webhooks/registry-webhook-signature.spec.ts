import { createHmac } from 'node:crypto';
import { verifyRegistryWebhook, WebhookRefusal } from './registry-webhook-signature';

const SECRET = 's'.repeat(40);
const NOW = 1_800_000_000;
const body = Buffer.from('{"modelVersionId":"00000000-0000-4000-8000-000000000000"}');

const generic = (ts: number, b = body, secret = SECRET) => ({
  'x-privaudit-timestamp': String(ts),
  'x-privaudit-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.`).update(b).digest('hex')}`,
});
const mlflow = (ts: number, delivery: string, b = body, secret = SECRET) => ({
  'x-mlflow-timestamp': String(ts),
  'x-mlflow-delivery-id': delivery,
  'x-mlflow-signature': `v1,${createHmac('sha256', secret).update(`${delivery}.${ts}.`).update(b).digest('base64')}`,
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebhookRefusal);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('verifyRegistryWebhook', () => {
  it('accepts both signed forms within the window and names replay keys', () => {
    const g = verifyRegistryWebhook(generic(NOW - 10), body, SECRET, NOW);
    expect(g.form).toBe('generic');
    expect(g.replayKeys).toHaveLength(1);
    const withDelivery = verifyRegistryWebhook({ ...generic(NOW), 'x-privaudit-delivery': 'd-1' }, body, SECRET, NOW);
    expect(withDelivery.replayKeys).toContain('generic-delivery:d-1');
    const m = verifyRegistryWebhook(mlflow(NOW + 30, 'abc-123'), body, SECRET, NOW);
    expect(m).toMatchObject({ form: 'mlflow' });
    expect(m.replayKeys).toContain('mlflow-delivery:abc-123');
    // The same call twice gives the same keys (the replay table catches the second).
    expect(verifyRegistryWebhook(generic(NOW - 10), body, SECRET, NOW).replayKeys).toEqual(g.replayKeys);
  });

  it('refuses unsigned, wrongly signed, tampered and stale calls, and any call without a configured secret', () => {
    expect(refusal(() => verifyRegistryWebhook({}, body, SECRET, NOW))).toMatch(/^unsigned call/);
    expect(refusal(() => verifyRegistryWebhook(generic(NOW, body, 'x'.repeat(40)), body, SECRET, NOW))).toBe(
      'bad signature',
    );
    const tampered = Buffer.from(body.toString().replace('0000-4000', '0000-4001'));
    expect(refusal(() => verifyRegistryWebhook(generic(NOW), tampered, SECRET, NOW))).toBe('bad signature');
    // The timestamp is signed: moving it breaks the signature.
    const moved = { ...generic(NOW - 1000), 'x-privaudit-timestamp': String(NOW) };
    expect(refusal(() => verifyRegistryWebhook(moved, body, SECRET, NOW))).toBe('bad signature');
    expect(refusal(() => verifyRegistryWebhook(generic(NOW - 301), body, SECRET, NOW))).toMatch(
      /^stale call: signed 301 s ago/,
    );
    expect(refusal(() => verifyRegistryWebhook(generic(NOW + 400), body, SECRET, NOW))).toMatch(/ahead/);
    // MLflow: the delivery id is signed too.
    const swapped = { ...mlflow(NOW, 'one'), 'x-mlflow-delivery-id': 'two' };
    expect(refusal(() => verifyRegistryWebhook(swapped, body, SECRET, NOW))).toBe('bad signature');
    expect(
      refusal(() =>
        verifyRegistryWebhook({ ...mlflow(NOW, 'one'), 'x-mlflow-signature': 'sha256=ab' }, body, SECRET, NOW),
      ),
    ).toMatch(/v1,<base64/);
    expect(refusal(() => verifyRegistryWebhook(generic(NOW), body, undefined, NOW))).toMatch(/not configured/);
  });
});
