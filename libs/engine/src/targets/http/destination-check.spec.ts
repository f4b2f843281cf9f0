import { EngineErrorCode } from '../../errors';
import { assertPublicDestination, refusedAddressReason } from './destination-check';
import { normaliseAllowedHost } from './outbound-policy';

const noAllow = { allowHosts: [] as string[] };
const neverResolves = (): Promise<never> => Promise.reject(new Error('no DNS in this test'));

describe('assertPublicDestination refuses every non-public form (SSRF)', () => {
  const refused: Array<[string, RegExp]> = [
    ['https://127.0.0.1/', /loopback/],
    ['https://2130706433/', /loopback/], // decimal 127.0.0.1
    ['https://0177.0.0.1/', /loopback/], // octal
    ['https://0x7f000001/', /loopback/], // hex
    ['https://0x7f.0.0.1/', /loopback/], // mixed hex dotted
    ['https://127.1/', /loopback/], // short form
    ['https://[::1]/', /loopback/],
    ['https://10.1.2.3/', /private/],
    ['https://172.16.0.1/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://169.254.169.254/latest/meta-data/', /cloud metadata/],
    ['https://[fd00:ec2::254]/', /cloud metadata/],
    ['https://169.254.1.1/', /link-local/],
    ['https://[fe80::1]/', /link-local/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://224.0.0.1/', /multicast/],
    ['https://[ff02::1]/', /multicast/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://[::]/', /unspecified/],
    ['https://255.255.255.255/', /broadcast/],
    ['https://[::ffff:127.0.0.1]/', /IPv4-mapped.*loopback/],
    ['https://[::ffff:7f00:1]/', /IPv4-mapped.*loopback/],
    ['https://[::ffff:8.8.8.8]/', /IPv4-mapped/],
    ['https://[64:ff9b::7f00:1]/', /NAT64/],
    ['https://[64:ff9b:1::a00:1]/', /NAT64/],
    ['https://[fc00::1]/', /unique-local/],
    ['https://[2002:7f00:1::]/', /6to4/],
  ];
  it.each(refused)('%s', async (url, why) => {
    const error = await assertPublicDestination(url, noAllow, neverResolves).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: EngineErrorCode.TargetDestinationRefused });
    expect((error as Error).message).toMatch(why);
  });

  it('refuses a host name when any of its addresses is private (DNS answers checked, not the name)', async () => {
    const resolve = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
    await expect(assertPublicDestination('https://api.example.com/v1', noAllow, resolve)).rejects.toThrow(
      /api\.example\.com: refused: it resolves to a private address/,
    );
  });

  it('refuses plain http to a public host, credentials in the URL and a name that does not resolve', async () => {
    await expect(assertPublicDestination('http://8.8.8.8/', noAllow)).rejects.toThrow(/https is required/);
    await expect(assertPublicDestination('https://user:pw@8.8.8.8/', noAllow)).rejects.toThrow(/credentials/);
    await expect(assertPublicDestination('https://nowhere.invalid/', noAllow, neverResolves)).rejects.toThrow(
      /does not resolve/,
    );
    await expect(assertPublicDestination('ftp://8.8.8.8/', noAllow)).rejects.toThrow(/http\(s\)/);
  });

  it('accepts a public address and a name resolving to public addresses, and returns the address checked', async () => {
    const literal = await assertPublicDestination('https://8.8.8.8/v2/models/m/infer', noAllow);
    expect(literal).toMatchObject({ address: '8.8.8.8', family: 4, allowListed: false });
    const named = await assertPublicDestination('https://api.example.com/', noAllow, () =>
      Promise.resolve([{ address: '2606:4700::6810:84e5', family: 6 }]),
    );
    expect(named).toMatchObject({ address: '2606:4700::6810:84e5', family: 6 });
  });

  it('allow-listing is how loopback is reached, over plain http too; the list sees through numeric spellings', async () => {
    const allow = { allowHosts: [normaliseAllowedHost('127.0.0.1')] };
    await expect(assertPublicDestination('http://127.0.0.1:8080/', allow)).resolves.toMatchObject({
      allowListed: true,
    });
    await expect(assertPublicDestination('http://0x7f000001:8080/', allow)).resolves.toMatchObject({
      allowListed: true,
    });
    // Allow-listing one loopback address does not open another.
    await expect(assertPublicDestination('http://127.0.0.2/', allow)).rejects.toThrow(/https is required/);
    expect(normaliseAllowedHost('LOCALHOST')).toBe('localhost');
    expect(normaliseAllowedHost('::1')).toBe('[::1]');
  });

  it('classifies addresses directly', () => {
    expect(refusedAddressReason('8.8.8.8')).toBeUndefined();
    expect(refusedAddressReason('2001:4860:4860::8888')).toBeUndefined();
    expect(refusedAddressReason('fd00:ec2::254')).toBe('a cloud metadata address');
    expect(refusedAddressReason('not-an-ip')).toBe('not an IP address');
  });
});
