//! The WASM entry point: hydrates the server-rendered page into the interactive app.
// The admin product page's view type is deep; without erased components (release builds) its
// layout computation needs more than the default 128 levels.
#![recursion_limit = "256"]

/// Hydrates the page, then marks `<html data-hydrated>`. Hydration is a chain of tasks: the
/// shell's slices (`app::components::hydration`) and, on a lazy route, the fetch of its chunk,
/// so "done" is when the whole chain has run (what `leptos::mount::hydrate_lazy` starts but
/// does not report).
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

/// Room for the WASM splitter to move read-only data. `cargo leptos build --split` gives each
/// chunk the constants only its code uses, re-packing the data segment with per-module
/// alignment; when the re-packed segment would come out longer than the original (by as little
/// as 79 bytes once), `wasm_split_cli_support` 0.2.3 gives up and leaves all of it in the main
/// module ("Overlong segment 0 … putting it in main module"): 113 KB of admin and chart
/// strings, 23.5 KiB brotli, on every shopper's first load. This block is kept by the linker
/// (`#[used]`) but used by no code, so it lengthens the original segment without being copied
/// into any output module. Its bytes are not zero so that it lands in `.rodata`, not `.bss`.
#[cfg(target_arch = "wasm32")]
#[used]
static SPLIT_DATA_SLACK: [u8; 16 * 1024] = [0x5a; 16 * 1024];
