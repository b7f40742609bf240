//! The verdict on one replica: healthy, lagging, broken or unreachable, with the reason in
//! words an operator acts on.

use super::*;

fn describe_lag(h: &ReplicaHealth) -> String {
    match (h.heartbeat_lag_s, h.gtid_gap) {
        (Some(l), Some(g)) if g > 0 => format!("{l:.1} s behind by the heartbeat, {g} transactions to apply"),
        (Some(l), _) => format!("{l:.1} s behind by the heartbeat"),
        (None, Some(g)) if g > 0 => format!("{g} transactions behind by GTID (no heartbeat: lag in seconds unknown)"),
        (None, _) => "lag unknown: Seconds_Behind_Master is NULL while the SQL thread is stopped; create a heartbeat to measure it".into(),
    }
}

/// The verdict and its reason, in words.
pub fn judge(h: &ReplicaHealth, thresholds: &Thresholds) -> (Verdict, String) {
    if h.channels.is_empty() {
        return (
            Verdict::Broken,
            "not replicating: SHOW REPLICA STATUS is empty".into(),
        );
    }
    let named = |c: &ChannelStatus| {
        if c.channel.is_empty() {
            String::new()
        } else {
            format!("channel {}: ", c.channel)
        }
    };
    for c in &h.channels {
        if c.sql_running != ThreadState::Running
            && let Some(worker) = &c.worker_error
        {
            return (
                Verdict::Broken,
                format!(
                    "{}SQL thread stopped: {}error {} {}",
                    named(c),
                    worker
                        .worker_id
                        .map(|id| format!("worker {id} failed, "))
                        .unwrap_or_else(|| "a worker failed, ".into()),
                    worker.errno,
                    short_error(super::workers::worker_cause(&worker.message))
                ),
            );
        }
        if c.sql_running != ThreadState::Running && c.last_sql_errno != 0 {
            return (
                Verdict::Broken,
                format!(
                    "{}SQL thread stopped: error {} {}",
                    named(c),
                    c.last_sql_errno,
                    c.last_sql_error
                        .as_deref()
                        .map(short_error)
                        .unwrap_or_default()
                ),
            );
        }
        if c.io_running != ThreadState::Running && c.last_io_errno != 0 {
            return (
                Verdict::Broken,
                format!(
                    "{}IO thread {}: error {} {}",
                    named(c),
                    if c.io_running == ThreadState::Connecting {
                        "cannot connect to the source"
                    } else {
                        "stopped"
                    },
                    c.last_io_errno,
                    c.last_io_error
                        .as_deref()
                        .map(short_error)
                        .unwrap_or_default()
                ),
            );
        }
    }
    for c in &h.channels {
        if c.sql_running != ThreadState::Running {
            return (
                Verdict::Lagging,
                format!(
                    "{}SQL thread stopped (no error): {}",
                    named(c),
                    describe_lag(h)
                ),
            );
        }
        if c.io_running == ThreadState::Stopped {
            return (
                Verdict::Lagging,
                format!(
                    "{}IO thread stopped (no error): the replica receives nothing",
                    named(c)
                ),
            );
        }
    }
    // A delayed replica (MASTER_DELAY) is behind by its delay on purpose.
    let delay = h.sql_delay_s();
    match h.lag_s() {
        Some(lag) if delay > 0.0 && lag <= delay + thresholds.lagging_after_s => (
            Verdict::Healthy,
            format!("delayed replica ({delay:.0} s by design), {lag:.1} s behind"),
        ),
        Some(lag) if lag > delay + thresholds.lagging_after_s => (
            Verdict::Lagging,
            format!(
                "{lag:.1} s behind (threshold {:.0} s{}){}",
                thresholds.lagging_after_s,
                if delay > 0.0 {
                    format!(" past a delay of {delay:.0} s")
                } else {
                    String::new()
                },
                if h.heartbeat_lag_s.is_some() {
                    " by the heartbeat"
                } else {
                    ""
                }
            ),
        ),
        Some(lag) => (
            Verdict::Healthy,
            format!("both threads running, {lag:.1} s behind"),
        ),
        None => (Verdict::Healthy, "both threads running".into()),
    }
}

/// `Could not execute Write_rows event on table mindpal.x; Duplicate entry '7' for key 'PRIMARY', Error_code: 1062; …`
/// → `duplicate entry '7' for key 'PRIMARY' in mindpal.x`: what a person needs first.
fn short_error(message: &str) -> String {
    let table = message
        .split("on table ")
        .nth(1)
        .and_then(|rest| rest.split([';', ' ']).next())
        .map(str::to_owned);
    let what = message
        .split("; ")
        .nth(1)
        .map(|s| s.split(", Error_code").next().unwrap_or(s).to_owned())
        .unwrap_or_else(|| message.chars().take(200).collect());
    match table {
        Some(t) => format!("{} in {t}", lowercase_first(&what)),
        None => what,
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(channel: ChannelStatus) -> ReplicaHealth {
        ReplicaHealth {
            channels: vec![channel],
            read_only: Some(true),
            ..ReplicaHealth::unchecked("r:1".into(), false)
        }
    }

    fn running() -> ChannelStatus {
        ChannelStatus {
            io_running: ThreadState::Running,
            sql_running: ThreadState::Running,
            seconds_behind: Some(0.0),
            ..Default::default()
        }
    }

    #[test]
    fn a_duplicate_entry_stops_the_sql_thread_and_says_where() {
        let mut c = running();
        c.sql_running = ThreadState::Stopped;
        c.seconds_behind = None;
        c.last_sql_errno = 1062;
        c.last_sql_error = Some("Could not execute Write_rows_v1 event on table mindpal.conversation_messages; Duplicate entry '42' for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log mysql-bin.000001, end_log_pos 1234".into());
        let (v, reason) = judge(&replica(c), &Thresholds::default());
        assert_eq!(v, Verdict::Broken);
        assert_eq!(
            reason,
            "SQL thread stopped: error 1062 duplicate entry '42' for key 'PRIMARY' in mindpal.conversation_messages"
        );
    }

    #[test]
    fn a_stopped_coordinator_is_judged_by_its_failed_workers_error() {
        let recorded = include_str!("fixtures/mysql80-mts-worker-error.txt");
        let (status, workers) = recorded.split_once("mysql> SELECT").unwrap();
        let mut channels: Vec<ChannelStatus> = replica_status::parse_vertical(status)
            .iter()
            .map(replica_status::parse_row)
            .collect();
        let errors = replica_status::parse_vertical(workers)
            .iter()
            .filter_map(super::super::workers::parse_row)
            .collect();
        super::super::workers::attach(&mut channels, errors);
        let (verdict, reason) = judge(&replica(channels.remove(0)), &Thresholds::default());
        assert_eq!(verdict, Verdict::Broken);
        assert_eq!(
            reason,
            "SQL thread stopped: worker 2 failed, error 1032 can't find record in 'users' in mindpal.users"
        );
    }

    #[test]
    fn a_stopped_sql_thread_without_error_lags_with_the_heartbeat_lag() {
        let mut c = running();
        c.sql_running = ThreadState::Stopped;
        c.seconds_behind = None;
        let mut r = replica(c);
        r.heartbeat_lag_s = Some(12.5);
        r.gtid_gap = Some(30);
        let (v, reason) = judge(&r, &Thresholds::default());
        assert_eq!(v, Verdict::Lagging);
        assert!(
            reason.contains("12.5 s behind by the heartbeat, 30 transactions"),
            "{reason}"
        );
        assert_eq!(r.lag_s(), Some(12.5), "the heartbeat's lag, not NULL");
    }

    #[test]
    fn lag_over_the_threshold_lags_and_under_is_healthy() {
        let mut c = running();
        c.seconds_behind = Some(25.0);
        assert_eq!(
            judge(&replica(c.clone()), &Thresholds::default()).0,
            Verdict::Lagging
        );
        c.seconds_behind = Some(3.0);
        assert_eq!(
            judge(&replica(c.clone()), &Thresholds::default()).0,
            Verdict::Healthy
        );
        let strict = Thresholds {
            lagging_after_s: 1.0,
            ..Thresholds::default()
        };
        assert_eq!(
            judge(&replica(c), &strict).0,
            Verdict::Lagging,
            "thresholds are the operator's"
        );
    }

    #[test]
    fn a_delayed_replica_is_judged_past_its_delay() {
        let mut c = running();
        c.sql_delay = Some(3600);
        c.seconds_behind = Some(3605.0);
        let (verdict, reason) = judge(&replica(c.clone()), &Thresholds::default());
        assert_eq!(verdict, Verdict::Healthy);
        assert_eq!(
            reason,
            "delayed replica (3600 s by design), 3605.0 s behind"
        );
        c.seconds_behind = Some(3700.0);
        let (verdict, reason) = judge(&replica(c), &Thresholds::default());
        assert_eq!(verdict, Verdict::Lagging);
        assert!(reason.contains("past a delay of 3600 s"), "{reason}");
    }

    #[test]
    fn an_io_thread_that_cannot_connect_is_broken_and_exit_codes_follow() {
        let mut c = running();
        c.io_running = ThreadState::Connecting;
        c.last_io_errno = 2003;
        c.last_io_error =
            Some("error reconnecting to master 'repl@127.0.0.1:13306' - retry-time: 1".into());
        let (v, reason) = judge(&replica(c), &Thresholds::default());
        assert_eq!(v, Verdict::Broken);
        assert!(
            reason.starts_with("IO thread cannot connect to the source: error 2003"),
            "{reason}"
        );
        assert_eq!(Verdict::Healthy.exit_code(), 0);
        assert_eq!(Verdict::Lagging.exit_code(), 1);
        assert_eq!(Verdict::Broken.exit_code(), 2);
        assert_eq!(Verdict::Unreachable.exit_code(), 2);
    }
}
