//! Trend charts as server-rendered SVG (no scripts): instrument totals, the BAM's subscales,
//! daily check-ins. One function draws them all.

use crate::html::escape;

/// One line of a chart: a label and its values, oldest first (`None` draws no point there).
pub struct Series {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// A line chart of `series` on a 0..=`max` scale, with a legend when there is more than one
/// line. Every series has the same number of points (one per date or administration).
pub fn line_chart(title: &str, max: f64, series: &[Series]) -> String {
    let (w, h, pad) = (320.0_f64, 120.0_f64, 24.0_f64);
    let max = if max > 0.0 { max } else { 1.0 };
    let count = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let x = |i: usize| {
        if count > 1 {
            pad + (w - 2.0 * pad) * i as f64 / (count - 1) as f64
        } else {
            w / 2.0
        }
    };
    let y = |v: f64| h - pad - (h - 2.0 * pad) * v.clamp(0.0, max) / max;
    let mut lines = String::new();
    let mut summary = Vec::new();
    for (n, s) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (x(i), y(v))))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        lines.push_str(&format!(
            "<g class=\"series s{n}\"><polyline points=\"{}\" fill=\"none\"/>",
            path.join(" ")
        ));
        for (x, y) in &points {
            lines.push_str(&format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"/>"));
        }
        lines.push_str("</g>");
        if let Some(last) = s.values.iter().rev().flatten().next() {
            summary.push(format!("{} latest {last}", s.label));
        }
    }
    let legend: String = if series.len() > 1 {
        series
            .iter()
            .enumerate()
            .map(|(n, s)| {
                format!(
                    "<text class=\"legend s{n}\" x=\"{lx:.1}\" y=\"12\">{}</text>",
                    escape(&s.label),
                    lx = pad + 80.0 * n as f64
                )
            })
            .collect()
    } else {
        String::new()
    };
    format!(
        "<svg class=\"trend\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{label}\">\
         <line x1=\"{pad}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" class=\"axis\"/>{lines}{legend}\
         <text x=\"2\" y=\"{top}\">{max}</text><text x=\"2\" y=\"{base}\">0</text></svg>",
        label = escape(&format!(
            "{title}: {count} points; {}; scale 0 to {max}",
            summary.join(", ")
        )),
        base = h - pad,
        right = w - pad,
        top = pad,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_series_with_gaps_and_escapes_labels() {
        let svg = line_chart(
            "Check-ins <daily>",
            10.0,
            &[
                Series {
                    label: "Mood".into(),
                    values: vec![Some(3.0), None, Some(7.0)],
                },
                Series {
                    label: "Craving".into(),
                    values: vec![Some(8.0), Some(5.0), Some(2.0)],
                },
            ],
        );
        assert_eq!(svg.matches("<circle").count(), 5);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("Check-ins &lt;daily&gt;"));
        assert!(svg.contains("Mood latest 7"));
        assert!(svg.contains(">Craving</text>"));
        // 0 is drawn at y = 96 and 10 at y = 24: mood 7 at 96 - 72 * 0.7.
        assert!(svg.contains("cx=\"296.0\" cy=\"45.6\""), "{svg}");
    }
}
