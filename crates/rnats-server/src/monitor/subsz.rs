//! `/subsz` (alias `/subscriptionsz`): Sublist statistics and, with `subs=1`, the
//! subscriptions themselves.

use rnats_subject::{SublistStats, is_valid_literal_subject, subject_matches};
use serde::Serialize;

use super::conn_info::{SubDetail, sorted_subscriptions};
use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::{Monitor, format};
use crate::subscription::SubscriptionRef;

/// Subscriptions per page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 1024;

/// Sublist counters as `/subsz` and `/accountz` report them.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SublistStatsJson {
    num_subscriptions: u64,
    num_cache: u64,
    num_inserts: u64,
    num_removes: u64,
    num_matches: u64,
    cache_hit_rate: f64,
    max_fanout: u64,
    avg_fanout: f64,
}

impl From<&SublistStats> for SublistStatsJson {
    fn from(stats: &SublistStats) -> Self {
        SublistStatsJson {
            num_subscriptions: stats.subscriptions,
            num_cache: stats.cache_entries,
            num_inserts: stats.inserts,
            num_removes: stats.removes,
            num_matches: stats.matches,
            cache_hit_rate: stats.cache_hit_rate(),
            max_fanout: stats.max_fanout,
            avg_fanout: stats.avg_fanout,
        }
    }
}

/// The `/subsz` document.
#[derive(Debug, Serialize)]
pub(crate) struct Subsz {
    server_id: String,
    now: String,
    #[serde(flatten)]
    stats: SublistStatsJson,
    total: usize,
    offset: i64,
    limit: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subscriptions_list: Vec<SubDetail>,
}

/// `GET /subsz`: counted first, then parameters decoded in the reference's order.
pub(crate) fn handle(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::SUBSZ);
    let subs = query.bool("subs")?;
    let offset = query.int("offset")?;
    let limit = query.int("limit")?;
    let test = query.get("test");
    let account = query.get("acc");
    Ok(Reply::json(&subsz(
        monitor, subs, offset, limit, test, account,
    )?))
}

/// The document; `test` keeps only subscriptions a message on that subject would reach.
pub(crate) fn subsz(
    monitor: &Monitor,
    subs: bool,
    offset: i64,
    limit: i64,
    test: &str,
    account: &str,
) -> Result<Subsz, BadRequest> {
    let offset = offset.max(0);
    let limit = if limit <= 0 { DEFAULT_LIMIT } else { limit };
    if !test.is_empty() && !is_valid_literal_subject(test.as_bytes()) {
        return Err(BadRequest(format!(
            "invalid test subject, must be valid publish subject: {test}"
        )));
    }
    // Without `acc`, every account's Sublist added up, as the reference reports them; an
    // unknown account counts nothing.
    let chosen = if account.is_empty() {
        monitor.server.every_account()
    } else {
        monitor.server.find_account(account).into_iter().collect()
    };
    let mut stats = SublistStats::default();
    for account in &chosen {
        stats.add(&account.sublist.stats());
    }
    let mut document = Subsz {
        server_id: monitor.server.server_id.clone(),
        now: format::rfc3339_nanos(std::time::SystemTime::now()),
        stats: SublistStatsJson::from(&stats),
        total: 0,
        offset,
        limit,
        subscriptions_list: Vec::new(),
    };
    if !subs {
        return Ok(document);
    }
    let mut snapshots = Vec::new();
    for account in &chosen {
        account.sublist.for_each(|sub: &SubscriptionRef| {
            if test.is_empty() || subject_matches(sub.subject(), test.as_bytes()) {
                snapshots.push(sub.snapshot(sub.client.id, &sub.client.account().name));
            }
        });
    }
    let details: Vec<SubDetail> = sorted_subscriptions(&snapshots)
        .into_iter()
        .map(|s| SubDetail::new(s, true))
        .collect();
    let count = details.len();
    let first = usize::try_from(offset).unwrap_or(usize::MAX).min(count);
    let take = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .min(count - first);
    document.total = count;
    document.subscriptions_list = details.into_iter().skip(first).take(take).collect();
    Ok(document)
}
