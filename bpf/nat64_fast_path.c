// SPDX-License-Identifier: (MIT OR GPL-2.0)
// NAT64 fast path (docs/fast-path.md): a tc classifier on the clsact *egress* of tayga's TUN.
// The agent's routes send both directions into that TUN: IPv6 to the NAT64 prefix and IPv4 to
// the pool. The common case (TCP/UDP, no options, no extension headers, no fragments, a client
// tayga has already mapped) is translated here per RFC 7915 and handed back to the same device's
// *ingress* with bpf_redirect(BPF_F_INGRESS): netfilter sees a fresh packet, so conntrack, the
// open-proxy guard and masquerade apply exactly as for tayga's output. Every other packet leaves
// with TC_ACT_OK, goes on into the TUN and is translated by tayga. Each such fall-through has a
// name and a counter (enum counter below).
//
// Addresses: the agent mirrors tayga's data-dir/dynamic.map into fp_v6_to_v4 / fp_v4_to_v6, so
// the program never allocates and always agrees with tayga (docs/fast-path.md, "Addresses").
//
// Built with: clang -O2 -g -target bpf -c nat64_fast_path.c (libbpf-dev for bpf_helpers.h).
// Loaded with: tc filter add dev <tun> egress bpf direct-action obj <o> sec tc

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// One packet per client and per LEASE_REFRESH_NS goes through tayga even when the fast path could
// take it: tayga then keeps seeing the client, refreshes its lease and never hands the address to
// someone else (tayga moves mappings unused for ~2 h to its dormant list and may reuse them).
#define LEASE_REFRESH_NS (60ULL * 1000 * 1000 * 1000)
// RFC 7915 §5.1: DF is set when the translated IPv4 packet is larger than 1260 bytes.
#define IPV4_DF_ABOVE 1260
// RFC 7915 §4.1: an IPv4 packet without DF that would exceed 1280 bytes as IPv6 must be
// fragmented; tayga does that, this program does not.
#define IPV6_MIN_MTU 1280

#define IP_DF 0x4000
#define IP_MF_AND_OFFSET 0x3fff
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

enum counter {
	FAST_V6_TO_V4_PACKETS,
	FAST_V6_TO_V4_BYTES,
	FAST_V4_TO_V6_PACKETS,
	FAST_V4_TO_V6_BYTES,
	// Fall-throughs: the packet goes on to tayga.
	TAYGA_NOT_CONFIGURED,      // the agent has not written fp_config yet
	TAYGA_NOT_IP,              // neither IPv4 nor IPv6
	TAYGA_SHORT_OR_BAD_LENGTH, // headers cut short, or IP length != skb length (jumbo, padding)
	TAYGA_HOP_LIMIT,           // TTL / hop limit <= 1: tayga sends the ICMP time exceeded
	TAYGA_V6_NOT_TCP_UDP,      // ICMPv6, extension headers (fragment header included)
	TAYGA_V6_DST_NOT_PREFIX,   // not to the NAT64 prefix
	TAYGA_V6_DST_IN_POOL,      // to an embedded pool address (tayga itself, hairpin)
	TAYGA_V6_UNKNOWN_CLIENT,   // no mapping yet: tayga assigns one, the agent mirrors it
	TAYGA_V4_OPTIONS,          // ihl != 5
	TAYGA_V4_FRAGMENT,         // MF set or offset != 0
	TAYGA_V4_NOT_TCP_UDP,      // ICMP (echo, errors) and everything else
	TAYGA_V4_SRC_IN_POOL,      // hairpin between two clients
	TAYGA_V4_UNKNOWN_POOL_ADDR, // not a mapped pool address
	TAYGA_V4_UDP_NO_CHECKSUM,  // IPv4 UDP checksum 0: IPv6 needs one (RFC 7915 §4.5)
	TAYGA_V4_NO_DF_TOO_BIG,    // would need fragmenting (RFC 7915 §4.1)
	TAYGA_LEASE_REFRESH,       // the once-a-minute packet that keeps tayga's lease fresh
	TAYGA_CHANGE_PROTO_FAILED, // the kernel refused (e.g. UDP GSO): untouched, to tayga
	DROPPED_AFTER_REWRITE,     // a helper failed after the header was rewritten
	COUNTER_MAX,
};

struct fast_path_config {
	__be32 prefix[3]; // the NAT64 /96 prefix, network order (RFC 6052 §2.2)
	__be32 pool_network;
	__be32 pool_mask;
	__u32 enabled;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fast_path_config);
} fp_config SEC(".maps");

// Client IPv6 -> its pool IPv4, as in tayga's dynamic.map.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct in6_addr);
	__type(value, __be32);
} fp_v6_to_v4 SEC(".maps");

// Pool IPv4 -> client IPv6, the same pairs the other way round.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __be32);
	__type(value, struct in6_addr);
} fp_v4_to_v6 SEC(".maps");

// Pool IPv4 -> when a packet of that client last went through tayga (bpf_ktime_get_ns).
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __be32);
	__type(value, __u64);
} fp_lease SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_counters SEC(".maps");

static __always_inline void count(__u32 which, __u64 amount)
{
	__u64 *value = bpf_map_lookup_elem(&fp_counters, &which);
	if (value)
		*value += amount;
}

static __always_inline int to_tayga(__u32 reason)
{
	count(reason, 1);
	return TC_ACT_OK;
}

static __always_inline __u16 fold(__s64 sum)
{
	__u32 value = (__u32)sum;
	value = (value & 0xffff) + (value >> 16);
	value = (value & 0xffff) + (value >> 16);
	return (__u16)~value;
}

// Non-GSO packets only, so the refresh packet never reorders a large burst.
static __always_inline int lease_refresh_due(struct __sk_buff *skb, __be32 pool4)
{
	if (skb->gso_size)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	__u64 *last = bpf_map_lookup_elem(&fp_lease, &pool4);
	if (last && now - *last < LEASE_REFRESH_NS)
		return 0;
	bpf_map_update_elem(&fp_lease, &pool4, &now, BPF_ANY);
	return 1;
}

static __always_inline int l4_csum_offset(__u8 protocol)
{
	return protocol == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
}

static __always_inline int finish(struct __sk_buff *skb, __u32 packets, __u32 bytes, __u32 len)
{
	count(packets, 1);
	count(bytes, len);
	// Back into the same device as received traffic: routing, conntrack, the guard and
	// masquerade see it as they see tayga's output.
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
}

// Swaps the IP header for `header` (the other family's) and applies the pseudo-header delta to
// the L4 checksum. Before the swap a failure leaves the packet untouched for tayga; after it the
// packet is half-translated and is dropped (and counted).
static __always_inline int rewrite(struct __sk_buff *skb, __be16 proto, void *header, __u32 size,
				   __u8 protocol, __s64 delta, __u32 packets, __u32 bytes)
{
	if (delta < 0 || bpf_skb_change_proto(skb, proto, 0) < 0)
		return to_tayga(TAYGA_CHANGE_PROTO_FAILED);
	__u64 flags = BPF_F_PSEUDO_HDR | (protocol == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
	if (bpf_skb_store_bytes(skb, 0, header, size, 0) < 0 ||
	    bpf_l4_csum_replace(skb, size + l4_csum_offset(protocol), 0, delta, flags) < 0) {
		count(DROPPED_AFTER_REWRITE, 1);
		return TC_ACT_SHOT;
	}
	return finish(skb, packets, bytes, skb->len);
}

static __always_inline int six_to_four(struct __sk_buff *skb, const struct fast_path_config *cfg)
{
	struct ipv6hdr ip6;
	if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
		return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
	if (ip6.nexthdr != IPPROTO_TCP && ip6.nexthdr != IPPROTO_UDP)
		return to_tayga(TAYGA_V6_NOT_TCP_UDP);
	__u32 payload = bpf_ntohs(ip6.payload_len);
	if (payload == 0 || payload + sizeof(ip6) != skb->len ||
	    payload + sizeof(struct iphdr) > 0xffff)
		return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
	if (payload < (ip6.nexthdr == IPPROTO_TCP ? 20 : 8))
		return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
	if (ip6.hop_limit <= 1)
		return to_tayga(TAYGA_HOP_LIMIT);
	if (ip6.daddr.in6_u.u6_addr32[0] != cfg->prefix[0] ||
	    ip6.daddr.in6_u.u6_addr32[1] != cfg->prefix[1] ||
	    ip6.daddr.in6_u.u6_addr32[2] != cfg->prefix[2])
		return to_tayga(TAYGA_V6_DST_NOT_PREFIX);
	__be32 dst4 = ip6.daddr.in6_u.u6_addr32[3];
	if ((dst4 & cfg->pool_mask) == cfg->pool_network)
		return to_tayga(TAYGA_V6_DST_IN_POOL);
	__be32 *pool4 = bpf_map_lookup_elem(&fp_v6_to_v4, &ip6.saddr);
	if (!pool4)
		return to_tayga(TAYGA_V6_UNKNOWN_CLIENT);
	__be32 src4 = *pool4;
	if (lease_refresh_due(skb, src4))
		return to_tayga(TAYGA_LEASE_REFRESH);

	__u16 tot_len = payload + sizeof(struct iphdr);
	int df = skb->gso_size || tot_len > IPV4_DF_ABOVE;
	struct iphdr ip4 = {
		.version = 4,
		.ihl = 5,
		// RFC 7915 §5.1: TOS from the traffic class, TTL from the hop limit (the kernel
		// decrements it when it forwards the result), protocol from the next header.
		.tos = (bpf_ntohl(*(__be32 *)&ip6) >> 20) & 0xff,
		.tot_len = bpf_htons(tot_len),
		.id = df ? 0 : bpf_htons(bpf_get_prandom_u32() & 0xffff),
		.frag_off = df ? bpf_htons(IP_DF) : 0,
		.ttl = ip6.hop_limit,
		.protocol = ip6.nexthdr,
		.saddr = src4,
		.daddr = dst4,
	};
	ip4.check = fold(bpf_csum_diff(0, 0, (__be32 *)&ip4, sizeof(ip4), 0));

	// The pseudo-header changes from the two IPv6 addresses to the two IPv4 ones; length and
	// protocol sum the same (RFC 7915 §5.5). One delta, applied by the kernel, is right for
	// CHECKSUM_PARTIAL (GSO) and complete checksums alike.
	__be32 new_addrs[2] = {src4, dst4};
	__s64 delta = bpf_csum_diff((__be32 *)&ip6.saddr, 32, new_addrs, sizeof(new_addrs), 0);
	return rewrite(skb, bpf_htons(ETH_P_IP), &ip4, sizeof(ip4), ip6.nexthdr, delta,
		       FAST_V6_TO_V4_PACKETS, FAST_V6_TO_V4_BYTES);
}

static __always_inline int four_to_six(struct __sk_buff *skb, const struct fast_path_config *cfg)
{
	struct iphdr ip4;
	if (bpf_skb_load_bytes(skb, 0, &ip4, sizeof(ip4)) < 0)
		return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
	if (ip4.ihl != 5)
		return to_tayga(TAYGA_V4_OPTIONS);
	if (ip4.frag_off & bpf_htons(IP_MF_AND_OFFSET))
		return to_tayga(TAYGA_V4_FRAGMENT);
	if (ip4.protocol != IPPROTO_TCP && ip4.protocol != IPPROTO_UDP)
		return to_tayga(TAYGA_V4_NOT_TCP_UDP);
	__u32 tot_len = bpf_ntohs(ip4.tot_len);
	if (tot_len != skb->len || tot_len < sizeof(ip4) + (ip4.protocol == IPPROTO_TCP ? 20 : 8))
		return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
	if (ip4.ttl <= 1)
		return to_tayga(TAYGA_HOP_LIMIT);
	if ((ip4.saddr & cfg->pool_mask) == cfg->pool_network)
		return to_tayga(TAYGA_V4_SRC_IN_POOL);
	struct in6_addr *client6 = bpf_map_lookup_elem(&fp_v4_to_v6, &ip4.daddr);
	if (!client6)
		return to_tayga(TAYGA_V4_UNKNOWN_POOL_ADDR);
	if (!(ip4.frag_off & bpf_htons(IP_DF)) && !skb->gso_size &&
	    tot_len + sizeof(struct ipv6hdr) - sizeof(ip4) > IPV6_MIN_MTU)
		return to_tayga(TAYGA_V4_NO_DF_TOO_BIG);
	if (ip4.protocol == IPPROTO_UDP) {
		__u16 udp_csum;
		if (bpf_skb_load_bytes(skb, sizeof(ip4) + UDP_CSUM_OFF, &udp_csum, 2) < 0)
			return to_tayga(TAYGA_SHORT_OR_BAD_LENGTH);
		if (udp_csum == 0)
			return to_tayga(TAYGA_V4_UDP_NO_CHECKSUM);
	}
	if (lease_refresh_due(skb, ip4.daddr))
		return to_tayga(TAYGA_LEASE_REFRESH);

	// RFC 7915 §4.1: traffic class from TOS, flow label 0, hop limit from TTL, source is the
	// IPv4 source embedded in the prefix (RFC 6052 §2.2, /96), destination is the client.
	struct ipv6hdr ip6 = {
		.version = 6,
		.priority = ip4.tos >> 4,
		.flow_lbl = {(ip4.tos & 0x0f) << 4, 0, 0},
		.payload_len = bpf_htons(tot_len - sizeof(ip4)),
		.nexthdr = ip4.protocol,
		.hop_limit = ip4.ttl,
		.daddr = *client6,
	};
	ip6.saddr.in6_u.u6_addr32[0] = cfg->prefix[0];
	ip6.saddr.in6_u.u6_addr32[1] = cfg->prefix[1];
	ip6.saddr.in6_u.u6_addr32[2] = cfg->prefix[2];
	ip6.saddr.in6_u.u6_addr32[3] = ip4.saddr;

	__s64 delta = bpf_csum_diff(&ip4.saddr, 8, (__be32 *)&ip6.saddr, 32, 0);
	return rewrite(skb, bpf_htons(ETH_P_IPV6), &ip6, sizeof(ip6), ip4.protocol, delta,
		       FAST_V4_TO_V6_PACKETS, FAST_V4_TO_V6_BYTES);
}

SEC("tc")
int nat64_fast_path(struct __sk_buff *skb)
{
	__u32 zero = 0;
	const struct fast_path_config *cfg = bpf_map_lookup_elem(&fp_config, &zero);
	if (!cfg || !cfg->enabled)
		return to_tayga(TAYGA_NOT_CONFIGURED);
	// tayga's TUN has no link-layer header: the IP header starts at offset 0.
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return six_to_four(skb, cfg);
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return four_to_six(skb, cfg);
	return to_tayga(TAYGA_NOT_IP);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
