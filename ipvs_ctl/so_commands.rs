// SPDX-License-Identifier: GPL-2.0

//! The legacy socket options carried out (C: `do_ip_vs_set_ctl`, `do_ip_vs_get_ctl`): decoded
//! by [`sockopt`] in C's order of checks, applied with the generic-netlink commands' own
//! functions, answered in the IPv4-only structures of the old interface.

use super::{kerr, sockopt, uapi};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_sync::policy::Role;
use crate::rust::{
    pernet::Net,
    sockopt::{GetCall, Handler, SetCall},
};
use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{atomic::Relaxed, rcu, Arc},
};
use sockopt::{size, GetReq, SetReq, SvcCmd};
use uapi::AF_INET;

/// The largest argument a SET option copies in (a service and a destination).
const SET_ARG_MAX: usize = size::SVCDEST_USER;
/// The largest argument a GET option copies in (a service entry).
const GET_ARG_MAX: usize = size::SERVICE_ENTRY;

impl Ipvs {
    /// The service a SET option names (C: found by address or mark, then `ESRCH` unless its
    /// protocol is the one sent).
    fn so_service(&self, s: &SvcCmd) -> Result<Arc<super::Service>> {
        self.find_service(&s.req.key)
            .filter(|svc| svc.protocol == s.sent.protocol)
            .ok_or(ESRCH)
    }

    /// C's `start_sync_thread` and `stop_sync_thread` (unlike genl, no check of mixed-family
    /// real servers, as in C).
    fn so_daemon(&self, req: SetReq) -> Result {
        match req {
            SetReq::StartDaemon { daemon, .. } => {
                self.start_daemon(daemon.state, &daemon.ifname, &daemon.asked)
            }
            SetReq::StopDaemon { state } => self.stop_daemon(Role::of_state(state).ok_or(EINVAL)?),
            _ => Err(EINVAL),
        }
    }

    fn so_set(&self, req: SetReq) -> Result {
        if matches!(req, SetReq::StartDaemon { .. } | SetReq::StopDaemon { .. }) {
            return self.so_daemon(req);
        }
        let mut ctl = self.ctl.lock();
        match req {
            SetReq::Flush => {
                self.flush(&mut ctl);
                Ok(())
            }
            SetReq::Timeouts { tcp, tcp_fin, udp } => {
                self.set_timeouts([Some(tcp), Some(tcp_fin), Some(udp)])
            }
            SetReq::ZeroAll => {
                self.zero_all();
                Ok(())
            }
            SetReq::AddService(s) => {
                if self.find_service(&s.req.key).is_some() {
                    return Err(EEXIST);
                }
                let conf = s.req.conf.ok_or(EINVAL)?;
                self.add_service(&mut ctl, (s.req.key, s.sent.protocol), &conf)
            }
            SetReq::EditService(s) => {
                let svc = self.so_service(&s)?;
                self.edit_service(&svc, &s.req.conf.ok_or(EINVAL)?)
            }
            SetReq::DelService(s) => {
                let svc = self.so_service(&s)?;
                self.del_service(&mut ctl, &svc);
                Ok(())
            }
            SetReq::Zero(s) => {
                let svc = self.so_service(&s)?;
                Self::zero_service(&svc);
                Ok(())
            }
            SetReq::AddDest(d) => {
                let svc = self.so_service(&d.svc)?;
                self.add_dest(
                    &mut ctl,
                    &svc,
                    AF_INET,
                    &d.dest,
                    &d.dest.conf.ok_or(EINVAL)?,
                )
            }
            SetReq::EditDest(d) => {
                let svc = self.so_service(&d.svc)?;
                self.edit_dest(
                    &mut ctl,
                    &svc,
                    AF_INET,
                    &d.dest,
                    &d.dest.conf.ok_or(EINVAL)?,
                )
            }
            SetReq::DelDest(d) => {
                let svc = self.so_service(&d.svc)?;
                self.del_dest(&svc, AF_INET, &d.dest)
            }
            SetReq::StartDaemon { .. } | SetReq::StopDaemon { .. } => Err(EINVAL),
        }
    }

    /// GET_SERVICES: up to `num` IPv4 services, entry by entry after the header.
    fn so_get_services(&self, call: &GetCall<'_>, num: u32) -> Result {
        let svcs = {
            let g = self.svcs.lock();
            let mut v = KVec::new();
            for s in g.iter().filter(|s| s.key.af == AF_INET).take(num as usize) {
                v.push(s.clone(), GFP_ATOMIC)?;
            }
            v
        };
        for (i, svc) in svcs.iter().enumerate() {
            let mut e = [0u8; size::SERVICE_ENTRY];
            let n = svc.dests(&rcu::read_lock()).len() as u32;
            svc.view(|v| sockopt::put_service_entry(&mut e, v, n));
            fix_protocol(&mut e, svc);
            call.copy_out(sockopt::services_entry_offset(i), &e)?;
        }
        Ok(())
    }

    /// GET_DESTS: up to `num` of the service's destinations of its own family.
    fn so_get_dests(&self, call: &GetCall<'_>, svc: &super::Service, num: u32) -> Result {
        let dests = {
            let g = rcu::read_lock();
            let mut v = KVec::new();
            for d in svc
                .dests(&g)
                .iter()
                .filter(|d| d.af == svc.key.af)
                .take(num as usize)
            {
                v.push(d.clone(), GFP_ATOMIC)?;
            }
            v
        };
        for (i, d) in dests.iter().enumerate() {
            let mut e = [0u8; size::DEST_ENTRY];
            sockopt::put_dest_entry(&mut e, &d.view());
            call.copy_out(sockopt::dests_entry_offset(i), &e)?;
        }
        Ok(())
    }

    fn so_get(&self, mut call: GetCall<'_>, arg: &mut [u8; GET_ARG_MAX]) -> Result {
        let req = sockopt::decode_get(call.cmd, call.len(), arg).map_err(kerr)?;
        if let GetReq::Daemons = req {
            let mut b = [0u8; 2 * size::DAEMON_USER];
            let [m, bk] = self.daemons().map(|d| d.map(|d| (d.ifname, d.cfg.syncid)));
            sockopt::put_daemons(
                &mut b,
                m.as_ref().map(|(n, id)| (&n[..], *id)),
                bk.as_ref().map(|(n, id)| (&n[..], *id)),
            );
            return call.copy_out(0, &b);
        }
        let _ctl = self.ctl.lock();
        match req {
            GetReq::Version => {
                let mut b = [0u8; size::VERSION];
                let n = sockopt::put_version(&mut b, self.conns.size());
                call.copy_out(0, &b[..n])?;
                call.set_len(n as i32);
                Ok(())
            }
            GetReq::Info => {
                let n = self
                    .svcs
                    .lock()
                    .iter()
                    .filter(|s| s.key.af == AF_INET)
                    .count();
                let mut b = [0u8; size::GETINFO];
                sockopt::put_info(&mut b, self.conns.size(), n as u32);
                call.copy_out(0, &b)
            }
            GetReq::Services { num } => self.so_get_services(&call, num),
            GetReq::Service(key) => {
                let svc = self.find_service(&key).ok_or(ESRCH)?;
                let e: &mut [u8; size::SERVICE_ENTRY] = arg;
                let n = svc.dests(&rcu::read_lock()).len() as u32;
                svc.view(|v| sockopt::put_service_entry(e, v, n));
                fix_protocol(e, &svc);
                call.copy_out(0, e)
            }
            GetReq::Dests { key, num } => {
                let svc = self.find_service(&key).ok_or(ESRCH)?;
                self.so_get_dests(&call, &svc, num)
            }
            GetReq::Timeouts => {
                let t = &self.timeouts;
                let mut b = [0u8; size::TIMEOUT_USER];
                sockopt::put_timeouts(
                    &mut b,
                    t.tcp.load(Relaxed),
                    t.tcp_fin.load(Relaxed),
                    t.udp.load(Relaxed),
                );
                call.copy_out(0, &b)
            }
            GetReq::Daemons => Ok(()),
        }
    }
}

impl Handler for Ipvs {
    fn set(&self, _net: Net, call: SetCall<'_>) -> Result {
        if !call.privileged {
            return Err(EPERM);
        }
        let n = sockopt::check_set(call.cmd, call.len).map_err(kerr)?;
        let mut arg = [0u8; SET_ARG_MAX];
        let arg = &mut arg[..n];
        call.copy_in(arg)?;
        self.so_set(sockopt::decode_set(call.cmd, arg).map_err(kerr)?)
    }

    fn get(&self, _net: Net, call: GetCall<'_>) -> Result {
        if !call.privileged {
            return Err(EPERM);
        }
        let n = sockopt::check_get(call.cmd, call.len()).map_err(kerr)?;
        let mut arg = [0u8; GET_ARG_MAX];
        call.copy_in(&mut arg[..n])?;
        self.so_get(call, &mut arg)
    }
}

/// A service entry shows the protocol the service was added with.
fn fix_protocol(e: &mut [u8; size::SERVICE_ENTRY], svc: &super::Service) {
    e[0..2].copy_from_slice(&svc.protocol.to_ne_bytes());
}
