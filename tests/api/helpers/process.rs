//! The real `flashsale` binary as a child process, for tests that kill it.
use flashsale::configuration::Settings;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    pub address: String,
}

impl ServerProcess {
    /// Starts `flashsale serve` with the test's settings and waits until it answers.
    pub async fn start(settings: &Settings) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_flashsale"))
            .arg("serve")
            .env("FLASHSALE_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "FLASHSALE_ADMIN_TOKEN",
                settings.admin_token.clone().unwrap(),
            )
            .env("DATABASE_URL", &settings.database_url)
            .env("REDIS_URL", &settings.redis_url)
            .env("FLASHSALE_REDIS_PREFIX", &settings.redis_prefix)
            .env("FLASHSALE_WORKERS", "2")
            // The restarted server takes over the dead one's entries quickly.
            .env("FLASHSALE_PERSISTER_CLAIM_IDLE_MS", "500")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the flashsale binary starts");
        let server = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        let http = reqwest::Client::new();
        while http
            .get(format!("{}/healthz", server.address))
            .send()
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// `kill -9`: no shutdown, no last batch, no goodbye.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
