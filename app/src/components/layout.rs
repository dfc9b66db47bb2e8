//! The frame around every page: header (shop name, search, cart badge, account menu) and footer.
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::{components::auth::use_auth, model::User};

/// The site header. Renders on the server; the account menu and search work without JS.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    // Each boundary awaits the session resource inside `Suspend` (never `.get()`): resources
    // read with `.get()` in several boundaries can leave a server render unfinished (leptos
    // issue 4578), which is how `/login` once hung for a minute in CI.
    view! {
        <header class="sticky top-0 z-40 border-b border-stone-200 bg-white/95 backdrop-blur">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-3 px-4 py-3 sm:flex-nowrap">
                <A href="/" attr:class="flex items-center gap-2 text-xl font-extrabold tracking-tight text-emerald-800">
                    <span class="inline-flex h-8 w-8 items-center justify-center rounded-lg bg-emerald-700 text-white">"P"</span>
                    <Transition fallback=|| view! { <span>"Pasar"</span> }>
                        {move || Suspend::new(async move {
                            let name = auth.info.await.map(|i| i.shop_name).unwrap_or_else(|_| "Pasar".to_string());
                            view! { <span class="shop-name">{name}</span> }
                        })}
                    </Transition>
                </A>
                <super::search_box::SearchBox />
                <nav class="ml-auto flex items-center gap-2" aria-label="Account">
                    <super::cart::CartBadge />
                    <Transition fallback=|| view! { <div class="h-9 w-24 animate-pulse rounded-lg bg-stone-200"></div> }>
                        {move || Suspend::new(async move {
                            match auth.info.await.ok().and_then(|i| i.user) {
                                Some(user) => view! { <AccountMenu user /> }.into_any(),
                                None => view! { <GuestLinks /> }.into_any(),
                            }
                        })}
                    </Transition>
                </nav>
            </div>
        </header>
    }
}

#[component]
fn GuestLinks() -> impl IntoView {
    let location = use_location();
    let login_href = move || {
        let path = location.pathname.get();
        if path == "/" || path == "/login" || path == "/register" {
            "/login".to_string()
        } else {
            format!("/login?next={path}")
        }
    };
    view! {
        <a href=login_href class="rounded-lg px-3 py-2 text-sm font-medium text-stone-700 hover:bg-stone-100">"Log in"</a>
        <A href="/register" attr:class="rounded-lg bg-emerald-700 px-3 py-2 text-sm font-semibold text-white hover:bg-emerald-800">"Register"</A>
    }
}

/// The logged-in menu: a `<details>` disclosure, so it opens without JavaScript too.
#[component]
fn AccountMenu(user: User) -> impl IntoView {
    let auth = use_auth();
    let logout = auth.logout;
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move || {
        if let Some(details) = menu.get() {
            details.set_open(false);
        }
    };
    let first_name = user
        .name
        .split_whitespace()
        .next()
        .unwrap_or("Account")
        .to_string();
    view! {
        <details node_ref=menu class="account-menu relative">
            <summary class="flex cursor-pointer list-none items-center gap-2 rounded-lg px-3 py-2 text-sm font-medium text-stone-700 hover:bg-stone-100">
                <span class="inline-flex h-7 w-7 items-center justify-center rounded-full bg-stone-200 text-xs font-bold uppercase">
                    {first_name.chars().next().unwrap_or('?').to_string()}
                </span>
                <span class="account-name hidden sm:inline">{first_name.clone()}</span>
                <span aria-hidden="true">"▾"</span>
            </summary>
            <div class="absolute right-0 mt-2 w-56 rounded-xl border border-stone-200 bg-white py-2 text-sm shadow-lg" on:click=move |_| close()>
                <p class="truncate px-4 pb-2 text-xs text-stone-500">{user.email.clone()}</p>
                <A href="/account" attr:class="block px-4 py-2 hover:bg-stone-100">"Profile"</A>
                <A href="/account/addresses" attr:class="block px-4 py-2 hover:bg-stone-100">"Addresses"</A>
                <A href="/account/orders" attr:class="block px-4 py-2 hover:bg-stone-100">"Orders"</A>
                // Each role's way in: staff run the shop from /admin, admins also manage users.
                {user.role.is_staff().then(|| view! {
                    <A href="/admin" attr:class="admin-link block border-t border-stone-100 px-4 py-2 font-medium text-emerald-800 hover:bg-stone-100">"Shop admin"</A>
                })}
                {(user.role == crate::model::Role::Admin).then(|| view! {
                    <A href="/admin/users" attr:class="block px-4 py-2 hover:bg-stone-100">"Admin · Users"</A>
                })}
                <ActionForm action=logout attr:class="border-t border-stone-100 pt-1">
                    <button type="submit" class="logout block w-full px-4 py-2 text-left text-red-700 hover:bg-red-50">"Log out"</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// The site footer.
#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="border-t border-stone-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-col gap-2 px-4 py-6 text-sm text-stone-600 sm:flex-row sm:justify-between">
                <p>"© 2026 Pasar · Harga sudah termasuk PPN"</p>
                <p class="flex gap-4">
                    <a href="/api/v1/openapi.json" class="hover:underline">"Store API"</a>
                    <a href="/account" class="hover:underline">"Akun saya"</a>
                </p>
            </div>
        </footer>
    }
}
