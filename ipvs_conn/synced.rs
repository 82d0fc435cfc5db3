// SPDX-License-Identifier: GPL-2.0

//! Connections as the sync daemon ([`crate::ipvs_sync`]) sends and makes them: a connection's
//! record in C's terms (flags word, state number, timeout), and a connection or template made
//! or updated from a master's record.

use super::{persist::TemplateKey, Conn, ConnFlags, ConnState, ConnTable, FlowKey, Fwd, Kind};
use super::{Parts, PeData};
use crate::ipvs_ctl::{uapi, Dest, Service};
use crate::ipvs_proto::{sctp, tcp, Proto};
use crate::ipvs_sync::wire::{flag, SyncConn};
use crate::rust::time;
use kernel::{
    prelude::*,
    sync::{atomic::Relaxed, Arc},
};

impl Fwd {
    /// The method's `IP_VS_CONN_F_*` number (`None`: the destination's own).
    fn c_flags(self, dest: Option<&Dest>) -> u32 {
        match self {
            Self::Masq => uapi::CONN_F_MASQ,
            Self::Local => uapi::CONN_F_LOCALNODE,
            Self::Tunnel => uapi::CONN_F_TUNNEL,
            Self::Droute => uapi::CONN_F_DROUTE,
            Self::Bypass => uapi::CONN_F_BYPASS,
            Self::None => dest.map_or(0, |d| d.fwd() & uapi::CONN_F_FWD_MASK),
        }
    }
}

impl ConnState {
    /// The state's number in C for a connection of `proto` (TCP's, SCTP's; UDP's 0).
    pub(crate) fn number(&self, proto: Proto) -> u16 {
        match proto {
            Proto::Tcp => self.tcp() as u16,
            Proto::Sctp => self.sctp() as u16,
            Proto::Udp | Proto::Ip => 0,
        }
    }

    /// Takes the state of C's number `n` for a connection of `proto` (a number the protocol
    /// does not have changes nothing), as the one last synced.
    pub(crate) fn set_number(&mut self, proto: Proto, n: u16) {
        match proto {
            Proto::Tcp => {
                if let Some(s) = tcp::State::from_number(n) {
                    self.set_tcp(s);
                }
            }
            Proto::Sctp => {
                if let Some(s) = sctp::State::from_number(n) {
                    self.set_sctp(s);
                }
            }
            Proto::Udp | Proto::Ip => {}
        }
        self.synced_state = self.number(proto) as u8;
    }
}

impl Conn {
    /// The state's number in C (its protocol's; a template's 0, or 1 once assured).
    pub(crate) fn state_number(&self, st: &ConnState) -> u16 {
        match self.kind {
            Kind::Template => u16::from(self.assured()),
            Kind::Conn => st.number(self.key_in.proto),
        }
    }

    /// Whether a template controls it (C: `in_persistence`).
    pub(crate) fn in_persistence(&self) -> bool {
        self.control
            .as_ref()
            .is_some_and(|t| t.kind == Kind::Template)
    }

    /// When a sync master sends it again at the latest (see [`Conn::sync_endtime`]).
    pub(crate) fn sync_endtime(&self) -> u32 {
        self.sync_endtime.load(Relaxed)
    }

    /// Replaces the sync deadline `orig` by `new`; false if another CPU changed it first.
    pub(crate) fn replace_sync_endtime(&self, orig: u32, new: u32) -> bool {
        self.sync_endtime.cmpxchg(orig, new, Relaxed).is_ok()
    }

    /// The connection as a master sends it, in state `st`, with `timeout_s` seconds to live.
    pub(crate) fn sync_record(&self, st: &ConnState, timeout_s: u32) -> SyncConn<'_> {
        let dest = self.dest.as_deref();
        let mut flags = self.fwd.c_flags(dest);
        // A template has its real server's flags, as C's: no output but for NAT.
        let template = self.kind == Kind::Template;
        if st.no_output || (template && self.fwd != Fwd::Masq) {
            flags |= flag::NOOUTPUT;
        }
        // A template counts as inactive for its real server from the start, as C's.
        if st.inactive || template {
            flags |= flag::INACTIVE;
        }
        if template {
            flags |= flag::TEMPLATE;
        } else if self.waits_for_client_port() {
            flags |= flag::NO_CPORT;
        }
        if self.one_packet() {
            flags |= uapi::CONN_F_ONE_PACKET;
        }
        if self.nfct() {
            flags |= uapi::CONN_F_NFCT;
        }
        if self.bit(super::bit::SYNCED) {
            flags |= flag::SYNC;
        }
        let pe_data = self.pe_bytes().unwrap_or_default();
        SyncConn {
            family: self.family(),
            protocol: self.key_in.proto.ip(),
            flags,
            state: self.state_number(st),
            cport: self.key_in.sport,
            vport: self.vport(),
            dport: self.dport,
            fwmark: self.svc.key.fwmark,
            timeout: timeout_s,
            caddr: self.key_in.saddr,
            vaddr: self.vaddr(),
            daddr: self.daddr,
            seq: None,
            pe_data,
            pe_name: if pe_data.is_empty() { &[] } else { b"sip" },
        }
    }

    /// Takes a master's newer record `r` of this connection: its activity, state and flags
    /// (C: `ip_vs_proc_conn` on a connection it has), then `in_pkts` (a connection's) or the
    /// timeout `timeout_s` (a template's).
    pub(crate) fn update_synced(&self, r: &SyncConn<'_>, in_pkts: u32, timeout_s: u32) {
        let mut st = self.st.lock();
        if self.kind == Kind::Conn {
            let inactive = r.flags & flag::INACTIVE != 0;
            if inactive != st.inactive {
                if let Some(d) = &self.dest {
                    d.conn_activity(!inactive);
                }
                st.inactive = inactive;
            }
            st.set_number(self.key_in.proto, r.state);
            self.per_kind.store(in_pkts, Relaxed);
        } else {
            if r.state == 1 {
                self.assure();
            }
            self.per_kind.store(timeout_s, Relaxed);
        }
    }

    /// A connection or template made from a master's record `r` for service `svc`, bound to
    /// `dest` (C: `ip_vs_conn_new` with `IP_VS_CONN_F_SYNC`): in the record's state and
    /// activity, due in `timeout_s` seconds (a template lives that long from each connection
    /// it makes), with `in_pkts` counted. Not hashed yet.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_synced(
        tab: &ConnTable,
        r: &SyncConn<'_>,
        dest: Arc<Dest>,
        svc: Arc<Service>,
        timeout_s: u32,
        in_pkts: u32,
        flags: ConnFlags,
        now: u64,
    ) -> Result<Arc<Self>> {
        let template = r.flags & flag::TEMPLATE != 0;
        let proto = if template && r.protocol == 0 {
            Proto::Ip
        } else {
            Proto::from_ip(r.protocol).ok_or(EINVAL)?
        };
        let key_in = if template {
            FlowKey::of_template(&TemplateKey {
                family: r.family,
                proto,
                cnet: *r.caddr.raw(),
                vaddr: *r.vaddr.raw(),
                vport: r.vport,
            })
        } else {
            FlowKey {
                family: r.family,
                proto,
                saddr: r.caddr,
                sport: r.cport,
                daddr: r.vaddr,
                dport: r.vport,
            }
        };
        // Like C, the forwarding method is the real server's, whatever the master's was.
        let fwd = Fwd::from_flags(dest.fwd());
        let pe_data = match r.pe_data {
            [] => None,
            d if template => Some(PeData::new(d)?),
            _ => None,
        };
        let deadline = now.wrapping_add(u64::from(timeout_s) * time::hz());
        let c = Self::build(
            tab,
            Parts {
                kind: if template { Kind::Template } else { Kind::Conn },
                key_in,
                daddr: dest.address(),
                fwd,
                dport: r.dport,
                dest: Some(dest),
                svc,
                control: None,
                tpl_timeout: if template { timeout_s } else { in_pkts },
                flags: ConnFlags {
                    one_packet: false,
                    synced: true,
                    ..flags
                },
                pe_data,
                no_output: r.flags & flag::NOOUTPUT != 0,
                deadline,
            },
        )?;
        if let Some(d) = &c.dest {
            if template {
                d.bind_template();
            } else {
                d.bind_conn();
            }
        }
        if template {
            if r.state == 1 {
                c.assure();
            }
        } else {
            let mut st = c.st.lock();
            if r.flags & flag::INACTIVE == 0 {
                if let Some(d) = &c.dest {
                    d.conn_activity(true);
                }
                st.inactive = false;
            }
            st.set_number(proto, r.state);
        }
        Ok(c)
    }
}
