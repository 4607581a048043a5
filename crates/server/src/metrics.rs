//! Prometheus metrics, with the names the operations documentation promises.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub audits_started: Counter,
    pub audits_completed: Family<Labels, Counter>,
    pub findings_discovered: Family<Labels, Counter>,
    pub audit_duration: Histogram,
    pub active_audits: Gauge,
    pub queue_size: Gauge,
    pub cache_hits: Counter,
    pub http_requests: Family<Labels, Counter>,
    pub http_duration: Family<Labels, Histogram, fn() -> Histogram>,
    // Retention.
    pub retention_pruned: Family<Labels, Counter>,
    pub retention_failures: Counter,
    // On-chain monitoring, by monitor (alerts by level).
    pub monitor_blocks: Family<Labels, Counter>,
    pub monitor_transactions: Family<Labels, Counter>,
    pub monitor_lag: Family<Labels, Gauge>,
    pub monitor_alerts: Family<Labels, Counter>,
    pub monitor_errors: Family<Labels, Counter>,
    // The assistant.
    pub suggestions: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let audits_started = Counter::default();
        let audits_completed = Family::<Labels, Counter>::default();
        let findings_discovered = Family::<Labels, Counter>::default();
        let audit_duration = Histogram::new(exponential_buckets(0.001, 2.0, 18));
        let active_audits = Gauge::default();
        let queue_size = Gauge::default();
        let cache_hits = Counter::default();
        let http_requests = Family::<Labels, Counter>::default();
        let http_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        // Counters get the `_total` suffix from the encoder.
        registry.register(
            "web3audit_audits_started",
            "Audits taken up by a worker",
            audits_started.clone(),
        );
        registry.register(
            "web3audit_audits_completed",
            "Audits that reached a final state, by status",
            audits_completed.clone(),
        );
        registry.register(
            "web3audit_findings_discovered",
            "Findings stored, by severity",
            findings_discovered.clone(),
        );
        registry.register(
            "web3audit_audit_duration_seconds",
            "Time an audit spent in analysis",
            audit_duration.clone(),
        );
        registry.register(
            "web3audit_active_audits",
            "Audits being analyzed now",
            active_audits.clone(),
        );
        registry.register(
            "web3audit_queue_size",
            "Audits waiting in the queue",
            queue_size.clone(),
        );
        registry.register(
            "web3audit_cache_hits",
            "Submissions answered from the analysis cache",
            cache_hits.clone(),
        );
        registry.register(
            "web3audit_http_requests",
            "HTTP requests, by method, route and status",
            http_requests.clone(),
        );
        registry.register(
            "web3audit_http_request_duration_seconds",
            "HTTP request latency, by method, route and status",
            http_duration.clone(),
        );
        // Retention.
        let retention_pruned = Family::<Labels, Counter>::default();
        let retention_failures = Counter::default();
        registry.register(
            "web3audit_retention_pruned",
            "Rows deleted by retention sweeps, by kind",
            retention_pruned.clone(),
        );
        registry.register(
            "web3audit_retention_sweep_failures",
            "Retention sweeps that stopped on an error",
            retention_failures.clone(),
        );
        // On-chain monitoring.
        let monitor_blocks = Family::<Labels, Counter>::default();
        let monitor_transactions = Family::<Labels, Counter>::default();
        let monitor_lag = Family::<Labels, Gauge>::default();
        let monitor_alerts = Family::<Labels, Counter>::default();
        let monitor_errors = Family::<Labels, Counter>::default();
        registry.register(
            "web3audit_monitor_blocks_processed",
            "Blocks processed by monitors, by monitor",
            monitor_blocks.clone(),
        );
        registry.register(
            "web3audit_monitor_transactions_processed",
            "Transactions in the blocks processed by monitors, by monitor",
            monitor_transactions.clone(),
        );
        registry.register(
            "web3audit_monitor_lag_blocks",
            "Blocks between the chain head and the last block a monitor processed",
            monitor_lag.clone(),
        );
        registry.register(
            "web3audit_monitor_alerts",
            "Monitor rule firings, by level",
            monitor_alerts.clone(),
        );
        registry.register(
            "web3audit_monitor_rpc_errors",
            "Monitor steps that failed (RPC errors, unusable blocks), by monitor",
            monitor_errors.clone(),
        );
        let suggestions = Family::<Labels, Counter>::default();
        registry.register(
            "web3audit_assistant_suggestions",
            "Assistant suggestions answered on this node, by result (done, failed)",
            suggestions.clone(),
        );
        Metrics {
            registry,
            suggestions,
            monitor_blocks,
            monitor_transactions,
            monitor_lag,
            monitor_alerts,
            monitor_errors,
            retention_pruned,
            retention_failures,
            audits_started,
            audits_completed,
            findings_discovered,
            audit_duration,
            active_audits,
            queue_size,
            cache_hits,
            http_requests,
            http_duration,
        }
    }
}

impl Metrics {
    pub fn completed(&self, status: &str) {
        self.audits_completed
            .get_or_create(&vec![("status", status.to_string())])
            .inc();
    }

    pub fn finding(&self, severity: &str) {
        self.findings_discovered
            .get_or_create(&vec![("severity", severity.to_string())])
            .inc();
    }

    pub fn http(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = vec![
            ("method", method.to_string()),
            ("route", route.to_string()),
            ("status", status.to_string()),
        ];
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration.get_or_create(&labels).observe(seconds);
    }

    pub fn retention_pruned(&self, kind: &str, rows: u64) {
        self.retention_pruned
            .get_or_create(&vec![("kind", kind.to_string())])
            .inc_by(rows);
    }

    pub fn record_suggestion(&self, result: &str) {
        self.suggestions
            .get_or_create(&vec![("result", result.to_string())])
            .inc();
    }

    pub fn retention_failed(&self) {
        self.retention_failures.inc();
    }

    /// OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
