//! `/admin` and `/admin/analytics`: the live dashboard. The server renders every number (the
//! page is useful before the WASM loads, and without it); in the browser the charts are drawn
//! with ECharts (through `charming`), each created once and updated in place, and the page
//! asks for new figures every `[analytics] refresh_seconds` while the tab is visible.
use leptos::prelude::*;
use leptos_meta::{Script, Title};
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::ui::{Card, CardSkeleton, ErrorNotice, PageHeading},
    model::{format_money, AnalyticsRange, Dashboard, Figure, Rate},
};

/// ECharts' script, served from `public/vendor` (never a CDN).
pub const ECHARTS_SCRIPT: &str = "/vendor/echarts-5.6.0.min.js";

const CHARTS: [(&str, &str); 4] = [
    ("chart-revenue", "Revenue and orders per day"),
    ("chart-top-products", "Top 5 products by revenue"),
    ("chart-payment-methods", "Payment methods"),
    ("chart-customers", "New and returning customers"),
];

#[component]
pub fn AdminDashboardPage() -> impl IntoView {
    let query = use_query_map();
    let range = Memo::new(move |_| {
        query
            .with(|q| q.get("range").and_then(|r| AnalyticsRange::parse(&r)))
            .unwrap_or_default()
    });
    let first = Resource::new(
        move || range.get(),
        |range| crate::api::admin_dashboard(range.as_str().to_string()),
    );
    view! {
        <Title text="Dashboard · Admin" />
        <Script src=ECHARTS_SCRIPT defer="defer" />
        <div class="flex flex-wrap items-start justify-between gap-4">
            <PageHeading title="Dashboard" subtitle="What the shop sold and who is visiting, live. Days start at local midnight." />
            <nav class="flex gap-1 rounded-lg bg-stone-100 p-1" aria-label="Period">
                {AnalyticsRange::ALL.into_iter().map(|r| view! {
                    <A href=format!("/admin/analytics?range={}", r.as_str())
                        attr:class=move || if range.get() == r {
                            "range-option rounded-md bg-white px-3 py-1 text-sm font-semibold text-emerald-800 shadow-sm"
                        } else {
                            "range-option rounded-md px-3 py-1 text-sm font-medium text-stone-600 hover:text-stone-900"
                        }
                        attr:aria-current=move || (range.get() == r).then_some("true")>
                        {r.label()}
                    </A>
                }).collect_view()}
            </nav>
        </div>
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match first.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(first) => view! { <DashboardBody first /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The figures of one period: the server's first answer, then each poll's.
#[component]
fn DashboardBody(first: Dashboard) -> impl IntoView {
    let range = first.view.range;
    let refresh = first.refresh_seconds.max(1);
    let data = RwSignal::new(first);
    poll(data, range, refresh);
    let view_of = move || data.with(|d| d.view.clone());
    let currency = move || data.with(|d| d.currency);
    let money = move |amount: i64| format_money(amount, currency());
    let against = match range {
        AnalyticsRange::Today => "yesterday",
        AnalyticsRange::Week => "the 7 days before",
        AnalyticsRange::Month => "the 30 days before",
    };
    view! {
        <p class="mb-4 text-xs text-stone-500" aria-live="polite">
            "Last updated " <span class="last-updated font-medium text-stone-700">{move || data.with(|d| d.updated_at_local.clone())}</span>
            {format!(" · refreshes every {refresh} s")}
        </p>
        <div class="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Kpi id="revenue" label="Revenue" value=Signal::derive(move || money(view_of().revenue.current))
                change=Signal::derive(move || change_of(&view_of().revenue)) against />
            <Kpi id="visitors-now" label="Visitors right now" value=Signal::derive(move || view_of().visitors_now.to_string())
                change=Signal::derive(|| None) against="the last 5 minutes" />
            <Kpi id="orders" label="Orders" value=Signal::derive(move || view_of().orders.current.to_string())
                change=Signal::derive(move || change_of(&view_of().orders)) against />
            <Kpi id="average-order-value" label="Average order value" value=Signal::derive(move || money(view_of().average_order_value.current))
                change=Signal::derive(move || change_of(&view_of().average_order_value)) against />
            <Kpi id="unique-visitors" label="Unique visitors" value=Signal::derive(move || view_of().visitors.current.to_string())
                change=Signal::derive(move || change_of(&view_of().visitors)) against />
            <Kpi id="active-customers" label="Active customers" value=Signal::derive(move || view_of().customers.current.to_string())
                change=Signal::derive(move || change_of(&view_of().customers)) against />
            <Kpi id="conversion-rate" label="Conversion rate" value=Signal::derive(move || rate_text(view_of().conversion_rate.current))
                change=Signal::derive(move || points_of(&view_of().conversion_rate)) against />
            <Kpi id="payment-success-rate" label="Payment success rate" value=Signal::derive(move || rate_text(view_of().payment_success_rate.current))
                change=Signal::derive(move || points_of(&view_of().payment_success_rate)) against />
        </div>
        <div class="mt-6 grid gap-4 lg:grid-cols-2">
            {CHARTS.into_iter().map(|(id, title)| view! {
                <Card>
                    <h2 class="mb-2 font-semibold">{title}</h2>
                    <div id=id class="chart h-64 w-full" role="img" aria-label=title></div>
                </Card>
            }).collect_view()}
        </div>
        <Charts data />
        <div class="mt-6 grid gap-4 lg:grid-cols-3">
            <Card>
                <h2 class="mb-3 font-semibold">"Funnel"</h2>
                <Funnel data />
            </Card>
            <Card>
                <h2 class="mb-3 font-semibold">"Customers"</h2>
                <dl class="grid grid-cols-2 gap-y-2 text-sm">
                    <dt class="text-stone-600">"New"</dt>
                    <dd class="text-right font-medium">{move || view_of().new_customers.current}</dd>
                    <dt class="text-stone-600">"Returning"</dt>
                    <dd class="text-right font-medium">{move || view_of().returning_customers.current}</dd>
                    <dt class="text-stone-600">"Returning customer rate"</dt>
                    <dd class="returning-rate text-right font-medium">{move || rate_text(view_of().returning_customer_rate.current)}</dd>
                    <dt class="text-stone-600">"Refunded"</dt>
                    <dd class="text-right font-medium">{move || money(view_of().refunded.current)}</dd>
                    <dt class="text-stone-600">"Units sold"</dt>
                    <dd class="text-right font-medium">{move || view_of().units.current}</dd>
                    <dt class="text-stone-600">"Page views"</dt>
                    <dd class="text-right font-medium">{move || view_of().page_views.current}</dd>
                </dl>
            </Card>
            <Card>
                <h2 class="mb-3 font-semibold">"Best sellers"</h2>
                {move || {
                    let top = view_of().top_by_units;
                    if top.is_empty() {
                        view! { <p class="text-sm text-stone-500">"No sales in this period yet."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="best-sellers space-y-1 text-sm">
                                {top.into_iter().map(|p| view! {
                                    <li class="flex justify-between gap-2">
                                        <span class="truncate">{p.name}</span>
                                        <span class="shrink-0 text-stone-600">{format!("{} {} · {}", p.units, if p.units == 1 { "unit" } else { "units" }, money(p.revenue))}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                }}
            </Card>
        </div>
        <div class="mt-6 grid gap-4 lg:grid-cols-2">
            <Card>
                <h2 class="mb-1 font-semibold">"Slow movers"</h2>
                <p class="mb-3 text-xs text-stone-500">{move || format!("In stock, no sale in {} days", data.with(|d| d.slow_mover_days))}</p>
                {move || {
                    let slow = data.with(|d| d.slow_movers.clone());
                    if slow.is_empty() {
                        view! { <p class="text-sm text-stone-500">"Everything in stock has sold recently."</p> }.into_any()
                    } else {
                        let rows = slow.into_iter().map(|s| StockRow {
                            name: format!("{} {}", s.product_name, s.variant_title),
                            sku: s.sku,
                            stock: s.available.to_string(),
                            class: "text-right",
                        }).collect();
                        view! { <SkuTable class="slow-movers" rows=rows/> }.into_any()
                    }
                }}
            </Card>
            <Card>
                <h2 class="mb-1 font-semibold">"Out of stock and low stock"</h2>
                <p class="mb-3 text-xs text-stone-500">"Below their alert level, lowest first"</p>
                {move || {
                    let low = data.with(|d| d.low_stock.clone());
                    if low.is_empty() {
                        view! { <p class="text-sm text-stone-500">"Nothing is running low."</p> }.into_any()
                    } else {
                        let rows = low.into_iter().map(|l| {
                            let out = l.available <= 0;
                            StockRow {
                                name: format!("{} {}", l.product_name, l.variant_title),
                                sku: l.sku,
                                stock: if out { "Out of stock".to_string() } else { format!("{} of {}", l.available, l.threshold) },
                                class: if out { "text-right font-semibold text-red-700" } else { "text-right text-amber-700" },
                            }
                        }).collect();
                        view! { <SkuTable class="low-stock" rows=rows/> }.into_any()
                    }
                }}
            </Card>
        </div>
    }
}

/// One line of a stock list: the SKU (linked to its inventory page), what it is, and its stock.
struct StockRow {
    sku: String,
    name: String,
    stock: String,
    class: &'static str,
}

#[component]
fn SkuTable(class: &'static str, rows: Vec<StockRow>) -> impl IntoView {
    view! {
        <table class=format!("{class} w-full text-sm")>
            <thead><tr class="text-left text-xs text-stone-500"><th class="py-1">"SKU"</th><th>"Product"</th><th class="text-right">"Available"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr class="border-t border-stone-100">
                        <td class="py-1"><A href=format!("/admin/inventory/{}", row.sku) attr:class="font-mono text-xs text-emerald-800 hover:underline">{row.sku.clone()}</A></td>
                        <td class="truncate">{row.name}</td>
                        <td class=row.class>{row.stock}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A KPI card: the figure, and how it moved against the period before.
#[component]
fn Kpi(
    id: &'static str,
    label: &'static str,
    value: Signal<String>,
    change: Signal<Option<(String, bool)>>,
    against: &'static str,
) -> impl IntoView {
    view! {
        <Card class="kpi">
            <p class="text-xs font-medium uppercase tracking-wide text-stone-500">{label}</p>
            <p id=format!("kpi-{id}") class="kpi-value mt-1 text-2xl font-bold tabular-nums text-stone-900">{move || value.get()}</p>
            <p class="mt-1 text-xs text-stone-500">
                {move || match change.get() {
                    Some((text, up)) => view! {
                        <span class=if up { "font-semibold text-emerald-700" } else { "font-semibold text-red-700" }>{text}</span>
                        {format!(" vs {against}")}
                    }.into_any(),
                    None => view! { <span>{format!("— vs {against}")}</span> }.into_any(),
                }}
            </p>
        </Card>
    }
}

/// `↑ 12.5%` / `↓ 3.0%`; none without a previous figure (no division by zero).
fn change_of(figure: &Figure) -> Option<(String, bool)> {
    let change = figure.change_percent?;
    let up = change >= 0.0;
    Some((
        format!("{} {:.1}%", if up { "↑" } else { "↓" }, change.abs()),
        up,
    ))
}

/// A rate's move in percentage points.
fn points_of(rate: &Rate) -> Option<(String, bool)> {
    let delta = rate.current? - rate.previous?;
    let up = delta >= 0.0;
    Some((
        format!("{} {:.1} pts", if up { "↑" } else { "↓" }, delta.abs()),
        up,
    ))
}

fn rate_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r:.1}%"))
}

/// Sessions down to orders placed, each step's share of the sessions as a bar.
#[component]
fn Funnel(data: RwSignal<Dashboard>) -> impl IntoView {
    let steps = move || {
        let f = data.with(|d| d.view.funnel.clone());
        [
            ("Sessions", f.sessions),
            ("Viewed a product", f.product_views),
            ("Added to cart", f.add_to_cart),
            ("Started checkout", f.checkouts_started),
            ("Placed an order", f.orders_placed),
        ]
        .map(|(label, n)| {
            let share = if f.sessions > 0 {
                (n * 100 / f.sessions).clamp(0, 100)
            } else {
                0
            };
            (label, n, share)
        })
    };
    view! {
        <ul class="funnel space-y-2 text-sm">
            {move || steps().into_iter().map(|(label, n, share)| view! {
                <li>
                    <div class="flex justify-between"><span class="text-stone-600">{label}</span><span class="font-medium tabular-nums">{n}</span></div>
                    <div class="mt-1 h-1.5 rounded bg-stone-100"><div class="h-1.5 rounded bg-emerald-600" style=format!("width: {share}%")></div></div>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// Asks for new figures every `every` seconds while the tab is visible (and at once when it
/// becomes visible again); a failed poll keeps the figures shown.
#[allow(unused_variables)]
fn poll(data: RwSignal<Dashboard>, range: AnalyticsRange, every: u32) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::task::spawn_local;
        let hidden = || {
            web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.hidden())
        };
        let fetch = move || {
            spawn_local(async move {
                if let Ok(fresh) = crate::api::admin_dashboard(range.as_str().to_string()).await {
                    if fresh.view.range == range {
                        data.set(fresh);
                    }
                }
            });
        };
        Effect::new(move |_| {
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    if !hidden() {
                        fetch();
                    }
                },
                std::time::Duration::from_secs(u64::from(every)),
            ) {
                on_cleanup(move || handle.clear());
            }
            let visible = window_event_listener_untyped("visibilitychange", move |_| {
                if !hidden() {
                    fetch();
                }
            });
            on_cleanup(move || visible.remove());
        });
    }
}

/// Draws the charts once ECharts has loaded, then updates them in place whenever the figures
/// change; disposes of them when the page goes.
#[component]
#[allow(unused_variables)]
fn Charts(data: RwSignal<Dashboard>) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    charts::draw(data);
}

#[cfg(feature = "hydrate")]
mod charts {
    use charming::{
        component::{Axis, Grid, Legend},
        element::{AxisType, Tooltip, Trigger},
        series::{Bar, Line, Pie},
        Chart, Echarts, WasmRenderer,
    };
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;

    use super::CHARTS;
    use crate::model::Dashboard;

    #[wasm_bindgen]
    extern "C" {
        /// `echarts.dispose(chart)`: frees the chart's canvas and listeners.
        #[wasm_bindgen(js_namespace = echarts, js_name = dispose)]
        fn dispose_chart(chart: &JsValue);
    }

    fn echarts_loaded() -> bool {
        web_sys::window().is_some_and(|w| {
            js_sys::Reflect::get(&w, &JsValue::from_str("echarts")).is_ok_and(|e| !e.is_undefined())
        })
    }

    /// A chart's plot area, holding its axis labels (`contain_label`): with fixed margins,
    /// revenue labels such as "12,000,000" were cut off on the left.
    fn grid(right: &str) -> Grid {
        Grid::new()
            .left("8")
            .right(right)
            .bottom("30")
            .contain_label(true)
    }

    fn build(d: &Dashboard) -> [Chart; 4] {
        let series = &d.view.series;
        let days: Vec<String> = series.iter().map(|s| s.day[5..].to_string()).collect();
        let revenue = Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .legend(Legend::new())
            .grid(grid("8"))
            .x_axis(Axis::new().type_(AxisType::Category).data(days.clone()))
            .y_axis(Axis::new().type_(AxisType::Value).name("Rp"))
            .y_axis(Axis::new().type_(AxisType::Value).name("Orders"))
            .series(
                Line::new()
                    .name("Revenue")
                    .data(series.iter().map(|s| s.revenue).collect()),
            )
            .series(
                Line::new()
                    .name("Orders")
                    .y_axis_index(1)
                    .data(series.iter().map(|s| s.orders).collect()),
            );
        let top = &d.view.top_by_revenue;
        let products = Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            // The value axis's last label is centred on the plot's right edge; half of
            // "300,000" overhangs it, which `contain_label` does not count.
            .grid(grid("40"))
            .x_axis(Axis::new().type_(AxisType::Value))
            .y_axis(
                Axis::new()
                    .type_(AxisType::Category)
                    .data(top.iter().rev().map(|p| short_label(&p.name)).collect()),
            )
            .series(
                Bar::new()
                    .name("Revenue")
                    .data(top.iter().rev().map(|p| p.revenue).collect()),
            );
        let methods = Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Item))
            .legend(Legend::new().bottom("0"))
            .series(
                Pie::new().name("Paid").radius(vec!["40%", "70%"]).data(
                    d.view
                        .payment_methods
                        .iter()
                        .map(|m| (m.succeeded, m.method.as_str()))
                        .collect(),
                ),
            );
        let customers = Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .legend(Legend::new())
            .grid(grid("20"))
            .x_axis(Axis::new().type_(AxisType::Category).data(days))
            .y_axis(Axis::new().type_(AxisType::Value))
            .series(
                Bar::new()
                    .name("New")
                    .stack("customers")
                    .data(series.iter().map(|s| s.new_customers).collect()),
            )
            .series(
                Bar::new()
                    .name("Returning")
                    .stack("customers")
                    .data(series.iter().map(|s| s.returning_customers).collect()),
            );
        [revenue, products, methods, customers]
    }

    /// A product name that fits the bar chart's label column (the full names are listed
    /// under "Best sellers").
    fn short_label(name: &str) -> String {
        const MAX: usize = 22;
        if name.chars().count() <= MAX {
            name.to_string()
        } else {
            let cut: String = name.chars().take(MAX - 1).collect();
            format!("{}…", cut.trim_end())
        }
    }

    pub fn draw(data: RwSignal<Dashboard>) {
        let drawn: StoredValue<Vec<Echarts>, LocalStorage> = StoredValue::new_local(Vec::new());
        // Bumped while the ECharts script is still loading.
        let waiting = RwSignal::new(0u32);
        Effect::new(move |_| {
            waiting.track();
            let charts = data.with(build);
            if drawn.with_value(|d| !d.is_empty()) {
                drawn.with_value(|d| {
                    for (echarts, chart) in d.iter().zip(charts.iter()) {
                        WasmRenderer::update(echarts, chart);
                    }
                });
                return;
            }
            if !echarts_loaded() {
                if waiting.get_untracked() < 200 {
                    set_timeout(
                        move || waiting.update(|w| *w += 1),
                        std::time::Duration::from_millis(50),
                    );
                }
                return;
            }
            let made: Vec<Echarts> = CHARTS
                .iter()
                .zip(charts.iter())
                .filter_map(|((id, _), chart)| {
                    WasmRenderer::new_opt(None, None).render(id, chart).ok()
                })
                .collect();
            drawn.set_value(made);
        });
        let resize = window_event_listener_untyped("resize", move |_| {
            drawn.try_with_value(|d| d.iter().for_each(|e| e.resize(JsValue::UNDEFINED)));
        });
        on_cleanup(move || {
            resize.remove();
            drawn.try_with_value(|d| d.iter().for_each(|e| dispose_chart(e)));
        });
    }
}
