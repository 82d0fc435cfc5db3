// SPDX-License-Identifier: GPL-2.0
/*
 * C half of the ipvs_rs kernel glue. It holds only what Rust cannot express through
 * kernel::bindings: static inline helpers, macros, and the declarative tables the kernel wants
 * as C data (the generic-netlink family with its attribute policy, the netfilter hook arrays,
 * the pernet operations). All IPVS behaviour lives in Rust.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
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
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/inetdevice.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/swap.h>
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
#include <net/netfilter/nf_conntrack_core.h>

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

/* ---- legacy socket options ------------------------------------------------------------ */

static bool ipvs_rs_sockopt_privileged(struct sock *sk)
{
	return ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN);
}

static int ipvs_rs_so_set(struct sock *sk, int cmd, sockptr_t arg, unsigned int len)
{
	return ipvs_rs_sockopt_set(sock_net(sk), ipvs_rs_sockopt_privileged(sk), cmd, &arg, len);
}

static int ipvs_rs_so_get(struct sock *sk, int cmd, void __user *user, int *len)
{
	return ipvs_rs_sockopt_get(sock_net(sk), ipvs_rs_sockopt_privileged(sk), cmd,
				   (void __force *)user, len);
}

static struct nf_sockopt_ops ipvs_rs_sockopts = {
	.pf = PF_INET,
	.set_optmin = IP_VS_BASE_CTL,
	.set_optmax = IP_VS_SO_SET_MAX + 1,
	.set = ipvs_rs_so_set,
	.get_optmin = IP_VS_BASE_CTL,
	.get_optmax = IP_VS_SO_GET_MAX + 1,
	.get = ipvs_rs_so_get,
	.owner = THIS_MODULE,
};

int ipvs_rs_sockopt_register(void)
{
	return nf_register_sockopt(&ipvs_rs_sockopts);
}

void ipvs_rs_sockopt_unregister(void)
{
	nf_unregister_sockopt(&ipvs_rs_sockopts);
}

/* `src` is the call's sockptr_t. */
int ipvs_rs_copy_from_sockptr(void *dst, const void *src, u32 len)
{
	return copy_from_sockptr(dst, *(const sockptr_t *)src, len) ? -EFAULT : 0;
}

/* ---- per network namespace state ------------------------------------------------------- */

unsigned int ipvs_rs_net_id __read_mostly;

/*
 * The /proc/net files. Rust renders the small ones whole (ipvs_rs_proc_show) and the
 * connection tables record by record (a seq_file iterator whose place Rust keeps).
 */
static const struct {
	const char *name;
	umode_t mode;
	bool records;
} ipvs_rs_proc_files[] = {
	[IPVS_RS_PROC_CONN] = { "ip_vs_conn", 0444, true },
	[IPVS_RS_PROC_SERVICES] = { "ip_vs", 0444 },
	[IPVS_RS_PROC_STATS] = { "ip_vs_stats", 0444 },
	[IPVS_RS_PROC_STATS_PERCPU] = { "ip_vs_stats_percpu", 0444 },
	[IPVS_RS_PROC_CONN_SYNC] = { "ip_vs_conn_sync", 0444, true },
	[IPVS_RS_PROC_APP] = { "ip_vs_app", 0444 },
	[IPVS_RS_PROC_STATUS] = { "ip_vs_status", 0440 },
};

static long ipvs_rs_proc_kind(struct seq_file *seq)
{
	return (long)pde_data(file_inode(seq->file));
}

static int ipvs_rs_proc_single_show(struct seq_file *seq, void *v)
{
	return ipvs_rs_proc_show(seq, seq_file_single_net(seq), ipvs_rs_proc_kind(seq));
}

struct ipvs_rs_proc_iter {
	struct seq_net_private p; /* first: seq_file_net() */
	struct ipvs_rs_cursor cur;
};

static void *ipvs_rs_proc_start(struct seq_file *seq, loff_t *pos)
{
	struct ipvs_rs_proc_iter *it = seq->private;

	return ipvs_rs_proc_seek(seq_file_net(seq), ipvs_rs_proc_kind(seq), &it->cur, *pos) ?
		       &it->cur : NULL;
}

static void *ipvs_rs_proc_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct ipvs_rs_proc_iter *it = seq->private;

	++*pos;
	return ipvs_rs_proc_advance(seq_file_net(seq), ipvs_rs_proc_kind(seq), &it->cur, *pos) ?
		       &it->cur : NULL;
}

static void ipvs_rs_proc_stop(struct seq_file *seq, void *v)
{
}

static int ipvs_rs_proc_record_show(struct seq_file *seq, void *v)
{
	return ipvs_rs_proc_record(seq, seq_file_net(seq), ipvs_rs_proc_kind(seq), v);
}

static const struct seq_operations ipvs_rs_proc_seq_ops = {
	.start = ipvs_rs_proc_start,
	.next = ipvs_rs_proc_next,
	.stop = ipvs_rs_proc_stop,
	.show = ipvs_rs_proc_record_show,
};

static void ipvs_rs_proc_remove_all(struct net *net, int n)
{
	while (n-- > 0)
		remove_proc_entry(ipvs_rs_proc_files[n].name, net->proc_net);
}

static int ipvs_rs_proc_create_all(struct net *net)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ipvs_rs_proc_files); i++) {
		const char *name = ipvs_rs_proc_files[i].name;
		umode_t mode = ipvs_rs_proc_files[i].mode;
		struct proc_dir_entry *e;

		if (ipvs_rs_proc_files[i].records)
			e = proc_create_net_data(name, mode, net->proc_net, &ipvs_rs_proc_seq_ops,
						 sizeof(struct ipvs_rs_proc_iter), (void *)(long)i);
		else
			e = proc_create_net_single(name, mode, net->proc_net,
						   ipvs_rs_proc_single_show, (void *)(long)i);
		if (!e) {
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

static void ipvs_rs_resize_fn(struct work_struct *work)
{
	struct ipvs_rs_net *n = container_of(to_delayed_work(work), struct ipvs_rs_net, resize);

	ipvs_rs_net_resize(READ_ONCE(n->data));
}

/* Runs the namespace's resize work now (any context; nothing once the namespace exits). */
void ipvs_rs_net_resize_soon(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	mod_delayed_work(system_dfl_long_wq, &n->resize, 0);
}

/*
 * net/ipv4/vs/ sysctls: C IPVS 7.3's files, each an int of struct ipvs_rs_net that Rust reads
 * in place (atomic loads; ipvs_rs_sysctls() gives it the array) and sets at namespace start.
 * Files without a rule of their own use the kernel's handlers; the others parse with
 * proc_dointvec and Rust decides whether and how the value is taken (ipvs_rs_sysctl_write).
 */
static int ipvs_rs_sysctl_checked(const struct ctl_table *table, int write, void *buffer,
				  size_t *lenp, loff_t *ppos)
{
	struct ipvs_rs_net *n = table->extra2;
	int *valp = table->data;
	int vals[2] = { READ_ONCE(valp[0]), 0 };
	u32 count = table->maxlen / sizeof(int);
	struct ctl_table tmp = { .data = vals, .maxlen = table->maxlen, .mode = table->mode };
	int rc;

	if (count == 2)
		vals[1] = READ_ONCE(valp[1]);
	rc = proc_dointvec(&tmp, write, buffer, lenp, ppos);
	if (write && !rc)
		rc = ipvs_rs_sysctl_write(n->data, valp - n->sysctl, vals, count,
					  capable(CAP_NET_ADMIN));
	return rc;
}

/* est_cpulist: a CPU list, parsed and printed by the kernel's cpulist helpers. */
static DEFINE_MUTEX(ipvs_rs_cpulist_mutex);

static int ipvs_rs_sysctl_cpulist(const struct ctl_table *table, int write, void *buffer,
				  size_t *lenp, loff_t *ppos)
{
	struct ipvs_rs_net *n = table->extra2;
	struct cpumask *mask;
	int ret;

	/* Like C's, a read or write past the start is ignored. */
	if (*ppos || !*lenp) {
		*lenp = 0;
		return 0;
	}
	if (!write) {
		mutex_lock(&ipvs_rs_cpulist_mutex);
		rcu_read_lock();	/* for the housekeeping mask */
		mask = n->est_cpulist ?: (struct cpumask *)housekeeping_cpumask(HK_TYPE_KTHREAD);
		ret = scnprintf(buffer, *lenp + 1, "%*pbl\n", cpumask_pr_args(mask));
		rcu_read_unlock();
		mutex_unlock(&ipvs_rs_cpulist_mutex);
		*lenp = ret;
		*ppos += ret;
		return 0;
	}
	mask = kzalloc(cpumask_size(), GFP_KERNEL);
	if (!mask)
		return -ENOMEM;
	ret = cpulist_parse(buffer, mask);
	if (ret) {
		kfree(mask);
		return ret;
	}
	cpumask_and(mask, mask, &current->cpus_mask);
	mutex_lock(&ipvs_rs_cpulist_mutex);
	swap(n->est_cpulist, mask);
	WRITE_ONCE(n->est_cpulist_gen, n->est_cpulist_gen + 1);
	mutex_unlock(&ipvs_rs_cpulist_mutex);
	kfree(mask);
	*ppos += *lenp;
	return 0;
}

#define IPVS_RS_INT(name, index, handler)                                                       \
	[IPVS_RS_SYSCTL_##index] = { .procname = name, .maxlen = sizeof(int), .mode = 0644,     \
				     .proc_handler = handler }
#define IPVS_RS_INT_RANGE(name, index, max)                                                     \
	[IPVS_RS_SYSCTL_##index] = { .procname = name, .maxlen = sizeof(int), .mode = 0644,     \
				     .proc_handler = proc_dointvec_minmax,                      \
				     .extra1 = SYSCTL_ZERO, .extra2 = max }

/*
 * The files, each at the index of its (first) value; values without a file leave holes, which
 * registration packs away.
 */
static const struct ctl_table ipvs_rs_sysctl_template[IPVS_RS_SYSCTL_COUNT] = {
	IPVS_RS_INT("amemthresh", AMEMTHRESH, proc_dointvec),
	IPVS_RS_INT("am_droprate", AM_DROPRATE, proc_dointvec),
	IPVS_RS_INT("conn_max", CONN_MAX, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("drop_entry", DROP_ENTRY, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("drop_packet", DROP_PACKET, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("conntrack", CONNTRACK, proc_dointvec),
	IPVS_RS_INT("secure_tcp", SECURE_TCP, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("snat_reroute", SNAT_REROUTE, proc_dointvec),
	IPVS_RS_INT_RANGE("sync_version", SYNC_VERSION, SYSCTL_ONE),
	IPVS_RS_INT("sync_ports", SYNC_PORTS, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("sync_persist_mode", SYNC_PERSIST_MODE, proc_dointvec),
	IPVS_RS_INT("sync_sock_size", SYNC_SOCK_SIZE, proc_dointvec),
	IPVS_RS_INT("cache_bypass", CACHE_BYPASS, proc_dointvec),
	IPVS_RS_INT("expire_nodest_conn", EXPIRE_NODEST_CONN, proc_dointvec),
	IPVS_RS_INT("sloppy_tcp", SLOPPY_TCP, proc_dointvec),
	IPVS_RS_INT("sloppy_sctp", SLOPPY_SCTP, proc_dointvec),
	IPVS_RS_INT("expire_quiescent_template", EXPIRE_QUIESCENT_TEMPLATE, proc_dointvec),
	[IPVS_RS_SYSCTL_SYNC_THRESHOLD] = { .procname = "sync_threshold", .maxlen = 2 * sizeof(int),
					    .mode = 0644, .proc_handler = ipvs_rs_sysctl_checked },
	IPVS_RS_INT("sync_refresh_period", SYNC_REFRESH_PERIOD, proc_dointvec_jiffies),
	IPVS_RS_INT_RANGE("sync_retries", SYNC_RETRIES, SYSCTL_THREE),
	IPVS_RS_INT("nat_icmp_send", NAT_ICMP_SEND, proc_dointvec),
	IPVS_RS_INT("pmtu_disc", PMTU_DISC, proc_dointvec),
	IPVS_RS_INT("backup_only", BACKUP_ONLY, proc_dointvec),
	IPVS_RS_INT("conn_reuse_mode", CONN_REUSE_MODE, proc_dointvec),
	IPVS_RS_INT("schedule_icmp", SCHEDULE_ICMP, proc_dointvec),
	IPVS_RS_INT("ignore_tunneled", IGNORE_TUNNELED, proc_dointvec),
	IPVS_RS_INT("run_estimation", RUN_ESTIMATION, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("est_nice", EST_NICE, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("conn_lfactor", CONN_LFACTOR, ipvs_rs_sysctl_checked),
	IPVS_RS_INT("svc_lfactor", SVC_LFACTOR, ipvs_rs_sysctl_checked),
};

/* Two files with no value in the int array; registered after the table above. */
static const struct ctl_table ipvs_rs_sysctl_extra[] = {
	{ .procname = "sync_qlen_max", .maxlen = sizeof(unsigned long), .mode = 0644,
	  .proc_handler = proc_doulongvec_minmax },
	{ .procname = "est_cpulist", .maxlen = NR_CPUS, .mode = 0644,
	  .proc_handler = ipvs_rs_sysctl_cpulist },
};

/* lblc_expiration and lblcr_expiration: their own table, as C's schedulers have. */
static const struct ctl_table ipvs_rs_sysctl_lb[] = {
	{ .procname = "lblc_expiration", .maxlen = sizeof(int), .mode = 0644,
	  .proc_handler = proc_dointvec_jiffies },
	{ .procname = "lblcr_expiration", .maxlen = sizeof(int), .mode = 0644,
	  .proc_handler = proc_dointvec_jiffies },
};

/* Files C makes read-only in a namespace owned by another user namespace. */
static bool ipvs_rs_sysctl_host_wide(u32 i)
{
	return i == IPVS_RS_SYSCTL_RUN_ESTIMATION || i == IPVS_RS_SYSCTL_EST_NICE ||
	       i == IPVS_RS_SYSCTL_CONN_LFACTOR || i == IPVS_RS_SYSCTL_SVC_LFACTOR ||
	       i == IPVS_RS_SYSCTL_SYNC_SOCK_SIZE;
}

static void ipvs_rs_sysctl_unregister(struct ipvs_rs_net *n)
{
	if (n->lb_header)
		unregister_net_sysctl_table(n->lb_header);
	if (n->sysctl_header)
		unregister_net_sysctl_table(n->sysctl_header);
	kfree(n->lb_table);
	kfree(n->sysctl_table);
	kfree(n->est_cpulist);
	n->lb_header = NULL;
	n->sysctl_header = NULL;
	n->lb_table = NULL;
	n->sysctl_table = NULL;
	n->est_cpulist = NULL;
}

/*
 * Registers the files of a namespace whose values Rust has set. Like C IPVS 7.3, every file
 * but the lblc/lblcr pair is exported to namespaces of other user namespaces, the host-wide
 * ones read-only there.
 */
static int ipvs_rs_sysctl_register(struct net *net, struct ipvs_rs_net *n)
{
	size_t main = ARRAY_SIZE(ipvs_rs_sysctl_template), extra = ARRAY_SIZE(ipvs_rs_sysctl_extra);
	bool foreign = net->user_ns != &init_user_ns;
	struct ctl_table *t;
	u32 i;

	/* C's default, a share of the free buffer pages (an unsigned long the shim keeps). */
	n->sync_qlen_max = nr_free_buffer_pages() / 32;
	if (!IS_ENABLED(CONFIG_SYSCTL))
		return 0;
	n->sysctl_table = kcalloc(main + extra, sizeof(*t), GFP_KERNEL);
	n->lb_table = kmemdup(ipvs_rs_sysctl_lb, sizeof(ipvs_rs_sysctl_lb), GFP_KERNEL);
	if (!n->sysctl_table || !n->lb_table)
		goto nomem;
	/* The named entries, packed (the template has holes for values without a file). */
	t = n->sysctl_table;
	for (i = 0; i < main; i++) {
		if (!ipvs_rs_sysctl_template[i].procname)
			continue;
		*t = ipvs_rs_sysctl_template[i];
		t->data = &n->sysctl[i];
		t->extra2 = t->extra2 ?: n;
		if (foreign && ipvs_rs_sysctl_host_wide(i))
			t->mode = 0444;
		t++;
	}
	memcpy(t, ipvs_rs_sysctl_extra, sizeof(ipvs_rs_sysctl_extra));
	t[0].data = &n->sync_qlen_max;
	t[1].extra2 = n;
	if (foreign)
		t[0].mode = t[1].mode = 0444;
	n->sysctl_header = register_net_sysctl_sz(net, "net/ipv4/vs", n->sysctl_table,
						  t + extra - n->sysctl_table);
	if (!n->sysctl_header)
		goto nomem;
	n->lb_table[0].data = &n->sysctl[IPVS_RS_SYSCTL_LBLC_EXPIRATION];
	n->lb_table[1].data = &n->sysctl[IPVS_RS_SYSCTL_LBLCR_EXPIRATION];
	n->lb_header = register_net_sysctl_sz(net, "net/ipv4/vs", n->lb_table,
					      foreign ? 0 : ARRAY_SIZE(ipvs_rs_sysctl_lb));
	if (!n->lb_header)
		goto nomem;
	return 0;
nomem:
	ipvs_rs_sysctl_unregister(n);
	return -ENOMEM;
}

/* A thread `<prefix>:<gen>:<id>` (ipvs-e, ipvs-m, ipvs-b), created (not woken) with a
 * reference of ours. */
struct task_struct *ipvs_rs_kthread_create(int (*fn)(void *), void *data, const char *prefix,
					   int gen, int id)
{
	struct task_struct *t = kthread_create(fn, data, "%s:%d:%d", prefix, gen, id);

	if (IS_ERR(t))
		return NULL;
	get_task_struct(t);
	return t;
}

/* A thread not yet woken prefers the CPUs of est_cpulist, if it was set to some. */
void ipvs_rs_est_kthread_affine(struct task_struct *t, struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	mutex_lock(&ipvs_rs_cpulist_mutex);
	if (n->est_cpulist && !cpumask_empty(n->est_cpulist))
		kthread_affine_preferred(t, n->est_cpulist);
	mutex_unlock(&ipvs_rs_cpulist_mutex);
}

/* How many times est_cpulist was written (the estimator thread restarts for a new list). */
u32 ipvs_rs_est_cpulist_gen(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	return READ_ONCE(n->est_cpulist_gen);
}

/* Whether est_cpulist was set to no CPU (process context). */
bool ipvs_rs_est_cpulist_empty(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);
	bool empty;

	mutex_lock(&ipvs_rs_cpulist_mutex);
	empty = n->est_cpulist && cpumask_empty(n->est_cpulist);
	mutex_unlock(&ipvs_rs_cpulist_mutex);
	return empty;
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

/* The interface `name`'s index, MTU and first IPv4 address (0: none), if it exists. */
int ipvs_rs_dev_info(struct net *net, const char *name, int *ifindex, u32 *mtu, __be32 *addr)
{
	struct net_device *dev;
	int err = -ENODEV;

	rcu_read_lock();
	dev = dev_get_by_name_rcu(net, name);
	if (dev) {
		*ifindex = dev->ifindex;
		*mtu = READ_ONCE(dev->mtu);
		*addr = inet_select_addr(dev, 0, RT_SCOPE_UNIVERSE);
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

unsigned long ipvs_rs_sync_qlen_max(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	return READ_ONCE(n->sync_qlen_max);
}

/* Kernel UDP sockets of the sync daemon (rust/socket.rs): the socket-level calls that are
 * static inlines, macros or not in kernel::bindings. */
int ipvs_rs_sock_setsockopt(struct socket *sock, int level, int name, const void *val, u32 len)
{
	sockptr_t p = KERNEL_SOCKPTR((void *)val);

	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, name, p, len);
	return sock->ops->setsockopt(sock, level, name, p, len);
}

int ipvs_rs_sock_bind_dev(struct socket *sock, int ifindex)
{
	return sock_bindtoindex(sock->sk, ifindex, true);
}

void ipvs_rs_sock_set_reuseaddr(struct socket *sock)
{
	sock_set_reuseaddr(sock->sk);
}

/* Sleeps until a datagram waits or the thread is to stop. */
void ipvs_rs_sock_wait_readable(struct socket *sock)
{
	struct sock *sk = sock->sk;

	wait_event_interruptible(*sk_sleep(sk),
				 !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
				 !skb_queue_empty_lockless(&udp_sk(sk)->reader_queue) ||
				 kthread_should_stop());
}

/* Sleeps until the socket has room to send or the thread is to stop. */
void ipvs_rs_sock_wait_writable(struct socket *sock)
{
	struct sock *sk = sock->sk;

	wait_event_interruptible(*sk_sleep(sk), sock_writeable(sk) || kthread_should_stop());
}

bool ipvs_rs_module_get(void)
{
	return try_module_get(THIS_MODULE);
}

void ipvs_rs_module_put(void)
{
	module_put(THIS_MODULE);
}

static int __net_init ipvs_rs_pernet_init(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);
	int err;

	/* Ready before the state can be reached (packets ask for resizes). */
	INIT_DELAYED_WORK(&n->resize, ipvs_rs_resize_fn);
	/* Rust's state first: it sets the sysctl values the files then show. */
	n->data = ipvs_rs_net_init(net);
	if (!n->data)
		return -ENOMEM;
	err = ipvs_rs_sysctl_register(net, n);
	if (!err)
		err = ipvs_rs_proc_create_all(net);
	if (err) {
		ipvs_rs_sysctl_unregister(n);
		disable_delayed_work_sync(&n->resize);
		ipvs_rs_net_exit(net, n->data);
		n->data = NULL;
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
	disable_delayed_work_sync(&n->resize);
	ipvs_rs_proc_remove_all(net, ARRAY_SIZE(ipvs_rs_proc_files));
	ipvs_rs_sysctl_unregister(n);
	ipvs_rs_net_exit(net, n->data);
	n->data = NULL;
}

/* Before any exit of the namespace (its devices' among them): what holds its devices goes. */
static void __net_exit ipvs_rs_pernet_pre_exit(struct net *net)
{
	struct ipvs_rs_net *n = net_generic(net, ipvs_rs_net_id);

	ipvs_rs_net_pre_exit(READ_ONCE(n->data));
}

static struct pernet_operations ipvs_rs_pernet_ops = {
	.init = ipvs_rs_pernet_init,
	.pre_exit = ipvs_rs_pernet_pre_exit,
	.exit = ipvs_rs_pernet_exit,
	.id = &ipvs_rs_net_id,
	.size = sizeof(struct ipvs_rs_net),
};

/*
 * A device going down: the namespace's cached routes are forgotten (C: ip_vs_dst_event), so
 * that none holds the device (its unregistration would wait for them). Under RTNL; the state
 * of a dying namespace is still there when its devices go (device exits run before ours).
 */
static int ipvs_rs_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct ipvs_rs_net *n = net_generic(dev_net(dev), ipvs_rs_net_id);

	if (event == NETDEV_DOWN)
		ipvs_rs_netdev_down(READ_ONCE(n->data));
	return NOTIFY_DONE;
}

static struct notifier_block ipvs_rs_netdev_notifier = {
	.notifier_call = ipvs_rs_netdev_event,
};

int ipvs_rs_pernet_register(void)
{
	int err = register_pernet_subsys(&ipvs_rs_pernet_ops);

	if (err)
		return err;
	err = register_netdevice_notifier(&ipvs_rs_netdev_notifier);
	if (err)
		unregister_pernet_subsys(&ipvs_rs_pernet_ops);
	return err;
}

void ipvs_rs_pernet_unregister(void)
{
	unregister_netdevice_notifier(&ipvs_rs_netdev_notifier);
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
	{ .hook = ipvs_rs_hook_fwd_icmp, .pf = NFPROTO_IPV4, .hooknum = NF_INET_FORWARD,
	  .priority = 99 },
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
	{ .hook = ipvs_rs_hook_fwd_icmp, .pf = NFPROTO_IPV6, .hooknum = NF_INET_FORWARD,
	  .priority = 99 },
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

/* The next possible CPU after `prev` (-1: the first); nr_cpu_ids or more when there is none. */
u32 ipvs_rs_cpu_next_possible(int prev)
{
	return cpumask_next(prev, cpu_possible_mask);
}

/* CPU `cpu`'s copy of the `n` counters at `p`. */
void ipvs_rs_pcpu_read(const u64 __percpu *p, u32 n, u32 cpu, u64 *out)
{
	const u64 *c = per_cpu_ptr(p, cpu);
	u32 i;

	for (i = 0; i < n; i++)
		out[i] = READ_ONCE(c[i]);
}

void ipvs_rs_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	timer_setup(t, fn, 0);
}

/* ---- conntrack ------------------------------------------------------------------------ */

/* Kills the conntrack entry whose original tuple this is, if there is one (default zone). */
bool ipvs_rs_ct_kill(struct net *net, u8 l3num, u8 protonum, const u8 *src, __be16 sport,
		     const u8 *dst, __be16 dport)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	struct nf_conntrack_tuple t = {
		.src = { .l3num = l3num, .u.all = sport },
		.dst = { .protonum = protonum, .dir = IP_CT_DIR_ORIGINAL, .u.all = dport },
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;
	bool killed;

	memcpy(&t.src.u3, src, sizeof(t.src.u3));
	memcpy(&t.dst.u3, dst, sizeof(t.dst.u3));
	h = nf_conntrack_find_get(net, &nf_ct_zone_dflt, &t);
	if (!h)
		return false;
	ct = nf_ct_tuplehash_to_ctrack(h);
	killed = nf_ct_kill(ct);
	nf_ct_put(ct);
	return killed;
#else
	return false;
#endif
}

/* Conntrack on in the namespace for a family (C: ip_vs_register_conntrack). */
int ipvs_rs_ct_netns_get(struct net *net, u8 pf)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	return nf_ct_netns_get(net, pf);
#else
	return -EOPNOTSUPP;
#endif
}

void ipvs_rs_ct_netns_put(struct net *net, u8 pf)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	nf_ct_netns_put(net, pf);
#endif
}

/* ---- address classification ---------------------------------------------------------- */

static_assert(IPVS_RS_RTN_UNICAST == RTN_UNICAST && IPVS_RS_RTN_LOCAL == RTN_LOCAL);
static_assert(IPVS_RS_SOL_SOCKET == SOL_SOCKET && IPVS_RS_SO_SNDBUF == SO_SNDBUF &&
	      IPVS_RS_SO_RCVBUF == SO_RCVBUF);
static_assert(IPVS_RS_SOL_IP == SOL_IP && IPVS_RS_IP_MTU_DISCOVER == IP_MTU_DISCOVER &&
	      IPVS_RS_IP_MULTICAST_IF == IP_MULTICAST_IF &&
	      IPVS_RS_IP_MULTICAST_TTL == IP_MULTICAST_TTL &&
	      IPVS_RS_IP_MULTICAST_LOOP == IP_MULTICAST_LOOP &&
	      IPVS_RS_IP_ADD_MEMBERSHIP == IP_ADD_MEMBERSHIP);
static_assert(IPVS_RS_SOL_IPV6 == SOL_IPV6 && IPVS_RS_IPV6_MTU_DISCOVER == IPV6_MTU_DISCOVER &&
	      IPVS_RS_IPV6_MULTICAST_IF == IPV6_MULTICAST_IF &&
	      IPVS_RS_IPV6_MULTICAST_HOPS == IPV6_MULTICAST_HOPS &&
	      IPVS_RS_IPV6_MULTICAST_LOOP == IPV6_MULTICAST_LOOP &&
	      IPVS_RS_IPV6_ADD_MEMBERSHIP == IPV6_ADD_MEMBERSHIP);
static_assert(IPVS_RS_PMTUDISC_DONT == IP_PMTUDISC_DONT &&
	      IPVS_RS_PMTUDISC_DONT == IPV6_PMTUDISC_DONT);
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

/*
 * The FTP helper's control ports: C ip_vs_ftp's `ports` parameter, an array, which Rust's
 * module! cannot declare. Read-only once loaded.
 */
static unsigned short ports[IPVS_RS_FTP_MAX_PORTS] = { 21 };
static unsigned int ports_count = 1;
module_param_array(ports, ushort, &ports_count, 0444);
MODULE_PARM_DESC(ports, "Ports to monitor for FTP control commands");

const unsigned short *ipvs_rs_ftp_ports(unsigned int *count)
{
	*count = ports_count;
	return ports;
}
