//! `algobox account` and `algobox key`: users, organizations and API keys,
//! managed in the data folder's registry directly (safe while a server runs
//! on it: the server re-reads keys within seconds).

use std::path::PathBuf;
use std::process::ExitCode;

use algobox_platform::identity::AccountName;
use algobox_platform::registry::account::AccountKind;
use algobox_platform::registry::sqlite::SqliteRegistry;
use anyhow::Context as _;
use serde_json::json;

/// The data folder whose registry the command changes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DataDirArgs {
    /// The server's data folder.
    #[arg(long, env = "ALGOBOX_DATA_DIR", default_value = "./algobox-data")]
    data_dir: PathBuf,
}

impl DataDirArgs {
    fn open(&self) -> anyhow::Result<SqliteRegistry> {
        let path = self.data_dir.join("registry.sqlite3");
        anyhow::ensure!(
            path.exists(),
            "no registry at {}; start `algobox serve --data-dir {}` once, or pass --data-dir",
            path.display(),
            self.data_dir.display()
        );
        SqliteRegistry::open(&path).with_context(|| format!("cannot open {}", path.display()))
    }
}

/// Users and organizations.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AccountCommand {
    /// Creates a user (or, with --organization, an organization).
    Create {
        /// The name: a letter, then letters, digits and underscores.
        name: AccountName,
        /// Create an organization, whose algorithms its members manage.
        #[arg(long)]
        organization: bool,
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Makes a user a member of an organization.
    AddMember {
        /// The organization.
        organization: AccountName,
        /// The user.
        user: AccountName,
        #[command(flatten)]
        data: DataDirArgs,
    },
}

/// API keys.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum KeyCommand {
    /// Creates a key for an account and prints it (it is shown only once).
    Create {
        /// The account.
        account: AccountName,
        /// What the key is for.
        #[arg(long, default_value = "")]
        label: String,
        /// Print `{"id", "key"}` as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Lists an account's keys (their first characters only).
    List {
        /// The account.
        account: AccountName,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Revokes a key by its id.
    Revoke {
        /// The account.
        account: AccountName,
        /// The key's id, from `algobox key list`.
        id: String,
        #[command(flatten)]
        data: DataDirArgs,
    },
}

impl AccountCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Create {
                name,
                organization,
                data,
            } => {
                let kind = if organization {
                    AccountKind::Organization
                } else {
                    AccountKind::User
                };
                let account = data.open()?.create_account(&name, kind)?;
                println!("created {} {}", account.kind.as_str(), account.name);
            }
            Self::AddMember {
                organization,
                user,
                data,
            } => {
                data.open()?.add_member(&organization, &user)?;
                println!("{user} is a member of {organization}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

impl KeyCommand {
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Self::Create {
                account,
                label,
                json,
                data,
            } => {
                let (info, key) = data.open()?.create_key(&account, &label)?;
                if json {
                    println!(
                        "{}",
                        json!({ "id": info.id, "account": info.account, "key": key })
                    );
                } else {
                    println!("{key}");
                    eprintln!(
                        "created key {} for {}; it is shown only this once",
                        info.id, info.account
                    );
                }
            }
            Self::List {
                account,
                json,
                data,
            } => {
                let keys = data.open()?.list_keys(&account)?;
                if json {
                    let keys: Vec<_> = keys
                        .iter()
                        .map(|key| json!({ "id": key.id, "label": key.label, "prefix": key.shown_prefix, "created_at": key.created_at }))
                        .collect();
                    println!("{}", json!(keys));
                } else {
                    for key in keys {
                        println!(
                            "{}  {}…  {}  {}",
                            key.id, key.shown_prefix, key.created_at, key.label
                        );
                    }
                }
            }
            Self::Revoke { account, id, data } => {
                anyhow::ensure!(
                    data.open()?.revoke_key(&account, &id)?,
                    "{account} has no key {id}; `algobox key list {account}` shows its keys"
                );
                println!("revoked {id}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
