//! `/admin/warehouses`: where stock is kept. Staff add warehouses and edit them (name, code,
//! address, priority, active); a new one gets an empty level for every variant. Priority decides
//! which ships first.
use leptos::prelude::*;
use leptos_meta::Title;

use super::products::{error_notice, saved_notice};
use crate::{
    api::AdminSaveWarehouse,
    components::ui::{action_error_signal, Alert, Card, CardSkeleton, ErrorNotice, PageHeading},
    model::WarehouseView,
};

const FIELD: &str = "w-full rounded-md border border-stone-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600";

#[component]
pub fn AdminWarehousesPage() -> impl IntoView {
    let save = ServerAction::<AdminSaveWarehouse>::new();
    let list = Resource::new(
        move || save.version().get(),
        |_| crate::api::admin_warehouses(),
    );
    let error = action_error_signal(save);
    view! {
        <Title text="Warehouses · Admin" />
        <PageHeading title="Warehouses" subtitle="Where stock is kept. An order line ships from the first warehouse by priority (0 first) that can fill it whole; otherwise it is split across them in that order. Stock in an inactive warehouse is not for sale." />
        <Alert message=saved_notice() error=false />
        <div class="mb-4"><Alert message=error_notice() /></div>
        <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match list.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) => view! {
                        <div class="warehouses flex flex-col gap-3">
                            {list.into_iter().map(|w| view! { <WarehouseForm warehouse=Some(w) save /> }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        <Card class="mt-6">
            <h2 class="mb-2 font-semibold">"Add a warehouse"</h2>
            <WarehouseForm warehouse=None save />
        </Card>
    }
}

#[component]
fn WarehouseForm(
    warehouse: Option<WarehouseView>,
    save: ServerAction<AdminSaveWarehouse>,
) -> impl IntoView {
    let w = warehouse.clone();
    let get = move |f: fn(&WarehouseView) -> String| w.as_ref().map(f).unwrap_or_default();
    let active = warehouse.as_ref().map(|w| w.active).unwrap_or(true);
    let (label, class) = match &warehouse {
        Some(_) => (
            "Save",
            "warehouse rounded-xl border border-stone-200 bg-white p-4 shadow-sm",
        ),
        None => ("Add warehouse", "warehouse-new"),
    };
    let key = warehouse
        .as_ref()
        .map(|w| w.code.clone())
        .unwrap_or_else(|| "new".into());
    let field = move |name: &str| format!("wh-{key}-{name}");
    view! {
        <ActionForm action=save attr:class=class>
            <input type="hidden" name="id" value=warehouse.as_ref().map(|w| w.id.to_string()).unwrap_or_default() />
            <div class="grid grid-cols-2 gap-2 md:grid-cols-[6rem_1fr_1fr_5rem]">
                <label class="text-xs text-stone-600" for=field("code")>"Code"
                    <input id=field("code") name="code" required maxlength="16" value=get(|w| w.code.clone()) placeholder="JKT" class=FIELD />
                </label>
                <label class="text-xs text-stone-600" for=field("name")>"Name"
                    <input id=field("name") name="name" required maxlength="100" value=get(|w| w.name.clone()) placeholder="Gudang Jakarta" class=FIELD />
                </label>
                <label class="text-xs text-stone-600" for=field("address")>"Street address"
                    <input id=field("address") name="address" maxlength="300" value=get(|w| w.address.clone()) class=FIELD />
                </label>
                <label class="text-xs text-stone-600" for=field("priority")>"Priority"
                    <input id=field("priority") name="priority" required inputmode="numeric" value=warehouse.as_ref().map(|w| w.priority.to_string()).unwrap_or_else(|| "10".into()) class=FIELD />
                </label>
                <label class="text-xs text-stone-600" for=field("city")>"City"
                    <input id=field("city") name="city" maxlength="100" value=get(|w| w.city.clone()) class=FIELD />
                </label>
                <label class="text-xs text-stone-600" for=field("province")>"Province"
                    <input id=field("province") name="province" maxlength="100" value=get(|w| w.province.clone()) class=FIELD />
                </label>
                <label class="flex items-center gap-1 self-end text-sm">
                    <input type="checkbox" name="active" value="true" checked=active />
                    "Active (stock for sale)"
                </label>
                <button type="submit" class="self-end rounded-md border border-stone-300 px-3 py-1 text-sm font-semibold hover:bg-stone-100">{label}</button>
            </div>
        </ActionForm>
    }
}
