//! The header search box. Without JavaScript it is a plain GET form to `/search`; after
//! hydration it suggests products (thumbnail, price) and categories as the shopper types
//! (debounced), navigable with ↑/↓, Enter and Escape.
use std::time::Duration;

use leptos::{ev, prelude::*, task::spawn_local};
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::model::Suggestions;

/// One row of the suggestion list.
#[derive(Clone, PartialEq)]
struct Item {
    href: String,
    label: String,
    detail: String,
    kind: &'static str,
}

fn items(s: &Suggestions) -> Vec<Item> {
    s.categories
        .iter()
        .map(|c| Item {
            href: format!("/c/{}", c.slug),
            label: c.name.clone(),
            detail: "Kategori".into(),
            kind: "category",
        })
        .chain(s.products.iter().map(|p| Item {
            href: format!("/p/{}", p.slug),
            label: p.name.clone(),
            detail: p.price.clone(),
            kind: "product",
        }))
        .collect()
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let url_query = use_query_map();
    let location = use_location();
    // The shop's search: the admin's own search boxes (orders, products) also use `q`, and the
    // header should not echo an email typed into the orders table.
    let shop_query = move || {
        if location.pathname.read().starts_with("/admin") {
            String::new()
        } else {
            url_query.read().get("q").unwrap_or_default()
        }
    };
    let text = RwSignal::new(untrack(shop_query));
    let suggestions = RwSignal::new(Vec::<Item>::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let navigate = use_navigate();
    // Keep the box in step with the page's query after client-side navigation.
    Effect::new(move |_| {
        text.set(shop_query());
    });

    let fetch = move |q: String| {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        if q.trim().chars().count() < 2 {
            open.set(false);
            suggestions.set(Vec::new());
            return;
        }
        let handle = set_timeout_with_handle(
            move || {
                spawn_local(async move {
                    if let Ok(found) = crate::api::suggest_products(q.clone()).await {
                        // A slower, older answer must not replace a newer one.
                        if text.get_untracked() == q {
                            let list = items(&found);
                            open.set(!list.is_empty());
                            suggestions.set(list);
                            active.set(None);
                        }
                    }
                });
            },
            Duration::from_millis(200),
        );
        pending.set_value(handle.ok());
    };

    let on_keydown = move |e: ev::KeyboardEvent| {
        let count = suggestions.with_untracked(Vec::len);
        match e.key().as_str() {
            "ArrowDown" if count > 0 => {
                e.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
            }
            "ArrowUp" if count > 0 => {
                e.prevent_default();
                active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
            }
            "Escape" => {
                if open.get_untracked() {
                    // Close the list but keep the text (a search input would clear itself).
                    e.prevent_default();
                }
                open.set(false);
                active.set(None);
            }
            "Enter" => {
                if let (true, Some(i)) = (open.get_untracked(), active.get_untracked()) {
                    if let Some(item) = suggestions.with_untracked(|s| s.get(i).cloned()) {
                        e.prevent_default();
                        open.set(false);
                        navigate(&item.href, Default::default());
                    }
                } else {
                    open.set(false);
                }
            }
            _ => {}
        }
    };

    view! {
        <form action="/search" method="get" role="search" class="relative order-last w-full sm:order-none sm:flex-1" id="search-form">
            <label for="site-search" class="sr-only">"Cari produk"</label>
            <input
                id="site-search"
                type="search"
                name="q"
                autocomplete="off"
                role="combobox"
                aria-autocomplete="list"
                aria-controls="search-suggestions"
                aria-expanded=move || open.get().to_string()
                aria-activedescendant=move || active.get().map(|i| format!("suggestion-{i}"))
                placeholder="Cari produk, merek, kategori…"
                prop:value=move || text.get()
                on:input=move |e| {
                    let value = event_target_value(&e);
                    text.set(value.clone());
                    fetch(value);
                }
                on:keydown=on_keydown
                on:blur=move |_| {
                    // Let a click on a suggestion land before the list closes.
                    set_timeout(move || open.set(false), Duration::from_millis(150));
                }
                class="w-full rounded-full border border-stone-300 bg-stone-50 px-4 py-2 text-sm focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600"
            />
            <Show when=move || open.get()>
                <ul id="search-suggestions" role="listbox" class="absolute left-0 right-0 top-full z-50 mt-1 max-h-96 overflow-y-auto rounded-xl border border-stone-200 bg-white py-1 text-sm shadow-lg">
                    {move || suggestions.get().into_iter().enumerate().map(|(i, item)| {
                        let selected = move || active.get() == Some(i);
                        view! {
                            <li id=format!("suggestion-{i}") role="option" aria-selected=move || selected().to_string() data-kind=item.kind>
                                <a href=item.href.clone()
                                    class=move || if selected() { "flex items-center justify-between gap-3 bg-emerald-50 px-4 py-2" } else { "flex items-center justify-between gap-3 px-4 py-2 hover:bg-stone-50" }
                                    on:mousedown=move |e| e.prevent_default()
                                    on:click=move |_| open.set(false)>
                                    <span class="truncate">{item.label.clone()}</span>
                                    <span class="shrink-0 text-xs text-stone-500">{item.detail.clone()}</span>
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </form>
    }
}
