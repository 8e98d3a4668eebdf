//! Runs the ECS emulator as a standalone server until Ctrl-C.
//!
//! ```text
//! cargo run --features emulator --example emulator -- --port 8080 \
//!     [--access-key-id ID] [--access-key-secret SECRET] [--latency-ms N] [--seed default|empty]
//! ```
//!
//! It prints the endpoint and the access key pair it accepts, one per line.

use std::process::ExitCode;
use std::time::Duration;

use aliyun_ecs_tasks::emulator::{
    Emulator, Seed, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};

const USAGE: &str =
    "usage: emulator [--port PORT] [--access-key-id ID] [--access-key-secret SECRET] \
[--latency-ms MS] [--seed default|empty]

  --port PORT                port on 127.0.0.1 (default 0: any free port)
  --access-key-id ID         access key id to accept (default emulator-access-key-id)
  --access-key-secret SECRET its secret (default emulator-access-key-secret)
  --latency-ms MS            delay added to every request (default 0)
  --seed default|empty       start with the deterministic sample tasks or none (default default)";

#[derive(Debug)]
struct Options {
    port: u16,
    access_key_id: String,
    access_key_secret: String,
    latency: Duration,
    seed: Seed,
}

/// The options, `Ok(None)` for `--help`, or what is wrong.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
        access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
        latency: Duration::ZERO,
        seed: Seed::Default,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                let v = value()?;
                options.port = v.parse().map_err(|_| format!("invalid --port {v:?}"))?;
            }
            "--access-key-id" => options.access_key_id = value()?,
            "--access-key-secret" => options.access_key_secret = value()?,
            "--latency-ms" => {
                let v = value()?;
                let ms: u64 = v
                    .parse()
                    .map_err(|_| format!("invalid --latency-ms {v:?}"))?;
                options.latency = Duration::from_millis(ms);
            }
            "--seed" => {
                options.seed = match value()?.as_str() {
                    "default" => Seed::Default,
                    "empty" => Seed::Empty,
                    other => return Err(format!("invalid --seed {other:?}")),
                }
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.access_key_id.is_empty() || options.access_key_secret.is_empty() {
        return Err("the access key id and secret must not be empty".to_owned());
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::builder()
        .port(options.port)
        .access_key(&options.access_key_id, &options.access_key_secret)
        .latency(options.latency)
        .seed(options.seed)
        .start()
        .await
    {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {e}", options.port);
            return ExitCode::FAILURE;
        }
    };
    println!("endpoint: {}", emulator.endpoint());
    println!("access key id: {}", emulator.access_key_id());
    println!("access key secret: {}", emulator.access_key_secret());
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling available: serve until killed.
        std::future::pending::<()>().await;
    }
    println!("requests served: {}", emulator.request_count());
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
