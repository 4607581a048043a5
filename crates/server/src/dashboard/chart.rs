//! Findings by severity over time as an inline SVG stacked bar chart (one bar per day),
//! with the same figures as a table for screen readers and copying.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyzer::SEVERITIES;

const DAY_MS: i64 = 86_400_000;
pub(crate) const WIDTH: u32 = 720;
pub(crate) const HEIGHT: u32 = 200;
const PLOT_TOP: u32 = 10;
const PLOT_BOTTOM: u32 = 170;
const PLOT_LEFT: u32 = 40;

#[derive(Debug, Serialize)]
pub(crate) struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub severity: &'static str,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub counts: Vec<i64>,
    pub total: i64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Chart {
    pub width: u32,
    pub height: u32,
    pub rects: Vec<Rect>,
    pub days: Vec<Day>,
    pub max: i64,
    /// `(y, label)` of the horizontal grid lines.
    pub ticks: Vec<(u32, i64)>,
    /// `(x, label)` of the dates under the bars (every seventh day).
    pub dates: Vec<(u32, String)>,
    pub severities: &'static [&'static str],
    pub plot_left: u32,
    pub plot_bottom: u32,
}

/// The chart of the `days` days up to `now`, from per-audit severity counts.
pub(crate) fn build(series: &[store::SeverityCounts], now: i64, days: i64) -> Chart {
    let first_day = now.div_euclid(DAY_MS) - (days - 1);
    let mut per_day: BTreeMap<i64, Vec<i64>> = (0..days)
        .map(|d| (first_day + d, vec![0; SEVERITIES.len()]))
        .collect();
    for audit in series {
        if let Some(counts) = per_day.get_mut(&audit.created_at.div_euclid(DAY_MS)) {
            for (slot, severity) in counts.iter_mut().zip(SEVERITIES) {
                *slot += audit.counts.get(severity).copied().unwrap_or(0);
            }
        }
    }
    let max = per_day
        .values()
        .map(|c| c.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    let slot = (WIDTH - PLOT_LEFT) / days.max(1) as u32;
    let bar = slot.saturating_sub(4).max(1);
    let mut rects = Vec::new();
    let mut out_days = Vec::new();
    let mut dates = Vec::new();
    for (index, (day, counts)) in per_day.into_iter().enumerate() {
        let x = PLOT_LEFT + index as u32 * slot + 2;
        let date = crate::timestamp::rfc3339(day * DAY_MS)[..10].to_string();
        let mut y = PLOT_BOTTOM;
        for (count, severity) in counts.iter().zip(SEVERITIES) {
            if *count == 0 {
                continue;
            }
            let height = ((*count as f64 / max as f64) * f64::from(plot_height)).round() as u32;
            let height = height.max(1);
            y = y.saturating_sub(height);
            rects.push(Rect {
                x,
                y,
                width: bar,
                height,
                severity,
                label: format!("{date}: {count} {severity}"),
            });
        }
        if index % 7 == 0 {
            dates.push((x, date[5..].to_string()));
        }
        out_days.push(Day {
            total: counts.iter().sum(),
            counts,
            date,
        });
    }
    let ticks = [0, max / 2, max]
        .into_iter()
        .map(|v| {
            let y = PLOT_BOTTOM - ((v as f64 / max as f64) * f64::from(plot_height)).round() as u32;
            (y, v)
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        rects,
        days: out_days,
        max,
        ticks,
        dates,
        severities: &SEVERITIES,
        plot_left: PLOT_LEFT,
        plot_bottom: PLOT_BOTTOM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_the_counts_of_each_day() {
        let now = 40 * DAY_MS + 5;
        let mut counts = BTreeMap::new();
        counts.insert("high".to_string(), 3);
        counts.insert("low".to_string(), 1);
        let series = [
            store::SeverityCounts {
                created_at: 40 * DAY_MS,
                counts: counts.clone(),
            },
            store::SeverityCounts {
                created_at: 40 * DAY_MS + 9,
                counts,
            },
            // Before the window: left out.
            store::SeverityCounts {
                created_at: 2 * DAY_MS,
                counts: BTreeMap::new(),
            },
        ];
        let chart = build(&series, now, 30);
        assert_eq!(chart.days.len(), 30);
        let last = chart.days.last().unwrap();
        assert_eq!(last.total, 8);
        assert_eq!(chart.max, 8);
        assert_eq!(chart.rects.len(), 2);
        let high = chart.rects.iter().find(|r| r.severity == "high").unwrap();
        assert_eq!(high.height, 120, "6 of 8 findings over a 160-pixel plot");
    }
}
