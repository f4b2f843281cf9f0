// Who may announce a new model version: a caller holding MODEL_REGISTRY_WEBHOOK_SECRET. Two forms, told apart by
// their headers (docs/service.md, "Model registry webhook"):
//
// - generic:  X-Privaudit-Timestamp: <unix seconds>
//             X-Privaudit-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//             X-Privaudit-Delivery:  <unique id> (optional; replays are also caught by the signature itself)
// - MLflow (OSS MLflow 3 Model Registry webhooks, as MLflow sends them):
//             X-MLflow-Timestamp, X-MLflow-Delivery-Id,
//             X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret, "<delivery id>.<timestamp>.<raw body>")>
//
// Pure (no I/O): the clock comes in as an argument. Every refusal is one reason, never the secret nor the body.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A call signed longer ago (or further ahead) than this is stale. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookForm = 'generic' | 'mlflow';

export interface VerifiedWebhook {
  readonly form: WebhookForm;
  /** Keys that identify this delivery for replay protection (the signature's hash, and the delivery id if any). */
  readonly replayKeys: string[];
}

export class WebhookRefusal extends Error {
  override readonly name = 'WebhookRefusal';
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws WebhookRefusal (-> 401) unless the call is signed with `secret`, fresh, and well-formed. */
export function verifyRegistryWebhook(
  headers: Headers,
  rawBody: Buffer,
  secret: string | undefined,
  nowSeconds: number,
): VerifiedWebhook {
  if (!secret) throw new WebhookRefusal('model-registry webhooks are not configured on this service');
  const mlflowSignature = header(headers, 'x-mlflow-signature');
  const genericSignature = header(headers, 'x-privaudit-signature');
  if (mlflowSignature === undefined && genericSignature === undefined) {
    throw new WebhookRefusal('unsigned call: X-Privaudit-Signature or X-MLflow-Signature is required');
  }
  const form: WebhookForm = mlflowSignature !== undefined ? 'mlflow' : 'generic';
  const timestampHeader = form === 'mlflow' ? 'x-mlflow-timestamp' : 'x-privaudit-timestamp';
  const timestampText = header(headers, timestampHeader);
  if (timestampText === undefined || !/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookRefusal(`${timestampHeader} is required: unix seconds`);
  }
  const deliveryHeader = form === 'mlflow' ? 'x-mlflow-delivery-id' : 'x-privaudit-delivery';
  const delivery = header(headers, deliveryHeader);
  if (form === 'mlflow' && !delivery) throw new WebhookRefusal(`${deliveryHeader} is required`);
  if (delivery !== undefined && !/^[A-Za-z0-9._:-]{1,200}$/.test(delivery)) {
    throw new WebhookRefusal(`${deliveryHeader} must be 1-200 letters, digits or . _ : -`);
  }

  let given: Buffer;
  let expected: Buffer;
  if (form === 'mlflow') {
    const m = /^v1,([A-Za-z0-9+/]+={0,2})$/.exec(mlflowSignature!.trim());
    if (!m) throw new WebhookRefusal('X-MLflow-Signature must be v1,<base64 HMAC-SHA256>');
    given = Buffer.from(m[1]!, 'base64');
    expected = createHmac('sha256', secret).update(`${delivery!}.${timestampText}.`).update(rawBody).digest();
  } else {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(genericSignature!.trim());
    if (!m) throw new WebhookRefusal('X-Privaudit-Signature must be sha256=<hex HMAC-SHA256>');
    given = Buffer.from(m[1]!, 'hex');
    expected = createHmac('sha256', secret).update(`${timestampText}.`).update(rawBody).digest();
  }
  // Signature first: nothing from an unsigned caller reaches the replay table.
  if (!equalBytes(given, expected)) throw new WebhookRefusal('bad signature');
  const age = nowSeconds - Number(timestampText);
  if (Math.abs(age) > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookRefusal(
      `stale call: signed ${Math.round(age)} s ${age >= 0 ? 'ago' : 'ahead'}, more than the ${WEBHOOK_TOLERANCE_SECONDS} s allowed`,
    );
  }
  const replayKeys = [`sig:${createHash('sha256').update(given).digest('hex')}`];
  if (delivery !== undefined) replayKeys.push(`${form}-delivery:${delivery}`);
  return { form, replayKeys };
}
