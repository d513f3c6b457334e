//! Project tasks: build the site, run the server, run every test. `cargo xtask help` lists them.
//!
//! The wasm bundle is built with plain cargo and bound with `wasm-bindgen-cli-support`, the library
//! behind the wasm-bindgen CLI, pinned by our own Cargo.lock to the same version as the
//! `wasm-bindgen` crate; so no separately installed tool can be of the wrong version.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const OUTPUT_NAME: &str = "helpdesk";
const CHROMIUM: &str = "/usr/bin/chromium";

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = arguments
        .split_first()
        .map(|(task, rest)| (task.as_str(), rest))
        .unwrap_or(("help", &[]));
    // Every task but the site and the help builds the server, whose allocator (jemalloc) is
    // compiled from C with `make`.
    let tools = match task {
        "run" | "test" | "e2e" | "screenshots" => ensure_make(),
        _ => Ok(()),
    };
    let result = tools.and_then(|()| match task {
        "site" => build_site(rest.iter().any(|argument| argument == "--dev")),
        "run" => run(rest),
        "test" => test(),
        "lint" => lint(),
        "e2e" => end_to_end(),
        "screenshots" => screenshots(),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            Err(anyhow::anyhow!("unknown task `{other}`"))
        }
    });
    if let Err(error) = result {
        eprintln!("xtask: {error:#}");
        std::process::exit(1);
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n\
         run [-- SERVER ARGS]  build the site and the server, then serve on http://127.0.0.1:3000\n\
         test                  every test: unit, integration and browser (installs what is missing)\n\
         lint                  formatting, and clippy with warnings denied on every shipped crate\n\
         site [--dev]          build the wasm bundle, stylesheet and public files into target/site\n\
         e2e                   build the site and the server, then run the browser tests only\n\
         screenshots           build everything, then refresh the pictures in docs/ from a fresh server"
    );
}

/// The workspace root (the parent of this crate's directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// A cargo command for the workspace, building from the lock file (`--locked`: a dependency that
/// drifted from Cargo.lock is an error, not a silent update), without the variables `cargo run`
/// set for this program.
///
/// Build scripts (ring's, for one) rerun when `CARGO_MANIFEST_DIR` changes, so passing ours on
/// would rebuild half the dependency tree every time `cargo xtask` and plain `cargo` alternate.
fn cargo(subcommand: &str) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root()).args([subcommand, "--locked"]);
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        let set_by_cargo_run = name_text.starts_with("CARGO_PKG_")
            || matches!(
                name_text.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if set_by_cargo_run {
            command.env_remove(&name);
        }
    }
    command
}

fn status(command: &mut Command) -> Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(output)
            if String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == WASM_TARGET) =>
        {
            Ok(())
        }
        Ok(_) => status(Command::new("rustup").args(["target", "add", WASM_TARGET])),
        Err(_) => {
            eprintln!("xtask: rustup not found; assuming the {WASM_TARGET} target is installed");
            Ok(())
        }
    }
}

/// Builds target/site: pkg/helpdesk.js, pkg/helpdesk_bg.wasm, pkg/helpdesk.css and public files.
fn build_site(dev: bool) -> Result<()> {
    ensure_wasm_target()?;
    let profile = if dev { "dev" } else { "wasm-release" };
    status(cargo("build").args([
        "--package",
        "app",
        "--lib",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        "hydrate",
        "--profile",
        profile,
    ]))?;
    let profile_directory = if dev { "debug" } else { profile };
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(profile_directory)
        .join("app.wasm");
    let site = target_dir().join("site");
    let package = site.join("pkg");
    std::fs::create_dir_all(&package)?;
    eprintln!("xtask: binding {}", wasm.display());
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        .typescript(false)
        .debug(dev)
        .generate(&package)
        .context("wasm-bindgen failed")?;
    std::fs::copy(
        root().join("style/main.css"),
        package.join(format!("{OUTPUT_NAME}.css")),
    )
    .context("copying the stylesheet")?;
    copy_directory(&root().join("public"), &site)?;
    eprintln!("xtask: site ready in {}", site.display());
    Ok(())
}

fn copy_directory(from: &Path, to: &Path) -> Result<()> {
    if !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_directory(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn build_server() -> Result<()> {
    status(cargo("build").args(["--package", "server", "--bin", "helpdesk"]))
}

/// Builds everything and serves on the embedded on-disk database.
fn run(server_arguments: &[String]) -> Result<()> {
    build_site(false)?;
    build_server()?;
    let binary = target_dir().join("debug/helpdesk");
    // `cargo xtask run -- --flag` hands the `--` on to us; it is not the server's.
    let server_arguments = match server_arguments.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => server_arguments,
    };
    status(
        Command::new(binary)
            .current_dir(root())
            .env("HELPDESK_SITE_ROOT", target_dir().join("site"))
            .args(server_arguments),
    )
}

/// Passed, failed and not run tests, added up over every test runner.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    /// Tests a runner was told not to run: cargo's ignored ones, Playwright's skipped ones.
    not_run: u64,
    /// Their names, as the runners print them.
    not_run_names: Vec<String>,
}

impl Tally {
    /// Reads cargo's `test result: ok. 22 passed; 0 failed; 1 ignored; …` and Playwright's
    /// `5 passed (6.9s)` / `1 failed` / `2 skipped` summary lines, and the lines that name a test
    /// not run: cargo's `test name ... ignored` and Playwright's `  -  3 [chromium] › …`.
    fn count(&mut self, line: &str) {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.split_once(" ... ignored"))
            .map(|(name, _)| name)
        {
            self.not_run_names.push(name.to_string());
        }
        if let Some(name) = line.strip_prefix("-  ").filter(|rest| rest.contains('›')) {
            self.not_run_names.push(name.trim().to_string());
        }
        let words: Vec<&str> = line
            .split([' ', ';', '.'])
            .filter(|word| !word.is_empty())
            .collect();
        let number_before = |label: &str| {
            words
                .windows(2)
                .find(|pair| pair[1] == label)
                .and_then(|pair| pair[0].parse::<u64>().ok())
        };
        let playwright_summary = words.len() <= 4
            && words
                .first()
                .is_some_and(|word| word.parse::<u64>().is_ok())
            && matches!(
                words.get(1),
                Some(&"passed") | Some(&"failed") | Some(&"skipped")
            );
        let is_summary = line.starts_with("test result:") || playwright_summary;
        if is_summary {
            self.passed += number_before("passed").unwrap_or(0);
            self.failed += number_before("failed").unwrap_or(0);
            self.not_run += number_before("ignored").unwrap_or(0);
            self.not_run += number_before("skipped").unwrap_or(0);
        }
    }

    /// The one summary line, then the name of every test that was not run.
    fn summary(&self) -> String {
        let mut summary = format!(
            "xtask: {} passed, {} failed, {} not run (ignored or skipped)",
            self.passed, self.failed, self.not_run
        );
        for name in &self.not_run_names {
            summary.push_str(&format!("\nxtask: not run: {name}"));
        }
        summary
    }
}

/// Runs a test command, passing its output through and counting its results.
fn run_tests(command: &mut Command, tally: &mut Tally) -> Result<()> {
    use std::io::{BufRead, BufReader};
    eprintln!("xtask: running {command:?}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {command:?}"))?;
    let output = child.stdout.take().context("no standard output")?;
    for line in BufReader::new(output).lines() {
        let line = line?;
        println!("{line}");
        tally.count(&line);
    }
    let status = child.wait()?;
    if !status.success() {
        tally.failed = tally.failed.max(1);
        println!("{}", tally.summary());
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Every test: the workflow and model unit tests, the server's integration tests, the browser
/// tests. Ends with one `N passed, N failed` line over all of them.
fn test() -> Result<()> {
    let mut tally = Tally::default();
    run_tests(
        cargo("test").args(["--package", "app", "--features", "ssr"]),
        &mut tally,
    )?;
    run_tests(cargo("test").args(["--package", "xtask"]), &mut tally)?;
    run_tests(
        cargo("test").args(["--package", "reporter", "--features", "tracing"]),
        &mut tally,
    )?;
    // SurrealDB's own server, for the tests of the remote-database mode; the OpenAPI client
    // generator, for the test of a generated client.
    status(cargo("build").args(["--package", "surreal-for-tests"]))?;
    let python_tools = ensure_python_tools()?;
    run_tests(
        cargo("test")
            .args(["--package", "server"])
            .env("SURREAL_BINARY", target_dir().join("debug/surreal"))
            .env("HELPDESK_PYTHON_TOOLS", python_tools),
        &mut tally,
    )?;
    prepare_end_to_end()?;
    run_tests(&mut playwright(), &mut tally)?;
    println!("{}", tally.summary());
    Ok(())
}

/// Formatting, and clippy with warnings denied on every crate that ships, with each feature set
/// it ships with: the app both inside the server (`ssr`) and as the browser's bundle (`hydrate`,
/// for wasm32; never both at once). SurrealDB's test server (`test-support/surreal`) is not
/// linted: it is SurrealDB's code, never shipped.
fn lint() -> Result<()> {
    ensure_wasm_target()?;
    status(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root())
            .args(["fmt", "--all", "--", "--check"]),
    )?;
    let deny = ["--", "--deny", "warnings"];
    status(
        cargo("clippy")
            .args(["--package", "server", "--all-targets"])
            .args(deny),
    )?;
    status(
        cargo("clippy")
            .args(["--package", "app", "--all-targets", "--features", "ssr"])
            .args(deny),
    )?;
    status(
        cargo("clippy")
            .args(["--package", "app", "--lib", "--target", WASM_TARGET])
            .args(["--no-default-features", "--features", "hydrate"])
            .args(deny),
    )?;
    status(
        cargo("clippy")
            .args([
                "--package",
                "reporter",
                "--all-targets",
                "--features",
                "tracing",
            ])
            .args(deny),
    )?;
    status(
        cargo("clippy")
            .args(["--package", "xtask", "--all-targets"])
            .args(deny),
    )
}

fn ensure_make() -> Result<()> {
    if Command::new("make").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("xtask: installing make from Debian's packages (jemalloc is built with it)");
    status(Command::new("apt-get").arg("update"))?;
    status(Command::new("apt-get").args(["install", "-y", "--no-install-recommends", "make"]))
}

/// A Python virtual environment in `target/python-tools` with the pinned packages of
/// `server/tests/python/requirements.txt` (openapi-python-client); returns its `bin` directory.
/// Reinstalled when the requirements change.
fn ensure_python_tools() -> Result<PathBuf> {
    let environment = target_dir().join("python-tools");
    let bin = environment.join("bin");
    let requirements = root().join("server/tests/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).context("reading the requirements")?;
    let stamp = environment.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    eprintln!(
        "xtask: installing the Python test tools into {}",
        environment.display()
    );
    status(
        Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&environment),
    )?;
    status(
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(bin)
}

fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    eprintln!("xtask: installing Chromium from Debian's packages");
    status(Command::new("apt-get").arg("update"))?;
    status(Command::new("apt-get").args(["install", "-y", "--no-install-recommends", "chromium"]))
}

fn ensure_node_packages() -> Result<()> {
    let directory = root().join("end2end");
    if directory.join("node_modules/@playwright/test").exists() {
        return Ok(());
    }
    status(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(directory),
    )
}

/// Chromium, the npm packages, the site and the server binary: what the browser tests need.
fn prepare_end_to_end() -> Result<()> {
    ensure_chromium()?;
    ensure_node_packages()?;
    build_site(false)?;
    build_server()
}

/// The Playwright tests, against the real binary.
fn playwright() -> Command {
    let mut command = Command::new("npx");
    command
        .args(["playwright", "test"])
        .current_dir(root().join("end2end"))
        .env("HELPDESK_BINARY", target_dir().join("debug/helpdesk"))
        .env("HELPDESK_SITE_ROOT", target_dir().join("site"))
        .env("CHROMIUM_PATH", CHROMIUM);
    command
}

/// Builds the site and server, then runs the browser tests only.
fn end_to_end() -> Result<()> {
    prepare_end_to_end()?;
    status(&mut playwright())
}

/// Builds the site and server, then photographs a freshly filled dashboard into docs/.
fn screenshots() -> Result<()> {
    prepare_end_to_end()?;
    status(playwright().args(["--config", "screenshots.config.mjs"]))
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn summary_lines_of_cargo_and_playwright_are_counted() {
        let mut tally = Tally::default();
        for line in [
            "test result: ok. 22 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.68s",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s",
            "test result: ok. 4 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.1s",
            "  5 passed (6.9s)",
            "  1 failed",
            "  1 skipped",
            "test a_ticket_goes_through_the_whole_workflow ... ok",
            "test slow_migration_is_checked ... ignored",
            "test another_one ... ignored, needs a remote server",
            "  -  3 [chromium] › queue.spec.mjs:12:1 › the queue refreshes",
            "the ticket passed review and 3 failed attempts were logged",
        ] {
            tally.count(line);
        }
        assert_eq!((tally.passed, tally.failed, tally.not_run), (34, 3, 3));
        assert_eq!(
            tally.not_run_names,
            [
                "slow_migration_is_checked",
                "another_one",
                "3 [chromium] › queue.spec.mjs:12:1 › the queue refreshes"
            ]
        );
        assert!(
            tally
                .summary()
                .starts_with("xtask: 34 passed, 3 failed, 3 not run")
        );
        assert!(tally.summary().contains("\nxtask: not run: another_one"));
    }
}
