// The signature of an outbound notification (docs/service.md, "Notifications"):
//
//     Privaudit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is signed with the body, so a receiver refuses a stale or replayed delivery by its age (and a
// repeat by the Privaudit-Delivery id); the secret is the subscription's, shown once when it was created.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'privaudit-signature';
export const DELIVERY_HEADER = 'privaudit-delivery';
export const EVENT_HEADER = 'privaudit-event';

export function notificationSignature(secret: string, body: string | Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (and what the tests do): true when the header holds a v1 signature of this body under
 * this secret, made at most toleranceSeconds from now.
 */
export function verifyNotificationSignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (header === undefined) return false;
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = notificationSignature(secret, body, t).split('v1=')[1] as string;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(v1, 'hex'));
}
