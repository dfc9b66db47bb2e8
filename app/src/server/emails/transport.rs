//! Delivery: SMTP through `lettre` when `SMTP_URL` is set (`smtp://host:port` plain,
//! `smtp://…?tls=required` STARTTLS, `smtps://` TLS, credentials in the URL), else `.eml` files
//! in the mail directory (`data/outbox/` by default) that any mail client opens.
use std::path::PathBuf;

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::server::{config::Settings, db::email};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address `{0}`")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("cannot write the mail file: {0}")]
    File(String),
}

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        host: String,
    },
    Files {
        dir: PathBuf,
        from: Mailbox,
        host: String,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .shop
            .email_from
            .parse()
            .map_err(|_| MailError::Address(settings.shop.email_from.clone()))?;
        let host = settings
            .public_url
            .host_str()
            .unwrap_or("localhost")
            .to_string();
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Smtp(e.to_string()))?
                    .timeout(Some(std::time::Duration::from_secs(15)))
                    .build();
                Ok(Mailer::Smtp {
                    transport,
                    from,
                    host,
                })
            }
            None => Ok(Mailer::Files {
                dir: settings.mail_dir.clone(),
                from,
                host,
            }),
        }
    }

    /// Builds the MIME message of a queued email: plain text and HTML alternatives, a
    /// Message-ID of its own (so a copy that went out twice is recognisably the same email).
    pub fn message(&self, row: &email::Model) -> Result<Message, MailError> {
        let (from, host) = match self {
            Mailer::Smtp { from, host, .. } | Mailer::Files { from, host, .. } => (from, host),
        };
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|_| MailError::Address(row.to_address.clone()))?;
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<pasar-email-{}@{host}>", row.id)))
            .date(row.created_at.into())
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(row.text_body.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(row.html_body.clone()),
                    ),
            )
            .map_err(|e| MailError::Build(e.to_string()))
    }

    pub async fn send(&self, row: &email::Model) -> Result<(), MailError> {
        let message = self.message(row)?;
        match self {
            Mailer::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Smtp(e.to_string())),
            Mailer::Files { dir, .. } => {
                // Named by the email's id: writing it again replaces the same file, so a retry
                // never makes a second copy. Written aside, then renamed into place.
                let name = format!("{:06}-{}.eml", row.id, row.kind.replace('.', "-"));
                let bytes = message.formatted();
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{name}.tmp"));
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, dir.join(&name))
                })
                .await
                .map_err(|e| MailError::File(e.to_string()))?
                .map_err(|e| MailError::File(e.to_string()))
            }
        }
    }
}
