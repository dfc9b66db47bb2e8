//! The shopper's own pages: log in, register, profile and address book.
mod addresses;
mod login;
mod profile;
mod register;

pub use addresses::AddressesPage;
pub use login::LoginPage;
pub use profile::ProfilePage;
pub use register::RegisterPage;

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_location,
};

use crate::components::{auth::use_auth, ui::CardSkeleton};

/// Frame for `/account/*`: sends visitors who are not logged in to the login page.
#[component]
pub fn AccountLayout() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                let info = auth.info.await;
                match info.ok().and_then(|i| i.user) {
                    Some(_) => view! {
                        <div class="grid gap-8 md:grid-cols-[12rem_1fr]">
                            <nav class="flex gap-2 md:flex-col" aria-label="Account sections">
                                <A href="/account" exact=true attr:class="rounded-lg px-3 py-2 text-sm font-medium hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800">"Profile"</A>
                                <A href="/account/addresses" attr:class="rounded-lg px-3 py-2 text-sm font-medium hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800">"Addresses"</A>
                                <A href="/account/orders" attr:class="rounded-lg px-3 py-2 text-sm font-medium hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800">"Orders"</A>
                            </nav>
                            <div><Outlet /></div>
                        </div>
                    }.into_any(),
                    None => {
                        let next: String = form_urlencoded::byte_serialize(location.pathname.get_untracked().as_bytes()).collect();
                        view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
