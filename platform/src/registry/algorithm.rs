//! An algorithm as the registry knows it: its name, owner, description,
//! settings and last uploaded module.

use serde::{Deserialize, Serialize};

use crate::identity::{AccountName, AlgorithmId, AlgorithmName};
use crate::registry::error::RegistryError;
use crate::registry::settings::{Settings, SettingsUpdate};
use crate::timestamp::Timestamp;
use algobox_runtime::content_hash::ContentHash;

/// A registered algorithm. Its code lives in builds and published versions;
/// this is the mutable head they are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmRecord {
    /// A UUID v4 (36 characters), which Algorithmia's clients expect and
    /// builds and versions refer to.
    pub id: AlgorithmId,
    /// The owning account's name.
    pub owner: AccountName,
    /// The name, unique within the owner regardless of case.
    pub name: AlgorithmName,
    /// The human-readable description.
    pub details: Details,
    /// The current settings; versions keep a copy from when they were
    /// published.
    pub settings: Settings,
    /// The hash of the module uploaded last, if any: what the next build
    /// compiles.
    pub source: Option<ContentHash>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its details, settings or source last changed.
    pub updated_at: Timestamp,
}

/// An algorithm's description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    /// The human-readable name; required.
    pub label: String,
    /// A full description (may hold HTML).
    pub summary: String,
    /// A one-line description.
    pub tagline: String,
}

impl Details {
    /// Checks that the label is there.
    pub fn validate(&self) -> Result<(), RegistryError> {
        if self.label.trim().is_empty() {
            return Err(RegistryError::invalid(
                "details.label",
                "a label is required; give the algorithm a human-readable name",
            ));
        }
        Ok(())
    }
}

/// Changes to an algorithm's details; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DetailsUpdate {
    /// A new label (must not be empty).
    pub label: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
    /// A new tagline.
    pub tagline: Option<String>,
}

impl DetailsUpdate {
    /// `base` with the fields this update sets, checked.
    pub fn apply(&self, base: &Details) -> Result<Details, RegistryError> {
        let mut details = base.clone();
        if let Some(label) = &self.label {
            details.label.clone_from(label);
        }
        if let Some(summary) = &self.summary {
            details.summary.clone_from(summary);
        }
        if let Some(tagline) = &self.tagline {
            details.tagline.clone_from(tagline);
        }
        details.validate()?;
        Ok(details)
    }
}

/// A request to create an algorithm (the body of
/// `POST /v1/algorithms/:owner`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NewAlgorithm {
    /// The name: a letter, then letters, digits and underscores.
    pub name: String,
    /// The description; the label is required.
    pub details: Details,
    /// The settings; Algorithmia's required ones must be there (see
    /// [`SettingsUpdate::require_complete`]).
    pub settings: SettingsUpdate,
}

impl NewAlgorithm {
    /// Checks every field and returns the settings the algorithm starts
    /// with; the error names the first bad field.
    pub fn validate(&self) -> Result<Settings, RegistryError> {
        AlgorithmName::parse(&self.name)
            .map_err(|err| RegistryError::invalid("name", err.to_string()))?;
        self.details.validate()?;
        self.settings.require_complete()?;
        self.settings.apply(&Settings::default())
    }
}

/// Changes to an algorithm (the body of `PUT /v1/algorithms/:owner/:name`);
/// absent fields keep their values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AlgorithmUpdate {
    /// Changes to the description.
    pub details: DetailsUpdate,
    /// Changes to the settings.
    pub settings: SettingsUpdate,
}

impl AlgorithmUpdate {
    /// The details and settings after this update, checked.
    pub fn apply(&self, algorithm: &AlgorithmRecord) -> Result<(Details, Settings), RegistryError> {
        Ok((
            self.details.apply(&algorithm.details)?,
            self.settings.apply(&algorithm.settings)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::algorithm::*;

    fn field_of(result: Result<Settings, RegistryError>) -> &'static str {
        match result {
            Err(RegistryError::InvalidField { field, .. }) => field,
            other => panic!("expected InvalidField, got {other:?}"),
        }
    }

    fn valid() -> NewAlgorithm {
        NewAlgorithm {
            name: "Hello".into(),
            details: Details {
                label: "Greeting".into(),
                ..Details::default()
            },
            settings: crate::registry::conformance::required_settings(),
        }
    }

    #[test]
    fn a_valid_request_gets_the_settings_it_names() {
        assert_eq!(
            valid().validate(),
            Ok(Settings {
                language: Some("rust".into()),
                ..Settings::default()
            })
        );
    }

    #[test]
    fn create_names_every_missing_required_setting() {
        let mut bare = valid();
        bare.settings = SettingsUpdate::default();
        let err = bare.validate().unwrap_err();
        assert_eq!(
            err,
            RegistryError::MissingFields {
                fields: vec![
                    "settings.license",
                    "settings.network_access",
                    "settings.pipeline_enabled",
                    "settings.source_visibility",
                    "settings.language",
                ]
            }
        );
        assert!(
            err.to_string()
                .starts_with("missing required fields: settings.license, settings.network_access"),
            "{err}"
        );

        // A language needs its environment...
        let mut no_environment = valid();
        no_environment.settings.environment = None;
        assert_eq!(
            no_environment.validate(),
            Err(RegistryError::MissingFields {
                fields: vec!["settings.environment"]
            })
        );
        // ...a package set stands instead of both, and excludes them...
        let mut packaged = valid();
        packaged.settings.language = None;
        packaged.settings.environment = None;
        packaged.settings.package_set = Some("python39".into());
        assert_eq!(
            packaged.validate().unwrap().package_set.as_deref(),
            Some("python39")
        );
        let mut both = valid();
        both.settings.package_set = Some("python39".into());
        assert_eq!(field_of(both.validate()), "settings.package_set");
        packaged.settings.environment = Some("gpu".into());
        assert_eq!(field_of(packaged.validate()), "settings.environment");
        // ...and a language must be one algobox knows.
        let mut cobol = valid();
        cobol.settings.language = Some("cobol".into());
        assert_eq!(field_of(cobol.validate()), "settings.language");
    }

    #[test]
    fn validation_errors_name_the_field() {
        let mut bad_name = valid();
        bad_name.name = "1st".into();
        assert_eq!(field_of(bad_name.validate()), "name");

        let mut no_label = valid();
        no_label.details.label = "  ".into();
        assert_eq!(field_of(no_label.validate()), "details.label");

        let mut bad_license = valid();
        bad_license.settings.license = Some("wtfpl".into());
        assert_eq!(field_of(bad_license.validate()), "settings.license");
    }

    #[test]
    fn parses_an_algorithmia_create_body() {
        let body = r#"{"name": "my_first_algorithm", "details": {"label": "My First Algorithm"},
            "settings": {"environment": "cpu", "language": "java", "license": "apl",
            "network_access": "full", "pipeline_enabled": true, "source_visibility": "closed"}}"#;
        let request: NewAlgorithm = serde_json::from_str(body).unwrap();
        let settings = request.validate().unwrap();
        assert_eq!(settings.language.as_deref(), Some("java"));
        assert!(settings.pipeline_enabled);
        assert_eq!(
            settings.network_access,
            algobox_runtime::network::NetworkAccess::Full
        );
    }
}
