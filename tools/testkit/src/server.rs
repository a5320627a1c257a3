//! A server run as a child process on a free local port, so its CPU and memory are its own and
//! it can be killed like a crashed one.
use anyhow::{Context, bail};
use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a started server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl ServerProcess {
    /// Starts `program <args>` with `env` (`RUST_LOG=warn` unless `env` says otherwise) and
    /// `FLASHSALE_LISTEN` set to a free 127.0.0.1 port, then waits until it answers HTTP. Its
    /// stdout is dropped; its stderr goes to `log` if given, else to this process's stderr.
    pub async fn start(
        program: impl AsRef<Path>,
        args: &[&str],
        env: &[(&str, String)],
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let program = program.as_ref();
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let listen = format!("127.0.0.1:{port}");
        let stderr = match log {
            Some(path) => File::create(path)
                .with_context(|| format!("creating {}", path.display()))?
                .into(),
            None => Stdio::inherit(),
        };
        let child = Command::new(program)
            .args(args)
            .env("FLASHSALE_LISTEN", &listen)
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let mut server = Self {
            child,
            base: format!("http://{listen}"),
        };
        server.wait_until_answering().await?;
        Ok(server)
    }

    /// Any answer to `GET /healthz` will do, a 404 too: servers without that route (the bench's
    /// bare endpoint) are ready as well once they answer.
    async fn wait_until_answering(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .is_err()
        {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server for {} exited before answering: {status}",
                    self.base
                );
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "the server for {} did not answer in {START_TIMEOUT:?}",
                    self.base
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// The server's process id, for reading its CPU time from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .context("no VmHWM in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }

    /// SIGTERM, the graceful stop a platform sends: the exit status, or `None` if the process
    /// still runs after `within`.
    pub async fn terminate(&mut self, within: Duration) -> anyhow::Result<Option<ExitStatus>> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(None)
    }

    /// `kill -9`: no shutdown, no last batch, no goodbye.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
