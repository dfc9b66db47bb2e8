//! `/robots.txt` and `/sitemap.xml` for search engines.
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    error::AppError,
    server::{
        db::{brand, category, product},
        state::AppState,
    },
};

/// Crawlers may index the shop but not accounts, admin, checkout, orders or the API. The cart
/// stays open: a crawler only ever sees an empty one, and a page crawlers are told to skip
/// counts against it in search-quality audits (Lighthouse's SEO "is-crawlable").
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.settings.public_url.as_str().trim_end_matches('/');
    let body = format!(
        "User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /api/\nDisallow: /login\nDisallow: /register\nDisallow: /checkout\nDisallow: /orders/\nDisallow: /pay/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every active product, category and brand page (at most 50,000 URLs, the protocol's limit).
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, AppError> {
    let base = state
        .settings
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut push = |path: String, lastmod: Option<String>| {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape(&format!("{base}{path}")));
        xml.push_str("</loc>");
        if let Some(date) = lastmod {
            xml.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        xml.push_str("</url>\n");
    };
    push("/".into(), None);
    push("/search".into(), None);
    for c in category::Entity::find()
        .order_by_asc(category::Column::Position)
        .all(&state.db)
        .await?
    {
        push(format!("/c/{}", c.slug), None);
    }
    for b in brand::Entity::find()
        .order_by_asc(brand::Column::Name)
        .all(&state.db)
        .await?
    {
        push(format!("/b/{}", b.slug), None);
    }
    let products: Vec<(String, chrono::DateTime<chrono::Utc>)> = product::Entity::find()
        .filter(product::Column::Status.eq("active"))
        .select_only()
        .column(product::Column::Slug)
        .column(product::Column::UpdatedAt)
        .order_by_asc(product::Column::Id)
        .limit(49_000)
        .into_tuple()
        .all(&state.db)
        .await?;
    for (slug, updated) in products {
        push(
            format!("/p/{slug}"),
            Some(updated.format("%Y-%m-%d").to_string()),
        );
    }
    xml.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// Adds a meta description, a canonical URL and Open Graph tags to the `<head>` of product and
/// listing pages, and remembers the shopper's grid/list choice in a cookie.
///
/// Why a middleware: `leptos_meta`'s `<Meta>`/`<Link>` rendered inside the pages' `Transition`
/// broke hydration here, and these tags matter only to crawlers and link previews, which read the
/// server's HTML. The pages render with `SsrMode::Async`, so the whole document is in hand.
pub async fn head_tags(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let is_page = req.method() == axum::http::Method::GET
        && (path.starts_with("/p/")
            || path.starts_with("/c/")
            || path.starts_with("/b/")
            || path == "/search");
    let response = next.run(req).await;
    if !is_page {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let view = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "view")
        .map(|(_, v)| v.into_owned())
        .filter(|v| v == "grid" || v == "list");
    let (mut parts, body) = response.into_parts();
    if let Some(view) = &view {
        if let Ok(cookie) = axum::http::HeaderValue::from_str(&format!(
            "{}={view}; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::model::VIEW_COOKIE
        )) {
            parts.headers.append(header::SET_COOKIE, cookie);
        }
    }
    if !is_html || !parts.status.is_success() {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let tags = match page_tags(&state, &path, &query).await {
        Ok(tags) => tags,
        Err(err) => {
            tracing::warn!(%err, path, "head tags");
            String::new()
        }
    };
    let html = String::from_utf8_lossy(&bytes);
    let body = match html.find("</head>") {
        Some(at) if !tags.is_empty() => format!("{}{tags}{}", &html[..at], &html[at..]),
        _ => html.into_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

fn meta(out: &mut String, attr: &str, key: &str, value: &str) {
    out.push_str(&format!(
        "<meta {attr}=\"{key}\" content=\"{}\">",
        escape(value)
    ));
}

/// The canonical form of a listing URL: the same filters, without presentation-only parameters.
pub fn canonical_query(query: &str) -> String {
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| {
            let presentation = matches!(k.as_ref(), "view" | "per_page" | "error" | "saved")
                || (k == "page" && v == "1");
            !v.is_empty() && !presentation
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return String::new();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in kept {
        s.append_pair(&k, &v);
    }
    format!("?{}", s.finish())
}

async fn page_tags(state: &AppState, path: &str, query: &str) -> Result<String, AppError> {
    let base = state.settings.public_url.as_str().trim_end_matches('/');
    let shop = &state.settings.shop.name;
    let mut out = String::new();
    if let Some(slug) = path.strip_prefix("/p/") {
        let Some(p) =
            crate::server::catalog::product_detail(&state.db, state.settings.shop.currency(), slug)
                .await?
        else {
            return Ok(out);
        };
        let url = format!("{base}/p/{}", p.slug);
        meta(&mut out, "name", "description", &p.summary);
        out.push_str(&format!(
            "<link rel=\"canonical\" href=\"{}\">",
            escape(&url)
        ));
        meta(&mut out, "property", "og:type", "product");
        meta(&mut out, "property", "og:site_name", shop);
        meta(&mut out, "property", "og:title", &p.name);
        meta(&mut out, "property", "og:description", &p.summary);
        meta(&mut out, "property", "og:url", &url);
        if let Some(image) = p.images.first() {
            meta(
                &mut out,
                "property",
                "og:image",
                &format!("{base}{}", image.url),
            );
            meta(&mut out, "property", "og:image:alt", &image.alt);
        }
        if let Some(v) = p.variants.first() {
            meta(
                &mut out,
                "property",
                "product:price:amount",
                &v.price.amount.to_string(),
            );
            meta(
                &mut out,
                "property",
                "product:price:currency",
                &v.price.currency,
            );
        }
        meta(&mut out, "name", "twitter:card", "summary_large_image");
        return Ok(out);
    }
    let canonical = format!("{base}{path}{}", canonical_query(query));
    let q = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (title, description) = if let Some(slug) = path.strip_prefix("/c/") {
        match category::Entity::find()
            .filter(category::Column::Slug.eq(slug))
            .one(&state.db)
            .await?
        {
            Some(c) if !c.description.is_empty() => (c.name.clone(), c.description),
            Some(c) => (
                c.name.clone(),
                format!("Belanja {} pilihan di {shop}.", c.name.to_lowercase()),
            ),
            None => return Ok(out),
        }
    } else if let Some(slug) = path.strip_prefix("/b/") {
        match brand::Entity::find()
            .filter(brand::Column::Slug.eq(slug))
            .one(&state.db)
            .await?
        {
            Some(b) => (
                b.name.clone(),
                format!("Produk {} asli dengan harga terbaik di {shop}.", b.name),
            ),
            None => return Ok(out),
        }
    } else if q.is_empty() {
        (
            "Semua produk".to_string(),
            format!("Semua produk di {shop}."),
        )
    } else {
        // Search results are for people, not for the index.
        out.push_str("<meta name=\"robots\" content=\"noindex, follow\">");
        (
            format!("Hasil untuk \u{201c}{q}\u{201d}"),
            format!("Hasil pencarian \u{201c}{q}\u{201d} di {shop}."),
        )
    };
    meta(&mut out, "name", "description", &description);
    out.push_str(&format!(
        "<link rel=\"canonical\" href=\"{}\">",
        escape(&canonical)
    ));
    meta(&mut out, "property", "og:type", "website");
    meta(&mut out, "property", "og:site_name", shop);
    meta(&mut out, "property", "og:title", &title);
    meta(&mut out, "property", "og:description", &description);
    meta(&mut out, "property", "og:url", &canonical);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::canonical_query;

    #[test]
    fn canonical_listing_urls_drop_presentation() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("view=list&page=1&per_page=48"), "");
        assert_eq!(
            canonical_query("q=kemeja+batik&brand=batik-keris&page=2&view=grid"),
            "?q=kemeja+batik&brand=batik-keris&page=2"
        );
    }
}
