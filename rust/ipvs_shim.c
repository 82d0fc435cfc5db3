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
#include <linux/netfilter_ipv6.h>
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

unsigned int ipvs_rs_net_id __read_mostly;

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

/* Same points and priorities as C IPVS's IPv6 table. */
static const struct nf_hook_ops ipvs_rs_ops6[] = {
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP6_PRI_NAT_SRC - 2 },
	{ .hook = ipvs_rs_hook_in, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_IN,
	  .priority = NF_IP6_PRI_NAT_SRC - 1 },
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP6_PRI_NAT_DST + 1 },
	{ .hook = ipvs_rs_hook_in, .pf = NFPROTO_IPV6, .hooknum = NF_INET_LOCAL_OUT,
	  .priority = NF_IP6_PRI_NAT_DST + 2 },
	{ .hook = ipvs_rs_hook_out, .pf = NFPROTO_IPV6, .hooknum = NF_INET_FORWARD,
	  .priority = 100 },
};

/* The hooks of family pf (NFPROTO_IPV4 or NFPROTO_IPV6). */
static const struct nf_hook_ops *ipvs_rs_ops(u8 pf, unsigned int *n)
{
	*n = pf == NFPROTO_IPV6 ? ARRAY_SIZE(ipvs_rs_ops6) : ARRAY_SIZE(ipvs_rs_ops4);
	return pf == NFPROTO_IPV6 ? ipvs_rs_ops6 : ipvs_rs_ops4;
}

int ipvs_rs_hooks_register(struct net *net, u8 pf)
{
	unsigned int n;
	const struct nf_hook_ops *ops = ipvs_rs_ops(pf, &n);

	return nf_register_net_hooks(net, ops, n);
}

void ipvs_rs_hooks_unregister(struct net *net, u8 pf)
{
	unsigned int n;
	const struct nf_hook_ops *ops = ipvs_rs_ops(pf, &n);

	nf_unregister_net_hooks(net, ops, n);
}

/* Rust reads a hook's family as its address family (ipvs_proto::inet::Family::from_af). */
static_assert(NFPROTO_IPV4 == AF_INET && NFPROTO_IPV6 == AF_INET6);

void ipvs_rs_cond_resched(void)
{
	cond_resched();
}

/* ---- per-CPU counters ------------------------------------------------------------------ */

u64 __percpu *ipvs_rs_pcpu_alloc(u32 n)
{
	return __alloc_percpu(n * sizeof(u64), sizeof(u64));
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

static_assert(IPVS_RS_RTN_UNICAST == RTN_UNICAST && IPVS_RS_RTN_LOCAL == RTN_LOCAL);
static_assert(IPVS_RS_IPV6_ADDR_UNICAST == IPV6_ADDR_UNICAST);
static_assert(IPVS_RS_IPV6_ADDR_LINKLOCAL == IPV6_ADDR_LINKLOCAL);

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
