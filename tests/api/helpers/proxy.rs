//! A TCP proxy that a test can cut and restore: a Postgres or Redis outage without stopping the
//! servers that other tests share. It runs on a thread of its own, so that it keeps forwarding
//! while the test's runtime is blocked (actix starts its workers synchronously).
use flashsale::configuration::Settings;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct TcpProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl TcpProxy {
    /// A proxy to the test Postgres; `route_postgres` points an app's settings through it.
    pub fn postgres() -> Self {
        Self::start("127.0.0.1:5440")
    }

    pub fn route_postgres(&self, settings: &mut Settings) {
        settings.database_url = settings
            .database_url
            .replace(":5440/", &format!(":{}/", self.port));
    }

    pub fn start(upstream: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (upstream, accept_up, accept_connections) =
            (upstream.to_owned(), up.clone(), connections.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                while let Ok((mut client, _)) = listener.accept().await {
                    if !accept_up.load(Ordering::SeqCst) {
                        continue; // dropping the socket refuses the client
                    }
                    let upstream = upstream.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    accept_connections.lock().unwrap().push(task.abort_handle());
                }
            })
        });
        Self {
            port,
            up,
            connections,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
