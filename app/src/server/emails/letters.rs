//! Which emails a fact calls for, and their words. The layout is in the templates
//! (`templates/email.txt`, `templates/email.html`); amounts in the shop's currency
//! (`Rp 15.500.000`), times in the shop's time zone.
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde::Serialize;

use crate::{
    model::{tracking_url, Currency, Money, OrderView},
    server::{
        config::Settings,
        db::{order, outbox_event, refund},
        orders::{order_url, order_view},
    },
};

/// One email's content, before layout.
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub shop: String,
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub lines: Vec<LetterLine>,
    pub totals: Vec<LetterTotal>,
    pub link_label: String,
    pub link_url: String,
    pub footer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LetterLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LetterTotal {
    pub label: String,
    pub amount: String,
}

const TEXT: &str = include_str!("templates/email.txt");
const HTML: &str = include_str!("templates/email.html");

impl Letter {
    /// The plain-text and HTML bodies (HTML escaped by the template engine).
    pub fn render(&self) -> Result<(String, String), minijinja::Error> {
        let mut env = minijinja::Environment::new();
        env.add_template("email.txt", TEXT)?;
        env.add_template("email.html", HTML)?;
        let text = env.get_template("email.txt")?.render(self)?;
        let html = env.get_template("email.html")?.render(self)?;
        Ok((text, html))
    }
}

/// The emails `event` calls for: (to, kind, letter).
pub async fn for_event(
    db: &impl ConnectionTrait,
    settings: &Settings,
    event: &outbox_event::Model,
) -> Result<Vec<(String, &'static str, Letter)>, DbErr> {
    let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or_default();
    if event.kind == "stock.low" {
        return Ok(low_stock(settings, &payload)
            .into_iter()
            .map(|letter| (settings.shop.staff_email.clone(), "staff.low_stock", letter))
            .collect());
    }
    let Some(order_id) = payload["order_id"].as_i64() else {
        return Ok(Vec::new());
    };
    let Some(order) = order::Entity::find_by_id(order_id as i32).one(db).await? else {
        return Ok(Vec::new());
    };
    let view = order_view(db, &order).await?;
    let write = Writer {
        settings,
        order: &order,
        view: &view,
    };
    let customer = order.email.clone();
    let staff = settings.shop.staff_email.clone();
    let mut out = Vec::new();
    match event.kind.as_str() {
        "order.placed" => out.push((customer, "order.placed", write.placed())),
        "order.paid" => {
            out.push((customer, "order.paid", write.paid()));
            if !staff.is_empty() {
                out.push((staff, "staff.new_order", write.staff_new_order()));
            }
        }
        "order.status_changed" => {
            let to = payload["to"].as_str().unwrap_or_default();
            if let Some(letter) = write.moved(to) {
                out.push((customer, "order.status_changed", letter));
            }
        }
        "order.expired" => out.push((customer, "order.expired", write.closed(true))),
        "order.cancelled" => out.push((customer, "order.cancelled", write.closed(false))),
        "refund.confirmed" => {
            let amount = match payload["refund_id"].as_i64() {
                Some(id) => refund::Entity::find_by_id(id as i32)
                    .one(db)
                    .await?
                    .map(|r| r.amount),
                None => payload["amount"].as_i64(),
            };
            if let Some(amount) = amount {
                out.push((customer, "refund.confirmed", write.refunded(amount)));
            }
        }
        "return.requested" | "return.decided" => {
            let found = payload["return_id"]
                .as_i64()
                .and_then(|id| view.returns.iter().find(|r| i64::from(r.id) == id));
            if let Some(request) = found {
                if event.kind == "return.requested" {
                    if !staff.is_empty() {
                        out.push((
                            staff,
                            "staff.return_requested",
                            write.return_requested(request),
                        ));
                    }
                } else {
                    out.push((customer, "return.decided", write.return_decided(request)));
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Staff's low-stock alert (none when no staff address is configured).
fn low_stock(settings: &Settings, payload: &serde_json::Value) -> Option<Letter> {
    if settings.shop.staff_email.is_empty() {
        return None;
    }
    let sku = payload["sku"].as_str()?;
    let available = payload["available"].as_i64().unwrap_or(0);
    let threshold = payload["threshold"].as_i64().unwrap_or(0);
    let path = format!("/admin/inventory/{sku}");
    Some(Letter {
        shop: settings.shop.name.clone(),
        subject: format!("Low stock: {sku} ({available} left)"),
        heading: format!("{sku} is running low"),
        paragraphs: vec![
            format!("{sku} has {available} units available, below its alert level of {threshold}."),
            "You will not be told again until it is back at or above that level and falls again."
                .into(),
        ],
        lines: Vec::new(),
        totals: Vec::new(),
        link_label: "Open its stock".into(),
        link_url: settings
            .public_url
            .join(&path)
            .map(|u| u.to_string())
            .unwrap_or(path),
        footer: format!("{}: an alert for shop staff.", settings.shop.name),
    })
}

struct Writer<'a> {
    settings: &'a Settings,
    order: &'a order::Model,
    view: &'a OrderView,
}

impl Writer<'_> {
    fn money(&self, amount: i64) -> String {
        Money::new(
            amount,
            Currency::parse(&self.order.currency).unwrap_or(Currency::Idr),
        )
        .format()
    }

    fn order_link(&self) -> String {
        let path = order_url(self.order, None);
        self.settings
            .public_url
            .join(&path)
            .map(|u| u.to_string())
            .unwrap_or(path)
    }

    fn letter(&self, subject: String, heading: String, paragraphs: Vec<String>) -> Letter {
        Letter {
            shop: self.settings.shop.name.clone(),
            subject,
            heading,
            paragraphs,
            lines: Vec::new(),
            totals: Vec::new(),
            link_label: "View your order".into(),
            link_url: self.order_link(),
            footer: format!(
                "{}, {}. You receive this email because of order {} at {}.",
                self.settings.shop.seller_name,
                self.settings.shop.seller_address,
                self.order.number,
                self.settings.shop.name
            ),
        }
    }

    fn with_order(mut self_letter: Letter, view: &OrderView) -> Letter {
        self_letter.lines = view
            .lines
            .iter()
            .map(|l| LetterLine {
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                total: l.line_total.formatted.clone(),
            })
            .collect();
        let t = &view.totals;
        self_letter.totals = vec![
            LetterTotal {
                label: "Subtotal".into(),
                amount: t.subtotal.formatted.clone(),
            },
            LetterTotal {
                label: "Shipping".into(),
                amount: t.shipping.formatted.clone(),
            },
            LetterTotal {
                label: format!("PPN (included; DPP {})", t.dpp.formatted),
                amount: t.ppn.formatted.clone(),
            },
            LetterTotal {
                label: "Total".into(),
                amount: t.grand_total.formatted.clone(),
            },
        ];
        self_letter
    }

    fn greeting(&self) -> String {
        let name = self.view.address.recipient.trim();
        if name.is_empty() {
            "Hello,".into()
        } else {
            format!("Hello {name},")
        }
    }

    fn placed(&self) -> Letter {
        let n = &self.order.number;
        let letter = self.letter(
            format!("Order {n} received"),
            format!("Thank you for your order {n}"),
            vec![
                self.greeting(),
                format!(
                    "We have your order and keep its items for you until it is paid ({}). The total is {}.",
                    self.view.payment_method,
                    self.view.totals.grand_total.formatted
                ),
            ],
        );
        Self::with_order(letter, self.view)
    }

    fn paid(&self) -> Letter {
        let n = &self.order.number;
        let letter = self.letter(
            format!("Payment received for order {n}"),
            "Payment received".into(),
            vec![
                self.greeting(),
                format!(
                    "We received {} for order {n}. We will let you know when it ships.",
                    self.view.totals.grand_total.formatted
                ),
            ],
        );
        Self::with_order(letter, self.view)
    }

    fn staff_new_order(&self) -> Letter {
        let n = &self.order.number;
        let a = &self.view.address;
        let mut letter = self.letter(
            format!("New order {n}: {}", self.view.totals.grand_total.formatted),
            format!("New paid order {n}"),
            vec![format!(
                "{} paid {} ({}). Ship to {}, {}, {} ({}).",
                self.order.email,
                self.view.totals.grand_total.formatted,
                self.view.payment_method,
                a.recipient,
                a.city,
                a.province,
                self.view.shipping_method
            )],
        );
        letter.link_label = "Open in the admin".into();
        letter.link_url = self
            .settings
            .public_url
            .join(&format!("/admin/orders/{n}"))
            .map(|u| u.to_string())
            .unwrap_or_default();
        letter.footer = format!("{} staff notification.", self.settings.shop.name);
        Self::with_order(letter, self.view)
    }

    fn return_lines(request: &crate::model::OrderReturn) -> String {
        request
            .lines
            .iter()
            .map(|l| format!("{} × {} ({})", l.quantity, l.name, l.sku))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn return_requested(&self, request: &crate::model::OrderReturn) -> Letter {
        let n = &self.order.number;
        let mut letter = self.letter(
            format!("Return requested for order {n}"),
            format!("{} asks to return items of {n}", self.order.email),
            vec![
                format!("Items: {}.", Self::return_lines(request)),
                format!("Reason: {}", request.reason),
                "Approve or reject it on the order's admin page.".into(),
            ],
        );
        letter.link_label = "Open in the admin".into();
        letter.link_url = self
            .settings
            .public_url
            .join(&format!("/admin/orders/{n}"))
            .map(|u| u.to_string())
            .unwrap_or_default();
        letter.footer = format!("{} staff notification.", self.settings.shop.name);
        letter
    }

    fn return_decided(&self, request: &crate::model::OrderReturn) -> Letter {
        let n = &self.order.number;
        let approved = request.status == "approved";
        let mut paragraphs = vec![self.greeting()];
        if approved {
            paragraphs.push(format!(
                "We accepted your return of {} from order {n}. Please send the items back; we refund them once they arrive.",
                Self::return_lines(request)
            ));
        } else {
            paragraphs.push(format!(
                "We could not accept your return of {} from order {n}.",
                Self::return_lines(request)
            ));
        }
        if !request.decision_note.is_empty() {
            paragraphs.push(request.decision_note.clone());
        }
        self.letter(
            if approved {
                format!("Your return for order {n} is approved")
            } else {
                format!("Your return for order {n}")
            },
            if approved {
                "Return approved".into()
            } else {
                "Return declined".into()
            },
            paragraphs,
        )
    }

    fn moved(&self, to: &str) -> Option<Letter> {
        let n = &self.order.number;
        let (subject, heading, body) = match to {
            "processing" => (
                format!("Order {n} is being prepared"),
                "We are preparing your order".to_string(),
                "Your items are being picked and packed.".to_string(),
            ),
            "shipped" => {
                let carrier = self.order.carrier.clone().unwrap_or_default();
                let tracking = self.order.tracking_number.clone().unwrap_or_default();
                (
                    format!("Order {n} has shipped"),
                    "Your order is on its way".to_string(),
                    format!(
                        "It travels with {carrier}, tracking number {tracking}. Follow it at {}.",
                        tracking_url(&tracking)
                    ),
                )
            }
            "delivered" => (
                format!("Order {n} was delivered"),
                "Your order has arrived".to_string(),
                "We hope you enjoy it. Something wrong? Reply to this email.".to_string(),
            ),
            "cancelled" => return Some(self.closed(false)),
            _ => return None,
        };
        Some(self.letter(subject, heading, vec![self.greeting(), body]))
    }

    fn closed(&self, expired: bool) -> Letter {
        let n = &self.order.number;
        let paid = !matches!(
            self.order.payment_status.as_str(),
            "pending" | "failed" | "cancelled" | "expired"
        );
        let why = if expired {
            "It was not paid in time, so its items went back on sale.".to_string()
        } else {
            "Its items went back on sale.".to_string()
        };
        let mut paragraphs = vec![self.greeting(), why];
        if paid && !expired {
            paragraphs.push(
                "What you paid goes back to you; we will email you when the refund is confirmed."
                    .into(),
            );
        }
        self.letter(
            format!(
                "Order {n} {}",
                if expired { "expired" } else { "was cancelled" }
            ),
            format!(
                "Order {n} {}",
                if expired { "expired" } else { "cancelled" }
            ),
            paragraphs,
        )
    }

    fn refunded(&self, amount: i64) -> Letter {
        let n = &self.order.number;
        self.letter(
            format!("Refund of {} for order {n}", self.money(amount)),
            "Your refund is on its way".into(),
            vec![
                self.greeting(),
                format!(
                    "We refunded {} for order {n} to the way you paid ({}). Banks and wallets can take a few days to show it.",
                    self.money(amount),
                    self.view.payment_method
                ),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let letter = Letter {
            shop: "Pasar".into(),
            subject: "Order PSR-1 received".into(),
            heading: "Thanks <b>Budi</b>".into(),
            paragraphs: vec!["Total Rp 15.500.000".into()],
            lines: vec![LetterLine {
                sku: "KMJ-1".into(),
                name: "Kemeja & Celana".into(),
                quantity: 2,
                total: "Rp 300.000".into(),
            }],
            totals: vec![LetterTotal {
                label: "Total".into(),
                amount: "Rp 315.000".into(),
            }],
            link_label: "View your order".into(),
            link_url: "http://shop/orders/PSR-1?key=a&b".into(),
            footer: "PT Pasar".into(),
        };
        let (text, html) = letter.render().unwrap();
        assert!(text.contains("Thanks <b>Budi</b>"));
        assert!(text.contains("- 2 × Kemeja & Celana (KMJ-1): Rp 300.000"));
        assert!(text.contains("Total: Rp 315.000"));
        assert!(text.contains("View your order: http://shop/orders/PSR-1?key=a&b"));
        // minijinja's HTML escaping also escapes `/` (as `&#x2f;`).
        assert!(html.contains("Thanks &lt;b&gt;Budi&lt;"));
        assert!(!html.contains("<b>Budi"));
        assert!(html.contains("Kemeja &amp; Celana"));
        assert!(html.contains("Rp 15.500.000"));
    }
}
