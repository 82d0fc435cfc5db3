// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's per-packet wrappers: each one a static inline or a macro of the kernel made
 * callable (skb fields and headers, routes, checksums, output, BH spinlocks, per-CPU adds).
 * None decides anything.
 *
 * When the kernel inlines its own C helpers into Rust (CONFIG_RUST_INLINE_HELPERS: C and Rust
 * share one LLVM), this file is built as LLVM bitcode and linked into the Rust object the same
 * way (Kbuild), so these become plain instructions in the Rust packet path instead of calls;
 * `__always_inline` lets LLVM inline them across the two languages' target attributes, as the
 * kernel's rust/helpers/helpers.c does. Otherwise it is an ordinary object.
 */
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <net/netns/generic.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include <net/dst.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/addrconf.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/gre.h>
#include <net/udp.h>
#include <net/ip6_checksum.h>
#include <net/checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "ipvs_shim.h"

#ifdef IPVS_RS_INLINE_HELPERS
#define __ipvs_helper __always_inline
#else
#define __ipvs_helper
#endif

/* ---- per network namespace state ------------------------------------------------------- */

__ipvs_helper void *ipvs_rs_net_data(const struct net *net)
{
	return ((struct ipvs_rs_net *)net_generic(net, ipvs_rs_net_id))->data;
}

/* A hook call's namespace, hook point and family, and that namespace's Rust state, in one call. */
__ipvs_helper void *ipvs_rs_hook_state(const struct nf_hook_state *state, struct net **net,
					u32 *hook, u8 *pf)
{
	*hook = state->hook;
	*pf = state->pf;
	*net = state->net;
	return ipvs_rs_net_data(state->net);
}

/* ---- sk_buff --------------------------------------------------------------------------- */

__ipvs_helper u32 ipvs_rs_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

__ipvs_helper bool ipvs_rs_skb_ipvs_property(const struct sk_buff *skb)
{
	return skb->ipvs_property;
}

/* Whether the packet's full socket is an IPv4 one with IP_NODEFRAG set (raw sockets only). */
__ipvs_helper bool ipvs_rs_skb_sk_nodefrag(const struct sk_buff *skb)
{
	const struct sock *sk = skb_to_full_sk(skb);

	return sk && sk->sk_family == PF_INET && inet_test_bit(NODEFRAG, sk);
}

__ipvs_helper void ipvs_rs_skb_view(const struct sk_buff *skb, struct ipvs_rs_skb_view *v)
{
	v->data = skb->data;
	v->len = skb->len;
	v->headlen = skb_headlen(skb);
	v->network_offset = skb_network_offset(skb);
	v->pkt_type = skb->pkt_type;
	v->has_dst = skb_dst(skb) != NULL;
	v->csum_partial = skb->ip_summed == CHECKSUM_PARTIAL;
	v->headroom = skb_headroom(skb);
	v->has_dev = skb->dev != NULL;
	v->gso = skb_is_gso(skb);
	v->mark = skb->mark;
}

__ipvs_helper int ipvs_rs_skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len)
{
	return skb_copy_bits(skb, offset, to, len);
}

__ipvs_helper int ipvs_rs_skb_make_writable(struct sk_buff *skb, u32 len)
{
	return skb_ensure_writable(skb, len);
}




/* ---- conntrack (rust/conntrack.rs; what to do with a packet's entry is decided in Rust) -- */

__ipvs_helper void ipvs_rs_skb_set_ipvs_property(struct sk_buff *skb)
{
	skb->ipvs_property = 1;
}

/* Forgets the packet's conntrack entry and marks the packet untracked (C: ip_vs_notrack). */
__ipvs_helper void ipvs_rs_skb_notrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;

	if (nf_ct_get(skb, &ctinfo)) {
		nf_reset_ct(skb);
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	}
#endif
}

__ipvs_helper void ipvs_rs_skb_reset_ct(struct sk_buff *skb)
{
	nf_reset_ct(skb);
}

/* The packet's conntrack entry, if it has one, and its reply tuple. */
__ipvs_helper bool ipvs_rs_skb_ct(const struct sk_buff *skb, struct ipvs_rs_ct *v)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);
	const struct nf_conntrack_tuple *t;

	if (!ct)
		return false;
	t = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	v->ct = ct;
	v->confirmed = nf_ct_is_confirmed(ct);
	v->dying = nf_ct_is_dying(ct);
	v->original = CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL;
	v->protonum = t->dst.protonum;
	memcpy(v->src, &t->src.u3, sizeof(v->src));
	memcpy(v->dst, &t->dst.u3, sizeof(v->dst));
	v->sport = t->src.u.all;
	v->dport = t->dst.u.all;
	return true;
#else
	return false;
#endif
}

/* Sets the reply tuple's addresses and ports to v's (the rest of the tuple stays). */
__ipvs_helper void ipvs_rs_ct_alter_reply(struct nf_conn *ct, const struct ipvs_rs_ct *v)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	struct nf_conntrack_tuple t = ct->tuplehash[IP_CT_DIR_REPLY].tuple;

	memcpy(&t.src.u3, v->src, sizeof(v->src));
	memcpy(&t.dst.u3, v->dst, sizeof(v->dst));
	t.src.u.all = v->sport;
	t.dst.u.all = v->dport;
	nf_conntrack_alter_reply(ct, &t);
#endif
}

/* NF_ACCEPT, or the verdict of a failed confirmation. */
__ipvs_helper int ipvs_rs_ct_confirm(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return nf_conntrack_confirm(skb);
#else
	return NF_ACCEPT;
#endif
}

/* Whether the entry has (or now got) the extension that lets TCP sequence numbers be adjusted:
 * only an entry not yet confirmed can get it. */
__ipvs_helper bool ipvs_rs_ct_seqadj_add(struct nf_conn *ct)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return nfct_seqadj(ct) || nfct_seqadj_ext_add(ct);
#else
	return false;
#endif
}

/* Tells the packet's entry that its TCP stream moved by off bytes after sequence number seq
 * (conntrack's confirmation hook then adjusts both ways); -ENOENT without an entry with the
 * extension. */
__ipvs_helper int ipvs_rs_skb_ct_seqadj_set(struct sk_buff *skb, __be32 seq, s32 off)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

	if (!ct || !nfct_seqadj(ct))
		return -ENOENT;
	return nf_ct_seqadj_set(ct, ctinfo, seq, off);
#else
	return -ENOENT;
#endif
}

__ipvs_helper void ipvs_rs_skb_set_ignore_df(struct sk_buff *skb)
{
	skb->ignore_df = 1;
}

/*
 * The transport checksum at csum_off after a NAT rewrite: an address (part of the
 * pseudo-header) and a port change, in whatever checksum state the skb is.
 */
__ipvs_helper void ipvs_rs_l4_csum_nat(struct sk_buff *skb, u32 csum_off, __be32 from_addr,
					__be32 to_addr, __be16 from_port, __be16 to_port)
{
	__sum16 *sum = (__sum16 *)(skb->data + csum_off);

	inet_proto_csum_replace4(sum, skb, from_addr, to_addr, true);
	inet_proto_csum_replace2(sum, skb, from_port, to_port, false);
}

/* The same for IPv6 addresses (16 bytes at from and to). */
__ipvs_helper void ipvs_rs_l4_csum_nat6(struct sk_buff *skb, u32 csum_off, const u8 *from,
					 const u8 *to, __be16 from_port, __be16 to_port)
{
	__sum16 *sum = (__sum16 *)(skb->data + csum_off);

	inet_proto_csum_replace16(sum, skb, (const __be32 *)from, (const __be32 *)to, true);
	inet_proto_csum_replace2(sum, skb, from_port, to_port, false);
}


/*
 * Whether the ICMP message at off has a right checksum. Like C IPVS, it is not checked again
 * when already validated, nor for locally generated packets.
 */
__ipvs_helper bool ipvs_rs_icmp_csum_ok(struct sk_buff *skb, u32 off, u8 proto, u8 pf)
{
	if (skb_csum_unnecessary(skb) || !skb->dev)
		return true;
	return !nf_checksum(skb, NF_INET_LOCAL_IN, off, proto, pf);
}

/* Recomputes the checksum of the ICMP message at off (its first 4 bytes are writable). */
__ipvs_helper void ipvs_rs_icmp_csum_set(struct sk_buff *skb, u32 off)
{
	struct icmphdr *ic = (struct icmphdr *)(skb->data + off);

	ic->checksum = 0;
	ic->checksum = csum_fold(skb_checksum(skb, off, skb->len - off, 0));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

/* The same for an ICMPv6 message, whose checksum covers the IPv6 pseudo-header. */
__ipvs_helper void ipvs_rs_icmp6_csum_set(struct sk_buff *skb, u32 off)
{
	struct icmp6hdr *ic = (struct icmp6hdr *)(skb->data + off);
	struct ipv6hdr *ip6 = ipv6_hdr(skb);

	ic->icmp6_cksum = 0;
	ic->icmp6_cksum = csum_ipv6_magic(&ip6->saddr, &ip6->daddr, skb->len - off, IPPROTO_ICMPV6,
					  skb_checksum(skb, off, skb->len - off, 0));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

__ipvs_helper void ipvs_rs_ip_send_check(struct sk_buff *skb)
{
	ip_send_check(ip_hdr(skb));
}

/* ---- IPv4 routes and output ------------------------------------------------------------ */
/*
 * One-line wrappers: every decision (which route, local or not, TTL, MTU, encapsulation, ICMP
 * errors) is Rust's (ipvs_xmit/); rust/route.rs and rust/skb.rs hold the reference rules.
 */

/* The kernel's values behind the numbers Rust passes (rust/shim.rs mirrors ipvs_shim.h). */
static_assert(IPVS_RS_DEFRAG_VS_IN == IP_DEFRAG_VS_IN);
static_assert(IPVS_RS_DEFRAG_VS_OUT == IP_DEFRAG_VS_OUT);
static_assert(IPVS_RS_DEFRAG_VS_FWD == IP_DEFRAG_VS_FWD);

/* ip_route_output_key with the flow Rust describes; 0 and a referenced route, or -errno. */
__ipvs_helper int ipvs_rs_ip_route_output(struct net *net, __be32 daddr, bool known_nh,
					  struct dst_entry **dst, __be32 *saddr)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_scope = RT_SCOPE_UNIVERSE,
		.flowi4_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};
	struct rtable *rt = ip_route_output_key(net, &fl4);

	*saddr = fl4.saddr;
	*dst = IS_ERR(rt) ? NULL : &rt->dst;
	return PTR_ERR_OR_ZERO(rt);
}

/*
 * ip6_route_output with the flow Rust describes: always a referenced route (the kernel's error
 * route on failure), its preferred source (any: none chosen) and validity cookie; 0 or the
 * route's -errno.
 */
__ipvs_helper int ipvs_rs_ip6_route_output(struct net *net, const u8 *daddr, bool known_nh,
					   struct dst_entry **dst, u8 *saddr, u32 *cookie)
{
	struct flowi6 fl6 = {
		.daddr = *(const struct in6_addr *)daddr,
		.flowi6_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0,
	};

	*dst = ip6_route_output(net, NULL, &fl6);
	memcpy(saddr, &fl6.saddr, sizeof(fl6.saddr));
	*cookie = (*dst)->error ? 0 : rt6_get_cookie(dst_rt6_info(*dst));
	return (*dst)->error;
}

/* The source address the IPv6 route's device would pick for daddr (ipv6_dev_get_saddr). */
__ipvs_helper int ipvs_rs_ip6_dst_saddr(struct net *net, const struct dst_entry *dst,
					const u8 *daddr, u8 *saddr)
{
	return ipv6_dev_get_saddr(net, ip6_dst_idev(dst)->dev, (const struct in6_addr *)daddr, 0,
				  (struct in6_addr *)saddr);
}

__ipvs_helper void ipvs_rs_dst_release(struct dst_entry *dst)
{
	dst_release(dst);
}

/* Routes a packet again for its current addresses, as if this host had sent it. */
__ipvs_helper int ipvs_rs_ip_route_me_harder(struct net *net, struct sk_buff *skb)
{
	return ip_route_me_harder(net, skb->sk, skb, RTN_LOCAL);
}

__ipvs_helper int ipvs_rs_ip6_route_me_harder(struct net *net, struct sk_buff *skb)
{
	return ip6_route_me_harder(net, skb->sk, skb);
}

__ipvs_helper bool ipvs_rs_rt4_is_local(const struct dst_entry *dst)
{
	return dst_rtable(dst)->rt_flags & RTCF_LOCAL;
}

__ipvs_helper bool ipvs_rs_rt4_is_input(const struct dst_entry *dst)
{
	return rt_is_input_route(dst_rtable(dst));
}

__ipvs_helper bool ipvs_rs_dst_dev_is_loopback(const struct dst_entry *dst)
{
	return dst->dev && dst->dev->flags & IFF_LOOPBACK;
}

__ipvs_helper u32 ipvs_rs_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

__ipvs_helper bool ipvs_rs_dst_valid(struct dst_entry *dst, u32 cookie)
{
	return dst_check(dst, cookie);
}

__ipvs_helper u32 ipvs_rs_dst_ll_space(const struct dst_entry *dst)
{
	return LL_RESERVED_SPACE(dst->dev);
}

__ipvs_helper struct dst_entry *ipvs_rs_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

__ipvs_helper void ipvs_rs_skb_dst_set_noref(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
}

__ipvs_helper void ipvs_rs_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
}

__ipvs_helper void ipvs_rs_skb_set_loopback_dev(struct net *net, struct sk_buff *skb)
{
	skb->dev = net->loopback_dev;
}

__ipvs_helper bool ipvs_rs_skb_dev_is_loopback(const struct sk_buff *skb)
{
	return skb->dev && skb->dev->flags & IFF_LOOPBACK;
}

/* The packet's device becomes its route's (the device ICMPv6 errors take their source from). */
__ipvs_helper void ipvs_rs_skb_set_dst_dev(struct sk_buff *skb)
{
	skb->dev = skb_dst(skb)->dev;
}

__ipvs_helper void ipvs_rs_dst_link_failure(struct sk_buff *skb)
{
	dst_link_failure(skb);
}

__ipvs_helper void ipvs_rs_skb_update_pmtu(struct sk_buff *skb, u32 mtu)
{
	skb_dst(skb)->ops->update_pmtu(skb_dst(skb), skb->sk, NULL, mtu, true);
}

__ipvs_helper bool ipvs_rs_skb_sk_fullsock(const struct sk_buff *skb)
{
	return skb->sk && sk_fullsock(skb->sk);
}

__ipvs_helper void ipvs_rs_icmp_send(struct sk_buff *skb, u8 type, u8 code, __be32 info)
{
	icmp_send(skb, type, code, info);
}

__ipvs_helper void ipvs_rs_icmpv6_send(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	icmpv6_send(skb, type, code, info);
}

__ipvs_helper void ipvs_rs_inc_inhdrerrors(struct net *net)
{
	__IP_INC_STATS(net, IPSTATS_MIB_INHDRERRORS);
}

__ipvs_helper void ipvs_rs_inc_inhdrerrors6(struct net *net, struct sk_buff *skb)
{
	IP6_INC_STATS(net, __in6_dev_get_safely(skb->dev), IPSTATS_MIB_INHDRERRORS);
}

/* The largest fragment of a datagram IPv6 conntrack reassembled (0: not reassembled). */
__ipvs_helper u32 ipvs_rs_skb_frag_max_size6(const struct sk_buff *skb)
{
	return IP6CB(skb)->frag_max_size;
}

__ipvs_helper bool ipvs_rs_skb_gso_fits(const struct sk_buff *skb, u32 mtu)
{
	return skb_gso_validate_network_len(skb, mtu);
}

__ipvs_helper void ipvs_rs_skb_orphan(struct sk_buff *skb)
{
	skb_orphan(skb);
}

__ipvs_helper void ipvs_rs_skb_forward_csum(struct sk_buff *skb)
{
	skb_forward_csum(skb);
}

__ipvs_helper void ipvs_rs_skb_clear_tstamp(struct sk_buff *skb)
{
	skb_clear_tstamp(skb);
}

__ipvs_helper void ipvs_rs_nf_local_out(struct net *net, struct sk_buff *skb, u8 pf)
{
	NF_HOOK(pf, NF_INET_LOCAL_OUT, net, NULL, skb, NULL, skb_dst(skb)->dev, dst_output);
}

__ipvs_helper void ipvs_rs_ip_local_out(struct net *net, struct sk_buff *skb)
{
	ip_local_out(net, skb->sk, skb);
}

__ipvs_helper void ipvs_rs_ip6_local_out(struct net *net, struct sk_buff *skb)
{
	ip6_local_out(net, skb->sk, skb);
}

__ipvs_helper int ipvs_rs_skb_cow_head(struct sk_buff *skb, u32 headroom)
{
	return skb_cow_head(skb, headroom);
}

__ipvs_helper void ipvs_rs_skb_push(struct sk_buff *skb, u32 len)
{
	skb_push(skb, len);
}

__ipvs_helper void ipvs_rs_skb_reset_network_header(struct sk_buff *skb)
{
	skb_reset_network_header(skb);
}

__ipvs_helper void ipvs_rs_skb_reset_transport_header(struct sk_buff *skb)
{
	skb_reset_transport_header(skb);
}

__ipvs_helper void ipvs_rs_skb_set_transport_header(struct sk_buff *skb, u32 off)
{
	skb_set_transport_header(skb, off);
}

__ipvs_helper int ipvs_rs_tunnel_offloads(struct sk_buff *skb, u32 gso_type)
{
	return iptunnel_handle_offloads(skb, gso_type);
}

/* The packet becomes the inner one (of IP protocol ipproto) of a tunnel (headers yet to come). */
__ipvs_helper void ipvs_rs_skb_tunnel_inner(struct sk_buff *skb, u8 ipproto)
{
	skb->transport_header = skb->network_header;
	skb_set_inner_ipproto(skb, ipproto);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));
}

__ipvs_helper __be16 ipvs_rs_udp_flow_src_port(struct net *net, struct sk_buff *skb)
{
	return udp_flow_src_port(net, skb, 0, 0, false);
}

__ipvs_helper void ipvs_rs_udp_set_csum(bool nocheck, struct sk_buff *skb, __be32 saddr,
					__be32 daddr)
{
	udp_set_csum(nocheck, skb, saddr, daddr, skb->len);
}

__ipvs_helper void ipvs_rs_udp6_set_csum(bool nocheck, struct sk_buff *skb, const u8 *saddr,
					 const u8 *daddr)
{
	udp6_set_csum(nocheck, skb, (const struct in6_addr *)saddr,
		      (const struct in6_addr *)daddr, skb->len);
}

/* The kernel's GRE header (gre_build_header) for protocol type proto, with or without its checksum. */
__ipvs_helper void ipvs_rs_gre_push(struct sk_buff *skb, bool csum, __be16 proto)
{
	IP_TUNNEL_DECLARE_FLAGS(flags) = { };

	__assign_bit(IP_TUNNEL_CSUM_BIT, flags, csum);
	gre_build_header(skb, gre_calc_hlen(flags), flags, proto, 0, 0);
}

__ipvs_helper void ipvs_rs_ip_select_ident(struct net *net, struct sk_buff *skb)
{
	ip_select_ident(net, skb, NULL);
}

__ipvs_helper void ipvs_rs_ipcb_clear(struct sk_buff *skb)
{
	memset(&(IPCB(skb)->opt), 0, sizeof(IPCB(skb)->opt));
}

__ipvs_helper int ipvs_rs_skb_csum_start(const struct sk_buff *skb)
{
	return skb_checksum_start_offset(skb);
}

__ipvs_helper u16 ipvs_rs_skb_csum_offset(const struct sk_buff *skb)
{
	return skb->csum_offset;
}

__ipvs_helper void ipvs_rs_skb_csum_none(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_NONE;
	skb->encapsulation = 0;
}

__ipvs_helper void ipvs_rs_skb_csum_unnecessary(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

__ipvs_helper bool ipvs_rs_skb_csum_verified(const struct sk_buff *skb)
{
	return skb_csum_unnecessary(skb);
}

__ipvs_helper u32 ipvs_rs_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

__ipvs_helper bool ipvs_rs_pskb_pull(struct sk_buff *skb, u32 len)
{
	return pskb_pull(skb, len);
}

__ipvs_helper bool ipvs_rs_pskb_may_pull(struct sk_buff *skb, u32 len)
{
	return pskb_may_pull(skb, len);
}

__ipvs_helper void ipvs_rs_ipv4_update_pmtu(struct net *net, struct sk_buff *skb, u32 mtu)
{
	ipv4_update_pmtu(skb, net, mtu, 0, 0);
}

__ipvs_helper void ipvs_rs_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

/* ip_defrag for defrag user @user, with bottom halves off as it needs. */
__ipvs_helper int ipvs_rs_ip_defrag(struct net *net, struct sk_buff *skb, u32 user)
{
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, user);
	local_bh_enable();
	return err;
}

/* ---- bottom-half-safe spinlocks -------------------------------------------------------- */

__ipvs_helper void ipvs_rs_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

__ipvs_helper void ipvs_rs_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

__ipvs_helper int ipvs_rs_spin_trylock_bh(spinlock_t *lock)
{
	return spin_trylock_bh(lock);
}

/* Two locks of one class, @a first (callers order them); @a == @b takes one. */
__ipvs_helper void ipvs_rs_spin_lock2_bh(spinlock_t *a, spinlock_t *b)
{
	spin_lock_bh(a);
	if (b != a)
		spin_lock_nested(b, SINGLE_DEPTH_NESTING);
}

__ipvs_helper void ipvs_rs_spin_unlock2_bh(spinlock_t *a, spinlock_t *b)
{
	if (b != a)
		spin_unlock(b);
	spin_unlock_bh(a);
}

/* ---- per-CPU counters ------------------------------------------------------------------ */

/* Adds a to counter i and b to counter j of each of the n areas in ps, on this CPU. */
__ipvs_helper void ipvs_rs_pcpu_add2(u64 __percpu *const *ps, u32 n, u32 i, u64 a, u32 j, u64 b)
{
	u32 k;

	for (k = 0; k < n; k++) {
		this_cpu_add(ps[k][i], a);
		this_cpu_add(ps[k][j], b);
	}
}

