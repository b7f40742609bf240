//! Each screen's main call on an open session, direct and through a link that adds 100 ms
//! each way (a proxy like a far-away region's). The proxy counts the round trips the call
//! makes (a client speaking after its server answered, over all its connections); the aim is
//! the call's time within (round trips × 200 ms) + 100 ms: no wait on the network beyond
//! its own exchanges. Run by `make bench` on the seeded bench database.

mod common;
// The tests' proxy; only its latency is used here, not its black hole.
#[allow(dead_code)]
#[path = "../tests/core/proxy.rs"]
mod proxy;

use std::time::Duration;

use mindpal_core::CancellationToken;
use mindpal_core::access::Actor;
use mindpal_core::access::Role;
use mindpal_core::conversations::{self, ThreadAnchor};
use mindpal_core::explain::{self, ExplainOptions};
use mindpal_core::mysql::{MysqlServer, MysqlTarget};
use mindpal_core::profiles::Profile;
use mindpal_core::replication::{self, Thresholds};

const ONE_WAY: Duration = Duration::from_millis(100);

const SCREENS: [&str; 4] = [
    "a user's detail",
    "a conversation's first page",
    "one EXPLAIN",
    "one replication refresh",
];

/// The median time of screen `name`'s main call against `server`.
async fn screen(server: &MysqlServer, name: &str, user: i64, conversation: i64) -> f64 {
    let viewer = Actor::OPERATOR;
    let profile = Profile {
        name: "bench".into(),
        role: Role::Operator,
        read_only: true,
        mysql: server.target.clone(),
        replicas: vec![],
        redis: None,
        ssh: None,
        backup_dir: None,
        alerts: Default::default(),
    };
    let cancel = CancellationToken::new();
    let sql = explain::hot::queries()[0].sql.clone();
    common::median_ms(async || match name {
        "a user's detail" => {
            mindpal_core::directory::users::show(server, None, user, viewer)
                .await
                .unwrap();
        }
        "a conversation's first page" => {
            conversations::show(server, None, conversation, viewer)
                .await
                .unwrap();
            conversations::thread(server, conversation, ThreadAnchor::End, 50)
                .await
                .unwrap();
        }
        "one EXPLAIN" => {
            explain::explain(
                server,
                Actor::OPERATOR,
                &sql,
                &ExplainOptions::default(),
                &cancel,
            )
            .await
            .unwrap();
        }
        _ => {
            // A refresh that timed out is fast and wrong: only a whole one counts.
            let report = replication::check(&profile.servers(), &Thresholds::default()).await;
            assert!(
                report.primary.error.is_none(),
                "the refresh failed: {:?}",
                report.primary.error
            );
        }
    })
    .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some((direct, url)) = common::bench_database().await else {
        return;
    };
    let (user,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM users WHERE deleted_at IS NULL")
        .fetch_one(&direct.pool)
        .await
        .unwrap();
    let (conversation,): (i64,) =
        sqlx::query_as("SELECT id FROM conversations ORDER BY message_count DESC LIMIT 1")
            .fetch_one(&direct.pool)
            .await
            .unwrap();
    let target = MysqlTarget::from_url(&url).unwrap();
    let link = proxy::LinkProxy::start(target.port, ONE_WAY).await;
    let mut far = target.clone();
    far.host = "127.0.0.1".into();
    far.port = link.port;
    let far = MysqlServer::connect(&far, Duration::from_secs(10), 4)
        .await
        .unwrap();
    // Both pools warm: the screens run on an open session.
    let mut rows = Vec::new();
    for name in SCREENS {
        screen(&direct, name, user, conversation).await;
        screen(&far, name, user, conversation).await;
        let direct_ms = screen(&direct, name, user, conversation).await;
        link.take_turns();
        let far_ms = screen(&far, name, user, conversation).await;
        rows.push((name, direct_ms, far_ms, link.take_turns() as f64 / 5.0));
    }
    let rtt = 2.0 * ONE_WAY.as_secs_f64() * 1000.0;
    println!(
        "Each screen's main call, direct and through a link of {:.0} ms each way (median of 5);\n\
         exchanges: round trips the proxy saw (over all connections, some in parallel);\n\
         waits: the far time in round trips (how many of them were in sequence):",
        ONE_WAY.as_secs_f64() * 1000.0
    );
    for (name, direct_ms, far_ms, exchanges) in rows {
        let aim = exchanges * rtt + 100.0;
        println!(
            "  {name:<30} direct {direct_ms:>7.1} ms   far {far_ms:>7.1} ms   {exchanges:>4.1} exchanges   {:>4.1} waits   aim ≤ {aim:.0} ms: {}",
            far_ms / rtt,
            if far_ms <= aim { "met" } else { "NOT met" }
        );
    }
}
