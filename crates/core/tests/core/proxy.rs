//! A TCP proxy for slow and dying links: it adds a delay each way (a far-away server) and can
//! black-hole its connections (a host gone dark: packets vanish, nothing is closed).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct LinkProxy {
    pub port: u16,
    dark: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl LinkProxy {
    /// Forwards 127.0.0.1:`port` to 127.0.0.1:`upstream`, `delay` added each way.
    pub async fn start(upstream: u16, delay: Duration) -> LinkProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let dark = Arc::new(AtomicBool::new(false));
        let flag = dark.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
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
                    tokio::join!(
                        pump(client_read, server_write, delay, flag.clone()),
                        pump(server_read, client_write, delay, flag),
                    );
                });
            }
        });
        LinkProxy { port, dark, task }
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
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    dark: Arc<AtomicBool>,
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
