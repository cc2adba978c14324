// The engine's /metrics families (Prometheus text, base/metrics.h).
#include "daemon/engine_impl.h"

namespace tayori::daemon {

std::string Engine::Impl::MetricsText() const {
  metrics::Writer w;
  w.Family("tayori_messages_total", "counter", "Deliveries by the outcome this engine recorded.");
  for (const auto& [state, n] : outcomes_by_state)
    w.Sample("tayori_messages_total", {{"outcome", state}}, static_cast<double>(n));
  w.Family("tayori_relay_replies_total", "counter", "Final relay replies by relay and SMTP code (0: no reply).");
  for (const auto& [key, n] : replies_by_code)
    w.Sample("tayori_relay_replies_total", {{"relay", key.first}, {"code", std::to_string(key.second)}},
             static_cast<double>(n));
  w.Family("tayori_queue_depth", "gauge", "Leased deliveries waiting in the fair queue.");
  w.Sample("tayori_queue_depth", static_cast<double>(dispatch.queued()));
  w.Family("tayori_parked", "gauge", "Deliveries waiting for a destination's rate.");
  w.Sample("tayori_parked", static_cast<double>(dispatch.parked()));
  w.Family("tayori_in_flight", "gauge", "Messages being rendered and signed, or with a relay.");
  w.Sample("tayori_in_flight", {{"stage", "build"}}, static_cast<double>(building));
  w.Sample("tayori_in_flight", {{"stage", "ready"}}, static_cast<double>(ready.size()));
  w.Sample("tayori_in_flight", {{"stage", "submit"}}, static_cast<double>(submitting));
  w.Family("tayori_leases_held", "gauge", "Deliveries this engine holds a lease on.");
  w.Sample("tayori_leases_held", static_cast<double>(leases.size()));
  w.Family("tayori_build_seconds_total", "counter", "Time spent rendering and signing.");
  w.Sample("tayori_build_seconds_total", static_cast<double>(build_ns.load()) / 1e9);
  w.Family("tayori_built_messages_total", "counter", "Messages rendered and signed.");
  w.Sample("tayori_built_messages_total", static_cast<double>(built_messages.load()));
  w.Family("tayori_build_jobs_total", "counter",
           "Worker jobs by the thread that ran them: their author domain's own (or any, for a job tied to "
           "none), or another (its own was busy, or it had signed for that domain lately). A domain taken over "
           "before its own thread signed for it becomes the new thread's own.");
  auto pool = workers->stats();
  w.Sample("tayori_build_jobs_total", {{"thread", "own"}}, static_cast<double>(pool.own));
  w.Sample("tayori_build_jobs_total", {{"thread", "other"}}, static_cast<double>(pool.stolen));
  w.Family("tayori_build_domains_taken_over_total", "counter",
           "Author domains a worker took over from a busy thread before that one signed for them.");
  w.Sample("tayori_build_domains_taken_over_total", static_cast<double>(pool.moved));
  w.Family("tayori_rate_limit_waits_total", "counter", "Times a message waited for the global or a destination rate.");
  w.Sample("tayori_rate_limit_waits_total", static_cast<double>(dispatch.rate_waits()));
  w.Family("tayori_paused_sender_domains", "gauge", "Author domains this engine paused after authentication failures.");
  w.Sample("tayori_paused_sender_domains", static_cast<double>(paused_domains.size()));
  w.Family("tayori_suppressions_cached", "gauge", "Suppressions held in memory for deliveries leased before them.");
  w.Sample("tayori_suppressions_cached", static_cast<double>(suppressed.size()));
  w.Family("tayori_destinations_tracked", "gauge", "Destination groups with shaping state in memory.");
  w.Sample("tayori_destinations_tracked", static_cast<double>(shaper.size()));
  if (inbound) w.Append(inbound->MetricsText());
  if (readiness) w.Append(readiness->MetricsText());
  w.Family("tayori_campaigns_active", "gauge", "Campaigns this engine is sending (at most engine.max_campaigns).");
  w.Sample("tayori_campaigns_active", static_cast<double>(campaigns.size()));
  // Parsed signing keys: the cache is bounded (crypto::KeyCache capacity);
  // campaigns being sent hold theirs besides.
  crypto::KeyCache::Stats keys = key_cache.stats();
  w.Family("tayori_key_cache_keys", "gauge", "Parsed private keys in the signing key cache.");
  w.Sample("tayori_key_cache_keys", static_cast<double>(keys.size));
  w.Family("tayori_key_cache_parses_total", "counter", "Private keys parsed (cache misses).");
  w.Sample("tayori_key_cache_parses_total", static_cast<double>(keys.misses));
  w.Family("tayori_key_cache_evictions_total", "counter", "Keys dropped from the cache to stay within its capacity.");
  w.Sample("tayori_key_cache_evictions_total", static_cast<double>(keys.evictions));
  w.Family("tayori_database_up", "gauge", "1 when the last database job reached the server.");
  w.Sample("tayori_database_up", db_read && db_write && db_read->healthy() && db_write->healthy() ? 1 : 0);
  w.Family("tayori_writeback_failing", "gauge", "1 while outcome writes fail (no new work is leased meanwhile).");
  w.Sample("tayori_writeback_failing", writes_failing() ? 1 : 0);
  w.Family("tayori_writeback_failures_total", "counter", "Outcome write transactions that failed and were retried.");
  w.Sample("tayori_writeback_failures_total", static_cast<double>(outcomes.failures_total()));
  w.Family("tayori_outcomes_unwritten", "gauge", "Outcomes recorded but not yet committed (their leases are kept).");
  w.Sample("tayori_outcomes_unwritten", static_cast<double>(outcomes.size()));
  w.Family("tayori_writeback_seconds_total", "counter", "Time spent in committed outcome writes.");
  w.Sample("tayori_writeback_seconds_total", write_seconds_total);
  w.Family("tayori_config_reloads_total", "counter", "SIGHUP reloads, by result.");
  w.Sample("tayori_config_reloads_total", {{"result", "applied"}},
           static_cast<double>(reloads_total - reload_failures_total));
  w.Sample("tayori_config_reloads_total", {{"result", "refused"}}, static_cast<double>(reload_failures_total));
  w.Family("tayori_sign_seconds", "histogram", "Time to DKIM-sign one message (body hash, header hash, signature).");
  w.Histogram("tayori_sign_seconds", {}, sign_hist.Snap());
  w.Family("tayori_relay_transaction_seconds", "histogram",
           "Time from handing a message to the SMTP client to the relay's final reply, by relay.");
  for (const auto& [relay, h] : relay_hist) w.Histogram("tayori_relay_transaction_seconds", {{"relay", relay}}, h->Snap());
  w.Family("tayori_writeback_batch_seconds", "histogram", "Time from dispatching an outcome batch to its commit.");
  w.Histogram("tayori_writeback_batch_seconds", {}, write_hist.Snap());
  ShopSeries(w);
  return w.Take();
}

void Engine::Impl::ShopSeries(metrics::Writer& w) const {
  size_t n = static_cast<size_t>(config().admin.shop_series);
  if (n == 0) return;
  std::vector<const ShopCounts*> shops;
  shops.reserve(shop_counts.size());
  for (const auto& [id, c] : shop_counts) shops.push_back(&c);
  n = std::min(n, shops.size());
  std::partial_sort(shops.begin(), shops.begin() + static_cast<std::ptrdiff_t>(n), shops.end(),
                    [](const ShopCounts* a, const ShopCounts* b) { return a->total > b->total || (a->total == b->total && a->slug < b->slug); });
  w.Family("tayori_shop_messages_total", "counter",
           "Deliveries by outcome for the admin.shop_series shops with the most outcomes recorded here.");
  for (size_t i = 0; i < n; ++i)
    for (const auto& [state, count] : shops[i]->by_outcome)
      w.Sample("tayori_shop_messages_total", {{"shop", shops[i]->slug}, {"outcome", state}}, static_cast<double>(count));
}

}  // namespace tayori::daemon
