import { createHmac } from 'node:crypto';
import { notificationSignature, verifyNotificationSignature } from './notification-signature';

describe('notification signature', () => {
  const secret = 'whsec_0123456789abcdef0123456789abcdef';
  const body = '{"event":"audit.completed"}';

  it('is HMAC-SHA256 of "<t>.<body>" in hex, as docs/service.md says', () => {
    const expected = createHmac('sha256', secret).update(`1764170000.${body}`).digest('hex');
    expect(notificationSignature(secret, body, 1764170000)).toBe(`t=1764170000,v1=${expected}`);
  });

  it('verifies a fresh signature and refuses another body, another secret, a stale time and junk', () => {
    const now = 1764170000;
    const header = notificationSignature(secret, body, now);
    expect(verifyNotificationSignature(secret, body, header, 300, now + 10)).toBe(true);
    expect(verifyNotificationSignature(secret, `${body} `, header, 300, now)).toBe(false);
    expect(verifyNotificationSignature(`${secret}x`, body, header, 300, now)).toBe(false);
    expect(verifyNotificationSignature(secret, body, header, 300, now + 301)).toBe(false);
    expect(verifyNotificationSignature(secret, body, undefined)).toBe(false);
    expect(verifyNotificationSignature(secret, body, 't=abc,v1=zz', 300, now)).toBe(false);
  });
});
