//! `/register`: open a customer account.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{
    auth::use_auth,
    ui::{field_errors, form_error_signal, Alert, Card, PageHeading, SubmitButton, TextField},
};

#[component]
pub fn RegisterPage() -> impl IntoView {
    let register = use_auth().register;
    let error = form_error_signal(register);
    let message = Signal::derive(move || error.get().map(|e| e.to_string()));
    view! {
        <Title text="Create an account" />
        <div class="mx-auto max-w-md">
            <PageHeading title="Create an account" subtitle="Daftar untuk checkout lebih cepat dan simpan alamatmu." />
            <Card>
                <ActionForm action=register attr:class="flex flex-col gap-4" attr:id="register-form">
                    <Alert message />
                    <TextField label="Full name" name="name" autocomplete="name" required=true maxlength=120 errors=field_errors(error, "name") />
                    <TextField label="Email" name="email" input_type="email" autocomplete="email" required=true errors=field_errors(error, "email") />
                    <TextField label="Password" name="password" input_type="password" autocomplete="new-password" required=true hint="At least 8 characters." errors=field_errors(error, "password") />
                    <SubmitButton label="Create account" pending_label="Creating…" pending=register.pending() class="w-full" />
                </ActionForm>
            </Card>
            <p class="mt-4 text-center text-sm text-stone-600">
                "Already have an account? " <A href="/login" attr:class="font-medium text-emerald-800 hover:underline">"Log in"</A>
            </p>
        </div>
    }
}
