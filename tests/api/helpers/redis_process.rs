//! A Redis server of the test's own (AOF on, as `make services` runs it), so the test can
//! stop and restart it without disturbing the tests sharing the project's Redis.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisProcess {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    /// Without persistence a restart loses everything, as a cache-configured Redis would.
    persistent: bool,
}

impl RedisProcess {
    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    pub async fn start_without_persistence() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(persistent: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("flashsale-redis-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = Self {
            child: None,
            port,
            dir,
            persistent,
        };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server on its data (the AOF written so far) and waits until it answers.
    pub async fn restart(&mut self) {
        self.launch(self.persistent).await;
    }

    /// Writes the data as it is now to an RDB file (`SAVE`) and returns its bytes.
    pub async fn snapshot(&self) -> Vec<u8> {
        let mut conn = redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let () = redis::cmd("SAVE").query_async(&mut conn).await.unwrap();
        std::fs::read(self.dir.join("dump.rdb")).unwrap()
    }

    /// Starts the stopped server on older data, as a restore from a backup or a failover to a
    /// lagging replica would: the AOF is dropped and the server loads `rdb`.
    pub async fn restart_from_snapshot(&mut self, rdb: &[u8]) {
        assert!(self.child.is_none(), "shut the server down first");
        let _ = std::fs::remove_dir_all(self.dir.join("appendonlydir"));
        std::fs::write(self.dir.join("dump.rdb"), rdb).unwrap();
        self.launch(false).await;
    }

    async fn launch(&mut self, append_only: bool) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--appendonly", if append_only { "yes" } else { "no" }])
            .args(["--appendfsync", "everysec", "--save", ""])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (make services)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap();
        let started = Instant::now();
        loop {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                let loaded: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if loaded.is_ok() {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "redis did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A clean stop: Redis flushes its AOF and exits.
    pub async fn shutdown(&mut self) {
        if let Ok(mut conn) = redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
        {
            let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query_async(&mut conn).await;
        }
        if let Some(mut child) = self.child.take() {
            child.wait().unwrap();
        }
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
