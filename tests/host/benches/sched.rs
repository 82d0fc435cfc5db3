// SPDX-License-Identifier: GPL-2.0

//! Nanoseconds per scheduling decision, per scheduler, for 8, 64 and 1024 destinations.
//! `make sched-bench` (or `cargo bench` in tests/host) prints a Markdown table.

use ipvs_rs_host_tests::bench::{ns_per_pick, schedulers};

fn main() {
    let sizes = [8usize, 64, 1024];
    println!("| scheduler | 8 dests | 64 dests | 1024 dests |");
    println!("|---|---:|---:|---:|");
    for name in schedulers() {
        let cols: Vec<String> = sizes
            .iter()
            .map(|&n| {
                // Warm up (table building, caches), then measure: the best of 3 runs.
                ns_per_pick(name, n, 2_000);
                let best = (0..3)
                    .map(|_| ns_per_pick(name, n, 200_000))
                    .fold(f64::MAX, f64::min);
                format!("{best:.1} ns")
            })
            .collect();
        println!("| {name} | {} |", cols.join(" | "));
    }
}
