//! The reviewers' dashboard: per reviewer and day, how many reviews, the verdict mix, the
//! median time from claim to save and the claims left to expire; and whether reviewers agree,
//! from the conversations two of them reviewed: per pair, agreement and Cohen's kappa on the
//! verdict, with the disagreements listed to open.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::access::{Actor, Permission};
use crate::error::Result;
use crate::mysql::MysqlServer;

/// Disagreements listed at most.
pub const MAX_DISAGREEMENTS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReviewerDay {
    pub reviewer: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub day: NaiveDate,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub reviews: i64,
    /// Reviews per verdict (ok, needs_followup, escalated, harmful).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub verdicts: BTreeMap<String, i64>,
    /// Median seconds from claiming a conversation to saving its review (claims only).
    pub median_seconds_to_save: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub claims_expired: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    /// Conversations both reviewed (each one's latest verdict counts).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversations: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub agreed: i64,
    /// Cohen's kappa; none when it is undefined (both gave one same verdict throughout).
    pub kappa: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Disagreement {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub conversation_id: i64,
    pub a: String,
    pub verdict_a: String,
    pub b: String,
    pub verdict_b: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReviewerDashboard {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: NaiveDate,
    /// Only this reviewer's figures (support staff see their own).
    pub only: Option<String>,
    pub days: Vec<ReviewerDay>,
    pub pairs: Vec<PairAgreement>,
    pub disagreements: Vec<Disagreement>,
}

/// Cohen's kappa of two raters' labels on the same items: (p_o − p_e) / (1 − p_e), where p_o
/// is the share of items they agree on and p_e the agreement expected from each rater's own
/// label frequencies. `None` for no items, or when p_e is 1 (both used one label only).
pub fn cohen_kappa<L: Eq + std::hash::Hash>(pairs: &[(L, L)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let agreed = pairs.iter().filter(|(a, b)| a == b).count() as f64;
    let mut first: HashMap<&L, f64> = HashMap::new();
    let mut second: HashMap<&L, f64> = HashMap::new();
    for (a, b) in pairs {
        *first.entry(a).or_default() += 1.0;
        *second.entry(b).or_default() += 1.0;
    }
    let expected: f64 = first
        .iter()
        .map(|(label, count)| count / n * second.get(label).copied().unwrap_or(0.0) / n)
        .sum();
    if (1.0 - expected).abs() < 1e-12 {
        return None;
    }
    Some((agreed / n - expected) / (1.0 - expected))
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Whose figures a dashboard shows: everyone's (or the one `asked` for) to an actor who may
/// see every reviewer, else only the viewer's own (`own`); another reviewer asked for is refused.
pub fn reviewer_scope<'a>(
    actor: Actor,
    own: &'a str,
    asked: Option<&'a str>,
) -> Result<Option<&'a str>> {
    if actor.may(Permission::SeeEveryReviewer) {
        return Ok(asked);
    }
    if asked.is_some_and(|other| other != own) {
        actor.require(Permission::SeeEveryReviewer)?;
    }
    Ok(Some(own))
}

/// The dashboard for the days `from` to `to` (included), of the reviewers [`reviewer_scope`]
/// allows `actor`: `own` is the viewer's reviewer name, `asked` the one reviewer asked for.
pub async fn dashboard(
    server: &MysqlServer,
    actor: Actor,
    own: &str,
    asked: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ReviewerDashboard> {
    let only = reviewer_scope(actor, own, asked)?;
    crate::keyset::ordered(&from, &to)?;
    let start = from.and_hms_opt(0, 0, 0).expect("midnight");
    let end = (to + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    let err = |e| server.err(e);
    let who = only.unwrap_or("");

    let reviews: Vec<(String, NaiveDate, String, i64)> = sqlx::query_as(
        "SELECT reviewer, DATE(reviewed_at), verdict, COUNT(*) FROM conversation_reviews \
         WHERE reviewed_at >= ? AND reviewed_at < ? AND (? = '' OR reviewer = ?) \
         GROUP BY reviewer, DATE(reviewed_at), verdict",
    )
    .bind(start)
    .bind(end)
    .bind(who)
    .bind(who)
    .fetch_all(&server.pool)
    .await
    .map_err(err)?;
    let claims: Vec<(String, NaiveDate, String, Option<f64>)> = sqlx::query_as(
        "SELECT reviewer, DATE(claimed_at), outcome, \
           CAST(TIMESTAMPDIFF(MICROSECOND, claimed_at, ended_at) / 1000000 AS DOUBLE) \
         FROM review_claims \
         WHERE claimed_at >= ? AND claimed_at < ? AND outcome IN ('saved', 'expired') AND (? = '' OR reviewer = ?)",
    )
    .bind(start)
    .bind(end)
    .bind(who)
    .bind(who)
    .fetch_all(&server.pool)
    .await
    .map_err(err)?;

    let mut days: BTreeMap<(NaiveDate, String), (ReviewerDay, Vec<f64>)> = BTreeMap::new();
    for (reviewer, day, verdict, count) in reviews {
        let entry = days_entry(&mut days, &reviewer, day);
        entry.0.reviews += count;
        *entry.0.verdicts.entry(verdict).or_default() += count;
    }
    for (reviewer, day, outcome, seconds) in claims {
        let entry = days_entry(&mut days, &reviewer, day);
        match (outcome.as_str(), seconds) {
            ("saved", Some(s)) => entry.1.push(s),
            ("expired", _) => entry.0.claims_expired += 1,
            _ => {}
        }
    }
    let days = days
        .into_values()
        .rev()
        .map(|(mut day, mut saves)| {
            day.median_seconds_to_save = median(&mut saves);
            day
        })
        .collect();

    let (pairs, disagreements) = agreement(server, only, start, end).await?;
    Ok(ReviewerDashboard {
        from,
        to,
        only: only.map(str::to_owned),
        days,
        pairs,
        disagreements,
    })
}

type DayFigures = (ReviewerDay, Vec<f64>);

fn days_entry<'a>(
    days: &'a mut BTreeMap<(NaiveDate, String), DayFigures>,
    reviewer: &str,
    day: NaiveDate,
) -> &'a mut DayFigures {
    days.entry((day, reviewer.to_owned())).or_insert_with(|| {
        (
            ReviewerDay {
                reviewer: reviewer.to_owned(),
                day,
                ..Default::default()
            },
            Vec::new(),
        )
    })
}

/// Each reviewer's latest verdict on the conversations two or more reviewed in the window,
/// compared pair by pair.
async fn agreement(
    server: &MysqlServer,
    only: Option<&str>,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<(Vec<PairAgreement>, Vec<Disagreement>)> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT r.conversation_id, r.reviewer, r.verdict FROM conversation_reviews r \
         JOIN (SELECT conversation_id FROM conversation_reviews \
               WHERE reviewed_at >= ? AND reviewed_at < ? \
               GROUP BY conversation_id HAVING COUNT(DISTINCT reviewer) >= 2) twice \
           ON twice.conversation_id = r.conversation_id \
         WHERE r.reviewed_at >= ? AND r.reviewed_at < ? \
         ORDER BY r.conversation_id, r.reviewer, r.reviewed_at, r.id",
    )
    .bind(start)
    .bind(end)
    .bind(start)
    .bind(end)
    .fetch_all(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    // conversation -> reviewer -> latest verdict (rows come oldest first).
    let mut latest: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
    for (conversation, reviewer, verdict) in rows {
        latest
            .entry(conversation)
            .or_default()
            .insert(reviewer, verdict);
    }
    // (reviewer a, reviewer b) -> [(conversation, a's verdict, b's verdict)]
    type Compared = Vec<(i64, String, String)>;
    let mut by_pair: BTreeMap<(String, String), Compared> = BTreeMap::new();
    for (conversation, verdicts) in &latest {
        let reviewers: Vec<(&String, &String)> = verdicts.iter().collect();
        for (i, (a, va)) in reviewers.iter().enumerate() {
            for (b, vb) in &reviewers[i + 1..] {
                if only.is_some_and(|me| me != a.as_str() && me != b.as_str()) {
                    continue;
                }
                by_pair
                    .entry(((*a).clone(), (*b).clone()))
                    .or_default()
                    .push((*conversation, (*va).clone(), (*vb).clone()));
            }
        }
    }
    let mut pairs = Vec::new();
    let mut disagreements = Vec::new();
    for ((a, b), items) in by_pair {
        let labels: Vec<(&str, &str)> = items
            .iter()
            .map(|(_, va, vb)| (va.as_str(), vb.as_str()))
            .collect();
        let agreed = labels.iter().filter(|(x, y)| x == y).count() as i64;
        pairs.push(PairAgreement {
            a: a.clone(),
            b: b.clone(),
            conversations: items.len() as i64,
            agreed,
            kappa: cohen_kappa(&labels),
        });
        for (conversation, va, vb) in items.into_iter().filter(|(_, x, y)| x != y) {
            if disagreements.len() < MAX_DISAGREEMENTS {
                disagreements.push(Disagreement {
                    conversation_id: conversation,
                    a: a.clone(),
                    verdict_a: va,
                    b: b.clone(),
                    verdict_b: vb,
                });
            }
        }
    }
    Ok((pairs, disagreements))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook case, worked by hand: 50 items, both "yes" 20, A yes / B no 5,
    /// A no / B yes 10, both "no" 15. p_o = 35/50 = 0.7; A says yes 25/50, B 30/50, so
    /// p_e = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    #[test]
    fn kappa_matches_the_hand_computed_value() {
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("yes", "yes"), 20));
        pairs.extend(std::iter::repeat_n(("yes", "no"), 5));
        pairs.extend(std::iter::repeat_n(("no", "yes"), 10));
        pairs.extend(std::iter::repeat_n(("no", "no"), 15));
        let kappa = cohen_kappa(&pairs).unwrap();
        assert!((kappa - 0.4).abs() < 1e-12, "{kappa}");
    }

    /// Three verdicts, by hand: 10 conversations, diagonal ok 4, needs_followup 2,
    /// escalated 1; off it ok/needs_followup 2 and escalated/ok 1. p_o = 7/10. A: ok 6,
    /// needs_followup 2, escalated 2; B: ok 5, needs_followup 4, escalated 1.
    /// p_e = .6·.5 + .2·.4 + .2·.1 = .40; kappa = (.7 − .4) / .6 = 0.5.
    #[test]
    fn kappa_on_three_verdicts() {
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("ok", "ok"), 4));
        pairs.extend(std::iter::repeat_n(("needs_followup", "needs_followup"), 2));
        pairs.extend(std::iter::repeat_n(("escalated", "escalated"), 1));
        pairs.extend(std::iter::repeat_n(("ok", "needs_followup"), 2));
        pairs.extend(std::iter::repeat_n(("escalated", "ok"), 1));
        let kappa = cohen_kappa(&pairs).unwrap();
        assert!((kappa - 0.5).abs() < 1e-12, "{kappa}");
    }

    #[test]
    fn kappa_is_undefined_without_variety_and_perfect_with_full_agreement() {
        assert_eq!(cohen_kappa::<&str>(&[]), None);
        assert_eq!(cohen_kappa(&[("ok", "ok"), ("ok", "ok")]), None);
        assert_eq!(
            cohen_kappa(&[("ok", "ok"), ("escalated", "escalated")]),
            Some(1.0)
        );
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
