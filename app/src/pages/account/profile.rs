//! `/account`: the user's name and phone, and a password change.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{
    auth::use_auth,
    toast::{use_toasts, ToastKind},
    ui::{
        field_errors, form_error_signal, Alert, Card, CardSkeleton, ErrorNotice, PageHeading,
        SubmitButton, TextField,
    },
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let auth = use_auth();
    let toasts = use_toasts();
    let update = auth.update_profile;
    let change = auth.change_password;
    let query = use_query_map();
    let profile = Resource::new(
        move || update.version().get(),
        |_| crate::api::get_profile(),
    );

    let profile_error = form_error_signal(update);
    let password_error = form_error_signal(change);
    let saved = Signal::derive(move || match query.read().get("saved").as_deref() {
        Some("profile") => Some("Profile saved.".to_string()),
        Some("password") => Some("Password changed.".to_string()),
        _ => query
            .read()
            .get("welcome")
            .map(|_| "Welcome to Pasar! Your account is ready.".to_string()),
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            toasts.push(ToastKind::Success, "Profile saved.");
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            toasts.push(ToastKind::Success, "Password changed.");
        }
    });

    view! {
        <Title text="Your profile" />
        <PageHeading title="Your profile" />
        <div class="flex flex-col gap-6">
            <Alert message=saved error=false />
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match profile.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(user) => view! {
                        <Card>
                            <h2 class="mb-4 text-lg font-semibold">"Details"</h2>
                            <ActionForm action=update attr:class="flex flex-col gap-4" attr:id="profile-form">
                                <Alert message=Signal::derive(move || profile_error.get().map(|e| e.to_string())) />
                                <p class="text-sm text-stone-600">"Email: " <span class="font-medium text-stone-900">{user.email.clone()}</span>
                                    " · Role: " <span class="font-medium text-stone-900">{user.role.to_string()}</span></p>
                                <TextField label="Full name" name="name" value=user.name.clone() autocomplete="name" required=true errors=field_errors(profile_error, "name") />
                                <TextField label="Phone" name="phone" input_type="tel" value=user.phone.clone().unwrap_or_default() autocomplete="tel" placeholder="0812-3456-7890" errors=field_errors(profile_error, "phone") />
                                <div><SubmitButton label="Save profile" pending_label="Saving…" pending=update.pending() /></div>
                            </ActionForm>
                        </Card>
                    }.into_any(),
                    }
                })}
            </Transition>
            <Card>
                <h2 class="mb-4 text-lg font-semibold">"Change password"</h2>
                <ActionForm action=change attr:class="flex flex-col gap-4" attr:id="password-form">
                    <Alert message=Signal::derive(move || password_error.get().map(|e| e.to_string())) />
                    <TextField label="Current password" name="current_password" input_type="password" autocomplete="current-password" required=true errors=field_errors(password_error, "current_password") />
                    <TextField label="New password" name="new_password" input_type="password" autocomplete="new-password" required=true hint="At least 8 characters." errors=field_errors(password_error, "new_password") />
                    <div><SubmitButton label="Change password" pending_label="Changing…" pending=change.pending() style=crate::components::ui::ButtonStyle::Secondary /></div>
                </ActionForm>
            </Card>
        </div>
    }
}
