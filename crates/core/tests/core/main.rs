//! Integration tests of the core against the real MariaDB (127.0.0.1:3306) and Redis
//! (127.0.0.1:6379), or those named by MINDPAL_TEST_MYSQL_URL / MINDPAL_TEST_REDIS_URL.
//! Each test works in a database of its own, dropped at the end.

mod backup;
mod cluster;
mod connections;
mod conversations;
mod directory;
mod explain;
mod fleet;
mod monitor;
mod proxy;
mod queue;
mod replication;
mod restore;
mod sandbox;
mod schema;
mod secure;
mod seed;
mod ssh;
mod support;
mod tls;
mod workspace;
