//! The admin area for shop staff. The server functions check the role; the layout only decides
//! what to render.
mod products;
mod refunds;
mod taxonomy;
mod users;

pub use products::{AdminProductEditPage, AdminProductsPage};
pub use refunds::AdminRefundsPage;
pub use taxonomy::{AdminBrandsPage, AdminCatalogPage, AdminCategoriesPage};
pub use users::AdminUsersPage;

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_location,
};

use crate::{
    components::{auth::use_auth, ui::CardSkeleton},
    model::Role,
};

const NAV: &str = "rounded-lg px-3 py-1 text-sm font-medium hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800";

/// Frame for `/admin/*`: staff and admins (others get a 403 page, visitors the login page).
#[component]
pub fn AdminLayout() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match auth.info.await.ok().and_then(|i| i.user) {
                    Some(user) if user.role.is_staff() => view! {
                        <div class="flex flex-col gap-6">
                            <nav class="flex flex-wrap gap-2 border-b border-stone-200 pb-3" aria-label="Admin sections">
                                <span class="rounded bg-stone-900 px-2 py-1 text-xs font-bold uppercase tracking-wider text-white">"Admin"</span>
                                <A href="/admin/products" attr:class=NAV>"Products"</A>
                                <A href="/admin/categories" attr:class=NAV>"Categories"</A>
                                <A href="/admin/brands" attr:class=NAV>"Brands"</A>
                                <A href="/admin/catalog" attr:class=NAV>"Import & export"</A>
                                <A href="/admin/refunds" attr:class=NAV>"Refunds"</A>
                                {(user.role == Role::Admin).then(|| view! { <A href="/admin/users" attr:class=NAV>"Users"</A> })}
                            </nav>
                            <Outlet />
                        </div>
                    }.into_any(),
                    Some(_) => view! { <Forbidden /> }.into_any(),
                    None => {
                        let next = location.pathname.get_untracked();
                        view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Shown to logged-in users without the admin role, with status 403.
#[component]
fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(403);
    view! {
        <div class="mx-auto max-w-md py-16 text-center">
            <p class="text-6xl font-black text-red-700">"403"</p>
            <h1 class="mt-4 text-2xl font-bold">"Admins only"</h1>
            <p class="mt-2 text-stone-600">"Your account does not have access to this page."</p>
            <A href="/" attr:class="mt-6 inline-block text-sm font-medium text-emerald-800 hover:underline">"Back to the shop"</A>
        </div>
    }
}
