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

/// Crawlers may index the shop but not accounts, admin or the API.
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.settings.public_url.as_str().trim_end_matches('/');
    let body = format!(
        "User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /api/\nDisallow: /login\nDisallow: /register\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
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
