//! A real headless Chromium, driven over the DevTools protocol, for the live sale page's
//! test. It is the Debian package `chromium`, which `scripts/tools.sh chromium` installs (`make
//! test` runs it); without it the test fails and says so, it never passes unchecked.
//!
//! The protocol's calls block on a websocket, so each runs on a blocking thread: the test's
//! runtime also runs the app's persister.
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Longest wait for Chromium to start or to answer one call, on a loaded 2-core machine.
const PATIENCE: Duration = Duration::from_secs(60);

pub struct Chromium {
    child: Child,
    profile: PathBuf,
    session: Arc<Mutex<Session>>,
}

/// The browser's websocket and the page's session on it (flat mode: one socket, calls to the
/// page carry its `sessionId`).
struct Session {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    page: String,
    next_id: u64,
}

impl Chromium {
    /// Starts Chromium with an empty profile of its own and one blank page.
    pub async fn launch() -> Self {
        tokio::task::spawn_blocking(Self::launch_blocking)
            .await
            .unwrap()
    }

    fn launch_blocking() -> Self {
        let profile = std::env::temp_dir().join(format!(
            "flashsale-chromium-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let mut child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--window-size=1280,800",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `chromium` ({e}): the dashboard test needs a headless Chromium; \
                     install it with `bash scripts/tools.sh chromium` (make test does)"
                )
            });
        let address = devtools_address(&mut child);
        let (mut socket, _) = tungstenite::connect(address.as_str()).expect("DevTools connects");
        if let MaybeTlsStream::Plain(stream) = socket.get_mut() {
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
        }
        let mut session = Session {
            socket,
            page: String::new(),
            next_id: 0,
        };
        let target = session.call("Target.createTarget", json!({ "url": "about:blank" }));
        let attached = session.call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        session.page = attached["sessionId"].as_str().unwrap().to_owned();
        Self {
            child,
            profile,
            session: Arc::new(Mutex::new(session)),
        }
    }

    async fn page_call(&self, method: &'static str, params: Value) -> Value {
        let session = self.session.clone();
        tokio::task::spawn_blocking(move || {
            let mut session = session.lock().unwrap();
            let page = session.page.clone();
            session.call_in(Some(&page), method, params)
        })
        .await
        .unwrap()
    }

    pub async fn open(&self, url: &str) {
        self.page_call("Page.navigate", json!({ "url": url })).await;
    }

    /// The value of a JavaScript expression in the page (a promise is awaited).
    pub async fn evaluate(&self, expression: &str) -> Value {
        let reply = self
            .page_call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            reply.get("exceptionDetails").is_none(),
            "{expression} threw: {reply}"
        );
        reply["result"]["value"].clone()
    }

    /// Saves a PNG of the whole page.
    pub async fn screenshot(&self, path: &Path) {
        let reply = self
            .page_call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = STANDARD.decode(reply["data"].as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Session {
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.call_in(None, method, params)
    }

    /// Sends one call and returns its result, skipping the events that arrive meanwhile.
    fn call_in(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut call = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            call["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(call.to_string()))
            .expect("DevTools takes the call");
        loop {
            let message = self.socket.read().expect("DevTools answers");
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(&text).unwrap();
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }
}

/// Reads Chromium's `DevTools listening on ws://…` line, then keeps draining its log so that a
/// full pipe never stalls it.
fn devtools_address(child: &mut Child) -> String {
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (found, address) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(at) = line.find("ws://") {
                let _ = found.send(line[at..].trim().to_owned());
            }
        }
    });
    address
        .recv_timeout(PATIENCE)
        .expect("Chromium prints its DevTools address")
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
