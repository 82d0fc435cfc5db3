// SPDX-License-Identifier: GPL-2.0
/*
 * C half of the ipvs_rs kernel glue. It holds only what Rust cannot express through
 * kernel::bindings: static inline helpers, macros, and the declarative tables the kernel wants
 * as C data (the generic-netlink family with its attribute policy, the netfilter hook arrays,
 * the pernet operations). All IPVS behaviour lives in Rust.
 */
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ip_vs.h>
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/timer.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/checksum.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>

#include "ipvs_shim.h"

/* ---- generic netlink family "IPVS" ------------------------------------------------------- */

/* Top-level policy; nested groups are validated by the Rust codec (rust/../ipvs_ctl). */
static const struct nla_policy ipvs_rs_cmd_policy[IPVS_CMD_ATTR_MAX + 1] = {
	[IPVS_CMD_ATTR_SERVICE] = { .type = NLA_NESTED },
	[IPVS_CMD_ATTR_DEST] = { .type = NLA_NESTED },
	[IPVS_CMD_ATTR_DAEMON] = { .type = NLA_NESTED },
	[IPVS_CMD_ATTR_TIMEOUT_TCP] = { .type = NLA_U32 },
	[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = { .type = NLA_U32 },
	[IPVS_CMD_ATTR_TIMEOUT_UDP] = { .type = NLA_U32 },
};

#define IPVS_RS_OP(c, d, m)                                                          \
	{                                                                            \
		.cmd = (c), .doit = (d), .dumpit = (m), .flags = GENL_ADMIN_PERM,    \
		.validate = GENL_DONT_VALIDATE_STRICT | GENL_DONT_VALIDATE_DUMP,     \
	}

static const struct genl_small_ops ipvs_rs_genl_ops[] = {
	IPVS_RS_OP(IPVS_CMD_NEW_SERVICE, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_SET_SERVICE, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_DEL_SERVICE, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_GET_SERVICE, ipvs_rs_genl_doit, ipvs_rs_genl_dumpit),
	IPVS_RS_OP(IPVS_CMD_NEW_DEST, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_SET_DEST, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_DEL_DEST, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_GET_DEST, NULL, ipvs_rs_genl_dumpit),
	IPVS_RS_OP(IPVS_CMD_NEW_DAEMON, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_DEL_DAEMON, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_GET_DAEMON, NULL, ipvs_rs_genl_dumpit),
	IPVS_RS_OP(IPVS_CMD_SET_CONFIG, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_GET_CONFIG, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_GET_INFO, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_ZERO, ipvs_rs_genl_doit, NULL),
	IPVS_RS_OP(IPVS_CMD_FLUSH, ipvs_rs_genl_doit, NULL),
};

static struct genl_family ipvs_rs_genl_family = {
	.hdrsize = 0,
	.name = IPVS_GENL_NAME,
	.version = IPVS_GENL_VERSION,
	.maxattr = IPVS_CMD_ATTR_MAX,
	.policy = ipvs_rs_cmd_policy,
	.netnsok = true,
	.parallel_ops = 1,
	.module = THIS_MODULE,
	.small_ops = ipvs_rs_genl_ops,
	.n_small_ops = ARRAY_SIZE(ipvs_rs_genl_ops),
	.resv_start_op = IPVS_CMD_FLUSH + 1,
};

int ipvs_rs_genl_register(void)
{
	return genl_register_family(&ipvs_rs_genl_family);
}

void ipvs_rs_genl_unregister(void)
{
	genl_unregister_family(&ipvs_rs_genl_family);
}

u8 ipvs_rs_genl_info_cmd(const struct genl_info *info)
{
	return info->genlhdr->cmd;
}

static const void *ipvs_rs_nlh_attrs(const struct nlmsghdr *nlh, u32 *len)
{
	int l = nlmsg_len(nlh) - GENL_HDRLEN;

	*len = l > 0 ? l : 0;
	return (const u8 *)nlmsg_data(nlh) + GENL_HDRLEN;
}

const void *ipvs_rs_genl_info_attrs(const struct genl_info *info, u32 *len)
{
	return ipvs_rs_nlh_attrs(info->nlhdr, len);
}

struct net *ipvs_rs_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

int ipvs_rs_genl_reply(struct genl_info *info, u8 cmd, const void *buf, u32 len)
{
	struct sk_buff *msg = genlmsg_new(len, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ipvs_rs_genl_family, 0, cmd);
	if (!hdr || skb_tailroom(msg) < len) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	skb_put_data(msg, buf, len);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

u8 ipvs_rs_cb_cmd(const struct netlink_callback *cb)
{
	return ((const struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
}

const void *ipvs_rs_cb_attrs(const struct netlink_callback *cb, u32 *len)
{
	return ipvs_rs_nlh_attrs(cb->nlh, len);
}

struct net *ipvs_rs_cb_net(const struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

long *ipvs_rs_cb_args(struct netlink_callback *cb)
{
	return cb->args;
}

int ipvs_rs_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd, const void *buf,
		     u32 len)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&ipvs_rs_genl_family, NLM_F_MULTI, cmd);

	if (!hdr)
		return -EMSGSIZE;
	if (skb_tailroom(skb) < len) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	skb_put_data(skb, buf, len);
	genlmsg_end(skb, hdr);
	return 0;
}

/* ---- per network namespace state ------------------------------------------------------- */

struct ipvs_rs_net {
	void *data;		/* Rust's per-netns state (an Arc raw pointer). */
	struct timer_list tick;
};

static unsigned int ipvs_rs_net_id __read_mostly;

/* The /proc/net files; Rust renders each one whole (ipvs_rs_proc_show). */
static const struct {
	const char *name;
	umode_t mode;
} ipvs_rs_proc_files[] = {
	[IPVS_RS_PROC_CONN] = { "ip_vs_conn", 0444 },
	[IPVS_RS_PROC_SERVICES] = { "ip_vs", 0444 },
	[IPVS_RS_PROC_STATS] = { "ip_vs_stats", 0444 },
};

static int ipvs_rs_proc_single_show(struct seq_file *seq, void *v)
{
	long kind = (long)pde_data(file_inode(seq->file));

	return ipvs_rs_proc_show(seq, seq_file_single_net(seq), kind);
}

static void ipvs_rs_proc_remove_all(struct net *net, int n)
{
	while (n-- > 0)
		remove_proc_entry(ipvs_rs_proc_files[n].name, net->proc_net);
}

static int ipvs_rs_proc_create_all(struct net *net)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ipvs_rs_proc_files); i++) {
		if (!proc_create_net_single(ipvs_rs_proc_files[i].name, ipvs_rs_proc_files[i].mode,
					    net->proc_net, ipvs_rs_proc_single_show,
					    (void *)(long)i)) {
			ipvs_rs_proc_remove_all(net, i);
			return -ENOMEM;
		}
	}
	return 0;
}

void ipvs_rs_seq_write(struct seq_file *seq, const void *buf, u32 len)
{
	seq_write(seq, buf, len);
}

static void ipvs_rs_tick_fn(struct timer_list *t)
{
	struct ipvs_rs_net *n = timer_container_of(n, t, tick);

	ipvs_rs_net_tick(n->data);
	mod_timer(&n->tick, jiffies + HZ);
}

static int __net_init ipvs_rs_pernet_init(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	int err;

	n->data = ipvs_rs_net_init(net);
	if (!n->data)
		return -ENOMEM;
	err = ipvs_rs_proc_create_all(net);
	if (err) {
		ipvs_rs_net_exit(net, n->data);
		n->data = NULL;
		return err;
	}
	timer_setup(&n->tick, ipvs_rs_tick_fn, 0);
	mod_timer(&n->tick, jiffies + HZ);
	return 0;
}

static void __net_exit ipvs_rs_pernet_exit(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	timer_shutdown_sync(&n->tick);
	ipvs_rs_proc_remove_all(net, ARRAY_SIZE(ipvs_rs_proc_files));
	ipvs_rs_net_exit(net, n->data);
	n->data = NULL;
}

static struct pernet_operations ipvs_rs_pernet_ops = {
	.init = ipvs_rs_pernet_init,
	.exit = ipvs_rs_pernet_exit,
	.id = &ipvs_rs_net_id,
	.size = sizeof(struct ipvs_rs_net),
};

int ipvs_rs_pernet_register(void)
{
	return register_pernet_subsys(&ipvs_rs_pernet_ops);
}

void ipvs_rs_pernet_unregister(void)
{
	unregister_pernet_subsys(&ipvs_rs_pernet_ops);
}

void *ipvs_rs_net_data(const struct net *net)
{
	return ((struct ipvs_rs_net *)net_generic(net, ipvs_rs_net_id))->data;
}

struct net *ipvs_rs_init_net(void)
{
	return &init_net;
}

/* ---- netfilter hooks ------------------------------------------------------------------- */

/* Same points and priorities as C IPVS's IPv4 table. */
static const struct nf_hook_ops ipvs_rs_ops4[] = {
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP_PRI_NAT_SRC - 2 },
	{ .hook = ipvs_rs_hook_in, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP_PRI_NAT_SRC - 1 },
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP_PRI_NAT_DST + 1 },
	{ .hook = ipvs_rs_hook_in, .pf = NFPROTO_IPV4, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP_PRI_NAT_DST + 2 },
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV4, .hooknum = NF_INET_FORWARD,
	  .priority = 100 },
};

int ipvs_rs_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, ipvs_rs_ops4, ARRAY_SIZE(ipvs_rs_ops4));
}

void ipvs_rs_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, ipvs_rs_ops4, ARRAY_SIZE(ipvs_rs_ops4));
}

u32 ipvs_rs_state_hook(const struct nf_hook_state *state)
{
	return state->hook;
}

struct net *ipvs_rs_state_net(const struct nf_hook_state *state)
{
	return state->net;
}

/* ---- sk_buff --------------------------------------------------------------------------- */

u32 ipvs_rs_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

u32 ipvs_rs_skb_headlen(const struct sk_buff *skb)
{
	return skb_headlen(skb);
}

int ipvs_rs_skb_network_offset(const struct sk_buff *skb)
{
	return skb_network_offset(skb);
}

u8 *ipvs_rs_skb_data(const struct sk_buff *skb)
{
	return skb->data;
}

int ipvs_rs_skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len)
{
	return skb_copy_bits(skb, offset, to, len);
}

int ipvs_rs_skb_make_writable(struct sk_buff *skb, u32 len)
{
	return skb_ensure_writable(skb, len);
}

u32 ipvs_rs_skb_pkt_type(const struct sk_buff *skb)
{
	return skb->pkt_type;
}

bool ipvs_rs_skb_has_dst(const struct sk_buff *skb)
{
	return skb_dst(skb) != NULL;
}

bool ipvs_rs_skb_ipvs_property(const struct sk_buff *skb)
{
	return skb->ipvs_property;
}

void ipvs_rs_skb_set_ipvs_property(struct sk_buff *skb)
{
	skb->ipvs_property = 1;
}

u32 ipvs_rs_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

void ipvs_rs_l4_csum_replace4(struct sk_buff *skb, u32 csum_off, __be32 from, __be32 to,
			      bool pseudohdr)
{
	inet_proto_csum_replace4((__sum16 *)(skb->data + csum_off), skb, from, to, pseudohdr);
}

void ipvs_rs_l4_csum_replace2(struct sk_buff *skb, u32 csum_off, __be16 from, __be16 to)
{
	inet_proto_csum_replace2((__sum16 *)(skb->data + csum_off), skb, from, to, false);
}

bool ipvs_rs_skb_csum_partial(const struct sk_buff *skb)
{
	return skb->ip_summed == CHECKSUM_PARTIAL;
}

void ipvs_rs_ip_send_check(struct sk_buff *skb)
{
	ip_send_check(ip_hdr(skb));
}

/* ---- IPv4 routing and output ----------------------------------------------------------- */

int ipvs_rs_route4(struct net *net, struct sk_buff *skb, __be32 daddr, bool *local)
{
	struct flowi4 fl4;
	struct rtable *rt;

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = daddr;
	fl4.flowi4_scope = RT_SCOPE_UNIVERSE;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	*local = rt->rt_type == RTN_LOCAL;
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	return 0;
}

unsigned int ipvs_rs_send4(struct net *net, struct sk_buff *skb)
{
	skb->ipvs_property = 1;
	skb_forward_csum(skb);
	NF_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_OUT, net, NULL, skb, NULL, skb_dst(skb)->dev,
		dst_output);
	return NF_STOLEN;
}

/* ---- bottom-half-safe spinlocks -------------------------------------------------------- */

void ipvs_rs_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void ipvs_rs_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

int ipvs_rs_spin_trylock_bh(spinlock_t *lock)
{
	return spin_trylock_bh(lock);
}

/* ---- address classification ---------------------------------------------------------- */

u32 ipvs_rs_inet_addr_type(struct net *net, __be32 addr)
{
	return inet_addr_type(net, addr);
}

u32 ipvs_rs_ipv6_addr_type(const u8 *addr)
{
	return ipv6_addr_type((const struct in6_addr *)addr);
}

bool ipvs_rs_ipv6_is_local(struct net *net, const u8 *addr)
{
	struct flowi6 fl6 = { .daddr = *(const struct in6_addr *)addr };
	struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);
	bool local = !dst->error && dst->dev && (dst->dev->flags & IFF_LOOPBACK);

	dst_release(dst);
	return local;
}

/* ---- time ------------------------------------------------------------------------------ */

unsigned long ipvs_rs_jiffies(void)
{
	return jiffies;
}

u32 ipvs_rs_hz(void)
{
	return HZ;
}
