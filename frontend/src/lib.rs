//! The WASM entry point: hydrates the server-rendered page into the interactive app.
// The admin product page's view type is deep; without erased components (release builds) its
// layout computation needs more than the default 128 levels.
#![recursion_limit = "256"]

/// Hydrates the page, then marks `<html data-hydrated>`. Every page is a lazy route: the shell
/// hydrates first, the page's code chunk is fetched, then the page hydrates, so "done" is when
/// the whole chain has run (what `leptos::mount::hydrate_lazy` starts but does not report).
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Drives the reactive system and the hydration future below; an error only means the
    // executor was already set up.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::prelude::document().body();
        let Some(body) = body else { return };
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        if let Some(html) = leptos::prelude::document().document_element() {
            let _ = html.set_attribute("data-hydrated", "");
        }
    });
}
