//! An algorithm's settings: who may call it and what it may do.

use std::fmt;
use std::str::FromStr;

use algobox_runtime::network::{NetworkAccess, ParseNetworkAccessError};
use serde::{Deserialize, Serialize};

use crate::registry::error::RegistryError;

/// The licenses Algorithmia offers; only `apl` allows closed source.
pub const LICENSES: [&str; 4] = ["apl", "apache2", "gpl3", "mit"];

/// The languages an algorithm may name: Algorithmia's documented list,
/// then what algobox adds for WebAssembly (`python` and `wasm`, and C and
/// C++ as plain WASI programs). The language is informational: every
/// algorithm is WebAssembly.
pub const LANGUAGES: [&str; 12] = [
    "java",
    "javascript",
    "python2-lackpack",
    "python3-1",
    "r",
    "ruby",
    "rust",
    "scala",
    "python",
    "wasm",
    "c",
    "cpp",
];

/// An algorithm's settings, in Algorithmia's field names.
///
/// Missing fields deserialize to their defaults, so settings stored before
/// a field existed still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Who may call the latest version.
    pub algorithm_callability: Callability,
    /// `open` or `closed`; `closed` needs the `apl` license.
    pub source_visibility: String,
    /// The language it is written in (informational for WebAssembly); one
    /// of [`LANGUAGES`]. Absent when `package_set` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The hardware it runs on.
    pub environment: Environment,
    /// One of [`LICENSES`].
    pub license: String,
    /// Whether it may reach the network.
    pub network_access: NetworkAccess,
    /// Whether it may call other algorithms.
    pub pipeline_enabled: bool,
    /// Algorithmia's package set (informational); absent when `language`
    /// is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_set: Option<String>,
    /// Algorithmia's algorithm environment id (informational), which its
    /// own tools send in place of `language` and `environment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm_environment: Option<String>,
    /// What each call costs callers beyond compute, in millionths of a credit.
    pub royalty_microcredits: u64,
    /// Whether it reports Algorithmia Insights.
    pub insights_enabled: bool,
}

impl Default for Settings {
    /// Private, closed source under `apl`, on CPU, with no network and no
    /// pipelines: an algorithm gets nothing it was not given.
    fn default() -> Self {
        Self {
            algorithm_callability: Callability::Private,
            source_visibility: "closed".to_owned(),
            language: None,
            environment: Environment::Cpu,
            license: "apl".to_owned(),
            network_access: NetworkAccess::Isolated,
            pipeline_enabled: false,
            package_set: None,
            algorithm_environment: None,
            royalty_microcredits: 0,
            insights_enabled: false,
        }
    }
}

impl Settings {
    /// Checks the rules that span fields: a known license and language,
    /// closed source only under `apl`, and a package set only instead of a
    /// language.
    pub fn validate(&self) -> Result<(), RegistryError> {
        if let Some(language) = &self.language
            && !LANGUAGES.contains(&language.as_str())
        {
            return Err(RegistryError::invalid(
                "settings.language",
                format!(
                    "`{language}` is not a language algobox knows; use one of {}",
                    LANGUAGES.join(", ")
                ),
            ));
        }
        if self.language.is_some() && self.package_set.is_some() {
            return Err(RegistryError::invalid(
                "settings.package_set",
                "an algorithm has a language or a package set, not both; remove one of them",
            ));
        }
        if !LICENSES.contains(&self.license.as_str()) {
            return Err(RegistryError::invalid(
                "settings.license",
                format!(
                    "`{}` is not offered; use one of apl, apache2, gpl3, mit",
                    self.license
                ),
            ));
        }
        match self.source_visibility.as_str() {
            "open" => Ok(()),
            "closed" if self.license == "apl" => Ok(()),
            "closed" => Err(RegistryError::invalid(
                "settings.source_visibility",
                format!(
                    "closed source needs the `apl` license, but the license is `{}`; set source_visibility to `open` or the license to `apl`",
                    self.license
                ),
            )),
            other => Err(RegistryError::invalid(
                "settings.source_visibility",
                format!("`{other}` is not a visibility; use `open` or `closed`"),
            )),
        }
    }
}

/// Settings as a request sends them: every field optional and the
/// enumerations as text, so a bad value is reported with its field's name
/// rather than as a JSON error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SettingsUpdate {
    /// `public` or `private`.
    pub algorithm_callability: Option<String>,
    /// `open` or `closed`.
    pub source_visibility: Option<String>,
    /// The language.
    pub language: Option<String>,
    /// `cpu` or `gpu`.
    pub environment: Option<String>,
    /// One of [`LICENSES`].
    pub license: Option<String>,
    /// `full` or `isolated`.
    pub network_access: Option<String>,
    /// Whether it may call other algorithms.
    pub pipeline_enabled: Option<bool>,
    /// The package set.
    pub package_set: Option<String>,
    /// The algorithm environment id.
    pub algorithm_environment: Option<String>,
    /// The royalty in microcredits.
    pub royalty_microcredits: Option<u64>,
    /// Whether Insights are on.
    pub insights_enabled: Option<bool>,
}

impl SettingsUpdate {
    /// `base` with the fields this update sets, checked.
    pub fn apply(&self, base: &Settings) -> Result<Settings, RegistryError> {
        let mut settings = base.clone();
        if let Some(text) = &self.algorithm_callability {
            settings.algorithm_callability = text.parse()?;
        }
        if let Some(text) = &self.source_visibility {
            settings.source_visibility.clone_from(text);
        }
        if let Some(text) = &self.language {
            settings.language = Some(text.clone());
        }
        if let Some(text) = &self.environment {
            settings.environment = text.parse()?;
        }
        if let Some(text) = &self.license {
            settings.license.clone_from(text);
        }
        if let Some(text) = &self.network_access {
            settings.network_access = text.parse().map_err(|err: ParseNetworkAccessError| {
                RegistryError::invalid("settings.network_access", err.to_string())
            })?;
        }
        if let Some(value) = self.pipeline_enabled {
            settings.pipeline_enabled = value;
        }
        if let Some(text) = &self.package_set {
            settings.package_set = Some(text.clone());
        }
        if let Some(text) = &self.algorithm_environment {
            settings.algorithm_environment = Some(text.clone());
        }
        if let Some(value) = self.royalty_microcredits {
            settings.royalty_microcredits = value;
        }
        if let Some(value) = self.insights_enabled {
            settings.insights_enabled = value;
        }
        settings.validate()?;
        Ok(settings)
    }
}

impl SettingsUpdate {
    /// Checks what Algorithmia's create requires beyond [`apply`](Self::apply):
    /// `license`, `network_access`, `pipeline_enabled` and
    /// `source_visibility`; a `language` with its `environment`, or a
    /// `package_set` (or an `algorithm_environment`) instead. The error
    /// names every missing field at once.
    pub fn require_complete(&self) -> Result<(), RegistryError> {
        // Contradictions first: adding a missing field would not fix them.
        if self.package_set.is_some() && self.language.is_some() {
            return Err(RegistryError::invalid(
                "settings.package_set",
                "an algorithm has a language or a package set, not both; remove one of them",
            ));
        }
        if self.package_set.is_some() && self.environment.is_some() {
            return Err(RegistryError::invalid(
                "settings.environment",
                "a package set decides the environment; leave out `environment` (or the package set)",
            ));
        }
        let mut missing = Vec::new();
        for (field, present) in [
            ("settings.license", self.license.is_some()),
            ("settings.network_access", self.network_access.is_some()),
            ("settings.pipeline_enabled", self.pipeline_enabled.is_some()),
            (
                "settings.source_visibility",
                self.source_visibility.is_some(),
            ),
        ] {
            if !present {
                missing.push(field);
            }
        }
        let packaged = self.package_set.is_some() || self.algorithm_environment.is_some();
        match (&self.language, packaged) {
            (Some(_), _) if self.environment.is_none() && self.algorithm_environment.is_none() => {
                missing.push("settings.environment");
            }
            (None, false) => missing.push("settings.language"),
            _ => {}
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(RegistryError::MissingFields { fields: missing })
        }
    }
}

/// Declares a two-valued setting with its wire names and the field named in
/// parse errors.
macro_rules! choice {
    (
        $(#[$doc:meta])* $name:ident, $field:literal,
        $(#[$adoc:meta])* $a:ident = $atext:literal,
        $(#[$bdoc:meta])* $b:ident = $btext:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $(#[$adoc])* $a,
            $(#[$bdoc])* $b,
        }

        impl $name {
            /// The wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    Self::$a => $atext,
                    Self::$b => $btext,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = RegistryError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $atext => Ok(Self::$a),
                    $btext => Ok(Self::$b),
                    _ => Err(RegistryError::invalid(
                        $field,
                        format!(concat!("`{}` is not accepted; use `", $atext, "` or `", $btext, "`"), text),
                    )),
                }
            }
        }
    };
}

choice!(
    /// Who may call an algorithm or a version.
    Callability, "settings.algorithm_callability",
    /// Anyone with an API key.
    Public = "public",
    /// Only the owner (or the owning organization's members).
    Private = "private"
);

choice!(
    /// The hardware an algorithm runs on.
    Environment, "settings.environment",
    /// Any machine.
    Cpu = "cpu",
    /// A machine with a GPU.
    Gpu = "gpu"
);

#[cfg(test)]
mod tests {
    use crate::registry::settings::*;

    fn field_of(err: RegistryError) -> &'static str {
        match err {
            RegistryError::InvalidField { field, .. } => field,
            other => panic!("expected InvalidField, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_private_closed_and_valid() {
        let settings = Settings::default();
        assert_eq!(settings.algorithm_callability, Callability::Private);
        assert_eq!(settings.network_access, NetworkAccess::Isolated);
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn update_sets_only_given_fields() {
        let update = SettingsUpdate {
            environment: Some("gpu".into()),
            license: Some("mit".into()),
            source_visibility: Some("open".into()),
            ..SettingsUpdate::default()
        };
        let settings = update.apply(&Settings::default()).unwrap();
        assert_eq!(settings.environment, Environment::Gpu);
        assert_eq!(settings.license, "mit");
        assert_eq!(settings.source_visibility, "open");
        assert_eq!(settings.network_access, NetworkAccess::Isolated);
    }

    #[test]
    fn errors_name_the_field() {
        let base = Settings::default();
        let cases = [
            (
                SettingsUpdate {
                    license: Some("bsd".into()),
                    ..Default::default()
                },
                "settings.license",
            ),
            (
                SettingsUpdate {
                    license: Some("mit".into()),
                    ..Default::default()
                },
                "settings.source_visibility",
            ),
            (
                SettingsUpdate {
                    source_visibility: Some("half".into()),
                    ..Default::default()
                },
                "settings.source_visibility",
            ),
            (
                SettingsUpdate {
                    environment: Some("tpu".into()),
                    ..Default::default()
                },
                "settings.environment",
            ),
            (
                SettingsUpdate {
                    network_access: Some("some".into()),
                    ..Default::default()
                },
                "settings.network_access",
            ),
            (
                SettingsUpdate {
                    algorithm_callability: Some("friends".into()),
                    ..Default::default()
                },
                "settings.algorithm_callability",
            ),
        ];
        for (update, field) in cases {
            assert_eq!(field_of(update.apply(&base).unwrap_err()), field);
        }
    }

    #[test]
    fn parse_errors_list_the_choices() {
        let err = "tpu".parse::<Environment>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid `settings.environment`: `tpu` is not accepted; use `cpu` or `gpu`"
        );
    }

    #[test]
    fn settings_serialize_with_algorithmia_names() {
        let json = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(json["algorithm_callability"], "private");
        assert_eq!(json["network_access"], "isolated");
        assert_eq!(json["environment"], "cpu");
    }
}
