//! A TCP proxy for slow and dying links: it adds a delay each way (a far-away server) and can
//! black-hole its connections (a host gone dark: packets vanish, nothing is closed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct LinkProxy {
    pub port: u16,
    dark: Arc<AtomicBool>,
    turns: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl LinkProxy {
    /// Forwards 127.0.0.1:`port` to 127.0.0.1:`upstream`, `delay` added each way.
    pub async fn start(upstream: u16, delay: Duration) -> LinkProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let dark = Arc::new(AtomicBool::new(false));
        let flag = dark.clone();
        let turns = Arc::new(AtomicU64::new(0));
        let counted = turns.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    // A dark host takes the connection and never answers.
                    if flag.load(Ordering::SeqCst) {
                        let _held = client;
                        return std::future::pending::<()>().await;
                    }
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    // Whether the client spoke last on this connection: its next words after
                    // an answer start a new round trip.
                    let client_last = Arc::new(AtomicBool::new(false));
                    let request = Turns {
                        count: Some(counted),
                        client_last: client_last.clone(),
                    };
                    let answer = Turns {
                        count: None,
                        client_last,
                    };
                    tokio::join!(
                        pump(client_read, server_write, delay, flag.clone(), request),
                        pump(server_read, client_write, delay, flag, answer),
                    );
                });
            }
        });
        LinkProxy {
            port,
            dark,
            turns,
            task,
        }
    }

    /// Round trips begun since the last call, over every connection: each time a client
    /// spoke after its server had answered.
    pub fn take_turns(&self) -> u64 {
        self.turns.swap(0, Ordering::SeqCst)
    }

    /// From now on nothing passes either way, and nothing is closed.
    pub fn go_dark(&self) {
        self.dark.store(true, Ordering::SeqCst);
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies one direction, each chunk released `delay` after it arrived (order kept, so the
/// link's throughput is not cut, only its latency added); dropped once the link is dark.
/// One direction's part in counting round trips.
struct Turns {
    /// Set on the client's side: where new round trips are counted.
    count: Option<Arc<AtomicU64>>,
    client_last: Arc<AtomicBool>,
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    dark: Arc<AtomicBool>,
    turns: Turns,
) {
    let (send, mut receive) =
        tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = async move {
        while let Some((due, chunk)) = receive.recv().await {
            tokio::time::sleep_until(due).await;
            if dark.load(Ordering::SeqCst) {
                continue;
            }
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        // A dark link closes nothing: the far side just never hears again.
        if !dark.load(Ordering::SeqCst) {
            let _ = to.shutdown().await;
        }
    };
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    match &turns.count {
                        Some(count) => {
                            if !turns.client_last.swap(true, Ordering::SeqCst) {
                                count.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        None => turns.client_last.store(false, Ordering::SeqCst),
                    }
                    let due = tokio::time::Instant::now() + delay;
                    if send.send((due, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    };
    tokio::join!(writer, reader);
}
