//! Publishing: turning a succeeded build into the next immutable version.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::identity::AlgorithmId;
use crate::registry::build::BuildStatus;
use crate::registry::error::RegistryError;
use crate::registry::id::new_id;
use crate::registry::sqlite::column::to_json;
use crate::registry::sqlite::{algorithm_rows, build_rows};
use crate::registry::version::{PublishRequest, Version};
use crate::timestamp::Timestamp;

pub(super) fn publish(
    conn: &mut Connection,
    algorithm_id: &AlgorithmId,
    request: &PublishRequest,
) -> Result<Version, RegistryError> {
    // IMMEDIATE takes the write lock first, so two publishes (from two
    // processes too) cannot both read the same highest version.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut algorithm = algorithm_rows::require_by_id(&tx, algorithm_id.as_str())?;
    let build = build_rows::get(&tx, algorithm_id.as_str(), request.build_id.as_str())?
        .ok_or_else(|| RegistryError::NoSuchBuild {
            build_id: request.build_id.to_string(),
        })?;
    if build.status != BuildStatus::Succeeded {
        return Err(RegistryError::BuildNotSucceeded {
            build_id: build.id.to_string(),
            status: build.status.as_str(),
        });
    }
    // A build publishes once; the same module under a new build (a
    // rollback) is a new version.
    let published: Option<String> = tx
        .query_row(
            "SELECT version FROM versions WHERE build_id = ?1",
            params![build.id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(text) = published {
        return Err(RegistryError::AlreadyPublished {
            version: parse_stored(&text)?,
        });
    }
    let mut statement = tx.prepare("SELECT version FROM versions WHERE algorithm_id = ?1")?;
    let highest = statement
        .query_map([algorithm_id], |row| row.get::<_, String>(0))?
        .map(|text| parse_stored(&text?))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max();
    drop(statement);

    let callability = request
        .callability
        .unwrap_or(algorithm.settings.algorithm_callability);
    algorithm.settings.algorithm_callability = callability;
    let version = Version {
        algorithm_id: algorithm_id.clone(),
        version: request.bump.next(highest.as_ref()),
        version_uuid: new_id()?,
        build_id: build.id,
        commit_sha: build.commit_sha,
        release_notes: request.release_notes.clone(),
        sample_input: request.sample_input.clone(),
        sample_output: request.sample_output.clone(),
        callability,
        settings: algorithm.settings.clone(),
        published_at: Timestamp::now(),
    };
    tx.execute(
        "INSERT INTO versions (algorithm_id, version, version_uuid, build_id, commit_sha,
            release_notes, sample_input, sample_output, callability, settings, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            version.algorithm_id,
            version.version.to_string(),
            version.version_uuid,
            version.build_id,
            version.commit_sha.to_string(),
            version.release_notes,
            version.sample_input,
            version.sample_output,
            version.callability.as_str(),
            to_json(&version.settings)?,
            version.published_at.as_millis(),
        ],
    )?;
    // The algorithm's callability describes its latest version.
    algorithm.updated_at = version.published_at;
    algorithm_rows::store_settings(&tx, &algorithm)?;
    tx.commit()?;
    Ok(version)
}

fn parse_stored(text: &str) -> Result<semver::Version, RegistryError> {
    semver::Version::parse(text)
        .map_err(|err| RegistryError::Storage(format!("stored version `{text}` is invalid: {err}")))
}

#[cfg(test)]
mod tests {
    use crate::registry::algorithm::AlgorithmUpdate;
    use crate::registry::error::RegistryError;
    use crate::registry::settings::{Callability, SettingsUpdate};
    use crate::registry::sqlite::fixture::{acct, algo};
    use crate::registry::sqlite::fixture::{build, publish, registry, request};
    use crate::registry::version::VersionBump;
    use algobox_runtime::content_hash::ContentHash;
    use algobox_runtime::network::NetworkAccess;

    #[test]
    fn versions_follow_the_bumps() {
        let (registry, algorithm) = registry();
        assert_eq!(
            publish(&registry, &algorithm, "a", VersionBump::Minor),
            "0.1.0"
        );
        assert_eq!(
            publish(&registry, &algorithm, "b", VersionBump::Patch),
            "0.1.1"
        );
        assert_eq!(
            publish(&registry, &algorithm, "c", VersionBump::Minor),
            "0.2.0"
        );
        assert_eq!(
            publish(&registry, &algorithm, "d", VersionBump::Major),
            "1.0.0"
        );

        let all = registry.all_versions(&algorithm).unwrap();
        let texts: Vec<String> = all.iter().map(|v| v.version.to_string()).collect();
        assert_eq!(texts, ["1.0.0", "0.2.0", "0.1.1", "0.1.0"]);
        assert_eq!(all[0].release_notes, "major release");
        assert_eq!(all[0].sample_output, "Hello Neo");
        assert_eq!(all[0].commit_sha, ContentHash::of(b"d"));
    }

    #[test]
    fn a_build_publishes_once_and_a_rollback_is_a_new_version() {
        let (registry, algorithm) = registry();
        let id = build(&registry, &algorithm, "a", true);
        registry
            .publish(
                &algorithm,
                &request(&id, VersionBump::Minor, Callability::Public),
            )
            .unwrap();

        let err = registry
            .publish(
                &algorithm,
                &request(&id, VersionBump::Minor, Callability::Public),
            )
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::AlreadyPublished {
                version: semver::Version::new(0, 1, 0)
            }
        );
        assert!(
            err.to_string().contains("compile your algorithm again"),
            "{err}"
        );

        // A new build of the same module is a rollback: a new version.
        let same_code = build(&registry, &algorithm, "a", true);
        let rollback = registry
            .publish(
                &algorithm,
                &request(&same_code, VersionBump::Patch, Callability::Public),
            )
            .unwrap();
        assert_eq!(rollback.version, semver::Version::new(0, 1, 1));
        assert_eq!(rollback.commit_sha, ContentHash::of(b"a"));
        assert_eq!(registry.all_versions(&algorithm).unwrap().len(), 2);
        // The hash now names the newest version built from it.
        let by_hash = registry
            .version_by_hash(&algorithm, &ContentHash::of(b"a"))
            .unwrap()
            .unwrap();
        assert_eq!(by_hash.version, semver::Version::new(0, 1, 1));
    }

    #[test]
    fn only_succeeded_builds_of_this_algorithm_publish() {
        let (registry, algorithm) = registry();
        let failed = build(&registry, &algorithm, "a", false);
        let err = registry
            .publish(
                &algorithm,
                &request(&failed, VersionBump::Minor, Callability::Public),
            )
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::BuildNotSucceeded {
                build_id: failed.to_string(),
                status: "failed"
            }
        );

        let running = registry
            .start_build(&algorithm, &ContentHash::of(b"b"))
            .unwrap();
        let err = registry
            .publish(
                &algorithm,
                &request(&running.id, VersionBump::Minor, Callability::Public),
            )
            .unwrap_err();
        assert!(matches!(
            err,
            RegistryError::BuildNotSucceeded {
                status: "in-progress",
                ..
            }
        ));

        let err = registry
            .publish(
                &algorithm,
                &request(
                    &crate::identity::BuildId::parse("00000000-0000-4000-8000-000000000000")
                        .unwrap(),
                    VersionBump::Minor,
                    Callability::Public,
                ),
            )
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::NoSuchBuild {
                build_id: "00000000-0000-4000-8000-000000000000".into()
            }
        );
        assert!(registry.all_versions(&algorithm).unwrap().is_empty());
    }

    #[test]
    fn a_version_keeps_the_settings_it_was_published_with() {
        let (registry, algorithm) = registry();
        let id = build(&registry, &algorithm, "a", true);
        let version = registry
            .publish(
                &algorithm,
                &request(&id, VersionBump::Minor, Callability::Public),
            )
            .unwrap();
        assert_eq!(version.settings.network_access, NetworkAccess::Isolated);
        assert_eq!(version.settings.algorithm_callability, Callability::Public);
        let head = registry
            .algorithm(&acct("demo"), &algo("Hello"))
            .unwrap()
            .unwrap();
        assert_eq!(head.settings.algorithm_callability, Callability::Public);

        let update = AlgorithmUpdate {
            settings: SettingsUpdate {
                network_access: Some("full".into()),
                ..SettingsUpdate::default()
            },
            ..AlgorithmUpdate::default()
        };
        registry
            .update_algorithm(&acct("demo"), &algo("Hello"), &update)
            .unwrap();
        let stored = registry
            .version_by_hash(&algorithm, &ContentHash::of(b"a"))
            .unwrap();
        assert_eq!(stored, Some(version));

        let conn = registry.conn();
        let err = conn
            .execute("UPDATE versions SET release_notes = 'edited'", [])
            .unwrap_err();
        assert!(
            err.to_string().contains("published versions never change"),
            "{err}"
        );
    }
}
