//! The small design system: buttons, fields, alerts, skeletons and page headings, styled with
//! Tailwind. Every form control works before hydration (plain HTML) and better after.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;

/// Button styles.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum ButtonStyle {
    #[default]
    Primary,
    Secondary,
    Danger,
    Link,
}

impl ButtonStyle {
    pub fn class(self) -> &'static str {
        match self {
            ButtonStyle::Primary => "inline-flex items-center justify-center gap-2 rounded-lg bg-emerald-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-emerald-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-600 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-60",
            ButtonStyle::Secondary => "inline-flex items-center justify-center gap-2 rounded-lg border border-stone-300 bg-white px-4 py-2 text-sm font-semibold text-stone-800 shadow-sm hover:bg-stone-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-emerald-600 disabled:opacity-60",
            ButtonStyle::Danger => "inline-flex items-center justify-center gap-2 rounded-lg bg-red-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-600 disabled:opacity-60",
            ButtonStyle::Link => "text-sm font-medium text-emerald-800 underline-offset-2 hover:underline",
        }
    }
}

/// A submit button that shows `pending_label` while its action runs.
#[component]
pub fn SubmitButton(
    /// The label when idle.
    label: &'static str,
    /// The label while the request is in flight.
    #[prop(optional)]
    pending_label: Option<&'static str>,
    /// True while the action is pending.
    #[prop(optional, into)]
    pending: Signal<bool>,
    #[prop(optional)] style: ButtonStyle,
    /// Extra classes (width, margins).
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=format!("{} {class}", style.class())
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
        >
            {move || if pending.get() { pending_label.unwrap_or(label) } else { label }}
        </button>
    }
}

/// A labelled input with its validation messages.
#[component]
pub fn TextField(
    label: &'static str,
    /// The form field name (and the key of its validation messages).
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    /// Initial value.
    #[prop(optional, into)]
    value: MaybeProp<String>,
    /// Messages to show under the field.
    #[prop(optional, into)]
    errors: Signal<Vec<String>>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let has_errors = move || !errors.get().is_empty();
    view! {
        <div class="flex flex-col gap-1">
            <label for=id.clone() class="text-sm font-medium text-stone-700">
                {label}
                {required.then(|| view! { <span class="text-red-700" aria-hidden="true">" *"</span> })}
            </label>
            <input
                id=id
                name=name
                type=input_type
                value=move || value.get().unwrap_or_default()
                autocomplete=autocomplete
                required=required
                placeholder=placeholder
                inputmode=inputmode
                maxlength=maxlength
                aria-invalid=move || has_errors().to_string()
                aria-describedby=error_id.clone()
                class=move || {
                    format!(
                        "w-full rounded-lg border bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 {}",
                        if has_errors() {
                            "border-red-500 focus:ring-red-500"
                        } else {
                            "border-stone-300 focus:ring-emerald-600"
                        },
                    )
                }
            />
            {hint.map(|h| view! { <p class="text-xs text-stone-500">{h}</p> })}
            <FieldErrors id=error_id errors=errors />
        </div>
    }
}

/// Validation messages for one field.
#[component]
pub fn FieldErrors(
    #[prop(into)] id: String,
    #[prop(into)] errors: Signal<Vec<String>>,
) -> impl IntoView {
    view! {
        <ul id=id class="field-error text-xs text-red-700">
            {move || errors.get().into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
        </ul>
    }
}

/// A banner for a form-level error or confirmation.
#[component]
pub fn Alert(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(default = true)] error: bool,
) -> impl IntoView {
    let class = if error {
        "form-error rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
    } else {
        "form-success rounded-lg border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900"
    };
    view! {
        <Show when=move || message.get().is_some()>
            <div class=class role=if error { "alert" } else { "status" }>
                {move || message.get().unwrap_or_default()}
            </div>
        </Show>
    }
}

/// The error to show for a form: the action's latest error (with JavaScript) or the `?error=`
/// the server put in the URL (without).
pub fn form_error_signal<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    Signal::derive(move || match action.value().get() {
        Some(Err(err)) => Some(err),
        Some(Ok(_)) => None,
        None => query
            .read()
            .get("error")
            .filter(|e| !e.is_empty())
            .map(AppError::BadRequest),
    })
}

/// Only the action's own latest error (not the URL's `?error=`): for pages with several forms,
/// which show the URL's message once, at the top.
pub fn action_error_signal<I, O>(action: ServerAction<I>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// Messages for `field` from a form's error signal.
pub fn field_errors(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Vec<String>> {
    Signal::derive(move || {
        error
            .get()
            .map(|e| e.field_errors(field))
            .unwrap_or_default()
    })
}

/// A grey placeholder block while content loads.
#[component]
pub fn Skeleton(#[prop(default = "h-4 w-full")] class: &'static str) -> impl IntoView {
    view! { <div class=format!("skeleton animate-pulse rounded bg-stone-200 {class}") aria-hidden="true"></div> }
}

/// A few skeleton lines in a card, the usual `Transition` fallback.
#[component]
pub fn CardSkeleton() -> impl IntoView {
    view! {
        <div class="flex flex-col gap-3 rounded-xl border border-stone-200 bg-white p-6" aria-busy="true">
            <Skeleton class="h-5 w-1/3" />
            <Skeleton />
            <Skeleton class="h-4 w-2/3" />
        </div>
    }
}

/// A page heading with an optional subtitle.
#[component]
pub fn PageHeading(
    title: &'static str,
    #[prop(optional)] subtitle: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="mb-6">
            <h1 class="text-2xl font-bold tracking-tight text-stone-900">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-stone-600">{s}</p> })}
        </div>
    }
}

/// A white card.
#[component]
pub fn Card(children: Children, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! { <section class=format!("rounded-xl border border-stone-200 bg-white p-6 shadow-sm {class}")>{children()}</section> }
}

/// A failed load, shown in place of the content.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! {
        <div class="form-error rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" role="alert">
            {error.to_string()}
        </div>
    }
}
