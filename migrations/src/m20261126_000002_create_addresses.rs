//! The address book: Indonesian shipping addresses owned by a user.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Addresses::Table)
                    .if_not_exists()
                    .col(pk_auto(Addresses::Id))
                    .col(integer(Addresses::UserId))
                    .col(string_len(Addresses::Label, 40))
                    .col(string_len(Addresses::Recipient, 120))
                    .col(string_len(Addresses::Phone, 32))
                    .col(string_len(Addresses::Street, 255))
                    .col(string_len(Addresses::District, 80))
                    .col(string_len(Addresses::City, 80))
                    .col(string_len(Addresses::Province, 80))
                    .col(string_len(Addresses::PostalCode, 5))
                    .col(boolean(Addresses::IsDefault).default(false))
                    .col(timestamp_with_time_zone(Addresses::CreatedAt))
                    .col(timestamp_with_time_zone(Addresses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_addresses_user")
                            .from(Addresses::Table, Addresses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_addresses_user")
                    .table(Addresses::Table)
                    .col(Addresses::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Addresses::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Addresses {
    Table,
    Id,
    UserId,
    Label,
    Recipient,
    Phone,
    Street,
    District,
    City,
    Province,
    PostalCode,
    IsDefault,
    CreatedAt,
    UpdatedAt,
}
