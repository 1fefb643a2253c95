//! What EMR runs: job runs, job templates and managed endpoints seen as one kind of object,
//! with their release label and every configuration property they set, whether in
//! `configurationOverrides` or as `--conf key=value` in the driver's parameters.

use emrguard_model::aws::{ApplicationConfiguration, ConfigurationOverrides, JobDriver};
use emrguard_model::{Inventory, Source};

use crate::finding::ResourceRef;

/// Which kind of EMR object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmrObjectKind {
    JobRun,
    JobTemplate,
    ManagedEndpoint,
}

impl EmrObjectKind {
    /// The resource kind used in findings.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::JobRun => "JobRun",
            Self::JobTemplate => "JobTemplate",
            Self::ManagedEndpoint => "ManagedEndpoint",
        }
    }

    /// How a message names it.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Self::JobRun => "job run",
            Self::JobTemplate => "job template",
            Self::ManagedEndpoint => "managed endpoint",
        }
    }
}

/// A job run, job template or managed endpoint.
#[derive(Debug, Clone)]
pub(crate) struct EmrObject<'a> {
    pub(crate) kind: EmrObjectKind,
    pub(crate) id: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) arn: Option<&'a str>,
    pub(crate) virtual_cluster_id: Option<&'a str>,
    pub(crate) state: Option<&'a str>,
    pub(crate) execution_role_arn: Option<&'a str>,
    /// The release label, with a job template's `${parameter}` replaced by its default value.
    pub(crate) release_label: Option<String>,
    pub(crate) overrides: Option<&'a ConfigurationOverrides>,
    pub(crate) driver: Option<&'a JobDriver>,
    pub(crate) source: &'a Source,
}

impl EmrObject<'_> {
    /// The name, or the id when it has none.
    pub(crate) fn display_name(&self) -> &str {
        self.name.filter(|n| !n.is_empty()).unwrap_or(self.id)
    }

    /// `job run `nightly` (`0000000abc`)`, for messages.
    pub(crate) fn describe(&self) -> String {
        match self.name.filter(|n| !n.is_empty() && *n != self.id) {
            Some(name) => format!("{} `{name}` (`{}`)", self.kind.noun(), self.id),
            None => format!("{} `{}`", self.kind.noun(), self.id),
        }
    }

    /// The finding resource.
    pub(crate) fn resource(&self) -> ResourceRef {
        match self.arn {
            Some(arn) if !arn.is_empty() => {
                ResourceRef::aws(self.kind.kind(), arn, Some(self.display_name()))
            }
            _ => ResourceRef::aws_named(self.kind.kind(), self.id),
        }
        .at(self.source)
    }

    /// Whether the object still exists in a usable form: endpoints that were terminated are
    /// gone; job runs and templates are always judged, since they show what was run.
    pub(crate) fn is_live(&self) -> bool {
        self.kind != EmrObjectKind::ManagedEndpoint
            || !self.state.is_some_and(|s| s.starts_with("TERMINATED"))
    }

    /// The Region, from the object's ARN or, failing that, the cluster's.
    pub(crate) fn region<'b>(&'b self, inventory: &'b Inventory) -> Option<&'b str> {
        self.arn
            .and_then(|a| a.split(':').nth(3))
            .filter(|r| !r.is_empty())
            .or_else(|| inventory.cluster().and_then(|c| c.region()))
    }

    /// Every configuration property the object sets.
    pub(crate) fn properties(&self) -> Vec<ConfProperty> {
        let mut out = Vec::new();
        if let Some(overrides) = self.overrides {
            walk(&overrides.application_configuration, "", &mut out);
        }
        if let Some(driver) = self.driver {
            if let Some(params) = driver
                .spark_submit_job_driver
                .as_ref()
                .and_then(|d| d.spark_submit_parameters.as_deref())
            {
                out.extend(conf_parameters(
                    params,
                    PropertyOrigin::SparkSubmitParameters,
                ));
            }
            if let Some(params) = driver
                .spark_sql_job_driver
                .as_ref()
                .and_then(|d| d.spark_sql_parameters.as_deref())
            {
                out.extend(conf_parameters(params, PropertyOrigin::SparkSqlParameters));
            }
        }
        out
    }
}

/// Where a property was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PropertyOrigin {
    /// `configurationOverrides.applicationConfiguration`, with the classification path
    /// (`spark-defaults`, `jupyter-kernel-overrides/python3`).
    Overrides(String),
    /// `jobDriver.sparkSubmitJobDriver.sparkSubmitParameters`.
    SparkSubmitParameters,
    /// `jobDriver.sparkSqlJobDriver.sparkSqlParameters`.
    SparkSqlParameters,
}

impl std::fmt::Display for PropertyOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Overrides(path) => write!(f, "`configurationOverrides` classification `{path}`"),
            Self::SparkSubmitParameters => f.write_str("`sparkSubmitParameters` (`--conf`)"),
            Self::SparkSqlParameters => f.write_str("`sparkSqlParameters` (`--conf`)"),
        }
    }
}

/// One property set on an EMR object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfProperty {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) origin: PropertyOrigin,
}

impl ConfProperty {
    /// The innermost classification, for properties from `configurationOverrides`.
    pub(crate) fn classification_path(&self) -> Option<&str> {
        match &self.origin {
            PropertyOrigin::Overrides(path) => Some(path),
            _ => None,
        }
    }
}

fn walk(cfgs: &[ApplicationConfiguration], parent: &str, out: &mut Vec<ConfProperty>) {
    for c in cfgs {
        let path = if parent.is_empty() {
            c.classification.clone()
        } else {
            format!("{parent}/{}", c.classification)
        };
        for (k, v) in &c.properties {
            out.push(ConfProperty {
                key: k.clone(),
                value: v.clone(),
                origin: PropertyOrigin::Overrides(path.clone()),
            });
        }
        walk(&c.configurations, &path, out);
    }
}

/// The `--conf key=value` (and `-c key=value`, `--conf=key=value`) pairs of a spark-submit
/// style parameter string, split as a shell would.
pub(crate) fn conf_parameters(params: &str, origin: PropertyOrigin) -> Vec<ConfProperty> {
    // Unbalanced quotes make shell splitting fail; whitespace splitting still finds most pairs.
    let tokens = shlex::split(params)
        .unwrap_or_else(|| params.split_whitespace().map(str::to_owned).collect());
    let mut out = Vec::new();
    let mut iter = tokens.iter();
    while let Some(token) = iter.next() {
        let pair = match token.as_str() {
            "--conf" | "-c" => iter.next().map(String::as_str),
            t => t.strip_prefix("--conf="),
        };
        if let Some((key, value)) = pair.and_then(|p| p.split_once('=')) {
            out.push(ConfProperty {
                key: key.trim().to_owned(),
                value: value.to_owned(),
                origin: origin.clone(),
            });
        }
    }
    out
}

/// Replaces a release label that is exactly one `${parameter}` with the parameter's default.
fn resolve_template_label(
    label: &str,
    parameters: &std::collections::BTreeMap<String, emrguard_model::aws::TemplateParameter>,
) -> Option<String> {
    match label.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(name) => parameters.get(name).and_then(|p| p.default_value.clone()),
        None if label.contains("${") => None,
        None => Some(label.to_owned()),
    }
}

/// Every job run, job template and managed endpoint of the inventory, in inventory order.
pub(crate) fn emr_objects(inventory: &Inventory) -> Vec<EmrObject<'_>> {
    let mut out = Vec::new();
    for jr in &inventory.job_runs {
        out.push(EmrObject {
            kind: EmrObjectKind::JobRun,
            id: &jr.id,
            name: jr.name.as_deref(),
            arn: jr.arn.as_deref(),
            virtual_cluster_id: Some(jr.virtual_cluster_id.as_str()).filter(|v| !v.is_empty()),
            state: jr.state.as_deref(),
            execution_role_arn: jr.execution_role_arn.as_deref(),
            release_label: jr.release_label.clone(),
            overrides: jr.configuration_overrides.as_ref(),
            driver: jr.job_driver.as_ref(),
            source: &jr.source,
        });
    }
    for jt in &inventory.job_templates {
        let data = jt.job_template_data.as_ref();
        out.push(EmrObject {
            kind: EmrObjectKind::JobTemplate,
            id: &jt.id,
            name: jt.name.as_deref(),
            arn: jt.arn.as_deref(),
            virtual_cluster_id: None,
            state: None,
            execution_role_arn: data.and_then(|d| d.execution_role_arn.as_deref()),
            release_label: data.and_then(|d| {
                d.release_label
                    .as_deref()
                    .and_then(|l| resolve_template_label(l, &d.parameter_configuration))
            }),
            overrides: data.and_then(|d| d.configuration_overrides.as_ref()),
            driver: data.and_then(|d| d.job_driver.as_ref()),
            source: &jt.source,
        });
    }
    for ep in &inventory.managed_endpoints {
        out.push(EmrObject {
            kind: EmrObjectKind::ManagedEndpoint,
            id: &ep.id,
            name: ep.name.as_deref(),
            arn: ep.arn.as_deref(),
            virtual_cluster_id: Some(ep.virtual_cluster_id.as_str()).filter(|v| !v.is_empty()),
            state: ep.state.as_deref(),
            execution_role_arn: ep.execution_role_arn.as_deref(),
            release_label: ep.release_label.clone(),
            overrides: ep.configuration_overrides.as_ref(),
            driver: None,
            source: &ep.source,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_pairs_from_submit_parameters() {
        let got = conf_parameters(
            "--class Main --conf spark.executor.instances=2 --conf \"spark.driver.extraJavaOptions=-Da=b -Dc=d\" -c x.y=1 --conf=z=2 --jars s3://b/j.jar",
            PropertyOrigin::SparkSubmitParameters,
        );
        let pairs: Vec<(&str, &str)> = got
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("spark.executor.instances", "2"),
                ("spark.driver.extraJavaOptions", "-Da=b -Dc=d"),
                ("x.y", "1"),
                ("z", "2"),
            ]
        );
    }

    #[test]
    fn unbalanced_quotes_fall_back_to_whitespace() {
        let got = conf_parameters("--conf a=1 --conf 'b=2", PropertyOrigin::SparkSqlParameters);
        assert_eq!(got.first().map(|p| p.key.as_str()), Some("a"));
    }

    #[test]
    fn template_label_parameters_resolve_to_defaults() {
        let mut params = std::collections::BTreeMap::new();
        params.insert(
            "Release".to_owned(),
            emrguard_model::aws::TemplateParameter {
                parameter_type: Some("STRING".into()),
                default_value: Some("emr-6.15.0-20231109".into()),
            },
        );
        assert_eq!(
            resolve_template_label("${Release}", &params).as_deref(),
            Some("emr-6.15.0-20231109")
        );
        assert_eq!(resolve_template_label("${Other}", &params), None);
        assert_eq!(resolve_template_label("emr-${V}-latest", &params), None);
        assert_eq!(
            resolve_template_label("emr-7.12.0-latest", &params).as_deref(),
            Some("emr-7.12.0-latest")
        );
    }
}
