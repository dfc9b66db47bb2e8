//! One product as its page and the API show it: variants with availability, breadcrumbs,
//! safely rendered description, related products.
use std::collections::BTreeMap;

use pulldown_cmark::{html, Event, Parser, Tag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::summaries;
use crate::{
    model::{Currency, Money, NamedLink, ProductDetail, VariantView},
    server::db::{brand, category, product, product_variant},
};

/// Markdown to HTML with raw HTML shown as text and only http(s), mailto and relative links
/// kept, so a product description can never inject script.
pub fn render_markdown(text: &str) -> String {
    let safe_url = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("mailto:")
            || lower.starts_with('/')
            || lower.starts_with('#')
    };
    let events = Parser::new(text).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn plain_summary(text: &str) -> String {
    let plain: String = Parser::new(text)
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.to_string()),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => Some(" ".into()),
            _ => None,
        })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut summary = words.join(" ");
    if summary.chars().count() > 160 {
        summary = summary.chars().take(157).collect::<String>() + "…";
    }
    summary
}

/// The active product with this slug, or `None`.
pub async fn product_detail(
    db: &impl ConnectionTrait,
    currency: Currency,
    slug: &str,
) -> Result<Option<ProductDetail>, DbErr> {
    let Some(found) = product::Entity::find()
        .filter(product::Column::Slug.eq(slug))
        .filter(product::Column::Status.eq("active"))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(found.id))
        .filter(product_variant::Column::Active.eq(true))
        .order_by_asc(product_variant::Column::Position)
        .all(db)
        .await?;
    let variant_ids: Vec<i32> = variants.iter().map(|v| v.id).collect();
    let availability = crate::server::inventory::available_by_variant(db, &variant_ids).await?;

    let categories_all = category::Entity::find().all(db).await?;
    let mut trail = Vec::new();
    let mut next = Some(found.category_id);
    while let Some(id) = next {
        match categories_all.iter().find(|c| c.id == id) {
            Some(c) if trail.len() < 10 => {
                trail.push(NamedLink {
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                });
                next = c.parent_id;
            }
            _ => break,
        }
    }
    trail.reverse();
    let brands_all = brand::Entity::find().all(db).await?;
    let brand = found
        .brand_id
        .and_then(|b| brands_all.iter().find(|x| x.id == b))
        .map(|b| NamedLink {
            slug: b.slug.clone(),
            name: b.name.clone(),
        });

    let related_models = product::Entity::find()
        .filter(product::Column::CategoryId.eq(found.category_id))
        .filter(product::Column::Status.eq("active"))
        .filter(product::Column::Id.ne(found.id))
        .order_by_desc(product::Column::SalesCount)
        .limit(4)
        .all(db)
        .await?;
    let related = summaries(db, currency, related_models, &categories_all, &brands_all).await?;

    let images = super::manage::product_images(db, found.id).await?;
    Ok(Some(ProductDetail {
        id: found.id,
        description_html: render_markdown(&found.description),
        summary: plain_summary(&found.description),
        brand,
        categories: trail,
        variants: variants
            .into_iter()
            .map(|v| VariantView {
                options: serde_json::from_str::<BTreeMap<String, serde_json::Value>>(&v.options)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, val)| {
                        (
                            k,
                            val.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| val.to_string()),
                        )
                    })
                    .collect(),
                price: Money::new(v.price, currency).into(),
                compare_at_price: v.compare_at_price.map(|p| Money::new(p, currency).into()),
                available: availability.get(&v.id).copied().unwrap_or(0).max(0),
                sku: v.sku,
                title: v.title,
            })
            .collect(),
        images,
        rating: found.rating_hundredths as f32 / 100.0,
        rating_count: found.rating_count,
        related,
        slug: found.slug,
        name: found.name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cannot_inject_script() {
        let html = render_markdown(
            "**Tebal** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://pasar.test)",
        );
        assert!(html.contains("<strong>Tebal</strong>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("href=\"https://pasar.test\""));
    }

    #[test]
    fn summaries_are_plain_and_short() {
        let s = plain_summary(&format!(
            "**Kemeja** batik.\n\n- satu\n- dua {}",
            "kata ".repeat(60)
        ));
        assert!(s.starts_with("Kemeja batik."));
        assert!(s.chars().count() <= 160);
    }
}
