/**
 * Every metric family the broker exports besides prom-client's default process and
 * Node.js metrics: name, type and help, in one list. The README's "Observability"
 * section documents each one (test/http/metrics.test.ts checks that it does).
 * Names follow Prometheus's conventions: the `broker_` prefix, base units in the name
 * (`_seconds`, `_bytes`), `_total` on counters.
 */
export type FamilyType = 'gauge' | 'counter' | 'histogram';

export interface Family {
  type: FamilyType;
  help: string;
}

const g = (help: string): Family => ({ type: 'gauge', help });
const c = (help: string): Family => ({ type: 'counter', help });
const h = (help: string): Family => ({ type: 'histogram', help });

export const FAMILIES = {
  // Streams, per stream (labels db, stream), within the key limit.
  broker_stream_length: g('Entries in the stream (XLEN).'),
  broker_stream_entries_added_total: c('Entries ever added to the stream (XINFO STREAM entries-added).'),
  broker_stream_first_entry_timestamp_seconds: g('Time part of the first entry ID, in seconds since the epoch.'),
  broker_stream_last_entry_timestamp_seconds: g('Time part of the last entry ID (last-generated-id), in seconds since the epoch.'),
  broker_stream_groups: g('Consumer groups of the stream.'),
  // Consumer groups (labels db, stream, group).
  broker_stream_group_pending_entries: g('Entries delivered to the group and not yet acknowledged (XINFO GROUPS pending).'),
  broker_stream_group_lag_entries: g('Entries not yet delivered to the group (XINFO GROUPS lag); absent when Redis would report it as nil.'),
  broker_stream_group_lag_seconds: g('Age of the oldest entry not yet delivered to the group, 0 when there is none.'),
  broker_stream_group_oldest_pending_age_seconds: g('Time since the last delivery of the group\'s oldest pending entry, 0 when none is pending.'),
  broker_stream_group_consumers: g('Consumers of the group.'),
  broker_stream_group_delivered_total: c('Entries delivered to the group for the first time (XREADGROUP >).'),
  broker_stream_group_acknowledged_total: c('Entries acknowledged in the group (XACK).'),
  broker_stream_group_claimed_total: c('Pending entries claimed (XCLAIM, XAUTOCLAIM).'),
  broker_stream_group_redelivered_total: c('Pending entries delivered again from a consumer\'s history (XREADGROUP with an ID).'),
  // Consumers (labels db, stream, group, consumer).
  broker_stream_consumer_pending_entries: g('Entries pending for the consumer (XINFO CONSUMERS pending).'),
  broker_stream_consumer_idle_seconds: g('Time since the consumer last read or claimed (XINFO CONSUMERS idle).'),
  // Streams, whole broker.
  broker_streams: g('Stream keys, all of them (also those beyond the key limit).'),
  broker_stream_entries: g('Entries in all streams.'),
  broker_stream_group_pending_entries_all: g('Pending entries of every group of every stream.'),
  broker_stream_first_delivery_seconds: h('Time from an entry\'s ID to its first delivery to a group.'),
  broker_stream_ack_seconds: h('Time from an entry\'s last delivery to its acknowledgement.'),
  // Lists (labels db, list), within the key limit.
  broker_list_length: g('Elements in the list (LLEN).'),
  broker_lists: g('List keys, all of them.'),
  broker_list_elements: g('Elements in all lists.'),
  // Hashes, sets and sorted sets: totals only (no per-key series).
  broker_hashes: g('Hash keys, all of them.'),
  broker_hash_fields: g('Fields in all hashes.'),
  broker_sets: g('Set keys, all of them.'),
  broker_set_members: g('Members of all sets.'),
  broker_zsets: g('Sorted set keys, all of them.'),
  broker_zset_members: g('Members of all sorted sets.'),
  broker_blocked_clients_by_key: g('Clients blocked on the key (BLPOP, XREAD BLOCK...; labels db, key), within the key limit.'),
  // Cardinality control.
  broker_metrics_keys_omitted: g('Keys left without series of their own at this scrape (metrics-max-keys, include/exclude patterns; label type).'),
  // Pub/sub.
  broker_pubsub_channels: g('Channels with subscribers.'),
  broker_pubsub_patterns: g('Patterns with subscribers.'),
  broker_pubsub_shard_channels: g('Shard channels with subscribers.'),
  broker_pubsub_subscribers: g('Clients with at least one subscription.'),
  broker_pubsub_messages_published_total: c('Messages published (PUBLISH, SPUBLISH).'),
  broker_pubsub_messages_delivered_total: c('Messages delivered to subscribers (one per receiving subscription).'),
  broker_pubsub_subscribers_dropped_total: c('Subscribers disconnected by the pubsub output buffer limit.'),
  // The WebSocket gateway (broker/gateway/).
  broker_gateway_sessions: g('WebSocket sessions open.'),
  broker_gateway_subscriptions: g('Subscriptions of the open sessions (label kind: consume, read, pop, subscribe).'),
  broker_gateway_credits_outstanding: g('Messages the sessions\' clients have granted and not yet received (credit).'),
  broker_gateway_buffered_bytes: g('Bytes the sessions hold for their clients, unsent.'),
  broker_gateway_sessions_opened_total: c('WebSocket sessions opened.'),
  broker_gateway_messages_delivered_total: c('Messages delivered to WebSocket clients.'),
  broker_gateway_messages_acked_total: c('Messages acknowledged by WebSocket clients.'),
  broker_gateway_messages_nacked_total: c('Messages negatively acknowledged by WebSocket clients (given back for redelivery).'),
  broker_gateway_sessions_dropped_total: c('Sessions the gateway closed (label reason: slow_consumer, heartbeat, bad_frame, auth, link_closed, session_limit: gateway-max-sessions or maxclients).'),
  // Server.
  broker_commands_total: c('Calls per command (INFO commandstats calls; label command).'),
  broker_command_errors_total: c('Calls per command that failed or were rejected (INFO commandstats failed_calls + rejected_calls).'),
  broker_command_duration_seconds: h('Command execution time per command (INFO latencystats\' histograms, while latency-tracking is on).'),
  broker_error_replies_total: c('Error replies by error code (INFO errorstats; label error).'),
  broker_connected_clients: g('Client connections open.'),
  broker_connections_received_total: c('Connections accepted (INFO total_connections_received).'),
  broker_connections_rejected_total: c('Connections refused by maxclients or protected mode.'),
  broker_output_limit_disconnections_total: c('Clients closed for exceeding client-output-buffer-limit (label class).'),
  broker_blocked_clients: g('Clients blocked in a blocking command.'),
  broker_keys: g('Keys per database (label db).'),
  broker_keys_expiring: g('Keys with an expiry per database (label db).'),
  broker_expired_keys_total: c('Keys removed because they expired.'),
  broker_memory_used_bytes: g('Memory the broker uses for data: V8 heap in use plus external memory (INFO used_memory).'),
  broker_event_loop_utilization_ratio: g('Share of time the event loop was busy since the previous scrape.'),
  broker_uptime_seconds: g('Time since the broker started.'),
  // Persistence.
  broker_aof_enabled: g('1 when the AOF is on.'),
  broker_aof_written_bytes_total: c('Bytes written to the AOF by this process.'),
  broker_aof_fsync_pending_bytes: g('Bytes written to the AOF and not yet fsynced.'),
  broker_aof_buffer_bytes: g('Bytes waiting to be written to the AOF.'),
  broker_aof_fsync_duration_seconds: h('Duration of AOF fsyncs.'),
  broker_aof_delayed_fsyncs_total: c('Writes postponed behind a running fsync (INFO aof_delayed_fsync).'),
  broker_aof_last_write_ok: g('1 when the last AOF write and fsync succeeded (INFO aof_last_write_status).'),
  broker_aof_rewrites_total: c('AOF rewrites completed.'),
  broker_aof_rewrite_in_progress: g('1 while an AOF rewrite runs.'),
  broker_aof_last_rewrite_duration_seconds: g('Duration of the last AOF rewrite, -1 when there was none.'),
  broker_aof_last_rewrite_ok: g('1 when the last AOF rewrite succeeded.'),
  broker_loading: g('1 while the dataset loads at start-up.'),
  broker_loading_progress_ratio: g('Share of the dataset loaded (1 once loaded).'),
  // Replication.
  broker_replication_leader: g('1 while this broker leads (role master), 0 while it follows a leader.'),
  broker_replication_offset_bytes: g('Position in the replication stream (INFO master_repl_offset).'),
  broker_replication_backlog_bytes: g('Bytes of the stream kept for partial resyncs (INFO repl_backlog_histlen).'),
  broker_replication_followers: g('Followers attached to this broker, in any state (INFO connected_slaves).'),
  broker_replication_follower_lag_bytes: g('Stream bytes a follower has not acknowledged yet (label follower, ip:port).'),
  broker_replication_follower_ack_age_seconds: g('Time since a follower last acknowledged (REPLCONF ACK; label follower).'),
  broker_replication_full_syncs_total: c('Full resyncs served to followers (INFO sync_full).'),
  broker_replication_partial_syncs_total: c('Partial resync requests from followers (label result: ok, or err when a full resync followed).'),
  broker_replication_link_up: g('On a follower: 1 when the link to its leader is up (INFO master_link_status); absent on a leader.'),
  broker_replication_link_last_io_seconds: g('On a follower: time since the last bytes from its leader (INFO master_last_io_seconds_ago); absent on a leader.'),
} satisfies Record<string, Family>;

export type FamilyName = keyof typeof FAMILIES;
