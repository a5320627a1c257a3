//! One keep-alive HTTP/1.1 connection of the load generator.
use super::Target;
use serde::Deserialize;
use std::io::{self, Write};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Deserialize)]
struct Problem {
    code: String,
}

/// One keep-alive HTTP/1.1 connection: requests are written whole, responses parsed with
/// `httparse` (hyper's own parser) straight from the read buffer.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    filled: usize,
}

impl Connection {
    pub async fn open(address: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: vec![0; 16 * 1024],
            filled: 0,
        })
    }

    /// Sends buyer `n`'s order; `None` when it was accepted, else the refusal's code.
    pub async fn exchange(
        &mut self,
        target: &Target,
        user_prefix: &str,
        n: u64,
        request: &mut Vec<u8>,
    ) -> io::Result<Option<String>> {
        let body = format!(r#"{{"user_id":"{user_prefix}-{n}"}}"#);
        request.clear();
        write!(
            request,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            target.paths[(n % target.paths.len() as u64) as usize],
            target.host,
            body.len()
        )?;
        self.stream.write_all(request).await?;
        let (status, head, end) = self.read_response().await?;
        let outcome = (!(200..300).contains(&status)).then(|| {
            serde_json::from_slice::<Problem>(&self.buffer[head..end])
                .map_or_else(|_| format!("http_{status}"), |p| p.code)
        });
        self.consume(end);
        Ok(outcome)
    }

    /// Drops a handled response from the front of the buffer.
    fn consume(&mut self, end: usize) {
        self.buffer.copy_within(end..self.filled, 0);
        self.filled -= end;
    }

    /// Reads one response whole; returns its status and where its body lies in the buffer.
    async fn read_response(&mut self) -> io::Result<(u16, usize, usize)> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            let parsed = response
                .parse(&self.buffer[..self.filled])
                .map_err(io::Error::other)?;
            if let httparse::Status::Complete(head) = parsed {
                let length: usize = response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                    .ok_or_else(|| io::Error::other("response without Content-Length"))?;
                let status = response.code.unwrap_or(0);
                let end = head + length;
                while self.filled < end {
                    self.fill(end).await?;
                }
                return Ok((status, head, end));
            }
            self.fill(self.filled + 1).await?;
        }
    }

    /// Reads more bytes, growing the buffer to hold at least `wanted`.
    async fn fill(&mut self, wanted: usize) -> io::Result<()> {
        if self.buffer.len() < wanted.max(self.filled + 1) {
            self.buffer.resize(wanted.max(self.buffer.len() * 2), 0);
        }
        let read = self.stream.read(&mut self.buffer[self.filled..]).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.filled += read;
        Ok(())
    }
}
