//! A webhook receiver for the tests: a real HTTP server on the loopback address that
//! answers from a script (fail with a status, ask to wait with 429 and `Retry-After`,
//! drop the connection, hang until the sender goes away), and logs every request.
//!
//! It serves one request per connection (`Connection: close`), stops by itself after
//! two minutes, and stops when dropped.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    TooMany(u64),
    /// Read the request, close without answering.
    Drop,
    /// Read the request, tell the test, and wait (up to 30 s) until the sender closes.
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The status answered; 0 when none was (dropped or hung).
    pub status: u16,
}

pub struct Receiver {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    /// One message per request answered with [`Answer::Hang`], when it arrives.
    pub hung: mpsc::Receiver<()>,
}

impl Receiver {
    /// Listen on 127.0.0.1:`port` (0: any free port); answer from `script`, then 200.
    pub fn start(port: u16, script: &[Answer]) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the loopback address");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, hung) = mpsc::channel();
        let script: VecDeque<Answer> = script.iter().copied().collect();
        let handle = {
            let (log, stop) = (log.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, script, log, stop, tx))
        };
        Receiver { addr, log, stop, handle: Some(handle), hung }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/leads", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }

    /// Stop listening (the port is closed when this returns).
    pub fn stop(mut self) -> Vec<Received> {
        self.halt();
        self.received()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(
    listener: TcpListener,
    mut script: VecDeque<Answer>,
    log: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    hung: mpsc::Sender<()>,
) {
    let until = Instant::now() + Duration::from_secs(120);
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        match listener.accept() {
            Ok((conn, _)) => {
                let answer = script.pop_front().unwrap_or(Answer::Status(200));
                if let Some(r) = handle(conn, answer, &hung) {
                    log.lock().expect("log").push(r);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn handle(mut conn: TcpStream, answer: Answer, hung: &mpsc::Sender<()>) -> Option<Received> {
    conn.set_nonblocking(false).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let at = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut headers = BTreeMap::new();
    for line in head.lines().skip(1) {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    let reply = |conn: &mut TcpStream, status: u16, extra: &str| {
        let text = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n{extra}\r\nok");
        let _ = conn.write_all(text.as_bytes());
    };
    let status = match answer {
        Answer::Status(s) => {
            reply(&mut conn, s, "");
            s
        }
        Answer::TooMany(secs) => {
            reply(&mut conn, 429, &format!("retry-after: {secs}\r\n"));
            429
        }
        Answer::Drop => 0,
        Answer::Hang => {
            let _ = hung.send(());
            conn.set_read_timeout(Some(Duration::from_millis(100))).ok()?;
            let end = Instant::now() + Duration::from_secs(30);
            while Instant::now() < end {
                match conn.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                    Err(_) => break,
                }
            }
            0
        }
    };
    Some(Received { at, headers, body, status })
}
