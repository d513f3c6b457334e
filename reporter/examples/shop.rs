//! A small shop program that fails in the ways programs fail, to see reports become tickets.
//!
//! Create a project on the help desk's Projects page, then:
//!
//! ```sh
//! export REPORTER_DSN=http://<key>@127.0.0.1:3000/<project>
//! cargo run -p reporter --features tracing --example shop -- index   # a panic: index out of bounds
//! cargo run -p reporter --features tracing --example shop -- config  # another panic: a failed unwrap
//! cargo run -p reporter --features tracing --example shop -- error   # an error with its causes
//! cargo run -p reporter --features tracing --example shop -- log     # a tracing `error!` event
//! cargo run -p reporter --features tracing --example shop -- send    # sends what earlier runs left
//! cargo run -p reporter --features tracing --example shop -- late    # a warning, then waits (up to
//!                                                                    # 30 s) until it has been sent
//! cargo run -p reporter --features tracing --example shop -- burst   # 20 warnings over a second
//! cargo run -p reporter --features tracing --example shop -- removed # removes its own spool, then
//!                                                                    # reports and sends it
//! ```

use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

/// Sums the first `count` prices: panics when the cart has fewer.
#[inline(never)]
fn cart_total(prices: &[u32], count: usize) -> u32 {
    (0..count).map(|index| prices[index]).sum()
}

#[inline(never)]
fn checkout(count: usize) -> u32 {
    let prices = vec![250, 1_200, 75];
    cart_total(&prices, count)
}

/// Reads the number of warehouses from text: panics when it is not a number.
#[inline(never)]
fn load_config(text: &str) -> u32 {
    text.trim().parse::<u32>().unwrap()
}

#[derive(Debug)]
struct StockError {
    source: std::io::Error,
}

impl std::fmt::Display for StockError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("cannot read the stock levels")
    }
}

impl std::error::Error for StockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[inline(never)]
fn read_stock() -> Result<String, StockError> {
    std::fs::read_to_string("/nonexistent/shop/stock.csv").map_err(|source| StockError { source })
}

/// Whether no report waits in the spool.
fn spool_is_empty(directory: Option<&std::path::Path>) -> bool {
    let Some(directory) = directory else {
        return true;
    };
    std::fs::read_dir(directory)
        .map(|entries| {
            !entries.flatten().any(|entry| {
                entry
                    .path()
                    .extension()
                    .is_some_and(|extension| extension == "envelope")
            })
        })
        .unwrap_or(true)
}

fn main() {
    let guard = reporter::init(
        reporter::Options::new()
            .release(reporter::release_name!())
            .environment("example")
            .user(reporter::User {
                email: Some("ada@example.com".into()),
                customer: Some("Example Shop Ltd".into()),
                ..reporter::User::default()
            })
            .panic_timeout(Duration::from_secs(3)),
    );
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(reporter::tracing_layer());
    let _ = tracing::subscriber::set_global_default(subscriber);

    tracing::info!("the shop opens");
    match std::env::args().nth(1).as_deref().unwrap_or("send") {
        "index" => println!("total: {}", checkout(5)),
        "config" => println!("warehouses: {}", load_config("two")),
        "error" => {
            if let Err(error) = read_stock() {
                let id = reporter::capture_error(&error);
                println!("reported {id:?}");
            }
        }
        "log" => tracing::error!(order = 42, "payment declined by the bank"),
        "send" => {}
        "late" => {
            reporter::capture_message("the stock sync is late", reporter::Level::Warning);
            // Left to the sender's own retries (no flush): wait until the spool is empty.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while !spool_is_empty(guard.spool_directory()) {
                if std::time::Instant::now() > deadline {
                    eprintln!("the warning was not sent within 30 s");
                    std::process::exit(3);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        "burst" => {
            for index in 0..20 {
                reporter::capture_message(&format!("burst {index}"), reporter::Level::Warning);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        "removed" => {
            if let Some(directory) = guard.spool_directory() {
                std::fs::remove_dir_all(directory).expect("the spool can be removed");
            }
            reporter::capture_message("the spool went away", reporter::Level::Warning);
            if !reporter::flush(Duration::from_secs(10)) {
                eprintln!("the warning was not sent within 10 s");
                std::process::exit(3);
            }
        }
        other => eprintln!(
            "unknown failure `{other}`: index, config, error, log, send, late, burst or removed"
        ),
    }
}
