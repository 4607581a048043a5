//! `web3audit top`: a terminal view for operators, refreshed from the service's
//! `/metrics` and `/health/detailed` endpoints: queue depth, active audits, audits per
//! minute, error rate and recent alerts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

#[derive(Debug, clap::Args)]
pub(crate) struct TopArgs {
    /// Base URL of the service.
    #[arg(long, env = "WEB3AUDIT_URL", default_value = "http://127.0.0.1:8000")]
    url: String,
    /// Seconds between refreshes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    interval: u64,
    /// Print one frame (two samples one interval apart, for the rates) and exit.
    #[arg(long)]
    once: bool,
}

/// The counters and gauges `top` reads from one scrape of `/metrics`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Sample {
    pub(crate) queue: f64,
    pub(crate) active: f64,
    /// `web3audit_audits_completed_total` by `status`.
    pub(crate) completed: BTreeMap<String, f64>,
    pub(crate) http_total: f64,
    pub(crate) http_errors: f64,
}

/// Reads the metrics `top` shows from an OpenMetrics / Prometheus text exposition.
pub(crate) fn parse_metrics(text: &str) -> Sample {
    let mut sample = Sample::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (name, labels) = series
            .split_once('{')
            .map_or((series, ""), |(n, l)| (n, l.trim_end_matches('}')));
        let label = |key: &str| {
            labels.split(',').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        match name {
            "web3audit_queue_size" => sample.queue = value,
            "web3audit_active_audits" => sample.active = value,
            "web3audit_audits_completed_total" => {
                *sample
                    .completed
                    .entry(label("status").unwrap_or_default())
                    .or_default() += value;
            }
            "web3audit_http_requests_total" => {
                sample.http_total += value;
                if label("status").is_some_and(|s| s.starts_with('5')) {
                    sample.http_errors += value;
                }
            }
            _ => {}
        }
    }
    sample
}

/// The rates between two samples `seconds` apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rates {
    pub(crate) audits_per_minute: f64,
    /// Failed and timed-out audits over all completed ones, in the interval.
    pub(crate) audit_error_rate: Option<f64>,
    /// 5xx responses over all responses, in the interval.
    pub(crate) http_error_rate: Option<f64>,
}

pub(crate) fn rates(before: &Sample, after: &Sample, seconds: f64) -> Rates {
    let total = |s: &Sample| s.completed.values().sum::<f64>();
    let failed = |s: &Sample| {
        s.completed
            .iter()
            .filter(|(k, _)| k.as_str() == "failed" || k.as_str() == "timed_out")
            .map(|(_, v)| v)
            .sum::<f64>()
    };
    let done = (total(after) - total(before)).max(0.0);
    let http = (after.http_total - before.http_total).max(0.0);
    Rates {
        audits_per_minute: if seconds > 0.0 {
            done * 60.0 / seconds
        } else {
            0.0
        },
        audit_error_rate: (done > 0.0).then(|| (failed(after) - failed(before)).max(0.0) / done),
        http_error_rate: (http > 0.0)
            .then(|| (after.http_errors - before.http_errors).max(0.0) / http),
    }
}

/// Alerts from a `/health/detailed` document: the overall status and every component
/// that is not healthy.
pub(crate) fn health_alerts(health: &Value) -> Vec<String> {
    let mut alerts = Vec::new();
    if let Some(error) = health["error"].as_str() {
        alerts.push(error.to_owned());
    }
    if let Some(components) = health["components"].as_object() {
        for (name, component) in components {
            let status = component["status"].as_str().unwrap_or("unknown");
            if status != "healthy" {
                alerts.push(format!("{name} is {status}"));
            }
        }
    }
    alerts
}

pub(crate) fn frame(
    url: &str,
    sample: &Sample,
    rates: &Rates,
    health: &Value,
    alerts: &[(String, String)],
) -> String {
    let percent =
        |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "web3audit top · {url} · status {}",
        health["status"].as_str().unwrap_or("unknown")
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  queue depth      {:>10}", sample.queue);
    let _ = writeln!(out, "  active audits    {:>10}", sample.active);
    let _ = writeln!(out, "  audits/min       {:>10.1}", rates.audits_per_minute);
    let _ = writeln!(
        out,
        "  audit errors     {:>10}",
        percent(rates.audit_error_rate)
    );
    let _ = writeln!(
        out,
        "  HTTP 5xx         {:>10}",
        percent(rates.http_error_rate)
    );
    let completed: Vec<String> = sample
        .completed
        .iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "  completed        {}",
        if completed.is_empty() {
            "-".to_owned()
        } else {
            completed.join(", ")
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "recent alerts");
    if alerts.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (at, alert) in alerts.iter().rev() {
        let _ = writeln!(out, "  {at}  {alert}");
    }
    out
}

pub(crate) fn run(args: &TopArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(watch(args))
}

async fn scrape(client: &reqwest::Client, base: &str) -> (Option<Sample>, Value) {
    let metrics = match client.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.ok().map(|t| parse_metrics(&t)),
        Err(_) => None,
    };
    let health = match client.get(format!("{base}/health/detailed")).send().await {
        Ok(r) => r.json::<Value>().await.unwrap_or(Value::Null),
        Err(error) => {
            serde_json::json!({ "status": "unreachable", "error": format!("cannot reach {base}: {error}") })
        }
    };
    (metrics, health)
}

async fn watch(args: &TopArgs) -> ExitCode {
    let base = args.url.trim_end_matches('/').to_owned();
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        eprintln!("error: cannot build the HTTP client");
        return ExitCode::from(2);
    };
    let interval = Duration::from_secs(args.interval);
    let (mut previous, _) = scrape(&client, &base).await;
    let mut taken = Instant::now();
    let mut alerts: Vec<(String, String)> = Vec::new();
    loop {
        tokio::time::sleep(interval).await;
        let (sample, health) = scrape(&client, &base).await;
        let seconds = taken.elapsed().as_secs_f64();
        taken = Instant::now();
        let now = server_time();
        for alert in health_alerts(&health) {
            alerts.push((now.clone(), alert));
        }
        let keep = alerts.len().saturating_sub(10);
        alerts.drain(..keep);
        let sample_or_last = sample
            .clone()
            .or_else(|| previous.clone())
            .unwrap_or_default();
        let rates = match (&previous, &sample) {
            (Some(before), Some(after)) => rates(before, after, seconds),
            _ => Rates {
                audits_per_minute: 0.0,
                audit_error_rate: None,
                http_error_rate: None,
            },
        };
        let text = frame(&base, &sample_or_last, &rates, &health, &alerts);
        if args.once {
            print!("{text}");
            return if sample.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
        // Clear the screen and draw the frame from the top left.
        print!("\x1b[2J\x1b[H{text}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        if sample.is_some() {
            previous = sample;
        }
    }
}

/// Wall-clock time of day (UTC) for the alert list.
fn server_time() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}Z", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "# TYPE web3audit_queue_size gauge\n\
web3audit_queue_size 4\n\
web3audit_active_audits 2\n\
web3audit_audits_completed_total{status=\"succeeded\"} 10\n\
web3audit_audits_completed_total{status=\"failed\"} 1\n\
web3audit_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 50\n\
web3audit_http_requests_total{method=\"POST\",route=\"/api/v1/audits\",status=\"500\"} 2\n\
# EOF\n";

    #[test]
    fn metrics_are_read_by_name_and_label() {
        let s = parse_metrics(METRICS);
        assert_eq!(s.queue, 4.0);
        assert_eq!(s.active, 2.0);
        assert_eq!(s.completed["succeeded"], 10.0);
        assert_eq!(s.completed["failed"], 1.0);
        assert_eq!((s.http_total, s.http_errors), (52.0, 2.0));
    }

    #[test]
    fn rates_come_from_the_difference_of_two_samples() {
        let before = parse_metrics(METRICS);
        let mut after = before.clone();
        *after.completed.get_mut("succeeded").unwrap() += 9.0;
        *after.completed.get_mut("failed").unwrap() += 1.0;
        after.http_total += 10.0;
        let r = rates(&before, &after, 30.0);
        assert_eq!(r.audits_per_minute, 20.0);
        assert_eq!(r.audit_error_rate, Some(0.1));
        assert_eq!(r.http_error_rate, Some(0.0));
        assert_eq!(rates(&before, &before, 30.0).audit_error_rate, None);
    }

    #[test]
    fn unhealthy_components_become_alerts() {
        let health = serde_json::json!({
            "status": "degraded",
            "components": { "database": { "status": "healthy" }, "queue": { "status": "degraded" } }
        });
        assert_eq!(health_alerts(&health), vec!["queue is degraded".to_owned()]);
        let text = frame(
            "http://x",
            &parse_metrics(METRICS),
            &rates(&Sample::default(), &parse_metrics(METRICS), 60.0),
            &health,
            &[("10:00:00Z".into(), "queue is degraded".into())],
        );
        assert!(text.contains("queue depth               4"));
        assert!(text.contains("status degraded"));
        assert!(text.contains("10:00:00Z  queue is degraded"));
    }
}
