//! Routing a published message to the subscriptions that match it.
//!
//! Every plain subscription gets a copy; each queue group gets one copy, for one member picked
//! at random (the next member is tried when the pick cannot take it). Bytes are appended to the
//! subscribers' outbound buffers right here, in the publisher's task; the subscribers' writers
//! are woken once, when the publisher's read batch is done.

use std::sync::Arc;

use rnats_proto::Delivery;
use rnats_proto::Publish;
use rnats_proto::encode::{OK, no_responders_headers};
use rnats_subject::{QueueGroup, SublistResult};

use super::connection::ClientConnection;
use super::info::Activity;
use super::{ClientHandle, Enqueued, trace};
use crate::stats::ServerStats;
use crate::subscription::{Claim, SubscriptionRef};

/// Work a read batch leaves for its end: writers to wake and counters to publish.
#[derive(Default)]
pub(super) struct Batch {
    flush: Vec<Arc<ClientHandle>>,
    /// Consumers past their stall threshold: the producer pauses for them after the batch.
    pub(super) stalled: Vec<Arc<ClientHandle>>,
    in_msgs: u64,
    in_bytes: u64,
    out_msgs: u64,
    out_bytes: u64,
    /// The last batch woke at least one writer.
    pub(super) woke_writers: bool,
}

/// Past this many entries the flush list gives its memory back after a batch.
const FLUSH_LIST_KEEP: usize = 1024;

impl Batch {
    /// Remembers to wake `client`'s writer when the batch ends.
    pub(super) fn schedule_flush(&mut self, client: &Arc<ClientHandle>) {
        self.flush.push(client.clone());
    }

    /// Remembers a consumer that is falling behind, once per batch.
    fn note_stalled(&mut self, client: &Arc<ClientHandle>) {
        if !self.stalled.iter().any(|c| Arc::ptr_eq(c, client)) {
            self.stalled.push(client.clone());
        }
    }

    /// Wakes every writer that got bytes and adds the batch's counts to the server's.
    pub(super) fn finish(&mut self, stats: &ServerStats, activity: &Activity) {
        activity.record_in(self.in_msgs, self.in_bytes);
        self.woke_writers |= !self.flush.is_empty();
        for client in self.flush.drain(..) {
            client.flush();
        }
        if self.flush.capacity() > FLUSH_LIST_KEEP {
            self.flush = Vec::new();
        }
        if self.in_msgs + self.out_msgs > 0 {
            stats.add_messages(self.in_msgs, self.in_bytes, self.out_msgs, self.out_bytes);
            self.in_msgs = 0;
            self.in_bytes = 0;
            self.out_msgs = 0;
            self.out_bytes = 0;
        }
    }
}

/// Delivers one message on behalf of a publisher.
pub(super) struct Router<'a> {
    pub(super) publisher: &'a Arc<ClientHandle>,
    echo: bool,
    batch: &'a mut Batch,
    max_traced_msg_len: usize,
    /// Pause for consumers that fall behind (the reference's fast-producer stall).
    stall: bool,
}

/// A publish the client's permissions do not allow; the message was dropped.
pub(super) struct PublishDenied;

impl ClientConnection {
    /// Routes a message this client published (after `+OK` in verbose mode), unless its
    /// permissions forbid it. A connection without permissions checks nothing; one with
    /// them decides once per subject and keeps the decision with the cached match.
    pub(super) fn publish(&mut self, publish: &Publish<'_>) -> Result<(), PublishDenied> {
        let size = publish.payload.len() + publish.headers.map_or(0, <[u8]>::len);
        self.batch.in_msgs += 1;
        self.batch.in_bytes += size as u64;
        let cached = self.cache.lookup(self.handle.account(), publish.subject);
        if let Some(permissions) = &self.permissions {
            let allowed = *cached
                .may_publish
                .get_or_insert_with(|| permissions.can_publish(publish.subject));
            if !allowed && !self.handle.delivery_rules.take_reply(publish.subject) {
                return Err(PublishDenied);
            }
        }
        if self.options.verbose {
            if trace::enabled() {
                trace::outbound(&self.handle, "OK");
            }
            if self
                .handle
                .enqueue_protocol(|buf| buf.extend_from_slice(OK))
            {
                self.batch.schedule_flush(&self.handle);
            }
        }
        let message = Delivery::new(
            publish.subject,
            publish.reply,
            publish.headers,
            publish.payload,
        );
        let result = &cached.result;
        let mut router = Router {
            publisher: &self.handle,
            echo: self.options.echo,
            batch: &mut self.batch,
            max_traced_msg_len: self.settings.max_traced_msg_len,
            stall: !self.settings.no_fast_producer_stall,
        };
        let mut delivered = router.deliver_all(result, &message);
        if let Some(forwards) = &cached.forwards {
            delivered |= router.forward_matched(self.handle.account(), forwards, &message, 0);
        }
        if !delivered
            && self.options.no_responders
            && let Some(reply) = publish.reply
        {
            router.no_responders(publish.subject, reply);
        }
        Ok(())
    }
}

impl<'a> Router<'a> {
    /// A router for a message the server publishes itself: never back to its own
    /// subscriptions, and without pausing for slow consumers.
    pub(super) fn internal(publisher: &'a Arc<ClientHandle>, batch: &'a mut Batch) -> Self {
        Router {
            publisher,
            echo: false,
            batch,
            max_traced_msg_len: 0,
            stall: false,
        }
    }
}

impl Router<'_> {
    /// Delivers to every match; true if anyone received the message.
    pub(super) fn deliver_all(
        &mut self,
        result: &SublistResult<SubscriptionRef>,
        message: &Delivery<'_>,
    ) -> bool {
        let mut delivered = false;
        for subscription in &result.plain {
            delivered |= self.deliver(subscription, message);
        }
        for group in &result.queues {
            delivered |= self.deliver_to_group(group, message);
        }
        delivered
    }

    /// Delivers to one member of a queue group, starting from a random one.
    fn deliver_to_group(
        &mut self,
        group: &QueueGroup<SubscriptionRef>,
        message: &Delivery<'_>,
    ) -> bool {
        let members = &group.members;
        let start = fastrand::usize(..members.len().max(1));
        (0..members.len()).any(|i| self.deliver(&members[(start + i) % members.len()], message))
    }

    /// Queues the message for one subscription; false if it did not take it.
    fn deliver(&mut self, subscription: &SubscriptionRef, message: &Delivery<'_>) -> bool {
        let client = &subscription.client;
        if !self.echo && Arc::ptr_eq(client, self.publisher) {
            return false;
        }
        if !client
            .delivery_rules
            .admit(message.subject(), subscription.queue(), message.reply())
        {
            return false;
        }
        let claim = subscription.claim();
        if claim == Claim::Exhausted {
            return false;
        }
        let queued = match client.enqueue_message(message, subscription.sid()) {
            Enqueued::Queued {
                schedule_flush,
                stalled,
            } => {
                if schedule_flush {
                    self.batch.schedule_flush(client);
                }
                if stalled && self.stall && !Arc::ptr_eq(client, self.publisher) {
                    self.batch.note_stalled(client);
                }
                self.batch.out_msgs += 1;
                let size = message.payload().len() + message.headers().map_or(0, <[u8]>::len);
                self.batch.out_bytes += size as u64;
                if trace::enabled() {
                    trace::delivery(client, message, subscription.sid(), self.max_traced_msg_len);
                }
                true
            }
            // Counted and logged where the connection closes, like every slow consumer.
            Enqueued::SlowConsumer => false,
            Enqueued::Closed => false,
        };
        if claim == Claim::DeliverLast {
            client.remove_subscription(subscription);
        }
        queued
    }

    /// Tells a requester nobody is listening: a 503 status on its own reply subscription.
    fn no_responders(&mut self, subject: &[u8], reply: &[u8]) {
        let result = self.publisher.account().sublist.matches(reply);
        let own = result
            .plain
            .iter()
            .find(|s| Arc::ptr_eq(&s.client, self.publisher));
        if let Some(subscription) = own {
            let mut headers = Vec::with_capacity(32 + subject.len());
            no_responders_headers(subject, &mut headers);
            let status = Delivery::new(reply, None, Some(&headers), b"");
            self.deliver(subscription, &status);
        }
    }
}
