//! Toasts: short messages that confirm an action or report a failure, then fade away.
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ToastKind {
    Success,
    Error,
}

#[derive(Clone, Debug)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// Shows toasts from anywhere: `use_toasts().push(ToastKind::Success, "Saved")`.
#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    pub fn push(&self, kind: ToastKind, message: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| {
            items.push(Toast {
                id,
                kind,
                message: message.into(),
            })
        });
        let items = self.items;
        set_timeout(
            move || items.update(|items| items.retain(|t| t.id != id)),
            std::time::Duration::from_secs(5),
        );
    }

    fn dismiss(&self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

pub fn provide_toasts() {
    provide_context(Toasts {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    });
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Where toasts appear (bottom right; announced to screen readers).
#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="pointer-events-none fixed bottom-4 right-4 z-50 flex w-80 flex-col gap-2" aria-live="polite" role="status">
            <For each=move || toasts.items.get() key=|t| t.id let:toast>
                <div
                    class=match toast.kind {
                        ToastKind::Success => "toast pointer-events-auto flex items-start gap-3 rounded-lg bg-emerald-700 px-4 py-3 text-sm text-white shadow-lg",
                        ToastKind::Error => "toast pointer-events-auto flex items-start gap-3 rounded-lg bg-red-700 px-4 py-3 text-sm text-white shadow-lg",
                    }
                    data-kind=match toast.kind { ToastKind::Success => "success", ToastKind::Error => "error" }
                >
                    <span class="flex-1">{toast.message.clone()}</span>
                    <button
                        class="text-white/80 hover:text-white"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
