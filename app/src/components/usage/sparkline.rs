//! A small line chart of recent values, drawn as SVG.

use leptos::prelude::*;

const WIDTH: f64 = 90.0;
const HEIGHT: f64 = 24.0;

/// `values` oldest first, scaled so `max` touches the top. Until the history is full the
/// line spans the whole width, so a chart that has just started is not an empty box.
#[component]
pub fn Sparkline(
    #[prop(into)] values: Signal<Vec<f64>>,
    #[prop(into)] max: Signal<f64>,
    label: &'static str,
) -> impl IntoView {
    let points = move || points(&values.get(), max.get());
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none"
            role="img" aria-label=label>
            <polyline points=points />
        </svg>
    }
}

fn points(values: &[f64], max: f64) -> String {
    // One value is a flat line; more are spread over the width.
    let values = match values {
        [one] => &[*one, *one][..],
        values => values,
    };
    let step = WIDTH / values.len().saturating_sub(1).max(1) as f64;
    let max = if max > 0.0 { max } else { 1.0 };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let y = HEIGHT - (v / max).clamp(0.0, 1.0) * (HEIGHT - 1.0) - 0.5;
            format!("{:.1},{y:.1}", step * i as f64)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_spans_the_width_with_the_maximum_at_the_top() {
        assert_eq!(points(&[], 1.0), "");
        assert_eq!(points(&[2.0], 2.0), "0.0,0.5 90.0,0.5");
        let drawn = points(&[0.0, 4.0, 8.0], 4.0);
        let xy: Vec<(f64, f64)> = drawn
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(
            xy.iter().map(|p| p.0).collect::<Vec<_>>(),
            [0.0, 45.0, 90.0]
        );
        assert_eq!(xy[0].1, 23.5, "zero at the bottom");
        assert_eq!(xy[1].1, 0.5, "the maximum at the top");
        assert_eq!(xy[2].1, 0.5, "above the maximum is clipped");
    }
}
