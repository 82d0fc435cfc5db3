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
#include <linux/workqueue.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>
#include <net/gre.h>
#include <net/gue.h>
#include <net/udp.h>
#include <net/checksum.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/netfilter/nf_conntrack.h>

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
	struct delayed_work tick;	/* process context: it may sleep (table resizes) */
	int sysctl[IPVS_RS_SYSCTL_COUNT];
	struct ctl_table *sysctl_table;
	struct ctl_table_header *sysctl_header;
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

static void ipvs_rs_tick_fn(struct work_struct *work)
{
	struct ipvs_rs_net *n = container_of(to_delayed_work(work), struct ipvs_rs_net, tick);

	ipvs_rs_net_tick(n->data);
	queue_delayed_work(system_dfl_long_wq, &n->tick, HZ);
}

/*
 * net/ipv4/vs/ sysctls, each an int in struct ipvs_rs_net that Rust reads in place (atomic
 * loads; ipvs_rs_sysctls() gives it the array). Like C IPVS, they are not exported to
 * namespaces owned by other user namespaces.
 */
static const struct ctl_table ipvs_rs_sysctl_template[IPVS_RS_SYSCTL_COUNT] = {
	[IPVS_RS_SYSCTL_LBLC_EXPIRATION] = { .procname = "lblc_expiration", .maxlen = sizeof(int),
					     .mode = 0644, .proc_handler = proc_dointvec_jiffies },
	[IPVS_RS_SYSCTL_LBLCR_EXPIRATION] = { .procname = "lblcr_expiration", .maxlen = sizeof(int),
					      .mode = 0644, .proc_handler = proc_dointvec_jiffies },
	[IPVS_RS_SYSCTL_PMTU_DISC] = { .procname = "pmtu_disc", .maxlen = sizeof(int),
				       .mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_SCHEDULE_ICMP] = { .procname = "schedule_icmp", .maxlen = sizeof(int),
					   .mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_CACHE_BYPASS] = { .procname = "cache_bypass", .maxlen = sizeof(int),
					  .mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_NAT_ICMP_SEND] = { .procname = "nat_icmp_send", .maxlen = sizeof(int),
					   .mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_EXPIRE_NODEST_CONN] = { .procname = "expire_nodest_conn", .maxlen = sizeof(int),
						.mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_EXPIRE_QUIESCENT_TEMPLATE] = { .procname = "expire_quiescent_template",
						       .maxlen = sizeof(int), .mode = 0644,
						       .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_CONN_REUSE_MODE] = { .procname = "conn_reuse_mode", .maxlen = sizeof(int),
					     .mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_SLOPPY_TCP] = { .procname = "sloppy_tcp", .maxlen = sizeof(int),
					.mode = 0644, .proc_handler = proc_dointvec },
	[IPVS_RS_SYSCTL_SLOPPY_SCTP] = { .procname = "sloppy_sctp", .maxlen = sizeof(int),
					 .mode = 0644, .proc_handler = proc_dointvec },
};

static const int ipvs_rs_sysctl_default[IPVS_RS_SYSCTL_COUNT] = {
	[IPVS_RS_SYSCTL_LBLC_EXPIRATION] = 24 * 60 * 60 * HZ,
	[IPVS_RS_SYSCTL_LBLCR_EXPIRATION] = 24 * 60 * 60 * HZ,
	[IPVS_RS_SYSCTL_PMTU_DISC] = 1,
	[IPVS_RS_SYSCTL_CONN_REUSE_MODE] = 1,
};

static int ipvs_rs_sysctl_register(struct net *net, struct ipvs_rs_net *n)
{
	size_t count = ARRAY_SIZE(ipvs_rs_sysctl_template);
	int i;

	for (i = 0; i < IPVS_RS_SYSCTL_COUNT; i++)
		n->sysctl[i] = ipvs_rs_sysctl_default[i];
	if (!IS_ENABLED(CONFIG_SYSCTL))
		return 0;
	n->sysctl_table = kmemdup(ipvs_rs_sysctl_template, sizeof(ipvs_rs_sysctl_template),
				  GFP_KERNEL);
	if (!n->sysctl_table)
		return -ENOMEM;
	for (i = 0; i < IPVS_RS_SYSCTL_COUNT; i++)
		n->sysctl_table[i].data = &n->sysctl[i];
	if (net->user_ns != &init_user_ns)
		count = 0;
	n->sysctl_header = register_net_sysctl_sz(net, "net/ipv4/vs", n->sysctl_table, count);
	if (!n->sysctl_header) {
		kfree(n->sysctl_table);
		n->sysctl_table = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void ipvs_rs_sysctl_unregister(struct ipvs_rs_net *n)
{
	if (n->sysctl_header)
		unregister_net_sysctl_table(n->sysctl_header);
	kfree(n->sysctl_table);
	n->sysctl_header = NULL;
	n->sysctl_table = NULL;
}

/* The namespace's sysctl values: they live as long as the namespace (net_generic data). */
int *ipvs_rs_sysctls(struct net *net, u32 *count)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	*count = IPVS_RS_SYSCTL_COUNT;
	return n->sysctl;
}

bool ipvs_rs_net_is_init(struct net *net)
{
	return net_eq(net, &init_net);
}

bool ipvs_rs_dev_exists(struct net *net, const char *name)
{
	bool found;

	rcu_read_lock();
	found = dev_get_by_name_rcu(net, name) != NULL;
	rcu_read_unlock();
	return found;
}

static int __net_init ipvs_rs_pernet_init(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	int err;

	err = ipvs_rs_sysctl_register(net, n);
	if (err)
		return err;
	n->data = ipvs_rs_net_init(net);
	if (!n->data) {
		ipvs_rs_sysctl_unregister(n);
		return -ENOMEM;
	}
	err = ipvs_rs_proc_create_all(net);
	if (err) {
		ipvs_rs_net_exit(net, n->data);
		n->data = NULL;
		ipvs_rs_sysctl_unregister(n);
		return err;
	}
	INIT_DELAYED_WORK(&n->tick, ipvs_rs_tick_fn);
	queue_delayed_work(system_dfl_long_wq, &n->tick, HZ);
	return 0;
}

static void __net_exit ipvs_rs_pernet_exit(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	disable_delayed_work_sync(&n->tick);
	ipvs_rs_proc_remove_all(net, ARRAY_SIZE(ipvs_rs_proc_files));
	ipvs_rs_net_exit(net, n->data);
	n->data = NULL;
	ipvs_rs_sysctl_unregister(n);
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

/* A hook call's namespace and hook point, and that namespace's Rust state, in one call. */
void *ipvs_rs_hook_state(const struct nf_hook_state *state, struct net **net, u32 *hook)
{
	*hook = state->hook;
	*net = state->net;
	return ipvs_rs_net_data(state->net);
}

/* ---- sk_buff --------------------------------------------------------------------------- */

u32 ipvs_rs_skb_len(const struct sk_buff *skb)
{
	return skb->len;
}

void ipvs_rs_skb_view(const struct sk_buff *skb, struct ipvs_rs_skb_view *v)
{
	v->data = skb->data;
	v->len = skb->len;
	v->headlen = skb_headlen(skb);
	v->network_offset = skb_network_offset(skb);
	v->pkt_type = skb->pkt_type;
	v->has_dst = skb_dst(skb) != NULL;
	v->ipvs_property = skb->ipvs_property;
	v->csum_partial = skb->ip_summed == CHECKSUM_PARTIAL;
	v->mark = skb->mark;
}

int ipvs_rs_skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len)
{
	return skb_copy_bits(skb, offset, to, len);
}

int ipvs_rs_skb_make_writable(struct sk_buff *skb, u32 len)
{
	return skb_ensure_writable(skb, len);
}




/*
 * What IPVS forwarded or rewrote is not tracked (C IPVS's behaviour with its conntrack sysctl
 * at 0, the default): the entry conntrack made for the packet is dropped, so neither the
 * conntrack table nor stateful rules see IPVS's flows.
 */
static void ipvs_rs_notrack(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	enum ip_conntrack_info ctinfo;

	if (nf_ct_get(skb, &ctinfo)) {
		nf_reset_ct(skb);
		nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	}
#endif
}

void ipvs_rs_skb_set_ipvs_property(struct sk_buff *skb)
{
	skb->ipvs_property = 1;
	ipvs_rs_notrack(skb);
}

void ipvs_rs_skb_set_ignore_df(struct sk_buff *skb)
{
	skb->ignore_df = 1;
}

void ipvs_rs_icmp_port_unreach(struct sk_buff *skb)
{
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
}

/*
 * The transport checksum at csum_off after a NAT rewrite: an address (part of the
 * pseudo-header) and a port change, in whatever checksum state the skb is.
 */
void ipvs_rs_l4_csum_nat(struct sk_buff *skb, u32 csum_off, __be32 from_addr, __be32 to_addr,
			 __be16 from_port, __be16 to_port)
{
	__sum16 *sum = (__sum16 *)(skb->data + csum_off);

	inet_proto_csum_replace4(sum, skb, from_addr, to_addr, true);
	inet_proto_csum_replace2(sum, skb, from_port, to_port, false);
}


/*
 * Whether the ICMP message at off has a right checksum. Like C IPVS, it is not checked again
 * when already validated, nor for locally generated packets.
 */
bool ipvs_rs_icmp_csum_ok(struct sk_buff *skb, u32 off)
{
	if (skb_csum_unnecessary(skb) || !skb->dev)
		return true;
	return !nf_checksum(skb, NF_INET_LOCAL_IN, off, IPPROTO_ICMP, AF_INET);
}

/* Recomputes the checksum of the ICMP message at off (its first 4 bytes are writable). */
void ipvs_rs_icmp_csum_set(struct sk_buff *skb, u32 off)
{
	struct icmphdr *ic = (struct icmphdr *)(skb->data + off);

	ic->checksum = 0;
	ic->checksum = csum_fold(skb_checksum(skb, off, skb->len - off, 0));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

void ipvs_rs_ip_send_check(struct sk_buff *skb)
{
	ip_send_check(ip_hdr(skb));
}

/* ---- IPv4 routing and output ----------------------------------------------------------- */

/*
 * The output route to daddr (an ERR_PTR on failure); *saddr gets the route's preferred source.
 * With known_nh (direct routing), daddr is the next hop whatever the packet's own destination.
 */
static struct rtable *ipvs_rs_output_route4(struct net *net, __be32 daddr, bool known_nh,
					    __be32 *saddr)
{
	struct flowi4 fl4;
	struct rtable *rt;

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = daddr;
	fl4.flowi4_scope = RT_SCOPE_UNIVERSE;
	fl4.flowi4_flags = known_nh ? FLOWI_FLAG_KNOWN_NH : 0;
	rt = ip_route_output_key(net, &fl4);
	if (!IS_ERR(rt))
		*saddr = fl4.saddr;
	return rt;
}

/*
 * A real server's route, shared by all CPUs and read under RCU without taking a reference (as C
 * IPVS keeps its per-destination route): packets carry it with skb_dst_set_noref, so the packet
 * path touches no reference count and needs no BH protection (the LOCAL_OUT hooks run in
 * process context). The cache holds one reference on the route. An entry that is replaced or
 * found stale drops it a grace period later, and a route is itself freed only a grace period
 * after its last reference goes, so a packet that took it inside its RCU section may use it to
 * the end of that section; the networking core takes a reference (skb_dst_force) before
 * keeping a packet beyond it.
 */
struct ipvs_rs_cached_rt {
	struct rtable *rt;
	__be32 saddr;
	struct rcu_head rcu;
};

struct ipvs_rs_route_cache {
	struct ipvs_rs_cached_rt __rcu *cur;
};

static void ipvs_rs_cached_rt_free(struct ipvs_rs_cached_rt *e)
{
	ip_rt_put(e->rt);
	kfree(e);
}

static void ipvs_rs_cached_rt_free_rcu(struct rcu_head *head)
{
	ipvs_rs_cached_rt_free(container_of(head, struct ipvs_rs_cached_rt, rcu));
}

/* Replaces the entry @old (NULL: whatever is cached) by @e (NULL: none); @old goes after a grace
 * period. With @old given, does nothing if another CPU replaced it first. */
static void ipvs_rs_route_cache_replace(struct ipvs_rs_route_cache *c,
					struct ipvs_rs_cached_rt *old,
					struct ipvs_rs_cached_rt *e)
{
	struct ipvs_rs_cached_rt **slot = (struct ipvs_rs_cached_rt **)&c->cur;

	if (old) {
		if (cmpxchg(slot, old, e) != old)
			return;
	} else {
		old = xchg(slot, e);
	}
	if (old)
		call_rcu(&old->rcu, ipvs_rs_cached_rt_free_rcu);
}

struct ipvs_rs_route_cache *ipvs_rs_route_cache_new(void)
{
	return kzalloc(sizeof(struct ipvs_rs_route_cache), GFP_KERNEL);
}

void ipvs_rs_route_cache_reset(struct ipvs_rs_route_cache *c)
{
	ipvs_rs_route_cache_replace(c, NULL, NULL);
}

/* Only once no reader can reach @c (its destination is gone). */
void ipvs_rs_route_cache_free(struct ipvs_rs_route_cache *c)
{
	struct ipvs_rs_cached_rt *e = rcu_dereference_protected(c->cur, true);

	if (e)
		ipvs_rs_cached_rt_free(e);
	kfree(c);
}

/* The cached route if it is still valid, without a reference (caller in an RCU section). */
static struct rtable *ipvs_rs_route_cache_get(struct ipvs_rs_route_cache *c, __be32 *saddr)
{
	struct ipvs_rs_cached_rt *e = rcu_dereference(c->cur);

	if (!e)
		return NULL;
	if (!dst_check(&e->rt->dst, 0)) {
		ipvs_rs_route_cache_replace(c, e, NULL);
		return NULL;
	}
	*saddr = e->saddr;
	return e->rt;
}

/*
 * The route to daddr, from the cache or looked up (and cached). *@noref tells whether the caller
 * got it without a reference (cached: valid to the end of the caller's RCU section) or with one
 * (no cache (cache bypass), or no memory to cache it): see ipvs_rs_rt_release.
 */
static struct rtable *ipvs_rs_cached_route4(struct net *net, struct ipvs_rs_route_cache *cache,
					    __be32 daddr, bool known_nh, __be32 *saddr, bool *noref)
{
	struct ipvs_rs_cached_rt *e;
	struct rtable *rt;

	*noref = false;
	if (cache) {
		rt = ipvs_rs_route_cache_get(cache, saddr);
		if (rt) {
			*noref = true;
			return rt;
		}
	}
	rt = ipvs_rs_output_route4(net, daddr, known_nh, saddr);
	if (!cache || IS_ERR(rt))
		return rt;
	e = kmalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return rt;
	/* The cache takes the reference. */
	e->rt = rt;
	e->saddr = *saddr;
	ipvs_rs_route_cache_replace(cache, NULL, e);
	*noref = true;
	return rt;
}

/* Gives back what ipvs_rs_cached_route4 gave. */
static void ipvs_rs_rt_release(struct rtable *rt, bool noref)
{
	if (!noref)
		ip_rt_put(rt);
}

/*
 * A packet from LOCAL_IN may carry an early-demuxed socket (even a TIME-WAIT one) that must not
 * follow it out.
 */
static void ipvs_rs_drop_early_demux_sk(struct sk_buff *skb)
{
	if (skb->dev)
		skb_orphan(skb);
}

/*
 * Reassembles a fragment (C IPVS: ip_vs_gather_frags), with the defrag user of the hook.
 * Returns 0 when @skb is now the whole datagram; otherwise the fragment was queued or freed.
 */
int ipvs_rs_gather_frags(struct net *net, struct sk_buff *skb, u32 hooknum)
{
	u32 user = hooknum == NF_INET_LOCAL_IN ? IP_DEFRAG_VS_IN :
		   hooknum == NF_INET_FORWARD ? IP_DEFRAG_VS_FWD : IP_DEFRAG_VS_OUT;
	int err;

	local_bh_disable();
	err = ip_defrag(net, skb, user);
	local_bh_enable();
	if (!err)
		ip_send_check(ip_hdr(skb));
	return err;
}

/*
 * An ICMP error about a packet this host tunnelled to a real server, turned into the same
 * error to the client about its own packet (C IPVS: the tunnel case of ip_vs_in_icmp). @outer
 * and @inner are the offsets of the embedded outer IP header and of the client's packet in it,
 * @overhead the tunnel's headers; @type, @code, @info the error's. For "fragmentation needed"
 * the narrower path to the real server is remembered (the route's PMTU), and a client that
 * discovers the path MTU is told the MTU left inside the tunnel; one that does not gets
 * nothing (its packets get fragmented). Consumes @skb; returns whether an error was sent.
 */
bool ipvs_rs_tunnel_error(struct net *net, struct ipvs_rs_route_cache *cache, struct sk_buff *skb,
			  u32 outer, u32 inner, u32 overhead, u8 type, u8 code, u32 info)
{
	bool sent = false;
	unsigned int ihl;

	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		struct iphdr _ciph, *cih = skb_header_pointer(skb, inner, sizeof(_ciph), &_ciph);
		u32 mtu = info & 0xffff;
		struct rtable *rt;
		__be32 saddr;
		bool df;

		if (!cih)
			goto out;
		df = cih->frag_off & htons(IP_DF);
		if (!pskb_pull(skb, outer))
			goto out;
		skb_reset_network_header(skb);
		if (!pskb_may_pull(skb, sizeof(struct iphdr)))
			goto out;
		ipv4_update_pmtu(skb, net, mtu, 0, 0);
		if (!df)
			goto out;
		rt = ipvs_rs_route_cache_get(cache, &saddr);
		if (rt)
			mtu = dst_mtu(&rt->dst);
		if (mtu > IPV4_MIN_MTU + overhead)
			mtu -= overhead;
		info = mtu;
		inner -= outer;
	}
	if (!pskb_pull(skb, inner))
		goto out;
	skb_reset_network_header(skb);
	memset(&(IPCB(skb)->opt), 0, sizeof(IPCB(skb)->opt));
	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		goto out;
	ihl = ip_hdr(skb)->ihl * 4;
	if (ihl < sizeof(struct iphdr) || !pskb_may_pull(skb, ihl))
		goto out;
	skb_set_transport_header(skb, ihl);
	icmp_send(skb, type, code, htonl(info));
	sent = true;
out:
	consume_skb(skb);
	return sent;
}

/*
 * A packet for a real server on this host continues up the stack: marked as IPVS's and
 * untracked, and without the socket early demux found for it, unless @keep_sk (its address
 * and port were not changed).
 */
void ipvs_rs_deliver_local(struct sk_buff *skb, bool keep_sk)
{
	ipvs_rs_skb_set_ipvs_property(skb);
	if (!keep_sk)
		ipvs_rs_drop_early_demux_sk(skb);
}

/* What every transmitted packet gets before it leaves (C IPVS: ip_vs_*_xmit_prepare). */
static void ipvs_rs_xmit_prepare(struct sk_buff *skb)
{
	ipvs_rs_skb_set_ipvs_property(skb);
	skb_forward_csum(skb);
	if (skb->dev)
		skb_clear_tstamp(skb);
}

unsigned int ipvs_rs_send4(struct net *net, struct sk_buff *skb)
{
	ipvs_rs_drop_early_demux_sk(skb);
	ipvs_rs_xmit_prepare(skb);
	NF_HOOK(NFPROTO_IPV4, NF_INET_LOCAL_OUT, net, NULL, skb, NULL, skb_dst(skb)->dev,
		dst_output);
	return NF_STOLEN;
}

/* Whether the packet is too big for @mtu (GSO packets are measured by their segments). */
static bool ipvs_rs_exceeds_mtu(const struct sk_buff *skb, unsigned int mtu)
{
	if (skb->len <= mtu)
		return false;
	return !(skb_is_gso(skb) && skb_gso_validate_network_len(skb, mtu));
}

/*
 * The output step every transmitter takes, as C IPVS does it: the route to daddr (cached). A
 * local destination leaves the packet as it is (returns 1), but only for a packet that was
 * itself going to this host (or with IPVS_RS_RT_REDIRECT), and never for a loopback daddr
 * when the packet came from the network. Otherwise the TTL is
 * decremented ("time exceeded" at 1), the path MTU less @overhead (the tunnel headers with the
 * outer IP header; negative: no tunnel) is checked ("fragmentation needed" for a DF packet
 * that does not fit, unless it is an ICMP error being relayed or a tunnel without pmtu_disc),
 * and the route is attached (returns 0). Negative errno: drop the packet.
 */
static int ipvs_rs_out_route4(struct net *net, struct ipvs_rs_route_cache *cache, struct sk_buff *skb,
			      __be32 daddr, unsigned int flags, int overhead, __be32 *saddr)
{
	struct rtable *ort = skb_rtable(skb), *rt;
	bool tunnel = overhead >= 0;
	bool noref;
	int mtu;

	rt = ipvs_rs_cached_route4(net, cache, daddr, flags & IPVS_RS_RT_KNOWN_NH, saddr, &noref);
	if (IS_ERR(rt)) {
		if (!skb->dev)
			skb->dev = net->loopback_dev;
		dst_link_failure(skb);
		return PTR_ERR(rt);
	}
	if (rt->rt_flags & RTCF_LOCAL) {
		bool was_local = ort && (ort->rt_flags & RTCF_LOCAL);
		bool ok = !(flags & IPVS_RS_RT_NON_LOCAL) && (was_local || (flags & IPVS_RS_RT_REDIRECT));

		ipvs_rs_rt_release(rt, noref);
		/* From the network but to a loopback address: never (C IPVS refuses it too). */
		if (ipv4_is_loopback(daddr) && ort && rt_is_input_route(ort))
			ok = false;
		return ok ? 1 : -EINVAL;
	}
	if (ipv4_is_loopback(ip_hdr(skb)->saddr))
		goto err;

	if (ip_hdr(skb)->ttl <= 1) {
		__IP_INC_STATS(net, IPSTATS_MIB_INHDRERRORS);
		icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
		goto err;
	}
	if (skb_ensure_writable(skb, sizeof(struct iphdr)))
		goto err;
	ip_decrease_ttl(ip_hdr(skb));

	mtu = dst_mtu(&rt->dst);
	if (tunnel) {
		mtu -= overhead;
		if (mtu < IPV4_MIN_MTU)
			goto err;
		/* A local sender learns the tunnel's smaller MTU. */
		if (!skb->dev && skb->sk && sk_fullsock(skb->sk) && ort)
			ort->dst.ops->update_pmtu(&ort->dst, skb->sk, NULL, mtu, true);
	}
	if ((!tunnel || (flags & IPVS_RS_RT_PMTU_DISC)) && (ip_hdr(skb)->frag_off & htons(IP_DF)) &&
	    ipvs_rs_exceeds_mtu(skb, mtu) && !(flags & IPVS_RS_RT_ICMP)) {
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
		goto err;
	}

	skb_dst_drop(skb);
	if (noref)
		skb_dst_set_noref(skb, &rt->dst);
	else
		skb_dst_set(skb, &rt->dst);
	return 0;

err:
	ipvs_rs_rt_release(rt, noref);
	return -EINVAL;
}

int ipvs_rs_route4(struct net *net, struct ipvs_rs_route_cache *cache, struct sk_buff *skb, __be32 daddr,
		   unsigned int flags, bool *local)
{
	__be32 saddr;
	int r = ipvs_rs_out_route4(net, cache, skb, daddr, flags, -1, &saddr);

	*local = r == 1;
	return r < 0 ? r : 0;
}

/* The headers a tunnel adds in front of the packet, the outer IPv4 header included. */
static int ipvs_rs_tun_overhead(u8 type, bool csum, bool remcsum)
{
	int len = sizeof(struct iphdr);

	switch (type) {
	case IP_VS_CONN_F_TUNNEL_TYPE_GUE:
		len += sizeof(struct udphdr) + sizeof(struct guehdr);
		if (remcsum)
			len += GUE_LEN_PRIV + GUE_PLEN_REMCSUM;
		break;
	case IP_VS_CONN_F_TUNNEL_TYPE_GRE:
		/* The base header, and the checksum word with its reserved half. */
		len += 4 + (csum ? 4 : 0);
		break;
	}
	return len;
}

/*
 * GUE (generic UDP encapsulation, variant 0) of an IPv4 packet, header by header: the GUE
 * base header, with remote checksum offload the private flags word and the checksum's start
 * and offset (relative to the inner packet), then UDP to @port (the source port from the
 * flow's hash, so that receivers can spread flows). The UDP checksum is set by the caller.
 */
static int ipvs_rs_gue_push(struct net *net, struct sk_buff *skb, __be16 port, bool remcsum)
{
	__be16 sport = udp_flow_src_port(net, skb, 0, 0, false);
	size_t optlen = remcsum ? GUE_LEN_PRIV + GUE_PLEN_REMCSUM : 0;
	size_t hlen = sizeof(struct guehdr) + optlen;
	struct guehdr *gh;
	struct udphdr *uh;

	if (remcsum && skb_checksum_start_offset(skb) < 0)
		return -EINVAL;
	gh = skb_push(skb, hlen);
	memset(gh, 0, hlen);
	gh->hlen = optlen >> 2;
	gh->proto_ctype = IPPROTO_IPIP;
	if (remcsum) {
		__be32 *pflags = (__be32 *)(gh + 1);
		__be16 *where = (__be16 *)(pflags + 1);
		u16 start = skb_checksum_start_offset(skb) - hlen;

		gh->flags = GUE_FLAG_PRIV;
		*pflags = GUE_PFLAG_REMCSUM;
		where[0] = htons(start);
		where[1] = htons(start + skb->csum_offset);
		/* The receiver completes the inner checksum. */
		if (!skb_is_gso(skb)) {
			skb->ip_summed = CHECKSUM_NONE;
			skb->encapsulation = 0;
		}
	}
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = sport;
	uh->dest = port;
	udp_set_len(uh, skb->len);
	uh->check = 0;
	return 0;
}

/*
 * Tunnelling towards daddr, as C IPVS does it: IP-in-IP, GUE (UDP to @port) or GRE by @type,
 * with @tflags (IP_VS_TUNNEL_ENCAP_FLAG_*: CSUM, REMCSUM). The outer source is the route's
 * preferred source; TTL and DS field (ECN encapsulated) come from the inner header, and DF too
 * with IPVS_RS_RT_PMTU_DISC in @flags. Returns NF_ACCEPT when daddr is local (the packet,
 * unchanged, goes up the stack); otherwise consumes it and returns NF_STOLEN.
 */
unsigned int ipvs_rs_tun_xmit(struct net *net, struct ipvs_rs_route_cache *cache, struct sk_buff *skb,
			      __be32 daddr, unsigned int flags, u8 type, u16 tflags, u16 port)
{
	bool csum = tflags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
	bool remcsum = type == IP_VS_CONN_F_TUNNEL_TYPE_GUE &&
		       (tflags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM) &&
		       skb->ip_summed == CHECKSUM_PARTIAL;
	int overhead = ipvs_rs_tun_overhead(type, csum, remcsum);
	IP_TUNNEL_DECLARE_FLAGS(gre_flags) = { };
	struct iphdr *old, *iph;
	unsigned int headroom;
	int gso_type = SKB_GSO_IPXIP4;
	u8 dsfield, ttl, proto;
	struct rtable *rt;
	__be32 saddr;
	__be16 df;
	int r;

	r = ipvs_rs_out_route4(net, cache, skb, daddr, flags, overhead, &saddr);
	if (r == 1) {
		ipvs_rs_deliver_local(skb, true);
		return NF_ACCEPT;
	}
	if (r < 0)
		goto drop;
	ipvs_rs_drop_early_demux_sk(skb);
	rt = skb_rtable(skb);

	headroom = LL_RESERVED_SPACE(rt->dst.dev) + overhead;
	if (skb_headroom(skb) < headroom || skb_cloned(skb)) {
		struct sk_buff *new_skb = skb_realloc_headroom(skb, headroom);

		if (!new_skb)
			goto drop;
		if (skb->sk)
			skb_set_owner_w(new_skb, skb->sk);
		consume_skb(skb);
		skb = new_skb;
	}

	old = ip_hdr(skb);
	df = (flags & IPVS_RS_RT_PMTU_DISC) ? (old->frag_off & htons(IP_DF)) : 0;
	ip_send_check(old);
	dsfield = INET_ECN_encapsulate(ipv4_get_dsfield(old), ipv4_get_dsfield(old));
	ttl = old->ttl;

	switch (type) {
	case IP_VS_CONN_F_TUNNEL_TYPE_GUE:
		gso_type |= (csum || (tflags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM)) ?
			    SKB_GSO_UDP_TUNNEL_CSUM : SKB_GSO_UDP_TUNNEL;
		if (remcsum)
			gso_type |= SKB_GSO_TUNNEL_REMCSUM;
		break;
	case IP_VS_CONN_F_TUNNEL_TYPE_GRE:
		gso_type |= csum ? SKB_GSO_GRE_CSUM : SKB_GSO_GRE;
		break;
	}
	if (iptunnel_handle_offloads(skb, gso_type))
		goto drop;
	skb->transport_header = skb->network_header;
	skb_set_inner_ipproto(skb, IPPROTO_IPIP);
	skb_set_inner_mac_header(skb, skb_inner_network_offset(skb));

	switch (type) {
	case IP_VS_CONN_F_TUNNEL_TYPE_GUE:
		if (ipvs_rs_gue_push(net, skb, htons(port), remcsum))
			goto drop;
		udp_set_csum(!(tflags & (IP_VS_TUNNEL_ENCAP_FLAG_CSUM | IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM)),
			     skb, saddr, daddr, skb->len);
		proto = IPPROTO_UDP;
		break;
	case IP_VS_CONN_F_TUNNEL_TYPE_GRE:
		if (csum)
			__set_bit(IP_TUNNEL_CSUM_BIT, gre_flags);
		gre_build_header(skb, gre_calc_hlen(gre_flags), gre_flags, htons(ETH_P_IP), 0, 0);
		proto = IPPROTO_GRE;
		break;
	default:
		proto = IPPROTO_IPIP;
	}

	skb_push(skb, sizeof(struct iphdr));
	skb_reset_network_header(skb);
	memset(&(IPCB(skb)->opt), 0, sizeof(IPCB(skb)->opt));
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(struct iphdr) >> 2;
	iph->frag_off = df;
	iph->protocol = proto;
	iph->tos = dsfield;
	iph->daddr = daddr;
	iph->saddr = saddr;
	iph->ttl = ttl;
	ip_select_ident(net, skb, NULL);

	/* The MTU was checked before; the outer packet may be fragmented. */
	skb->ignore_df = 1;
	ipvs_rs_xmit_prepare(skb);
	ip_local_out(net, skb->sk, skb);
	return NF_STOLEN;

drop:
	kfree_skb(skb);
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

/* Two locks of one class, @a first (callers order them); @a == @b takes one. */
void ipvs_rs_spin_lock2_bh(spinlock_t *a, spinlock_t *b)
{
	spin_lock_bh(a);
	if (b != a)
		spin_lock_nested(b, SINGLE_DEPTH_NESTING);
}

void ipvs_rs_spin_unlock2_bh(spinlock_t *a, spinlock_t *b)
{
	if (b != a)
		spin_unlock(b);
	spin_unlock_bh(a);
}

void ipvs_rs_cond_resched(void)
{
	cond_resched();
}

/* ---- per-CPU counters ------------------------------------------------------------------ */

u64 __percpu *ipvs_rs_pcpu_alloc(u32 n)
{
	return __alloc_percpu(n * sizeof(u64), sizeof(u64));
}

/* Adds a to counter i and b to counter j of each of the n areas in ps, on this CPU. */
void ipvs_rs_pcpu_add2(u64 __percpu *const *ps, u32 n, u32 i, u64 a, u32 j, u64 b)
{
	u32 k;

	for (k = 0; k < n; k++) {
		this_cpu_add(ps[k][i], a);
		this_cpu_add(ps[k][j], b);
	}
}

void ipvs_rs_pcpu_sum(const u64 __percpu *p, u32 n, u64 *out)
{
	int cpu;
	u32 i;

	for (i = 0; i < n; i++)
		out[i] = 0;
	for_each_possible_cpu(cpu) {
		const u64 *c = per_cpu_ptr(p, cpu);

		for (i = 0; i < n; i++)
			out[i] += READ_ONCE(c[i]);
	}
}

void ipvs_rs_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	timer_setup(t, fn, 0);
}

/* ---- address classification ---------------------------------------------------------- */

u32 ipvs_rs_inet_addr_type(struct net *net, __be32 addr)
{
	return inet_addr_type(net, addr);
}

bool ipvs_rs_port_requires_bind(struct net *net, u16 port)
{
	return inet_port_requires_bind_service(net, port);
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
