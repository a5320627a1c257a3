//! The real `flashsale` binary as a child process, for tests that kill or stop it.
use super::services::redis_env;
use flashsale::configuration::Settings;
use std::process::ExitStatus;
use std::time::Duration;

pub struct ServerProcess {
    server: flashsale_testkit::ServerProcess,
    pub address: String,
}

impl ServerProcess {
    /// Starts `flashsale serve` with the test's settings and waits until it answers.
    pub async fn start(settings: &Settings) -> Self {
        Self::start_with(settings, &[], None).await
    }

    /// As `start`, with more environment, and its stderr (its log) written to `log`.
    pub async fn start_with(
        settings: &Settings,
        extra_env: &[(&str, String)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let mut env = vec![
            (
                "FLASHSALE_ADMIN_TOKEN",
                settings.admin_token.clone().unwrap(),
            ),
            ("DATABASE_URL", settings.database_url.clone()),
            ("FLASHSALE_REDIS_PREFIX", settings.redis_prefix.clone()),
            ("FLASHSALE_WORKERS", "2".to_owned()),
            // The restarted server takes over the dead one's entries quickly.
            ("FLASHSALE_PERSISTER_CLAIM_IDLE_MS", "500".to_owned()),
            (
                "FLASHSALE_HOLD_SWEEP_MS",
                settings.persister.hold_sweep_ms.to_string(),
            ),
        ];
        env.extend(redis_env(settings));
        env.extend(extra_env.iter().cloned());
        let server = flashsale_testkit::ServerProcess::start(
            env!("CARGO_BIN_EXE_flashsale"),
            &["serve"],
            &env,
            log,
        )
        .await
        .expect("the flashsale binary starts and answers");
        Self {
            address: server.base.clone(),
            server,
        }
    }

    /// SIGTERM: the exit status, or `None` if it still runs after `within`.
    pub async fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        self.server.terminate(within).await.unwrap()
    }

    /// `kill -9`: no shutdown, no last batch, no goodbye.
    pub fn kill(&mut self) {
        self.server.kill().unwrap();
    }
}

/// `flashsale reconcile --check` against these settings' database and Redis: whether every
/// invariant holds, and its report.
pub fn reconcile_check(settings: &Settings) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"))
        .args(["reconcile", "--check"])
        .env("DATABASE_URL", &settings.database_url)
        .envs(redis_env(settings))
        .env("FLASHSALE_REDIS_PREFIX", &settings.redis_prefix)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}
