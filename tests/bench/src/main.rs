// SPDX-License-Identifier: GPL-2.0

//! Load generators and servers for `make bench` (std only; runs inside the test VM).
//!
//! ```text
//! ipvs-bench-load serve PORT              TCP and UDP server on PORT (see below)
//! ipvs-bench-load udp ADDR PORT FLOWS SECS   UDP request/response from FLOWS sockets
//! ipvs-bench-load crr ADDR PORT THREADS SECS TCP connect/request/response/close loops
//! ipvs-bench-load stream ADDR PORT SECS      one TCP connection sending as fast as it can
//! ```
//!
//! The server echoes every UDP datagram; a TCP connection gets a 100-byte answer to a request
//! line and is closed, or, if its first line is `STREAM`, has everything it sends counted and
//! gets the count back when it shuts its side down. Each client prints two numbers: its rate
//! (replies/s, connections/s or bits/s) and the nanoseconds the CPUs were busy (not idle, all
//! CPUs together, from `/proc/stat`) per operation over the same window (a reply, a connection,
//! or a MB of the stream).

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!("usage: ipvs-bench-load serve PORT | udp ADDR PORT FLOWS SECS | crr ADDR PORT THREADS SECS | stream ADDR PORT SECS");
    std::process::exit(2)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> T {
    args.get(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| usage())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(arg(&args, 2)),
        Some("udp") => {
            let dst = SocketAddr::new(arg(&args, 2), arg(&args, 3));
            udp(dst, arg(&args, 4), arg(&args, 5)).print(1.0);
        }
        Some("crr") => {
            let dst = SocketAddr::new(arg(&args, 2), arg(&args, 3));
            crr(dst, arg(&args, 4), arg(&args, 5)).print(1.0);
        }
        Some("stream") => {
            let dst = SocketAddr::new(arg(&args, 2), arg(&args, 3));
            // Counted in bytes; the rate in bits/s, the cost per MB.
            stream(dst, arg(&args, 4)).print(8.0);
        }
        _ => usage(),
    }
}

/// The CPUs' busy time since boot, in nanoseconds: the first line of `/proc/stat` (user, nice,
/// system, idle, iowait, irq, softirq, steal, in USER_HZ ticks) without idle and iowait.
fn busy_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|t| t.parse().unwrap_or(0))
        .collect();
    let busy: u64 = ticks
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 3 && i != 4)
        .map(|(_, t)| t)
        .sum();
    // USER_HZ is 100 on every architecture the kernel exports it for.
    busy * 10_000_000
}

/// A measurement window: when it opened, and the CPUs' busy time then.
struct Window {
    start: Instant,
    busy: u64,
}

/// What one load measured.
struct Outcome {
    ops: f64,
    secs: f64,
    busy_ns: f64,
}

impl Window {
    fn open() -> Self {
        Self {
            busy: busy_ns(),
            start: Instant::now(),
        }
    }

    fn close(self, ops: f64) -> Outcome {
        let secs = self.start.elapsed().as_secs_f64();
        Outcome {
            ops,
            secs,
            busy_ns: busy_ns().saturating_sub(self.busy) as f64,
        }
    }
}

impl Outcome {
    /// Prints the rate (operations times `scale` per second) and the busy nanoseconds per
    /// operation (per MB for bytes).
    fn print(&self, scale: f64) {
        let per = if scale == 1.0 {
            self.ops
        } else {
            self.ops / 1e6
        };
        let cost = if per > 0.0 { self.busy_ns / per } else { 0.0 };
        println!("{:.0} {:.0}", self.ops * scale / self.secs, cost);
    }
}

fn serve(port: u16) {
    // "::" takes both families (IPv4 as mapped addresses).
    let udp = UdpSocket::bind(("::", port)).expect("bind udp");
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        loop {
            if let Ok((n, peer)) = udp.recv_from(&mut buf) {
                let _ = udp.send_to(&buf[..n], peer);
            }
        }
    });
    let tcp = TcpListener::bind(("::", port)).expect("bind tcp");
    for conn in tcp.incoming().flatten() {
        thread::spawn(move || {
            let _ = answer(conn);
        });
    }
}

fn answer(conn: TcpStream) -> std::io::Result<()> {
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut w = conn;
    if line.trim() == "STREAM" {
        let mut total = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        writeln!(w, "{total}")?;
    } else {
        w.write_all(&[b'x'; 100])?;
    }
    w.shutdown(Shutdown::Write)
}

/// Replies: each flow (socket) keeps one request outstanding (retried after 100 ms).
fn udp(dst: SocketAddr, flows: usize, secs: f64) -> Outcome {
    let socks: Vec<UdpSocket> = (0..flows)
        .map(|_| {
            let any = if dst.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" };
            let s = UdpSocket::bind(any).expect("bind");
            s.connect(dst).expect("connect");
            s.set_nonblocking(true).expect("nonblocking");
            s
        })
        .collect();
    let payload = [b'p'; 18];
    let mut sent_at = vec![None::<Instant>; flows];
    let mut buf = [0u8; 64];
    let window = Window::open();
    let end = window.start + Duration::from_secs_f64(secs);
    let mut replies = 0u64;
    while Instant::now() < end {
        for (s, at) in socks.iter().zip(sent_at.iter_mut()) {
            loop {
                match s.recv(&mut buf) {
                    Ok(_) => {
                        replies += 1;
                        *at = None;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
            let due = at.is_none_or(|t| t.elapsed() > Duration::from_millis(100));
            if due && s.send(&payload).is_ok() {
                *at = Some(Instant::now());
            }
        }
    }
    window.close(replies as f64)
}

/// Connections over `threads` loops of connect, request, read the answer, close.
fn crr(dst: SocketAddr, threads: usize, secs: f64) -> Outcome {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let window = Window::open();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (done, stop) = (done.clone(), stop.clone());
            thread::spawn(move || {
                let mut buf = [0u8; 256];
                while !stop.load(Relaxed) {
                    let Ok(mut c) = TcpStream::connect_timeout(&dst, Duration::from_secs(2)) else {
                        continue;
                    };
                    let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                    if c.write_all(b"GET\n").is_err() {
                        continue;
                    }
                    let mut got = 0;
                    while let Ok(n) = c.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    if got == 100 {
                        done.fetch_add(1, Relaxed);
                    }
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Relaxed);
    let outcome = window.close(done.load(Relaxed) as f64);
    for w in workers {
        let _ = w.join();
    }
    outcome
}

/// Bytes that one connection delivered to the server.
fn stream(dst: SocketAddr, secs: f64) -> Outcome {
    let mut c = TcpStream::connect_timeout(&dst, Duration::from_secs(5)).expect("connect");
    c.write_all(b"STREAM\n").expect("write");
    let chunk = vec![b's'; 1 << 16];
    let window = Window::open();
    while window.start.elapsed().as_secs_f64() < secs {
        if c.write_all(&chunk).is_err() {
            break;
        }
    }
    c.shutdown(Shutdown::Write).expect("shutdown");
    let mut answer = String::new();
    let _ = c.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = BufReader::new(c).read_line(&mut answer);
    window.close(answer.trim().parse().unwrap_or(0.0))
}
