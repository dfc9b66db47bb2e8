//! A product picture: WebP and JPEG renditions in `srcset`, the browser picks the size it needs
//! (`sizes`), width/height reserve the space so nothing shifts, and pictures below the fold load
//! lazily.
use leptos::prelude::*;

use crate::model::ImageView;

#[component]
pub fn Picture(
    image: ImageView,
    /// The `sizes` attribute: how wide the picture is shown at each breakpoint.
    sizes: &'static str,
    /// Above the fold: load at once, with high priority.
    #[prop(optional)]
    eager: bool,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <picture>
            {(!image.srcset_webp.is_empty()).then(|| view! { <source type="image/webp" srcset=image.srcset_webp.clone() sizes=sizes /> })}
            <img
                src=image.url.clone()
                srcset=image.srcset.clone()
                sizes=sizes
                alt=image.alt.clone()
                width=image.width
                height=image.height
                loading=if eager { "eager" } else { "lazy" }
                decoding="async"
                fetchpriority=if eager { "high" } else { "auto" }
                class=class
            />
        </picture>
    }
}
