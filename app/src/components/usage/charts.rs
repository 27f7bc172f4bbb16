//! The charts a page shows from a [`UsageBoard`]: a workspace's row in the dashboard, the
//! strip in the IDE's header, and the server's totals for admins.

use leptos::prelude::*;

use super::sparkline::Sparkline;
use super::{Series, UsageBoard};
use crate::model::{format_bytes, format_cores, format_disk, format_rate, UsageSample};

/// CPU and memory of one workspace, with its network and disk rates underneath.
#[component]
pub fn UsageCell(board: UsageBoard, workspace: String, cpu_limit: f64) -> impl IntoView {
    let series = board.series(&workspace);
    view! {
        <div class="usage" data-testid="usage">
            <Measured board workspace=workspace.clone() series=series.clone()>
                <CpuMeter series=series.clone() cpus=cpu_limit />
                <MemoryMeter series=series.clone() />
                <p class="io muted">{traffic(series.clone())}</p>
            </Measured>
        </div>
    }
}

/// One workspace's CPU, memory, network and disk, side by side.
#[component]
pub fn UsageStrip(board: UsageBoard, workspace: String) -> impl IntoView {
    let series = board.series(&workspace);
    view! {
        <div class="usage usage-strip" data-testid="usage">
            <Measured board workspace=workspace.clone() series=series.clone()>
                <CpuMeter series=series.clone() cpus=1.0 />
                <MemoryMeter series=series.clone() />
                <NetworkMeter series=series.clone() />
                <DiskMeter series=series.clone() />
            </Measured>
        </div>
    }
}

/// Everything running, against what the machine has. Admins only: others never get the
/// machine's capacity, so nothing shows.
#[component]
pub fn ServerTotals(board: UsageBoard) -> impl IntoView {
    let capacity = move || board.capacity.get();
    let idle = move || {
        capacity().map(|c| {
            let memory = format_bytes(c.memory_bytes as f64);
            format!(
                "No workspace is running. The machine has {} CPUs and {memory} of memory.",
                c.cpus
            )
        })
    };
    view! {
        <Show when=move || capacity().is_some()>
            <section class="card server-totals" data-testid="server-totals">
                <h2>"Server"</h2>
                <Show
                    when=move || board.totals.with(|t| !t.is_empty())
                    fallback=move || view! { <p class="muted">{idle}</p> }
                >
                    <TotalMeters board />
                </Show>
            </section>
        </Show>
    }
}

#[component]
fn TotalMeters(board: UsageBoard) -> impl IntoView {
    let series = ArcSignal::derive(move || board.totals.get());
    let capacity = move || board.capacity.get();
    view! {
        <div class="usage usage-strip">
            <Meter
                label="CPU, all workspaces"
                values=values(series.clone(), |s| s.cpu_cores)
                max=Signal::derive(move || capacity().map_or(1.0, |c| c.cpus as f64))
                text=text(series.clone(), move |s| {
                    let of = capacity().map_or(0, |c| c.cpus);
                    format!("{} of {of}", format_cores(s.cpu_cores))
                })
            />
            <Meter
                label="Memory, all workspaces"
                values=values(series.clone(), |s| s.memory_bytes as f64)
                max=Signal::derive(move || capacity().map_or(1.0, |c| c.memory_bytes as f64))
                text=text(series.clone(), move |s| {
                    let of = capacity().map_or(0, |c| c.memory_bytes);
                    format!("{} of {}", format_bytes(s.memory_bytes as f64), format_bytes(of as f64))
                })
            />
            <NetworkMeter series=series.clone() />
            <DiskMeter series=series.clone() />
        </div>
    }
}

/// Shows the meters once samples arrive; a workspace that just started has none yet, and
/// one that does not run has none.
#[component]
fn Measured(
    board: UsageBoard,
    workspace: String,
    series: ArcRwSignal<Series>,
    children: ChildrenFn,
) -> impl IntoView {
    let waiting = move || match board.stopped(&workspace) {
        true => "Not running",
        false => "Measuring…",
    };
    view! {
        <Show
            when=move || series.with(|s| !s.is_empty())
            fallback=move || view! { <span class="muted measuring">{waiting.clone()}</span> }
        >
            {children()}
        </Show>
    }
}

#[component]
fn CpuMeter(#[prop(into)] series: ArcSignal<Series>, cpus: f64) -> impl IntoView {
    let peak = series.clone();
    view! {
        <Meter
            label="CPU"
            values=values(series.clone(), |s| s.cpu_cores)
            // The limit, or more when a burst went past it (limits apply over time).
            max=Signal::derive(move || peak.with(|s| s.iter().map(|s| s.cpu_cores).fold(cpus, f64::max)))
            text=text(series, |s| format_cores(s.cpu_cores))
        />
    }
}

#[component]
fn MemoryMeter(#[prop(into)] series: ArcSignal<Series>) -> impl IntoView {
    let limit = series.clone();
    view! {
        <Meter
            label="Memory"
            values=values(series.clone(), |s| s.memory_bytes as f64)
            max=Signal::derive(move || limit.with(|s| s.back().map_or(1.0, |s| s.memory_limit as f64)))
            text=text(series, |s| format_bytes(s.memory_bytes as f64))
        />
    }
}

#[component]
fn NetworkMeter(#[prop(into)] series: ArcSignal<Series>) -> impl IntoView {
    let describe = |s: &UsageSample| {
        let (down, up) = (format_rate(s.net_rx_rate), format_rate(s.net_tx_rate));
        format!("↓ {down} ↑ {up}")
    };
    view! { <RateMeter label="Network" series total=|s| s.net_rx_rate + s.net_tx_rate describe /> }
}

#[component]
fn DiskMeter(#[prop(into)] series: ArcSignal<Series>) -> impl IntoView {
    view! { <RateMeter label="Disk" series total=|s| s.disk_read_rate + s.disk_write_rate describe=format_disk /> }
}

/// Traffic in both directions, charted as one line up to its own peak.
#[component]
fn RateMeter(
    label: &'static str,
    series: ArcSignal<Series>,
    total: fn(&UsageSample) -> f64,
    describe: fn(&UsageSample) -> String,
) -> impl IntoView {
    view! {
        <Meter
            label
            values=values(series.clone(), total)
            max=peak(series.clone(), total)
            text=text(series, describe)
        />
    }
}

/// A chart with the latest value beside it.
#[component]
fn Meter(
    label: &'static str,
    values: Signal<Vec<f64>>,
    max: Signal<f64>,
    text: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="meter" title=label>
            <span class="meter-label">{label}</span>
            <Sparkline values max label />
            <span class="meter-value" data-meter=label>{text}</span>
        </div>
    }
}

/// The network and disk rates in one line.
fn traffic(series: ArcRwSignal<Series>) -> impl Fn() -> String + Send + Sync + 'static {
    move || {
        series.with(|s| {
            s.back().map_or_else(String::new, |s| {
                let disk = match s.disk_measured {
                    true => format_rate(s.disk_read_rate + s.disk_write_rate),
                    false => "—".into(),
                };
                let (down, up) = (format_rate(s.net_rx_rate), format_rate(s.net_tx_rate));
                format!("net ↓ {down} ↑ {up} · disk {disk}")
            })
        })
    }
}

fn values(series: ArcSignal<Series>, of: fn(&UsageSample) -> f64) -> Signal<Vec<f64>> {
    Signal::derive(move || series.with(|s| s.iter().map(of).collect()))
}

/// The highest value shown, at least 1 KiB/s so a quiet line stays at the bottom.
fn peak(series: ArcSignal<Series>, of: fn(&UsageSample) -> f64) -> Signal<f64> {
    Signal::derive(move || series.with(|s| s.iter().map(of).fold(1024.0, f64::max)))
}

fn text(
    series: ArcSignal<Series>,
    show: impl Fn(&UsageSample) -> String + Send + Sync + 'static,
) -> Signal<String> {
    Signal::derive(move || series.with(|s| s.back().map(&show).unwrap_or_default()))
}
