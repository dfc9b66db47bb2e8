//! `/admin/settings`: staff API tokens. An admin names a token (what will use it) and gets it
//! once; scripts send it as `Authorization: Bearer …` to the staff API. Revoking ends it at once.
use leptos::prelude::*;
use leptos_meta::Title;

use super::products::INPUT;
use crate::{
    api::{CreateApiToken, RevokeApiToken},
    components::ui::{
        form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice, PageHeading,
        SubmitButton,
    },
    model::ApiTokenView,
};

#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| crate::api::admin_api_tokens(),
    );
    let create_error = form_error_signal(create);
    let revoke_error = form_error_signal(revoke);
    let made = move || create.value().get().and_then(Result::ok);
    view! {
        <Title text="Settings · Admin" />
        <PageHeading title="Settings" subtitle="API tokens let scripts and other systems use the staff API (orders, refunds, returns) as you." />
        <Card class="mb-6">
            <h2 class="mb-2 font-semibold">"New API token"</h2>
            <Alert message=Signal::derive(move || create_error.get().map(|e| e.to_string())) />
            <ActionForm action=create attr:class="api-token-form flex flex-wrap items-end gap-2">
                <label class="flex-1 text-sm">
                    <span class="text-stone-700">"What will use it"</span>
                    <input name="name" required maxlength="100" placeholder="Warehouse sync" class=format!("api-token-name mt-1 w-full {INPUT}") />
                </label>
                <SubmitButton label="Create token" pending_label="Creating…" pending=create.pending() style=ButtonStyle::Primary class="api-token-create" />
            </ActionForm>
            {move || made().map(|m| view! {
                <div class="api-token-made mt-4 rounded-lg border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900">
                    <p class="font-semibold">{format!("Token \u{201c}{}\u{201d} made. Copy it now: it is not shown again.", m.view.name)}</p>
                    <code class="api-token-value mt-2 block break-all rounded bg-white px-3 py-2 font-mono text-xs text-stone-900">{m.token.clone()}</code>
                    <p class="mt-2 text-xs">"Use it as "<code>"Authorization: Bearer <token>"</code>" on /api/v1/admin/…"</p>
                </div>
            })}
        </Card>
        <Alert message=Signal::derive(move || revoke_error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="text-sm text-stone-600">"No API tokens yet."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white">
                            <table class="api-tokens w-full text-left text-sm">
                                <thead class="border-b border-stone-200 bg-stone-50 text-xs uppercase text-stone-500">
                                    <tr><th class="px-4 py-2">"Name"</th><th class="px-4 py-2">"Token"</th><th class="px-4 py-2">"Acts as"</th><th class="px-4 py-2">"Last used"</th><th class="px-4 py-2"></th></tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! { <TokenRow token=t revoke /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn minute(at: &str) -> String {
    at.get(..16).unwrap_or_default().replace('T', " ")
}

#[component]
fn TokenRow(token: ApiTokenView, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    view! {
        <tr class="api-token-row border-b border-stone-100" data-revoked=token.revoked.to_string()>
            <td class="px-4 py-3"><p class="font-medium">{token.name.clone()}</p><p class="text-xs text-stone-500">{format!("made {} UTC", minute(&token.created_at))}</p></td>
            <td class="px-4 py-3 font-mono text-xs">{format!("{}…", token.prefix)}</td>
            <td class="px-4 py-3 text-xs">{token.owner_email.clone()}</td>
            <td class="px-4 py-3 text-xs">{token.last_used_at.as_deref().map(|t| format!("{} UTC", minute(t))).unwrap_or_else(|| "never".into())}</td>
            <td class="px-4 py-3">
                {if token.revoked {
                    view! { <span class="text-xs font-medium text-stone-500">"Revoked"</span> }.into_any()
                } else {
                    view! {
                        <ActionForm action=revoke>
                            <input type="hidden" name="id" value=token.id.to_string() />
                            <button type="submit" class=format!("api-token-revoke {}", ButtonStyle::Secondary.class())>"Revoke"</button>
                        </ActionForm>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}
