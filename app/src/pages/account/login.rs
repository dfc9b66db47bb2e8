//! `/login`: email and password, with a clear message on failure and on rate limiting.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::{
    auth::use_auth,
    ui::{field_errors, form_error_signal, Alert, Card, PageHeading, SubmitButton, TextField},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let login = auth.login;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = form_error_signal(login);
    let message = Signal::derive(move || error.get().map(|e| e.to_string()));
    let show_password = RwSignal::new(false);
    view! {
        <Title text="Log in" />
        <div class="mx-auto max-w-md">
            <PageHeading title="Log in" subtitle="Masuk untuk melihat pesanan dan alamatmu." />
            <Card>
                <ActionForm action=login attr:class="flex flex-col gap-4" attr:id="login-form">
                    <Alert message />
                    <input type="hidden" name="next" value=next />
                    <TextField label="Email" name="email" input_type="email" autocomplete="email" required=true errors=field_errors(error, "email") />
                    <div class="flex flex-col gap-1">
                        <div class="flex items-center justify-between">
                            <label for="field-password" class="text-sm font-medium text-stone-700">"Password"</label>
                            <button
                                type="button"
                                id="toggle-password"
                                class="text-xs font-medium text-emerald-800 hover:underline"
                                aria-controls="field-password"
                                aria-pressed=move || show_password.get().to_string()
                                on:click=move |_| show_password.update(|s| *s = !*s)
                            >
                                {move || if show_password.get() { "Hide" } else { "Show" }}
                            </button>
                        </div>
                        <input
                            id="field-password"
                            name="password"
                            type=move || if show_password.get() { "text" } else { "password" }
                            autocomplete="current-password"
                            required
                            class="w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-emerald-600"
                        />
                    </div>
                    <SubmitButton label="Log in" pending_label="Logging in…" pending=login.pending() class="w-full" />
                </ActionForm>
            </Card>
            <p class="mt-4 text-center text-sm text-stone-600">
                "New here? " <A href="/register" attr:class="font-medium text-emerald-800 hover:underline">"Create an account"</A>
            </p>
        </div>
    }
}
