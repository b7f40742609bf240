//! A key of a cluster whose slot moves: `MOVED` (the slot now lives on another master) and
//! `ASK` (the slot is migrating and this key already went) followed as a cluster client does.
//! The console routes by its own slot map, so it meets these when the map is older than the
//! cluster's, or while an operator reshards.

use ::redis::aio::{ConnectionLike, MultiplexedConnection};
use ::redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

use super::{Nodes, node_for};
use crate::error::{Error, Result};
use crate::redis::RedisServer;
use crate::redis::cluster;

/// A connection to the node that holds a key. After an `ASK`, that node serves the key only
/// to a command sent right after `ASKING`, so every command goes in a pipeline behind one.
#[derive(Clone)]
pub(super) enum KeyConn {
    Plain(MultiplexedConnection),
    Asking(MultiplexedConnection),
}

impl ConnectionLike for KeyConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            KeyConn::Plain(conn) => conn.req_packed_command(cmd),
            KeyConn::Asking(conn) => Box::pin(async move {
                let mut pipe = ::redis::pipe();
                pipe.cmd("ASKING").add_command(cmd.clone());
                let mut answers = conn.req_packed_commands(&pipe, 0, 2).await?;
                Ok(answers.pop().unwrap_or(Value::Nil))
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            KeyConn::Plain(conn) => conn.req_packed_commands(pipeline, offset, count),
            KeyConn::Asking(conn) => Box::pin(async move {
                let mut pipe = ::redis::pipe();
                for cmd in pipeline.cmd_iter() {
                    pipe.cmd("ASKING").add_command(cmd.clone());
                }
                let answers = conn
                    .req_packed_commands(&pipe, 0, 2 * pipe_len(pipeline))
                    .await?;
                // The pipeline's own answers are every second one, after each ASKING's OK.
                Ok(answers
                    .into_iter()
                    .skip(1)
                    .step_by(2)
                    .skip(offset)
                    .take(count)
                    .collect())
            }),
        }
    }

    fn get_db(&self) -> i64 {
        0
    }
}

fn pipe_len(pipeline: &Pipeline) -> usize {
    pipeline.cmd_iter().count()
}

/// The node a key is read on, and how.
pub(super) struct Located {
    pub server: RedisServer,
    pub conn: KeyConn,
}

impl Located {
    /// The master the slot map names for `key` (the only server when not a cluster).
    pub async fn by_map(nodes: &Nodes, key: &[u8]) -> Result<Located> {
        let server = node_for(nodes, key).await?.clone();
        let conn = KeyConn::Plain(server.conn.clone());
        Ok(Located { server, conn })
    }

    /// Where `error` sends the key, when it is a redirection; `None` for any other error.
    pub async fn redirected(nodes: &Nodes, error: &RedisError) -> Result<Option<Located>> {
        let Some((address, asking)) = redirection(error) else {
            return Ok(None);
        };
        let server = server_at(nodes, &address).await?;
        let conn = server.conn.clone();
        Ok(Some(Located {
            conn: if asking {
                KeyConn::Asking(conn)
            } else {
                KeyConn::Plain(conn)
            },
            server,
        }))
    }
}

/// Where a `MOVED` or `ASK` error sends the key (`host:port`), and whether it is an `ASK`.
/// A pipeline's error holds one per command; they all name the same node.
fn redirection(error: &RedisError) -> Option<(String, bool)> {
    use ::redis::ServerErrorKind;
    let errors = error.clone().into_server_errors()?;
    let (_, first) = errors.first()?;
    let asking = match first.kind()? {
        ServerErrorKind::Ask => true,
        ServerErrorKind::Moved => false,
        _ => return None,
    };
    // `<slot> <host>:<port>`
    let address = first.details()?.split_ascii_whitespace().nth(1)?;
    Some((address.to_owned(), asking))
}

/// The cluster's node at `address` as the cluster announces it: one of the masters already
/// open, else dialled like them (through the bastion when there is one).
async fn server_at(nodes: &Nodes, address: &str) -> Result<RedisServer> {
    let announced = |host: &str, port: u16| format!("{host}:{port}") == address;
    if let Some(open) = nodes
        .servers
        .iter()
        .find(|s| announced(&s.target.host, s.target.port))
    {
        return Ok(open.clone());
    }
    let node = nodes
        .topology
        .iter()
        .find(|n| announced(&n.host, n.port))
        .ok_or_else(|| {
            Error::Conflict(format!(
                "the cluster sent the key to {address}, a node it did not list: refresh to read its topology again"
            ))
        })?;
    let like = &nodes
        .servers
        .first()
        .ok_or_else(|| Error::NotFound("no node of the cluster is open".into()))?
        .target;
    cluster::connect_node(node, like, crate::mysql::DEFAULT_CONNECT_TIMEOUT).await
}
