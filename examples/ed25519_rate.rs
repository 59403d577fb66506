//! The raw Ed25519 verification rate of this machine: the ceiling that `bench/certificates.sh`
//! compares `POST /credentials/verify` with. One signature over a 1 KiB message (about the size
//! of a credential's signing input) is checked again and again for `seconds`, first on one
//! thread, then on one thread per core.
//!
//! The check is `kernel::crypto::ed25519_verify` (ed25519-dalek 2.2, as the kernel builds it):
//! the very function the server calls for a VC-JWT signature and a Data Integrity proof, so it
//! parses (decompresses) the public key on every call as the server does.
//!
//! `cargo run --release --example ed25519_rate -- [seconds=3]`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kernel::crypto::{Ed25519Key, ed25519_verify};

const MESSAGE_BYTES: usize = 1024;

/// Verifications per second on `threads` threads for `seconds`.
fn rate(threads: usize, seconds: f64, public_key: &[u8], message: &[u8], signature: &[u8]) -> f64 {
    let done = AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0_u64;
                while Instant::now() < deadline {
                    if ed25519_verify(
                        black_box(public_key),
                        black_box(message),
                        black_box(signature),
                    ) {
                        n += 1;
                    }
                }
                done.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() -> anyhow::Result<()> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let key =
        Ed25519Key::from_seed("bench".into(), &[7_u8; 32]).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let message: Vec<u8> = (0..MESSAGE_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let signature = key.sign(&message);
    let public_key = key.public_key();
    if !ed25519_verify(&public_key, &message, &signature) {
        anyhow::bail!("the signature does not verify");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "ed25519 verify (ed25519-dalek 2.2 via azora-kernel), {MESSAGE_BYTES}-byte message, {seconds}s each:"
    );
    for threads in [1, cores] {
        let r = rate(threads, seconds, &public_key, &message, &signature);
        println!(
            "{threads:>3} thread{} {r:>12.0} verifications/s",
            if threads == 1 { ": " } else { "s:" }
        );
        if cores == 1 {
            break;
        }
    }
    Ok(())
}
