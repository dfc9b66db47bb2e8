//! `/admin/users`: search, page through, change roles, deactivate and reactivate accounts.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::AdminUpdateUser,
    components::{
        toast::{use_toasts, ToastKind},
        ui::{form_error_signal, Alert, CardSkeleton, ErrorNotice, PageHeading},
    },
    model::{Role, User},
};

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let update = ServerAction::<AdminUpdateUser>::new();
    let toasts = use_toasts();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let users = Resource::new(
        move || (q(), page(), update.version().get()),
        |(q, page, _)| crate::api::admin_list_users(q, page),
    );
    let error = form_error_signal(update);
    Effect::new(move |_| match update.value().get() {
        Some(Ok(user)) => toasts.push(
            ToastKind::Success,
            format!(
                "{} is now {}{}.",
                user.email,
                user.role,
                if user.active { "" } else { " (deactivated)" }
            ),
        ),
        Some(Err(e)) => toasts.push(ToastKind::Error, e.to_string()),
        None => {}
    });

    view! {
        <Title text="Users · Admin" />
        <PageHeading title="Users" subtitle="Search accounts, change roles, deactivate access." />
        <form method="get" action="/admin/users" class="mb-4 flex gap-2" role="search">
            <label for="user-search" class="sr-only">"Search users"</label>
            <input id="user-search" type="search" name="q" value=q placeholder="Email or name"
                class="w-full max-w-sm rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600" />
            <button type="submit" class="rounded-lg bg-stone-800 px-4 py-2 text-sm font-semibold text-white hover:bg-stone-900">"Search"</button>
        </form>
        <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match users.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(result) => {
                        let pages = result.page_count();
                        let current = result.page;
                        let total = result.total;
                        let q = q();
                        view! {
                            <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-stone-200 text-sm" id="users-table">
                                    <thead class="bg-stone-50 text-left text-xs font-semibold uppercase tracking-wider text-stone-600">
                                        <tr>
                                            <th scope="col" class="px-4 py-3">"User"</th>
                                            <th scope="col" class="px-4 py-3">"Role"</th>
                                            <th scope="col" class="px-4 py-3">"Status"</th>
                                            <th scope="col" class="px-4 py-3">"Last login"</th>
                                            <th scope="col" class="px-4 py-3"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-stone-100">
                                        {if result.items.is_empty() {
                                            view! { <tr><td colspan="5" class="px-4 py-8 text-center text-stone-500">"No users match."</td></tr> }.into_any()
                                        } else {
                                            result.items.into_iter().map(|u| view! { <UserRow user=u update /> }).collect_view().into_any()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="mt-4 flex items-center justify-between text-sm text-stone-600" aria-label="Pagination">
                                <span>{format!("{total} {} · page {current} of {pages}", if total == 1 { "user" } else { "users" })}</span>
                                <span class="flex gap-2">
                                    {(current > 1).then(|| view! { <A href=page_href(&q, current - 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"← Previous"</A> })}
                                    {(current < pages).then(|| view! { <A href=page_href(&q, current + 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"Next →"</A> })}
                                </span>
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn UserRow(user: User, update: ServerAction<AdminUpdateUser>) -> impl IntoView {
    let last_login = user
        .last_login_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into());
    view! {
        <tr class="user-row" data-email=user.email.clone()>
            <td class="px-4 py-3">
                <div class="font-medium text-stone-900">{user.name.clone()}</div>
                <div class="text-xs text-stone-500">{user.email.clone()}</div>
            </td>
            <td class="px-4 py-3">
                <ActionForm action=update attr:class="flex items-center gap-2">
                    <input type="hidden" name="id" value=user.id />
                    <label class="sr-only" for=format!("role-{}", user.id)>"Role"</label>
                    <select id=format!("role-{}", user.id) name="role" class="rounded-lg border border-stone-300 bg-white px-2 py-1 text-sm">
                        {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == user.role>{r.as_str()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="rounded-lg border border-stone-300 px-2 py-1 text-xs font-semibold hover:bg-stone-100">"Save"</button>
                </ActionForm>
            </td>
            <td class="px-4 py-3">
                {if user.active {
                    view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"active"</span> }.into_any()
                } else {
                    view! { <span class="rounded-full bg-stone-200 px-2 py-0.5 text-xs font-semibold text-stone-700">"deactivated"</span> }.into_any()
                }}
            </td>
            <td class="px-4 py-3 text-stone-600">{last_login}</td>
            <td class="px-4 py-3 text-right">
                <ActionForm action=update>
                    <input type="hidden" name="id" value=user.id />
                    <input type="hidden" name="active" value=(!user.active).to_string() />
                    <button type="submit" class=if user.active { "text-sm font-medium text-red-700 hover:underline" } else { "text-sm font-medium text-emerald-800 hover:underline" }>
                        {if user.active { "Deactivate" } else { "Reactivate" }}
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// `/admin/users?q=…&page=…`, encoded the same way as the storefront's listing links.
fn page_href(q: &str, page: u64) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .append_pair("page", &page.to_string())
        .finish();
    format!("/admin/users?{query}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_links_encode_the_search() {
        assert_eq!(
            super::page_href("budi & sari", 2),
            "/admin/users?q=budi+%26+sari&page=2"
        );
    }
}
