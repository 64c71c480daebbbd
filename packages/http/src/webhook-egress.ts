import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/*
 * Where webhooks may go (docs/alerting.md, "Egress"): not to this machine, the private networks around it or a
 * cloud metadata service (SSRF), unless the operator allows a range with WAYMARK_WEBHOOK_ALLOW. A rule's URL is
 * checked when it is saved (an IP literal or a localhost name), and every delivery checks the addresses its
 * host resolves to and connects to the one it checked (`lookup`), so DNS cannot answer differently in between.
 */

/** Why an address is refused; `public` is not. */
export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared'
  | 'multicast'
  | 'reserved';

const RANGES: ReadonlyArray<[AddressKind, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  // Carrier-grade NAT; also where Alibaba Cloud's metadata service (100.100.100.200) lives.
  ['shared', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  // AWS, GCP and Azure metadata at 169.254.169.254, inside link-local: named first so the reason says it.
  ['metadata', '169.254.169.254', 32, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  // The deprecated IPv4-compatible form (::a.b.c.d): nothing routes it.
  ['reserved', '::', 96, 'ipv6'],
  ['reserved', '100::', 64, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
  // AWS's IPv6 metadata service (fd00:ec2::254), inside the unique local range.
  ['metadata', 'fd00:ec2::254', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['private', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

const LISTS = RANGES.map(([kind, network, prefix, family]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return [kind, list] as const;
});

/** The 16 bytes of an IPv6 address as `isIP` accepts it (with `::` and a dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const start = groups(head);
  const end = tail === undefined ? [] : groups(tail);
  const words = [...start, ...Array(8 - start.length - end.length).fill(0), ...end];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * The IPv4 address an IPv6 one carries to an IPv4 host: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96)
 * and 6to4 (2002:aabb:ccdd::/48). A webhook to one of those reaches that IPv4 host, so it is judged by it.
 */
function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return undefined;
}

/** What kind of address `address` is (an IP as `net.isIP` accepts it; anything else is `reserved`). */
export function classifyAddress(address: string): AddressKind {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== undefined) return classifyAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return LISTS.find(([, list]) => list.check(address, type))?.[0] ?? 'public';
}

/** An address range, as @waymark/config's parseCidr reads WAYMARK_WEBHOOK_ALLOW. */
export interface AllowedRange {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Names judged as the address they always stand for, whatever DNS says: localhost names are loopback, the
 * metadata service's names are its address.
 */
const FIXED_NAMES: ReadonlyArray<[RegExp, string]> = [
  [/(^|\.)localhost\.?$/i, '127.0.0.1'],
  [/^metadata(\.google\.internal)?\.?$/i, '169.254.169.254'],
];

export class WebhookEgressError extends Error {
  readonly code = 'WEBHOOK_EGRESS_REFUSED';
}

export type EgressLookup = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** The egress policy: refuses the address kinds above except in the ranges the operator allows. */
export class WebhookEgress {
  readonly #allowed = new BlockList();

  constructor(allow: readonly AllowedRange[] = []) {
    for (const range of allow) this.#allowed.addSubnet(range.network, range.prefix, range.family);
  }

  /** Why a delivery may not connect to `address`; undefined when it may. */
  refusal(address: string): string | undefined {
    const kind = classifyAddress(address);
    if (kind === 'public') return undefined;
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    const v4 = family === 'ipv6' ? embeddedIpv4(address) : undefined;
    if (this.#allowed.check(address, family) || (v4 !== undefined && this.#allowed.check(v4, 'ipv4'))) {
      return undefined;
    }
    return `${address} is a ${kind} address; webhooks may not reach it unless WAYMARK_WEBHOOK_ALLOW allows it`;
  }

  /**
   * The check when a rule is saved: the URL's host if it is an address (the URL parser has already turned
   * `2130706433`, `0x7f.1` or `0177.0.0.1` into `127.0.0.1`), or a name that is local whatever DNS answers.
   * Other names are checked at each delivery, after resolution.
   */
  urlRefusal(url: string): string | undefined {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return 'not a URL';
    }
    const address = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(address) !== 0) return this.refusal(address);
    const fixed = FIXED_NAMES.find(([name]) => name.test(address))?.[1];
    return fixed === undefined ? undefined : this.refusal(fixed)?.replace(fixed, `${host} (${fixed})`);
  }

  /**
   * A `lookup` for http(s).request: resolves every address of the name and answers only allowed ones, so the
   * socket connects to an address that was checked. None allowed → WEBHOOK_EGRESS_REFUSED naming the first.
   */
  readonly lookup: EgressLookup = (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const allowed = addresses.filter((a) => this.refusal(a.address) === undefined);
      const first = allowed[0];
      if (first === undefined) {
        const reason =
          addresses[0] === undefined ? `${hostname} has no address` : this.refusal(addresses[0].address);
        return callback(new WebhookEgressError(reason), []);
      }
      if (options.all) return callback(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}
