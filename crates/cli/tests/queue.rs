//! `conversations queue | sample | dashboard`: two reviewers' processes claiming at once from
//! the same filters get different conversations, release and skip, exit 8 when nothing is
//! left, a sample kept as a double-review queue, and the dashboard's agreement. Runs against
//! the real MariaDB on 127.0.0.1:3306 (or MINDPAL_TEST_MYSQL_URL).

mod common;

use std::collections::HashSet;
use std::process::Output;

use common::{Scratch, json, run};

fn claimed(o: &Output) -> String {
    json(o)["claim"]["conversationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no claim in {o:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_share_one_queue_from_the_command_line() {
    let db = Scratch::seeded("queue").await;
    let url = db.url.clone();

    // Two reviewers, ten claims each, at the same time, from the same filters.
    let reviewer = |name: &'static str| {
        let url = url.clone();
        std::thread::spawn(move || {
            (0..10)
                .map(|_| {
                    claimed(&run(
                        &url,
                        &[
                            "--json",
                            "conversations",
                            "queue",
                            "next",
                            "--reviewer",
                            name,
                        ],
                    ))
                })
                .collect::<Vec<_>>()
        })
    };
    let (li, wang) = (reviewer("li"), reviewer("wang"));
    let (li, wang) = (li.join().unwrap(), wang.join().unwrap());
    let all: HashSet<&String> = li.iter().chain(&wang).collect();
    assert_eq!(all.len(), 20, "li {li:?}, wang {wang:?}");

    // What li holds is shown as theirs; released, it is the next one anybody gets.
    let mine = json(&run(
        &url,
        &[
            "--json",
            "conversations",
            "queue",
            "mine",
            "--reviewer",
            "li",
        ],
    ));
    assert_eq!(mine.as_array().unwrap().len(), 10);
    let text = run(
        &url,
        &["conversations", "queue", "mine", "--reviewer", "li"],
    );
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("held by li until"),
        "{text:?}"
    );
    let released = json(&run(
        &url,
        &[
            "--json",
            "conversations",
            "queue",
            "release",
            &li[0],
            "--reviewer",
            "li",
        ],
    ));
    assert_eq!(released["released"], true);
    let next = claimed(&run(
        &url,
        &[
            "--json",
            "conversations",
            "queue",
            "next",
            "--reviewer",
            "zhao",
        ],
    ));
    assert_eq!(next, li[0]);

    // Nothing left for a filter that matches nothing: exit 8.
    let empty = run(
        &url,
        &[
            "conversations",
            "queue",
            "next",
            "--user",
            "999999999",
            "--reviewer",
            "li",
        ],
    );
    assert_eq!(empty.status.code(), Some(8), "{empty:?}");

    // A double-review sample; li and wang both review its first conversation, differently.
    let sample = json(&run(
        &url,
        &[
            "--json",
            "conversations",
            "sample",
            "--per-dh",
            "1",
            "--seed",
            "5",
            "--name",
            "qa",
            "--double",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
        ],
    ));
    let first = sample["items"][0]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = json(&run(
        &url,
        &[
            "--json",
            "conversations",
            "sample",
            "--per-dh",
            "1",
            "--seed",
            "5",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
        ],
    ));
    assert_eq!(
        again["items"], sample["items"],
        "the same seed, the same sample"
    );
    for (who, verdict) in [("li", "ok"), ("wang", "escalated")] {
        let got = claimed(&run(
            &url,
            &[
                "--json",
                "conversations",
                "queue",
                "next",
                "--queue",
                "qa",
                "--reviewer",
                who,
            ],
        ));
        assert_eq!(
            got, first,
            "{who} gets the first conversation of the sample"
        );
        let saved = run(
            &url,
            &[
                "conversations",
                "review",
                &got,
                "--verdict",
                verdict,
                "--reviewer",
                who,
            ],
        );
        assert!(saved.status.success(), "{saved:?}");
    }
    let board = json(&run(&url, &["--json", "conversations", "dashboard"]));
    let pair = &board["pairs"][0];
    assert_eq!(
        (pair["a"].as_str(), pair["b"].as_str()),
        (Some("li"), Some("wang"))
    );
    assert_eq!(
        (pair["conversations"].as_i64(), pair["agreed"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(board["disagreements"][0]["conversationId"], first.as_str());
    let text = run(&url, &["conversations", "dashboard"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("li / wang: 0 of 1 agree"),
        "{text:?}"
    );
    // Support sees its own figures only.
    let refused = run(
        &url,
        &[
            "--role",
            "support",
            "conversations",
            "dashboard",
            "--reviewer",
            "li",
        ],
    );
    // Refused by the core's rules like every other permission: exit 4, saying whose.
    assert_eq!(refused.status.code(), Some(4), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("every reviewer's figures"), "{said}");
    // A support lead sees everyone's.
    let lead = json(&run(
        &url,
        &["--json", "--role", "lead", "conversations", "dashboard"],
    ));
    assert_eq!(lead["pairs"][0]["conversations"].as_i64(), Some(1));
    assert!(lead["only"].is_null(), "{lead}");

    db.drop().await;
}
