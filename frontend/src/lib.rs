//! The WASM entry point: hydrates the server-rendered page into the interactive app.
// The admin product page's view type is deep; without erased components (release builds) its
// layout computation needs more than the default 128 levels.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`: a server-rendered lazy route fetches its chunk before it hydrates.
    leptos::mount::hydrate_lazy(app::App);
}
