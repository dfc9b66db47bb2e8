//! Invoices and credit notes. An order gets its invoice once money for it is in (paid, or
//! refunded since); a refund that went through gets a credit note referring to that invoice.
//! Each is issued once, in one transaction with the order locked: the next number of its
//! gapless yearly series (`INV/2026/000123`, `CN/2026/000004`), the content, the PDF drawn
//! from it and a timeline entry. What was stored is what every later download returns.
mod pdf;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{record, workflow::lock_order, Actor};
use crate::{
    error::AppError,
    model::{
        compute_ppn, payment_method_label, AddressInput, Currency, Money, PaymentStatus,
        RefundStatus, TaxRule, TimelineKind,
    },
    server::{
        config::Settings,
        db::{document, order, order_item, refund, refund_line},
    },
};

pub use pdf::PdfError;

/// What a document says, kept with it so a reprint (or a bulk print) draws the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentContent {
    /// `INVOICE` or `CREDIT NOTE`.
    pub title: String,
    pub number: String,
    pub shop: String,
    pub seller_name: String,
    pub seller_address: String,
    pub seller_npwp: String,
    /// Date, order number, … (right of the heading).
    pub facts: Vec<Labelled>,
    pub buyer_heading: String,
    /// Name first, then email, phone and address lines.
    pub buyer: Vec<String>,
    pub lines: Vec<ContentLine>,
    /// The last is the total.
    pub totals: Vec<Labelled>,
    pub notes: Vec<String>,
    pub footer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub unit_price: String,
    pub amount: String,
}

fn labelled(label: impl Into<String>, value: impl Into<String>) -> Labelled {
    Labelled {
        label: label.into(),
        value: value.into(),
    }
}

/// Why a document could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("No such order.")]
    OrderNotFound,
    #[error("No such refund.")]
    RefundNotFound,
    #[error("An invoice is issued once the order is paid; order {0} has not been paid.")]
    NotPaid(String),
    #[error(
        "Nothing printed: {} not paid, so without an invoice. Untick them and print again.",
        .0.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
    )]
    NotInvoiceable(Vec<String>),
    #[error(
        "A credit note is issued once the money is back with the customer; this refund is {0}."
    )]
    RefundNotSettled(String),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<DocumentError> for AppError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::OrderNotFound | DocumentError::RefundNotFound => {
                AppError::NotFound(e.to_string())
            }
            DocumentError::NotPaid(_)
            | DocumentError::NotInvoiceable(_)
            | DocumentError::RefundNotSettled(_) => AppError::Conflict(e.to_string()),
            DocumentError::Pdf(e) => {
                tracing::error!(error = %e, "drawing a document failed");
                AppError::Internal
            }
            DocumentError::Db(e) => e.into(),
        }
    }
}

/// A document's file name, e.g. `INV-2026-000123.pdf`.
pub fn file_name(number: &str) -> String {
    format!("{}.pdf", number.replace('/', "-"))
}

fn invoice_subject(order_id: i32) -> String {
    format!("invoice:{order_id}")
}

fn credit_note_subject(refund_id: i32) -> String {
    format!("credit_note:{refund_id}")
}

/// Whether money for the order is (or was) in: the condition for its invoice.
fn invoiceable(order: &order::Model) -> bool {
    order
        .payment_status
        .parse::<PaymentStatus>()
        .is_ok_and(PaymentStatus::has_captured)
}

async fn by_subject(
    db: &impl ConnectionTrait,
    subject: &str,
) -> Result<Option<document::Model>, DbErr> {
    document::Entity::find()
        .filter(document::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// The next number of `series` for `year`, taken inside `txn`: the counter's row stays locked
/// until the transaction ends, so numbers are handed out one at a time and a rollback gives
/// its number back.
async fn next_number(txn: &DatabaseTransaction, series: &str, year: i32) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let (insert, update, select) = match backend {
        DbBackend::Postgres => (
            "INSERT INTO document_sequences (series, year, last_number) VALUES ($1, $2, 0) \
             ON CONFLICT (series, year) DO NOTHING",
            "UPDATE document_sequences SET last_number = last_number + 1 \
             WHERE series = $1 AND year = $2",
            "SELECT last_number FROM document_sequences WHERE series = $1 AND year = $2",
        ),
        _ => (
            "INSERT INTO document_sequences (series, year, last_number) VALUES (?, ?, 0) \
             ON CONFLICT (series, year) DO NOTHING",
            "UPDATE document_sequences SET last_number = last_number + 1 \
             WHERE series = ? AND year = ?",
            "SELECT last_number FROM document_sequences WHERE series = ? AND year = ?",
        ),
    };
    let values = || [series.into(), year.into()];
    txn.execute(Statement::from_sql_and_values(backend, insert, values()))
        .await?;
    txn.execute(Statement::from_sql_and_values(backend, update, values()))
        .await?;
    let row = txn
        .query_one(Statement::from_sql_and_values(backend, select, values()))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("sequence {series}/{year}")))?;
    row.try_get("", "last_number")
}

struct Issuer<'a> {
    settings: &'a Settings,
    now: DateTime<Utc>,
}

impl Issuer<'_> {
    fn tz(&self) -> chrono_tz::Tz {
        self.settings
            .shop
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Asia::Jakarta)
    }

    fn date(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz()).format("%-d %B %Y").to_string()
    }

    fn year(&self) -> i32 {
        self.now.with_timezone(&self.tz()).year()
    }

    fn money(order: &order::Model, amount: i64) -> String {
        Money::new(
            amount,
            Currency::parse(&order.currency).unwrap_or(Currency::Idr),
        )
        .format()
    }

    fn base(&self, title: &str, number: &str, order: &order::Model) -> DocumentContent {
        let shop = &self.settings.shop;
        let address: AddressInput =
            serde_json::from_str(&order.shipping_address).unwrap_or_default();
        let mut buyer = vec![address.recipient.clone(), order.email.clone()];
        if !address.phone.is_empty() {
            buyer.push(address.phone.clone());
        }
        buyer.push(address.street.clone());
        buyer.push(
            [address.district.as_str(), address.city.as_str()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
        );
        buyer.push(
            format!("{} {}", address.province, address.postal_code)
                .trim()
                .to_string(),
        );
        buyer.retain(|l| !l.trim().is_empty());
        DocumentContent {
            title: title.into(),
            number: number.into(),
            shop: shop.name.clone(),
            seller_name: shop.seller_name.clone(),
            seller_address: shop.seller_address.clone(),
            seller_npwp: shop.seller_npwp.clone(),
            facts: vec![
                labelled("Number", number),
                labelled("Date", self.date(self.now)),
                labelled("Order", order.number.clone()),
                labelled("Order date", self.date(order.created_at)),
            ],
            buyer_heading: "BILL TO".into(),
            buyer,
            lines: Vec::new(),
            totals: Vec::new(),
            notes: Vec::new(),
            footer: format!(
                "{} · issued electronically, valid without signature",
                shop.name
            ),
        }
    }

    fn tax_note(&self) -> String {
        let rule = self.settings.tax.rule();
        format!(
            "PPN {}% on a tax base (DPP) of {}/{} of the price{}.",
            rule.rate_percent,
            rule.dpp_numerator,
            rule.dpp_denominator,
            if rule.prices_include_tax {
                "; prices include PPN"
            } else {
                ""
            }
        )
    }

    async fn invoice_content(
        &self,
        txn: &DatabaseTransaction,
        order: &order::Model,
        number: &str,
    ) -> Result<DocumentContent, DbErr> {
        let money = |amount| Self::money(order, amount);
        let items = order_item::Entity::find()
            .filter(order_item::Column::OrderId.eq(order.id))
            .order_by_asc(order_item::Column::Id)
            .all(txn)
            .await?;
        let rule = self.settings.tax.rule();
        let mut content = self.base("INVOICE", number, order);
        content.lines = items
            .iter()
            .map(|i| ContentLine {
                sku: i.sku.clone(),
                // The name already carries the variant ("… — Merah, L").
                name: i.name.clone(),
                quantity: i.quantity,
                unit_price: money(i.unit_price),
                amount: money(i.line_total),
            })
            .collect();
        let shipping_label = match order.shipping_method.as_deref() {
            Some(m) if !m.is_empty() => format!("Shipping ({m})"),
            _ => "Shipping".into(),
        };
        content.totals = vec![
            labelled("Subtotal", money(order.subtotal)),
            labelled(shipping_label, money(order.shipping_total)),
            labelled(
                format!("DPP ({}/{})", rule.dpp_numerator, rule.dpp_denominator),
                money(order.dpp),
            ),
            labelled(format!("PPN {}%", rule.rate_percent), money(order.ppn)),
            labelled("Total", money(order.grand_total)),
        ];
        let status = order
            .payment_status
            .parse::<PaymentStatus>()
            .map(|s| s.label().to_string())
            .unwrap_or_else(|_| order.payment_status.clone());
        let paid_on = order
            .paid_at
            .map(|at| format!(" on {}", self.date(at)))
            .unwrap_or_default();
        content.notes = vec![
            format!(
                "Payment: {status}{paid_on}, by {}.",
                payment_method_label(&order.payment_method)
            ),
            self.tax_note(),
        ];
        Ok(content)
    }

    async fn credit_note_content(
        &self,
        txn: &DatabaseTransaction,
        order: &order::Model,
        refund: &refund::Model,
        invoice_number: &str,
        number: &str,
    ) -> Result<DocumentContent, DbErr> {
        let money = |amount| Self::money(order, amount);
        let lines = refund_line::Entity::find()
            .filter(refund_line::Column::RefundId.eq(refund.id))
            .order_by_asc(refund_line::Column::Id)
            .all(txn)
            .await?;
        let items = order_item::Entity::find()
            .filter(order_item::Column::OrderId.eq(order.id))
            .all(txn)
            .await?;
        let mut content = self.base("CREDIT NOTE", number, order);
        content
            .facts
            .insert(1, labelled("Refers to invoice", invoice_number));
        content.lines = lines
            .iter()
            .map(|l| {
                let item = l
                    .order_item_id
                    .and_then(|id| items.iter().find(|i| i.id == id));
                match item {
                    Some(item) => ContentLine {
                        sku: item.sku.clone(),
                        name: item.name.clone(),
                        quantity: l.quantity,
                        unit_price: money(item.unit_price),
                        amount: money(l.amount),
                    },
                    None => ContentLine {
                        sku: String::new(),
                        name: "Shipping fee".into(),
                        quantity: 1,
                        unit_price: money(l.amount),
                        amount: money(l.amount),
                    },
                }
            })
            .collect();
        if content.lines.is_empty() {
            // Refunded by amount: one line for the sum.
            content.lines.push(ContentLine {
                sku: String::new(),
                name: format!("Refund on order {}", order.number),
                quantity: 1,
                unit_price: money(refund.amount),
                amount: money(refund.amount),
            });
        }
        // What goes back is a gross amount: split it the way the price was.
        let rule = self.settings.tax.rule();
        let split = compute_ppn(
            refund.amount,
            TaxRule {
                prices_include_tax: true,
                ..rule
            },
        );
        content.totals = vec![
            labelled(
                format!("DPP ({}/{})", rule.dpp_numerator, rule.dpp_denominator),
                money(split.dpp),
            ),
            labelled(format!("PPN {}%", rule.rate_percent), money(split.ppn)),
            labelled("Total credited", money(refund.amount)),
        ];
        let status = refund
            .status
            .parse::<RefundStatus>()
            .map(|s| s.label().to_string())
            .unwrap_or_else(|_| refund.status.clone());
        content.notes = vec![
            format!(
                "Corrects invoice {invoice_number}: {} returned to the customer ({status}).",
                money(refund.amount)
            ),
            format!("Reason: {}", refund.reason.trim()),
            self.tax_note(),
        ];
        Ok(content)
    }
}

/// What a document is about, beside its content.
struct Subject<'a> {
    kind: &'a str,
    key: String,
    order: &'a order::Model,
    refund_id: Option<i32>,
    total: i64,
}

async fn store(
    txn: &DatabaseTransaction,
    subject: Subject<'_>,
    content: &DocumentContent,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<document::Model, DocumentError> {
    let Subject {
        kind,
        key,
        order,
        refund_id,
        total,
    } = subject;
    let bytes = pdf::render(&[content], &format!("{} {}", content.title, content.number))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let json = serde_json::to_string(content).map_err(|e| DbErr::Custom(e.to_string()))?;
    let model = document::ActiveModel {
        kind: Set(kind.into()),
        number: Set(content.number.clone()),
        subject: Set(key),
        order_id: Set(order.id),
        refund_id: Set(refund_id),
        total: Set(total),
        content: Set(json),
        pdf: Set(bytes),
        sha256: Set(sha256),
        issued_by: Set(actor.name.chars().take(200).collect()),
        issued_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(model)
}

/// The order's invoice within `txn` (the order locked): the stored one, or a new one.
async fn invoice_in(
    txn: &DatabaseTransaction,
    issuer: &Issuer<'_>,
    order: &order::Model,
    actor: &Actor,
) -> Result<document::Model, DocumentError> {
    if let Some(existing) = by_subject(txn, &invoice_subject(order.id)).await? {
        return Ok(existing);
    }
    if !invoiceable(order) {
        return Err(DocumentError::NotPaid(order.number.clone()));
    }
    let year = issuer.year();
    let number = format!("INV/{year}/{:06}", next_number(txn, "INV", year).await?);
    let content = issuer.invoice_content(txn, order, &number).await?;
    let stored = store(
        txn,
        Subject {
            kind: "invoice",
            key: invoice_subject(order.id),
            order,
            refund_id: None,
            total: order.grand_total,
        },
        &content,
        actor,
        issuer.now,
    )
    .await?;
    record(
        txn,
        order.id,
        TimelineKind::Note,
        actor,
        None,
        None,
        &format!("Invoice {number} issued."),
    )
    .await?;
    Ok(stored)
}

/// The order's invoice: issued now if it has none yet (it must be paid), stored otherwise.
pub async fn invoice(
    db: &DatabaseConnection,
    settings: &Settings,
    order_id: i32,
    actor: &Actor,
) -> Result<document::Model, DocumentError> {
    if let Some(existing) = by_subject(db, &invoice_subject(order_id)).await? {
        return Ok(existing);
    }
    let txn = db.begin().await?;
    let order = lock_order(&txn, order_id)
        .await?
        .ok_or(DocumentError::OrderNotFound)?;
    let issuer = Issuer {
        settings,
        now: Utc::now(),
    };
    let stored = invoice_in(&txn, &issuer, &order, actor).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Staff print an order's invoice: issued if need be, and the print noted on the timeline.
pub async fn print_invoice(
    db: &DatabaseConnection,
    settings: &Settings,
    order_id: i32,
    actor: &Actor,
) -> Result<document::Model, DocumentError> {
    let stored = invoice(db, settings, order_id, actor).await?;
    record(
        db,
        order_id,
        TimelineKind::Note,
        actor,
        None,
        None,
        &format!("Invoice {} printed.", stored.number),
    )
    .await?;
    Ok(stored)
}

/// The refund's credit note: issued now if it has none yet (the refund must have gone
/// through; the order's invoice is issued first if it had none), stored otherwise.
pub async fn credit_note(
    db: &DatabaseConnection,
    settings: &Settings,
    refund_id: i32,
    actor: &Actor,
) -> Result<document::Model, DocumentError> {
    if let Some(existing) = by_subject(db, &credit_note_subject(refund_id)).await? {
        return Ok(existing);
    }
    let found = refund::Entity::find_by_id(refund_id)
        .one(db)
        .await?
        .ok_or(DocumentError::RefundNotFound)?;
    let txn = db.begin().await?;
    let order = lock_order(&txn, found.order_id)
        .await?
        .ok_or(DocumentError::OrderNotFound)?;
    if let Some(existing) = by_subject(&txn, &credit_note_subject(refund_id)).await? {
        return Ok(existing);
    }
    // Read again under the lock: its status may just have moved.
    let refund = refund::Entity::find_by_id(refund_id)
        .one(&txn)
        .await?
        .ok_or(DocumentError::RefundNotFound)?;
    let settled = refund
        .status
        .parse::<RefundStatus>()
        .is_ok_and(RefundStatus::is_settled);
    if !settled {
        let status = refund
            .status
            .parse::<RefundStatus>()
            .map(|s| s.label().to_lowercase())
            .unwrap_or(refund.status.clone());
        return Err(DocumentError::RefundNotSettled(status));
    }
    let issuer = Issuer {
        settings,
        now: Utc::now(),
    };
    let invoice = invoice_in(&txn, &issuer, &order, actor).await?;
    let year = issuer.year();
    let number = format!("CN/{year}/{:06}", next_number(&txn, "CN", year).await?);
    let content = issuer
        .credit_note_content(&txn, &order, &refund, &invoice.number, &number)
        .await?;
    let stored = store(
        &txn,
        Subject {
            kind: "credit_note",
            key: credit_note_subject(refund.id),
            order: &order,
            refund_id: Some(refund.id),
            total: refund.amount,
        },
        &content,
        actor,
        issuer.now,
    )
    .await?;
    record(
        &txn,
        order.id,
        TimelineKind::Note,
        actor,
        None,
        None,
        &format!(
            "Credit note {number} issued for a refund of {}.",
            Issuer::money(&order, refund.amount)
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(stored)
}

/// The order's documents, oldest first.
pub async fn of_order(
    db: &impl ConnectionTrait,
    order_id: i32,
) -> Result<Vec<document::Model>, DbErr> {
    document::Entity::find()
        .filter(document::Column::OrderId.eq(order_id))
        .order_by_asc(document::Column::Id)
        .all(db)
        .await
}

/// Staff print the invoices of several orders (by number) as one PDF, each starting on a new
/// page: each issued if need be and each print noted on its order's timeline. If any of them
/// is unknown or unpaid (no invoice), nothing is issued or printed and the error names them.
pub async fn print_many(
    db: &DatabaseConnection,
    settings: &Settings,
    numbers: &[String],
    actor: &Actor,
) -> Result<Vec<u8>, DocumentError> {
    let mut wanted: Vec<&String> = Vec::new();
    for number in numbers {
        if !wanted.contains(&number) {
            wanted.push(number);
        }
    }
    let found = order::Entity::find()
        .filter(order::Column::Number.is_in(wanted.iter().map(|n| n.as_str())))
        .all(db)
        .await?;
    let printable = |number: &str| found.iter().find(|o| o.number == number && invoiceable(o));
    let refused: Vec<String> = wanted
        .iter()
        .filter(|n| printable(n).is_none())
        .map(|n| n.to_string())
        .collect();
    if !refused.is_empty() {
        return Err(DocumentError::NotInvoiceable(refused));
    }
    let mut contents = Vec::new();
    for order in wanted.iter().filter_map(|n| printable(n)) {
        let stored = print_invoice(db, settings, order.id, actor).await?;
        let content: DocumentContent = serde_json::from_str(&stored.content)
            .map_err(|e| DbErr::Custom(format!("stored invoice content: {e}")))?;
        contents.push(content);
    }
    let refs: Vec<&DocumentContent> = contents.iter().collect();
    Ok(pdf::render(
        &refs,
        &format!("Invoices ({})", contents.len()),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(lines: usize) -> DocumentContent {
        DocumentContent {
            title: "INVOICE".into(),
            number: "INV/2026/000001".into(),
            shop: "Pasar".into(),
            seller_name: "PT Pasar Digital Nusantara".into(),
            seller_address: "Jl. Jenderal Sudirman Kav. 52-53, Senayan, Jakarta Selatan".into(),
            seller_npwp: "01.234.567.8-012.000".into(),
            facts: vec![labelled("Date", "4 December 2026")],
            buyer_heading: "BILL TO".into(),
            buyer: vec!["Budi Santoso".into(), "budi@example.com".into()],
            lines: (0..lines)
                .map(|i| ContentLine {
                    sku: format!("SKU-{i}"),
                    name: format!("Kemeja batik lengan panjang motif parang nomor {i} yang cukup panjang namanya"),
                    quantity: 1,
                    unit_price: "Rp 150.000".into(),
                    amount: "Rp 150.000".into(),
                })
                .collect(),
            totals: vec![labelled("Total", "Rp 150.000")],
            notes: vec!["Payment: Paid.".into()],
            footer: "Pasar".into(),
        }
    }

    #[test]
    fn a_pdf_comes_out_and_long_documents_get_more_pages() {
        let short = pdf::render(&[&sample(2)], "t").unwrap();
        assert!(short.starts_with(b"%PDF-"));
        let long = pdf::render(&[&sample(80)], "t").unwrap();
        assert!(long.len() > short.len());
        assert_eq!(pdf::pages_needed(&sample(2)), 1);
        assert!(pdf::pages_needed(&sample(80)) >= 3);
    }

    #[test]
    fn numbers_make_file_names() {
        assert_eq!(file_name("INV/2026/000123"), "INV-2026-000123.pdf");
    }
}
