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
//! gets the count back when it shuts its side down. Each client prints one number: replies/s,
//! connections/s or bits/s.

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
            println!("{:.0}", udp(dst, arg(&args, 4), arg(&args, 5)));
        }
        Some("crr") => {
            let dst = SocketAddr::new(arg(&args, 2), arg(&args, 3));
            println!("{:.0}", crr(dst, arg(&args, 4), arg(&args, 5)));
        }
        Some("stream") => {
            let dst = SocketAddr::new(arg(&args, 2), arg(&args, 3));
            println!("{:.0}", stream(dst, arg(&args, 4)));
        }
        _ => usage(),
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

/// Replies per second: each flow (socket) keeps one request outstanding (retried after 100 ms).
fn udp(dst: SocketAddr, flows: usize, secs: f64) -> f64 {
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
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
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
    replies as f64 / start.elapsed().as_secs_f64()
}

/// Connections per second over `threads` loops of connect, request, read the answer, close.
fn crr(dst: SocketAddr, threads: usize, secs: f64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
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
    let n = done.load(Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    for w in workers {
        let _ = w.join();
    }
    n as f64 / elapsed
}

/// Bits per second that one connection delivered to the server.
fn stream(dst: SocketAddr, secs: f64) -> f64 {
    let mut c = TcpStream::connect_timeout(&dst, Duration::from_secs(5)).expect("connect");
    c.write_all(b"STREAM\n").expect("write");
    let chunk = vec![b's'; 1 << 16];
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < secs {
        if c.write_all(&chunk).is_err() {
            break;
        }
    }
    c.shutdown(Shutdown::Write).expect("shutdown");
    let mut answer = String::new();
    let _ = c.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = BufReader::new(c).read_line(&mut answer);
    let bytes: f64 = answer.trim().parse().unwrap_or(0.0);
    bytes * 8.0 / start.elapsed().as_secs_f64()
}
