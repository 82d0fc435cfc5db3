// SPDX-License-Identifier: GPL-2.0

//! The `IPVS` generic-netlink commands: requests decoded, checked and applied, replies and
//! dumps encoded (C: `ip_vs_genl_*`).

use super::{kerr, msg, nlattr, uapi};
use crate::ipvs_netns::Ipvs;
use crate::ipvs_sync::policy::Role;
use crate::rust::{
    genl::{self, Dump, Reply, Request},
    pernet::Net,
};
use kernel::{
    alloc::KVec,
    prelude::*,
    sync::{atomic::Relaxed, rcu},
};
use msg::SvcReq;
use nlattr::Writer;
use uapi::{cmd, cmd_attr, CONN_F_TUNNEL};

/// Size of the buffer one reply message is built in.
const MSG_BUF: usize = 1024;
/// Services taken per lock hold while dumping.
const DUMP_BATCH: usize = 32;

impl Ipvs {
    fn set_config(&self, a: &msg::CmdAttrs<'_>) -> Result {
        let get = |t: u16| a[usize::from(t)].map(nlattr::get_u32);
        self.set_timeouts([
            get(cmd_attr::TIMEOUT_TCP),
            get(cmd_attr::TIMEOUT_TCP_FIN),
            get(cmd_attr::TIMEOUT_UDP),
        ])
    }

    /// Sets the TCP, TCP FIN and UDP timeouts (seconds) given (C: `ip_vs_set_timeout`): all or
    /// none, `EINVAL` when one is over what C's `int` of jiffies holds (a negative `int` too);
    /// 0 keeps a timeout as it is.
    pub(super) fn set_timeouts(&self, t: [Option<u32>; 3]) -> Result {
        let max = (i32::MAX as u64 / crate::rust::time::hz()) as u32;
        if t.iter().flatten().any(|&v| v > max) {
            return Err(EINVAL);
        }
        let slots = [
            &self.timeouts.tcp,
            &self.timeouts.tcp_fin,
            &self.timeouts.udp,
        ];
        for (v, slot) in t.into_iter().zip(slots) {
            if let Some(v) = v.filter(|&v| v != 0) {
                slot.store(v, Relaxed);
            }
        }
        Ok(())
    }

    fn set_cmd(&self, net: Net, req: Request<'_>) -> Result {
        let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
        let mut ctl = self.ctl.lock();
        match req.cmd {
            cmd::FLUSH => {
                self.flush(&mut ctl);
                return Ok(());
            }
            cmd::SET_CONFIG => return self.set_config(&a),
            cmd::ZERO if a[usize::from(cmd_attr::SERVICE)].is_none() => {
                self.zero_all();
                return Ok(());
            }
            _ => {}
        }
        let full_svc = matches!(req.cmd, cmd::NEW_SERVICE | cmd::SET_SERVICE);
        let SvcReq { key, conf } =
            msg::parse_service(a[usize::from(cmd_attr::SERVICE)], full_svc).map_err(kerr)?;
        let svc = self.find_service(&key);
        let svc = match (req.cmd, svc) {
            (cmd::NEW_SERVICE, Some(_)) => return Err(EEXIST),
            (cmd::NEW_SERVICE, None) => {
                let conf = conf.ok_or(EINVAL)?;
                return self.add_service(&mut ctl, (key, key.protocol), &conf);
            }
            (_, None) => return Err(ESRCH),
            (_, Some(s)) => s,
        };
        let dest = if matches!(req.cmd, cmd::NEW_DEST | cmd::SET_DEST | cmd::DEL_DEST) {
            let d = msg::parse_dest(a[usize::from(cmd_attr::DEST)], req.cmd != cmd::DEL_DEST)
                .map_err(kerr)?;
            let af = if d.af == 0 { svc.key.af } else { d.af };
            if !msg::af_valid(af) {
                return Err(EAFNOSUPPORT);
            }
            // The sync protocol cannot carry mixed families: refused while a daemon runs.
            if af != svc.key.af
                && req.cmd != cmd::DEL_DEST
                && (self.sync.any_runs() || d.conf.map(|c| c.fwd) != Some(CONN_F_TUNNEL))
            {
                return Err(EINVAL);
            }
            Some((af, d))
        } else {
            None
        };
        let _ = net;
        match (req.cmd, dest) {
            (cmd::SET_SERVICE, _) => self.edit_service(&svc, &conf.ok_or(EINVAL)?),
            (cmd::DEL_SERVICE, _) => {
                self.del_service(&mut ctl, &svc);
                Ok(())
            }
            (cmd::NEW_DEST, Some((af, d))) => {
                self.add_dest(&mut ctl, &svc, af, &d, &d.conf.ok_or(EINVAL)?)
            }
            (cmd::SET_DEST, Some((af, d))) => {
                self.edit_dest(&mut ctl, &svc, af, &d, &d.conf.ok_or(EINVAL)?)
            }
            (cmd::DEL_DEST, Some((af, d))) => self.del_dest(&svc, af, &d),
            (cmd::ZERO, _) => {
                Self::zero_service(&svc);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// The doit requests that have a reply (only they need a message buffer: `ipvsadm -R`
    /// sends thousands of commands that don't).
    fn get_cmd(&self, req: Request<'_>, reply: Reply<'_>) -> Result {
        let mut buf = msg_buf()?;
        let mut w = Writer::new(&mut buf);
        match req.cmd {
            cmd::GET_INFO => {
                msg::put_info(&mut w, uapi::VERSION_CODE, self.conns.size()).map_err(kerr)?;
                reply.send(cmd::SET_INFO, w.bytes())
            }
            cmd::GET_CONFIG => {
                let t = &self.timeouts;
                msg::put_timeouts(
                    &mut w,
                    t.tcp.load(Relaxed),
                    t.tcp_fin.load(Relaxed),
                    t.udp.load(Relaxed),
                )
                .map_err(kerr)?;
                reply.send(cmd::SET_CONFIG, w.bytes())
            }
            cmd::GET_SERVICE => {
                let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
                let s =
                    msg::parse_service(a[usize::from(cmd_attr::SERVICE)], false).map_err(kerr)?;
                let svc = self.find_service(&s.key).ok_or(ESRCH)?;
                svc.view(|v| msg::put_service(&mut w, v)).map_err(kerr)?;
                reply.send(cmd::NEW_SERVICE, w.bytes())
            }
            _ => Err(EINVAL),
        }
    }

    /// NEW/DEL_DAEMON (C: `ip_vs_genl_new_daemon`, `ip_vs_genl_del_daemon`): a start is
    /// refused (`EINVAL`) while a service has real servers of another family, which the sync
    /// protocol cannot carry; a role other than master or backup is `EINVAL`.
    fn daemon_cmd(&self, req: Request<'_>) -> Result {
        let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
        let new = req.cmd == cmd::NEW_DAEMON;
        let d = msg::parse_daemon(a[usize::from(cmd_attr::DAEMON)], new).map_err(kerr)?;
        if !new {
            return self.stop_daemon(Role::of_state(d.state).ok_or(EINVAL)?);
        }
        let mixed = self
            .svcs
            .lock()
            .iter()
            .any(|s| s.dests(&rcu::read_lock()).iter().any(|d| d.af != s.key.af));
        if mixed {
            return Err(EINVAL);
        }
        self.start_daemon(d.state, &d.ifname, &d.asked)
    }
}

impl genl::Handler for Ipvs {
    /// Handles a genl doit request.
    fn doit(&self, net: Net, req: Request<'_>, reply: Reply<'_>) -> Result {
        match req.cmd {
            cmd::GET_INFO | cmd::GET_CONFIG | cmd::GET_SERVICE => self.get_cmd(req, reply),
            cmd::NEW_DAEMON | cmd::DEL_DAEMON => self.daemon_cmd(req),
            _ => self.set_cmd(net, req),
        }
    }

    /// Handles one round of a genl dump.
    fn dumpit(&self, _net: Net, req: Request<'_>, dump: &mut Dump<'_>) -> Result {
        let mut buf = msg_buf()?;
        match req.cmd {
            cmd::GET_SERVICE => {
                let mut idx = dump.cursor(0).max(0) as usize;
                let mut batch = KVec::with_capacity(DUMP_BATCH, GFP_KERNEL)?;
                'full: loop {
                    // Take a batch under the lock, render it outside (cost O(batch), not O(n)).
                    {
                        let g = self.svcs.lock();
                        for s in (idx..).map_while(|i| g.get(i)).take(DUMP_BATCH) {
                            batch.push(s.clone(), GFP_ATOMIC)?;
                        }
                    }
                    if batch.is_empty() {
                        break;
                    }
                    for svc in batch.drain_all() {
                        let mut w = Writer::new(&mut buf);
                        svc.view(|v| msg::put_service(&mut w, v)).map_err(kerr)?;
                        if dump.put(cmd::NEW_SERVICE, w.bytes()).is_err() {
                            break 'full;
                        }
                        idx += 1;
                    }
                }
                dump.set_cursor(0, idx as i64);
                Ok(())
            }
            cmd::GET_DEST => {
                let a = msg::parse_cmd(req.attrs).map_err(kerr)?;
                let Ok(s) = msg::parse_service(a[usize::from(cmd_attr::SERVICE)], false) else {
                    return Ok(());
                };
                let Some(svc) = self.find_service(&s.key) else {
                    return Ok(());
                };
                let dests = {
                    let g = rcu::read_lock();
                    let ds = svc.dests(&g);
                    let mut v = KVec::with_capacity(ds.len(), GFP_ATOMIC)?;
                    for d in ds.iter() {
                        v.push(d.clone(), GFP_ATOMIC)?;
                    }
                    v
                };
                let start = dump.cursor(0).max(0) as usize;
                let mut idx = start;
                for d in dests.iter().skip(start) {
                    let mut w = Writer::new(&mut buf);
                    msg::put_dest(&mut w, &d.view()).map_err(kerr)?;
                    if dump.put(cmd::NEW_DEST, w.bytes()).is_err() {
                        break;
                    }
                    idx += 1;
                }
                dump.set_cursor(0, idx as i64);
                Ok(())
            }
            cmd::GET_DAEMON => {
                // One message per running daemon, the master's first (C:
                // `ip_vs_genl_dump_daemons`); the cursor counts those sent.
                let mut i = dump.cursor(0).max(0);
                for (n, info) in self.daemons().into_iter().enumerate() {
                    let Some(info) = info.filter(|_| n as i64 >= i) else {
                        continue;
                    };
                    let mut w = Writer::new(&mut buf);
                    let ifname = info.ifname.split(|&b| b == 0).next().unwrap_or_default();
                    msg::put_daemon(&mut w, info.role.state(), ifname, &info.cfg).map_err(kerr)?;
                    if dump.put(cmd::NEW_DAEMON, w.bytes()).is_err() {
                        break;
                    }
                    i = n as i64 + 1;
                }
                dump.set_cursor(0, i);
                Ok(())
            }
            _ => Err(EOPNOTSUPP),
        }
    }
}

/// A zeroed buffer for one message's attributes (zeroed by the allocator, not element-wise).
fn msg_buf() -> Result<KVec<u8>> {
    Ok(KVec::zeroed(MSG_BUF, GFP_KERNEL)?)
}
