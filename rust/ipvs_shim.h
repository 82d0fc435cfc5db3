/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C side of the ipvs_rs kernel glue: static inlines, macros and declarative tables (genl
 * policies, netfilter hook arrays) that Rust cannot reach through kernel::bindings. Every
 * function here is tiny and free of IPVS logic. Rust reads this header through bindgen when
 * the module is built (Kbuild, rust/shim.rs): what it declares is what Rust calls.
 */
#ifndef IPVS_RS_SHIM_H
#define IPVS_RS_SHIM_H

#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <linux/workqueue.h>

struct sk_buff;
struct net;
struct genl_info;
struct netlink_callback;
struct nf_hook_state;
struct seq_file;

/* /proc/net files, by kind (the order of ipvs_rs_proc_files[] in the shim). */
enum {
	IPVS_RS_PROC_CONN = 0,
	IPVS_RS_PROC_SERVICES = 1,
	IPVS_RS_PROC_STATS = 2,
	IPVS_RS_PROC_STATS_PERCPU = 3,
	IPVS_RS_PROC_CONN_SYNC = 4,
	IPVS_RS_PROC_APP = 5,
	IPVS_RS_PROC_STATUS = 6,
};

/*
 * A reader's place in a /proc/net file read record by record (ip_vs_conn, ip_vs_conn_sync):
 * record pos (0: the header) is the skip-th entry of bucket bucket. Rust keeps it.
 */
struct ipvs_rs_cursor {
	u64 pos;
	u32 bucket;
	u32 skip;
};

/* Implemented in Rust (rust/genl.rs, rust/netfilter.rs, rust/pernet.rs, rust/proc.rs). */
int ipvs_rs_genl_doit(struct sk_buff *skb, struct genl_info *info);
int ipvs_rs_genl_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
unsigned int ipvs_rs_hook_in(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
unsigned int ipvs_rs_hook_out(void *priv, struct sk_buff *skb, const struct nf_hook_state *state);
unsigned int ipvs_rs_hook_fwd_icmp(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state);
void *ipvs_rs_net_init(struct net *net);
void ipvs_rs_net_exit(struct net *net, void *data);
void ipvs_rs_net_pre_exit(void *data);
void ipvs_rs_net_tick(void *data);
void ipvs_rs_net_resize(void *data);
int ipvs_rs_sysctl_write(void *data, u32 which, int *vals, u32 count, bool privileged);
void ipvs_rs_netdev_down(void *data);
int ipvs_rs_proc_show(struct seq_file *seq, struct net *net, long kind);
bool ipvs_rs_proc_seek(struct net *net, long kind, struct ipvs_rs_cursor *cur, u64 pos);
bool ipvs_rs_proc_advance(struct net *net, long kind, struct ipvs_rs_cursor *cur, u64 pos);
int ipvs_rs_proc_record(struct seq_file *seq, struct net *net, long kind,
			const struct ipvs_rs_cursor *cur);

/* Generic netlink. */
int ipvs_rs_genl_register(void);
void ipvs_rs_genl_unregister(void);
u8 ipvs_rs_genl_info_cmd(const struct genl_info *info);
const void *ipvs_rs_genl_info_attrs(const struct genl_info *info, u32 *len);
struct net *ipvs_rs_genl_info_net(const struct genl_info *info);
int ipvs_rs_genl_reply(struct genl_info *info, u8 cmd, const void *buf, u32 len);
u8 ipvs_rs_cb_cmd(const struct netlink_callback *cb);
const void *ipvs_rs_cb_attrs(const struct netlink_callback *cb, u32 *len);
struct net *ipvs_rs_cb_net(const struct netlink_callback *cb);
long *ipvs_rs_cb_args(struct netlink_callback *cb);
int ipvs_rs_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd, const void *buf,
		     u32 len);

/* Per network namespace state and its 1 s tick. */
int ipvs_rs_pernet_register(void);
void ipvs_rs_pernet_unregister(void);
void *ipvs_rs_net_data(const struct net *net);

/*
 * Per-namespace sysctls under net/ipv4/vs/: C IPVS 7.3's files, int values (jiffies for the
 * expirations and sync_refresh_period). Rust sets them at namespace start and decides every
 * checked write (ipvs_rs_sysctl_write); sync_threshold is two ints (threshold, period).
 */
enum {
	IPVS_RS_SYSCTL_LBLC_EXPIRATION = 0,
	IPVS_RS_SYSCTL_LBLCR_EXPIRATION = 1,
	IPVS_RS_SYSCTL_PMTU_DISC = 2,
	IPVS_RS_SYSCTL_SCHEDULE_ICMP = 3,
	IPVS_RS_SYSCTL_CACHE_BYPASS = 4,
	IPVS_RS_SYSCTL_NAT_ICMP_SEND = 5,
	IPVS_RS_SYSCTL_EXPIRE_NODEST_CONN = 6,
	IPVS_RS_SYSCTL_EXPIRE_QUIESCENT_TEMPLATE = 7,
	IPVS_RS_SYSCTL_CONN_REUSE_MODE = 8,
	IPVS_RS_SYSCTL_SLOPPY_TCP = 9,
	IPVS_RS_SYSCTL_SLOPPY_SCTP = 10,
	IPVS_RS_SYSCTL_AMEMTHRESH = 11,
	IPVS_RS_SYSCTL_AM_DROPRATE = 12,
	IPVS_RS_SYSCTL_CONN_MAX = 13,
	IPVS_RS_SYSCTL_DROP_ENTRY = 14,
	IPVS_RS_SYSCTL_DROP_PACKET = 15,
	IPVS_RS_SYSCTL_CONNTRACK = 16,
	IPVS_RS_SYSCTL_SECURE_TCP = 17,
	IPVS_RS_SYSCTL_SNAT_REROUTE = 18,
	IPVS_RS_SYSCTL_SYNC_VERSION = 19,
	IPVS_RS_SYSCTL_SYNC_PORTS = 20,
	IPVS_RS_SYSCTL_SYNC_PERSIST_MODE = 21,
	IPVS_RS_SYSCTL_SYNC_SOCK_SIZE = 22,
	IPVS_RS_SYSCTL_SYNC_THRESHOLD = 23,
	IPVS_RS_SYSCTL_SYNC_PERIOD = 24,
	IPVS_RS_SYSCTL_SYNC_REFRESH_PERIOD = 25,
	IPVS_RS_SYSCTL_SYNC_RETRIES = 26,
	IPVS_RS_SYSCTL_BACKUP_ONLY = 27,
	IPVS_RS_SYSCTL_IGNORE_TUNNELED = 28,
	IPVS_RS_SYSCTL_RUN_ESTIMATION = 29,
	IPVS_RS_SYSCTL_EST_NICE = 30,
	IPVS_RS_SYSCTL_CONN_LFACTOR = 31,
	IPVS_RS_SYSCTL_SVC_LFACTOR = 32,
	IPVS_RS_SYSCTL_CONN_MAX_LIMIT = 33,	/* no file: conn_max's ceiling for the unprivileged */
	IPVS_RS_SYSCTL_COUNT = 34,
};

/* A namespace's net_generic() data: the shim owns it, ipvs_helpers.c reads .data per packet. */
struct ctl_table;
struct ctl_table_header;
struct cpumask;
struct ipvs_rs_net {
	void *data;			/* Rust's per-netns state (an Arc raw pointer). */
	struct delayed_work tick;	/* process context: it may sleep (table resizes) */
	struct delayed_work resize;	/* the connection table's, when it outgrows its buckets */
	int sysctl[IPVS_RS_SYSCTL_COUNT];
	unsigned long sync_qlen_max;	/* sync_qlen_max (for the sync daemon) */
	struct cpumask *est_cpulist;	/* est_cpulist, once written (else: the kthread CPUs) */
	u32 est_cpulist_gen;		/* writes of est_cpulist */
	struct ctl_table *sysctl_table;
	struct ctl_table_header *sysctl_header;
	struct ctl_table *lb_table;	/* lblc_expiration, lblcr_expiration */
	struct ctl_table_header *lb_header;
};
extern unsigned int ipvs_rs_net_id;

int *ipvs_rs_sysctls(struct net *net, u32 *count);
bool ipvs_rs_est_cpulist_empty(struct net *net);

bool ipvs_rs_net_is_init(struct net *net);
void ipvs_rs_net_resize_soon(struct net *net);
int ipvs_rs_dev_info(struct net *net, const char *name, int *ifindex, u32 *mtu, __be32 *addr);
unsigned long ipvs_rs_sync_qlen_max(struct net *net);

/* Kernel UDP sockets of the sync daemon (rust/socket.rs); the option numbers it sets (checked
 * against the kernel's in the shim). */
struct socket;
enum {
	IPVS_RS_SOL_SOCKET = 1,
	IPVS_RS_SO_SNDBUF = 7,
	IPVS_RS_SO_RCVBUF = 8,
	IPVS_RS_SOL_IP = 0,
	IPVS_RS_IP_MTU_DISCOVER = 10,
	IPVS_RS_IP_MULTICAST_IF = 32,
	IPVS_RS_IP_MULTICAST_TTL = 33,
	IPVS_RS_IP_MULTICAST_LOOP = 34,
	IPVS_RS_IP_ADD_MEMBERSHIP = 35,
	IPVS_RS_SOL_IPV6 = 41,
	IPVS_RS_IPV6_MULTICAST_IF = 17,
	IPVS_RS_IPV6_MULTICAST_HOPS = 18,
	IPVS_RS_IPV6_MULTICAST_LOOP = 19,
	IPVS_RS_IPV6_ADD_MEMBERSHIP = 20,
	IPVS_RS_IPV6_MTU_DISCOVER = 23,
	IPVS_RS_PMTUDISC_DONT = 0,
};
int ipvs_rs_sock_setsockopt(struct socket *sock, int level, int name, const void *val, u32 len);
int ipvs_rs_sock_bind_dev(struct socket *sock, int ifindex);
void ipvs_rs_sock_set_reuseaddr(struct socket *sock);
void ipvs_rs_sock_wait_readable(struct socket *sock);
void ipvs_rs_sock_wait_writable(struct socket *sock);

/* The module's own reference, held while a sync daemon runs (as C IPVS holds its). */
bool ipvs_rs_module_get(void);
void ipvs_rs_module_put(void);
struct net *ipvs_rs_init_net(void);

void ipvs_rs_seq_write(struct seq_file *seq, const void *buf, u32 len);

/* Netfilter hooks (C IPVS's IPv4 and IPv6 sets: LOCAL_IN, LOCAL_OUT, FORWARD). */
int ipvs_rs_hooks_register(struct net *net, u8 pf);
void ipvs_rs_hooks_unregister(struct net *net, u8 pf);
void *ipvs_rs_hook_state(const struct nf_hook_state *state, struct net **net, u32 *hook, u8 *pf);

/* sk_buff access. */
u32 ipvs_rs_skb_len(const struct sk_buff *skb);
bool ipvs_rs_skb_ipvs_property(const struct sk_buff *skb);
bool ipvs_rs_skb_sk_nodefrag(const struct sk_buff *skb);
/* What the packet path reads of an sk_buff, in one call (rust/shim.rs: SkbView). */
struct ipvs_rs_skb_view {
	u8 *data;		/* skb->data */
	u32 len;		/* skb->len */
	u32 headlen;		/* skb_headlen() */
	s32 network_offset;	/* skb_network_offset() */
	u8 pkt_type;
	bool has_dst;
	bool csum_partial;	/* ip_summed == CHECKSUM_PARTIAL */
	u32 mark;		/* skb->mark (firewall-mark services) */
	u32 headroom;		/* skb_headroom() */
	bool has_dev;		/* skb->dev != NULL (not locally generated) */
	bool gso;		/* skb_is_gso() */
};
void ipvs_rs_skb_view(const struct sk_buff *skb, struct ipvs_rs_skb_view *v);
int ipvs_rs_skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len);
int ipvs_rs_skb_make_writable(struct sk_buff *skb, u32 len);
void ipvs_rs_l4_csum_nat(struct sk_buff *skb, u32 csum_off, __be32 from_addr, __be32 to_addr,
			 __be16 from_port, __be16 to_port);
void ipvs_rs_l4_csum_nat6(struct sk_buff *skb, u32 csum_off, const u8 *from, const u8 *to,
			  __be16 from_port, __be16 to_port);
bool ipvs_rs_icmp_csum_ok(struct sk_buff *skb, u32 off, u8 proto, u8 pf);
void ipvs_rs_icmp_csum_set(struct sk_buff *skb, u32 off);
void ipvs_rs_icmp6_csum_set(struct sk_buff *skb, u32 off);
void ipvs_rs_ip_send_check(struct sk_buff *skb);
void ipvs_rs_skb_set_ipvs_property(struct sk_buff *skb);

/* Kernel threads: the rate estimator's, the sync daemon's (rust/kthread.rs). */
struct task_struct;
struct task_struct *ipvs_rs_kthread_create(int (*fn)(void *), void *data, const char *prefix,
					   int gen, int id);
void ipvs_rs_est_kthread_affine(struct task_struct *t, struct net *net);
u32 ipvs_rs_est_cpulist_gen(struct net *net);

/* Legacy socket options (rust/sockopt.rs); Rust defines the two handlers. */
int ipvs_rs_sockopt_register(void);
void ipvs_rs_sockopt_unregister(void);
int ipvs_rs_copy_from_sockptr(void *dst, const void *src, u32 len);
int ipvs_rs_sockopt_set(struct net *net, bool privileged, int cmd, const void *arg,
			unsigned int len);
int ipvs_rs_sockopt_get(struct net *net, bool privileged, int cmd, void *user, int *len);

/* Conntrack (rust/conntrack.rs). */
struct nf_conn;
/* A packet's conntrack entry (ipvs_rs_skb_ct). */
struct ipvs_rs_ct {
	struct nf_conn *ct;
	bool confirmed;		/* nf_ct_is_confirmed() */
	bool dying;		/* nf_ct_is_dying() */
	bool original;		/* the packet goes the entry's original direction */
	u8 protonum;
	/* The reply tuple's addresses (IPv4 in the first 4 bytes) and ports (network order;
	 * ICMP: the id and the type and code). */
	u8 src[16];
	u8 dst[16];
	__be16 sport;
	__be16 dport;
};
void ipvs_rs_skb_notrack(struct sk_buff *skb);
void ipvs_rs_skb_reset_ct(struct sk_buff *skb);
bool ipvs_rs_skb_ct(const struct sk_buff *skb, struct ipvs_rs_ct *v);
void ipvs_rs_ct_alter_reply(struct nf_conn *ct, const struct ipvs_rs_ct *v);
int ipvs_rs_ct_confirm(struct sk_buff *skb);
bool ipvs_rs_ct_kill(struct net *net, u8 l3num, u8 protonum, const u8 *src, __be16 sport,
		     const u8 *dst, __be16 dport);
bool ipvs_rs_ct_seqadj_add(struct nf_conn *ct);
int ipvs_rs_skb_ct_seqadj_set(struct sk_buff *skb, __be32 seq, s32 off);
int ipvs_rs_ct_netns_get(struct net *net, u8 pf);
void ipvs_rs_ct_netns_put(struct net *net, u8 pf);
void ipvs_rs_skb_set_ignore_df(struct sk_buff *skb);

/* Routes of both families and output (rust/route.rs, rust/skb.rs; the decisions are in ipvs_xmit/). */
struct dst_entry;
/* Defrag users Rust passes (checked against the kernel's at build time). */
enum {
	IPVS_RS_DEFRAG_VS_IN = 196610,
	IPVS_RS_DEFRAG_VS_OUT = 196611,
	IPVS_RS_DEFRAG_VS_FWD = 196612,
};
int ipvs_rs_ip_route_output(struct net *net, __be32 daddr, bool known_nh, struct dst_entry **dst,
			    __be32 *saddr);
int ipvs_rs_ip6_route_output(struct net *net, const u8 *daddr, bool known_nh,
			     struct dst_entry **dst, u8 *saddr, u32 *cookie);
int ipvs_rs_ip6_dst_saddr(struct net *net, const struct dst_entry *dst, const u8 *daddr,
			  u8 *saddr);
void ipvs_rs_dst_release(struct dst_entry *dst);
int ipvs_rs_ip_route_me_harder(struct net *net, struct sk_buff *skb);
int ipvs_rs_ip6_route_me_harder(struct net *net, struct sk_buff *skb);
bool ipvs_rs_rt4_is_local(const struct dst_entry *dst);
bool ipvs_rs_rt4_is_input(const struct dst_entry *dst);
bool ipvs_rs_dst_dev_is_loopback(const struct dst_entry *dst);
u32 ipvs_rs_dst_mtu(const struct dst_entry *dst);
bool ipvs_rs_dst_valid(struct dst_entry *dst, u32 cookie);
u32 ipvs_rs_dst_ll_space(const struct dst_entry *dst);
struct dst_entry *ipvs_rs_skb_dst(const struct sk_buff *skb);
void ipvs_rs_skb_dst_set_noref(struct sk_buff *skb, struct dst_entry *dst);
void ipvs_rs_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst);
bool ipvs_rs_skb_dev_is_loopback(const struct sk_buff *skb);
void ipvs_rs_skb_set_dst_dev(struct sk_buff *skb);
void ipvs_rs_skb_set_loopback_dev(struct net *net, struct sk_buff *skb);
void ipvs_rs_dst_link_failure(struct sk_buff *skb);
void ipvs_rs_skb_update_pmtu(struct sk_buff *skb, u32 mtu);
bool ipvs_rs_skb_sk_fullsock(const struct sk_buff *skb);
void ipvs_rs_icmp_send(struct sk_buff *skb, u8 type, u8 code, __be32 info);
void ipvs_rs_icmpv6_send(struct sk_buff *skb, u8 type, u8 code, u32 info);
void ipvs_rs_inc_inhdrerrors(struct net *net);
void ipvs_rs_inc_inhdrerrors6(struct net *net, struct sk_buff *skb);
u32 ipvs_rs_skb_frag_max_size6(const struct sk_buff *skb);
bool ipvs_rs_skb_gso_fits(const struct sk_buff *skb, u32 mtu);
void ipvs_rs_skb_orphan(struct sk_buff *skb);
void ipvs_rs_skb_forward_csum(struct sk_buff *skb);
void ipvs_rs_skb_clear_tstamp(struct sk_buff *skb);
void ipvs_rs_nf_local_out(struct net *net, struct sk_buff *skb, u8 pf);
void ipvs_rs_ip_local_out(struct net *net, struct sk_buff *skb);
void ipvs_rs_ip6_local_out(struct net *net, struct sk_buff *skb);
int ipvs_rs_skb_cow_head(struct sk_buff *skb, u32 headroom);
void ipvs_rs_skb_push(struct sk_buff *skb, u32 len);
void ipvs_rs_skb_reset_network_header(struct sk_buff *skb);
void ipvs_rs_skb_reset_transport_header(struct sk_buff *skb);
void ipvs_rs_skb_set_transport_header(struct sk_buff *skb, u32 off);
int ipvs_rs_tunnel_offloads(struct sk_buff *skb, u32 gso_type);
void ipvs_rs_skb_tunnel_inner(struct sk_buff *skb, u8 ipproto);
__be16 ipvs_rs_udp_flow_src_port(struct net *net, struct sk_buff *skb);
void ipvs_rs_udp_set_csum(bool nocheck, struct sk_buff *skb, __be32 saddr, __be32 daddr);
void ipvs_rs_udp6_set_csum(bool nocheck, struct sk_buff *skb, const u8 *saddr, const u8 *daddr);
void ipvs_rs_gre_push(struct sk_buff *skb, bool csum, __be16 proto);
void ipvs_rs_ip_select_ident(struct net *net, struct sk_buff *skb);
void ipvs_rs_ipcb_clear(struct sk_buff *skb);
int ipvs_rs_skb_csum_start(const struct sk_buff *skb);
u16 ipvs_rs_skb_csum_offset(const struct sk_buff *skb);
void ipvs_rs_skb_csum_none(struct sk_buff *skb);
void ipvs_rs_skb_csum_unnecessary(struct sk_buff *skb);
bool ipvs_rs_skb_csum_verified(const struct sk_buff *skb);
u32 ipvs_rs_skb_tailroom(const struct sk_buff *skb);

/* The `ports` parameter (the FTP helper's control ports): its array and, in *count, how many
 * of its entries were given (at most IPVS_RS_FTP_MAX_PORTS). */
#define IPVS_RS_FTP_MAX_PORTS 8
const unsigned short *ipvs_rs_ftp_ports(unsigned int *count);
bool ipvs_rs_pskb_pull(struct sk_buff *skb, u32 len);
bool ipvs_rs_pskb_may_pull(struct sk_buff *skb, u32 len);
void ipvs_rs_ipv4_update_pmtu(struct net *net, struct sk_buff *skb, u32 mtu);
void ipvs_rs_consume_skb(struct sk_buff *skb);
int ipvs_rs_ip_defrag(struct net *net, struct sk_buff *skb, u32 user);

/* Bottom-half-safe spinlocks (kernel::sync has none). */
void ipvs_rs_spin_lock_bh(spinlock_t *lock);
void ipvs_rs_spin_unlock_bh(spinlock_t *lock);
int ipvs_rs_spin_trylock_bh(spinlock_t *lock);
void ipvs_rs_spin_lock2_bh(spinlock_t *a, spinlock_t *b);
void ipvs_rs_spin_unlock2_bh(spinlock_t *a, spinlock_t *b);
void ipvs_rs_cond_resched(void);
u64 __percpu *ipvs_rs_pcpu_alloc(u32 n);
void ipvs_rs_pcpu_add2(u64 __percpu *const *ps, u32 n, u32 i, u64 a, u32 j, u64 b);
u32 ipvs_rs_cpu_next_possible(int prev);
void ipvs_rs_pcpu_read(const u64 __percpu *p, u32 n, u32 cpu, u64 *out);
void ipvs_rs_pcpu_sum(const u64 __percpu *p, u32 n, u64 *out);
struct timer_list;
void ipvs_rs_timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));

/* Address classification (route tables); the types Rust tests (rust/pernet.rs). */
enum {
	IPVS_RS_RTN_UNICAST = 1,
	IPVS_RS_RTN_LOCAL = 2,
	IPVS_RS_IPV6_ADDR_UNICAST = 0x0001,
	IPVS_RS_IPV6_ADDR_LINKLOCAL = 0x0020,
};
u32 ipvs_rs_inet_addr_type(struct net *net, __be32 addr);
bool ipvs_rs_port_requires_bind(struct net *net, u16 port);
u32 ipvs_rs_ipv6_addr_type(const u8 *addr);
bool ipvs_rs_ipv6_is_local(struct net *net, const u8 *addr);

#endif
