//! `/account/addresses`: the address book (Indonesian fields), add, edit, delete, default.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    api::{DeleteAddress, SaveAddress},
    components::{
        toast::{use_toasts, ToastKind},
        ui::{
            field_errors, form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice,
            FieldErrors, PageHeading, SubmitButton, TextField,
        },
    },
    model::{Address, AddressInput, PROVINCES},
};

#[component]
pub fn AddressesPage() -> impl IntoView {
    let save = ServerAction::<SaveAddress>::new();
    let delete = ServerAction::<DeleteAddress>::new();
    let toasts = use_toasts();
    let query = use_query_map();
    // Refetch (and so re-render the form empty) only after a successful save: a refused save
    // must keep what the shopper typed.
    let saved_count = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            saved_count.update(|n| *n += 1);
        }
    });
    let addresses = Resource::new(
        move || (saved_count.get(), delete.version().get()),
        |_| crate::api::list_addresses(),
    );
    let editing = move || {
        query
            .read()
            .get("edit")
            .and_then(|id| id.parse::<i32>().ok())
    };
    let saved = Signal::derive(move || match query.read().get("saved").as_deref() {
        Some("address") => Some("Address saved.".to_string()),
        Some("deleted") => Some("Address deleted.".to_string()),
        _ => None,
    });
    let delete_error = form_error_signal(delete);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            toasts.push(ToastKind::Success, "Address saved.");
        }
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => toasts.push(ToastKind::Success, "Address deleted."),
        Some(Err(e)) => toasts.push(ToastKind::Error, e.to_string()),
        None => {}
    });

    view! {
        <Title text="Addresses" />
        <PageHeading title="Address book" subtitle="Alamat pengiriman untuk checkout." />
        <div class="flex flex-col gap-6">
            <Alert message=saved error=false />
            <Alert message=Signal::derive(move || delete_error.get().map(|e| e.to_string())) />
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match addresses.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(list) => {
                            let edit_target = editing().and_then(|id| list.iter().find(|a| a.id == id).cloned());
                            view! {
                                <div class="grid gap-4 sm:grid-cols-2" id="address-list">
                                    {if list.is_empty() {
                                        view! { <p class="text-sm text-stone-600">"No saved addresses yet. Add one below."</p> }.into_any()
                                    } else {
                                        list.into_iter().map(|a| view! { <AddressCard address=a delete /> }).collect_view().into_any()
                                    }}
                                </div>
                                <AddressForm save editing=edit_target />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn AddressCard(address: Address, delete: ServerAction<DeleteAddress>) -> impl IntoView {
    let f = address.fields.clone();
    view! {
        <Card class="address-card">
            <div class="flex items-start justify-between gap-2">
                <h2 class="font-semibold">{f.label.clone()}</h2>
                {address.is_default.then(|| view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">"Default"</span> })}
            </div>
            <address class="mt-2 text-sm not-italic leading-relaxed text-stone-700">
                <span class="font-medium text-stone-900">{f.recipient.clone()}</span> " · " {f.phone.clone()}<br />
                {f.street.clone()}<br />
                {format!("Kec. {}, {}", f.district, f.city)}<br />
                {format!("{} {}", f.province, f.postal_code)}
            </address>
            <div class="mt-4 flex items-center gap-3">
                <A href=format!("/account/addresses?edit={}", address.id) attr:class=ButtonStyle::Link.class()>"Edit"</A>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=address.id />
                    <button type="submit" class="text-sm font-medium text-red-700 hover:underline">"Delete"</button>
                </ActionForm>
            </div>
        </Card>
    }
}

#[component]
fn AddressForm(save: ServerAction<SaveAddress>, editing: Option<Address>) -> impl IntoView {
    let error = form_error_signal(save);
    let title = if editing.is_some() {
        "Edit address"
    } else {
        "Add an address"
    };
    let id = editing.as_ref().map(|a| a.id);
    let is_default = editing.as_ref().is_some_and(|a| a.is_default);
    let f: AddressInput = editing.map(|a| a.fields).unwrap_or_default();
    let province = f.province.clone();
    view! {
        <Card>
            <h2 class="mb-4 text-lg font-semibold">{title}</h2>
            <ActionForm action=save attr:class="grid gap-4 sm:grid-cols-2" attr:id="address-form">
                <div class="sm:col-span-2"><Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) /></div>
                {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
                <TextField label="Label" name="label" value=f.label.clone() placeholder="Rumah, Kantor…" maxlength=40 errors=field_errors(error, "label") />
                <TextField label="Recipient" name="recipient" value=f.recipient.clone() autocomplete="name" required=true errors=field_errors(error, "recipient") />
                <TextField label="Phone" name="phone" input_type="tel" value=f.phone.clone() autocomplete="tel" placeholder="0812-3456-7890" required=true errors=field_errors(error, "phone") />
                <div class="sm:col-span-2">
                    <TextField label="Street, number, RT/RW" name="street" value=f.street.clone() autocomplete="street-address" required=true errors=field_errors(error, "street") />
                </div>
                <TextField label="District (kecamatan)" name="district" value=f.district.clone() required=true errors=field_errors(error, "district") />
                <TextField label="City / regency (kota/kabupaten)" name="city" value=f.city.clone() autocomplete="address-level2" required=true errors=field_errors(error, "city") />
                <div class="flex flex-col gap-1">
                    <label for="field-province" class="text-sm font-medium text-stone-700">"Province" <span class="text-red-700" aria-hidden="true">" *"</span></label>
                    <select id="field-province" name="province" required class="w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-emerald-600">
                        <option value="" selected=province.is_empty()>"Choose a province"</option>
                        {PROVINCES.iter().map(|p| view! { <option value=*p selected=*p == province>{*p}</option> }).collect_view()}
                    </select>
                    <FieldErrors id="field-province-error" errors=field_errors(error, "province") />
                </div>
                <TextField label="Postal code (kode pos)" name="postal_code" value=f.postal_code.clone() inputmode="numeric" maxlength=5 autocomplete="postal-code" required=true errors=field_errors(error, "postal_code") />
                <label class="flex items-center gap-2 text-sm sm:col-span-2">
                    <input type="checkbox" name="make_default" value="on" checked=is_default class="h-4 w-4 rounded border-stone-300 text-emerald-700" />
                    "Use as my default address"
                </label>
                <div class="flex gap-3 sm:col-span-2">
                    <SubmitButton label="Save address" pending_label="Saving…" pending=save.pending() />
                    {id.map(|_| view! { <A href="/account/addresses" attr:class=ButtonStyle::Secondary.class()>"Cancel"</A> })}
                </div>
            </ActionForm>
        </Card>
    }
}
