//! Invoices and credit notes. `document_sequences` holds the last number issued per series and
//! year; issuing takes the next one in the same transaction that stores the document, so a
//! number is used exactly once and a rolled-back issue gives its number back (gapless).
//! `documents` keeps each issued PDF with the content it was drawn from: every download
//! returns the same bytes. One document per subject (`invoice:<order id>`,
//! `credit_note:<refund id>`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DocumentSequences {
    Table,
    /// `INV` or `CN`.
    Series,
    Year,
    LastNumber,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    /// `invoice` or `credit_note`.
    Kind,
    /// e.g. `INV/2026/000123`.
    Number,
    Subject,
    OrderId,
    RefundId,
    Total,
    /// The document's content as JSON, what the PDF was drawn from.
    Content,
    Pdf,
    Sha256,
    IssuedBy,
    IssuedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DocumentSequences::Table)
                    .if_not_exists()
                    .col(string_len(DocumentSequences::Series, 16))
                    .col(integer(DocumentSequences::Year))
                    .col(big_integer(DocumentSequences::LastNumber).default(0))
                    .primary_key(
                        Index::create()
                            .col(DocumentSequences::Series)
                            .col(DocumentSequences::Year),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Documents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(Documents::Kind, 16))
                    .col(string_len_uniq(Documents::Number, 32))
                    .col(string_len_uniq(Documents::Subject, 64))
                    .col(integer(Documents::OrderId))
                    .col(integer_null(Documents::RefundId))
                    .col(big_integer(Documents::Total))
                    .col(text(Documents::Content))
                    .col(ColumnDef::new(Documents::Pdf).blob().not_null())
                    .col(string_len(Documents::Sha256, 64))
                    .col(string_len(Documents::IssuedBy, 200))
                    .col(timestamp_with_time_zone(Documents::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documents_order")
                            .from(Documents::Table, Documents::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_order")
                    .table(Documents::Table)
                    .col(Documents::OrderId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DocumentSequences::Table).to_owned())
            .await
    }
}
