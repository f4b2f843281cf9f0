// Is this destination a public unicast address? The check runs on the addresses DNS resolved to (every one of
// them), and outbound-client.ts connects to the address checked here, so a name that resolves to a public
// address at check time and to 127.0.0.1 at connect time (DNS rebinding) cannot slip through. Numeric host
// spellings (`http://2130706433/`, `http://0177.0.0.1/`, `http://0x7f000001/`, `http://127.1/`) are normalised to
// dotted quads by the WHATWG URL parser before anything here sees them.

import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { EngineError, EngineErrorCode } from '../../errors';
import type { OutboundPolicy } from './outbound-policy';

const CLOUD_METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '169.254.170.2']);

const RANGE_WORDS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (CGNAT) address',
  private: 'a private address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  rfc6145: 'an IPv4-translated IPv6 address',
  rfc6052: 'a NAT64 IPv6 address',
  '6to4': 'a 6to4 IPv6 address',
  teredo: 'a Teredo IPv6 address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
};

/**
 * Why an IP address is refused as a destination, or undefined for a public unicast address. Anything ipaddr.js
 * does not classify as 'unicast' is refused (loopback, private, link-local, CGNAT, multicast, unspecified,
 * broadcast, reserved, IPv4-mapped / NAT64 / 6to4 / Teredo IPv6 forms that embed an IPv4 address), as are the
 * cloud metadata addresses.
 */
export function refusedAddressReason(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return 'not an IP address';
  const parsed = ipaddr.parse(bare);
  const normal = parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toNormalizedString() : parsed.toString();
  const canonical = parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
  if (CLOUD_METADATA.has(canonical) || CLOUD_METADATA.has(normal)) return 'a cloud metadata address';
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).zoneId !== undefined) return 'a scoped (zone) IPv6 address';
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (range === 'ipv4Mapped') {
    const inner = refusedAddressReason((parsed as ipaddr.IPv6).toIPv4Address().toString());
    return `an IPv4-mapped IPv6 address${inner !== undefined ? ` (${inner})` : ''}`;
  }
  return RANGE_WORDS[range] ?? `a non-public address (${range})`;
}

export interface CheckedDestination {
  readonly url: URL;
  /** The URL's host as WHATWG URL spells it (IPv6 without brackets). */
  readonly hostname: string;
  /** The address checked (and the one to connect to). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly allowListed: boolean;
}

/** host[:port] as messages show it: no credentials, path or query. */
export function hostLabel(url: URL): string {
  return url.host;
}

function refuse(url: URL, why: string): never {
  throw new EngineError(EngineErrorCode.TargetDestinationRefused, `remote target ${hostLabel(url)}: refused: ${why}`);
}

function bareHostname(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * Resolves the URL's host and checks the destination against the policy. Throws EngineError
 * TARGET_DESTINATION_REFUSED with the reason (never a header or a query string). An allow-listed host may be
 * reached over http and at any address; any other host needs https and public unicast addresses only: when its
 * name resolves to several addresses, every one must be public (the connection may pick any of them).
 */
export async function assertPublicDestination(
  url: string | URL,
  policy: Pick<OutboundPolicy, 'allowHosts'>,
  resolve: (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>> = (h) =>
    lookup(h, { all: true, verbatim: true }),
): Promise<CheckedDestination> {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new EngineError(EngineErrorCode.TargetDestinationRefused, 'remote target: the URL is not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') refuse(parsed, 'only http(s) URLs are allowed');
  if (parsed.username !== '' || parsed.password !== '') refuse(parsed, 'credentials in the URL are not allowed');
  const allowListed = policy.allowHosts.includes(parsed.hostname.toLowerCase());
  if (!allowListed && parsed.protocol !== 'https:')
    refuse(parsed, 'https is required (plain http only to an allow-listed host)');
  const hostname = bareHostname(parsed);
  let addresses: ReadonlyArray<{ address: string; family: number }>;
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: ipaddr.parse(hostname).kind() === 'ipv6' ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch {
      refuse(parsed, 'the host name does not resolve');
    }
    if (addresses.length === 0) refuse(parsed, 'the host name does not resolve');
  }
  if (!allowListed) {
    for (const a of addresses) {
      const why = refusedAddressReason(a.address);
      if (why !== undefined)
        refuse(
          parsed,
          `it resolves to ${why}; only public unicast destinations may be queried (or allow-list the host)`,
        );
    }
  }
  const first = addresses[0] as { address: string; family: number };
  return { url: parsed, hostname, address: first.address, family: first.family === 6 ? 6 : 4, allowListed };
}
