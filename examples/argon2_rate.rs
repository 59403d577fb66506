//! The raw argon2id hash rate of this machine with Azora's configured parameters, one hashing
//! thread per core: the ceiling that `bench/run.sh identity` compares login throughput with.
//! `cargo run --release --example argon2_rate -- [seconds]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};

fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let cfg = azora::config::Settings::load()?.security;
    let params = Params::new(
        cfg.argon2_memory_kib,
        cfg.argon2_iterations,
        cfg.argon2_parallelism,
        None,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                while Instant::now() < deadline {
                    if argon2.hash_password(b"Azora2025!").is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let rate = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "argon2id m={} t={} p={}: {rate:.1} hashes/s on {threads} threads",
        cfg.argon2_memory_kib, cfg.argon2_iterations, cfg.argon2_parallelism
    );
    Ok(())
}
