//! Staff API tokens. An admin creates one with a name; the token (`psr_` and 64 hex digits)
//! is shown once and only its SHA-256 is stored, so a leaked database leaks no usable token.
//! A token acts as the admin who made it, on the staff API only, while that account is
//! active and staff; revoking it ends it at once.
use chrono::Utc;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use sha2::Digest;

use crate::{
    error::AppError,
    model::{ApiTokenView, CreatedApiToken, User},
    server::db::{api_token, user},
};

const PREFIX: &str = "psr_";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("Give the token a name (what uses it), up to 100 characters.")]
    BadName,
    #[error("No such token.")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::BadName => AppError::field("name", e.to_string()),
            TokenError::NotFound => AppError::NotFound(e.to_string()),
            TokenError::Db(e) => e.into(),
        }
    }
}

fn digest(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn view(row: api_token::Model, owner_email: &str) -> ApiTokenView {
    ApiTokenView {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        owner_email: owner_email.to_string(),
        created_at: row.created_at.to_rfc3339(),
        last_used_at: row.last_used_at.map(|t| t.to_rfc3339()),
        revoked: row.revoked_at.is_some(),
    }
}

/// A new token for `owner`; the plain token is in the answer and nowhere else.
pub async fn create(
    db: &DatabaseConnection,
    owner: &User,
    name: &str,
) -> Result<CreatedApiToken, TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(TokenError::BadName);
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{PREFIX}{}", hex::encode(secret));
    let row = api_token::ActiveModel {
        user_id: Set(owner.id),
        name: Set(name.to_string()),
        token_hash: Set(digest(&token)),
        prefix: Set(token.chars().take(12).collect()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedApiToken {
        token,
        view: view(row, &owner.email),
    })
}

/// Every token, newest first, with whom it acts as.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<ApiTokenView>, DbErr> {
    let rows = api_token::Entity::find()
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    let owners = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.user_id)))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let owner = owners.iter().find(|u| u.id == r.user_id);
            view(r, owner.map(|u| u.email.as_str()).unwrap_or_default())
        })
        .collect())
}

/// Ends a token (revoking twice is fine).
pub async fn revoke(db: &DatabaseConnection, id: i32) -> Result<ApiTokenView, TokenError> {
    let row = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(TokenError::NotFound)?;
    let row = if row.revoked_at.is_none() {
        let mut active: api_token::ActiveModel = row.into();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(db).await?
    } else {
        row
    };
    let owner = user::Entity::find_by_id(row.user_id).one(db).await?;
    Ok(view(
        row,
        owner.map(|u| u.email).as_deref().unwrap_or_default(),
    ))
}

/// The staff member a bearer token acts as: `None` for an unknown or revoked token, or one
/// whose owner is no longer active staff.
pub async fn authenticate(db: &DatabaseConnection, token: &str) -> Result<Option<User>, AppError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(owner) = super::find_active_user(db, row.user_id).await? else {
        return Ok(None);
    };
    if !owner.role.is_staff() {
        return Ok(None);
    }
    let mut active: api_token::ActiveModel = row.into();
    active.last_used_at = Set(Some(Utc::now()));
    active.update(db).await?;
    Ok(Some(owner))
}
