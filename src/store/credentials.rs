//! Stores built from each cloud's usual environment: never from a command-line flag, so no
//! secret lands in shell history.
//!
//! - S3: `AWS_*` variables (keys, `AWS_REGION`, `AWS_ENDPOINT_URL` with `AWS_ALLOW_HTTP=true` for
//!   a local S3-compatible server, web identity, container credentials, instance metadata),
//!   and the shared credentials file (`AWS_PROFILE`, default `default`) when no key is in the
//!   environment. `AWS_SKIP_SIGNATURE=true` (or the CLI's `AWS_NO_SIGN_REQUEST=true`) reads a
//!   public bucket anonymously.
//! - Google Cloud Storage: `GOOGLE_*` variables and application default credentials;
//!   `STORAGE_EMULATOR_HOST` points at an emulator (unsigned requests);
//!   `GOOGLE_SKIP_SIGNATURE=true` for public buckets.
//! - Azure Blob Storage: `AZURE_*` variables (account, key, SAS, service principal, managed
//!   identity), `AZURE_STORAGE_CONNECTION_STRING` (Azurite's included), `AZURE_STORAGE_USE_EMULATOR`
//!   with `AZURITE_BLOB_STORAGE_URL`; `AZURE_SKIP_SIGNATURE=true` for public containers.
//! - HTTPS: anonymous GET of a file.

use super::Scheme;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{ClientConfigKey, ObjectStore, RetryConfig};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Client settings shared by every store: fail within seconds when a server is unreachable, but
/// let a long streamed read finish.
fn client_settings() -> Vec<(ClientConfigKey, String)> {
    let timeout = std::env::var("FOCUS_SQL_STORE_TIMEOUT").unwrap_or_else(|_| "30min".into());
    vec![
        (ClientConfigKey::ConnectTimeout, "10s".into()),
        (ClientConfigKey::Timeout, timeout),
    ]
}

fn retry() -> RetryConfig {
    RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
        ..Default::default()
    }
}

fn env_true(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true"))
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

pub fn build(scheme: Scheme, root: &Url) -> Result<Arc<dyn ObjectStore>, String> {
    let fail = |e: object_store::Error| format!("cannot set up {scheme} access: {e}");
    Ok(match scheme {
        Scheme::S3 => Arc::new(s3(root)?.build().map_err(fail)?),
        Scheme::Gcs => Arc::new(gcs(root).build().map_err(fail)?),
        Scheme::Azure => Arc::new(azure(root)?.build().map_err(fail)?),
        Scheme::Http => {
            let mut b = HttpBuilder::new()
                .with_url(root.as_str())
                .with_retry(retry());
            for (k, v) in client_settings() {
                b = b.with_config(k, v);
            }
            if root.scheme() == "http" {
                b = b.with_config(ClientConfigKey::AllowHttp, "true");
            }
            Arc::new(b.build().map_err(fail)?)
        }
    })
}

fn s3(root: &Url) -> Result<AmazonS3Builder, String> {
    let mut b = AmazonS3Builder::from_env()
        .with_url(root.as_str())
        .with_retry(retry());
    for (k, v) in client_settings() {
        b = b.with_config(AmazonS3ConfigKey::Client(k), v);
    }
    if env_true("AWS_NO_SIGN_REQUEST") {
        b = b.with_config(AmazonS3ConfigKey::SkipSignature, "true");
    }
    if !env_set("AWS_REGION") && env_set("AWS_DEFAULT_REGION") {
        b = b.with_region(std::env::var("AWS_DEFAULT_REGION").unwrap_or_default());
    }
    if !env_set("AWS_ACCESS_KEY_ID") && !env_true("AWS_SKIP_SIGNATURE") {
        if let Some(p) = shared_profile()? {
            b = b
                .with_access_key_id(p.key_id)
                .with_secret_access_key(p.secret);
            if let Some(t) = p.token {
                b = b.with_token(t);
            }
            if let (false, false, Some(r)) = (
                env_set("AWS_REGION"),
                env_set("AWS_DEFAULT_REGION"),
                p.region,
            ) {
                b = b.with_region(r);
            }
        }
    }
    Ok(b)
}

/// Static keys of a profile in the shared credentials file.
struct Profile {
    key_id: String,
    secret: String,
    token: Option<String>,
    region: Option<String>,
}

/// `[section]` → key → value of an INI file such as `~/.aws/credentials`.
fn ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

fn shared_profile() -> Result<Option<Profile>, String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let creds_path = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    let config_path = std::env::var_os("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    let explicit = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let name = explicit.clone().unwrap_or_else(|| "default".into());
    let read = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| ini(&t))
            .unwrap_or_default()
    };
    let creds = read(&creds_path);
    let config = read(&config_path);
    let config_section = config
        .get(&format!("profile {name}"))
        .or_else(|| config.get(&name));
    let section = creds.get(&name).or(config_section);
    let key = section.and_then(|s| {
        Some((
            s.get("aws_access_key_id")?.clone(),
            s.get("aws_secret_access_key")?.clone(),
            s.get("aws_session_token").cloned(),
        ))
    });
    match key {
        Some((key_id, secret, token)) => Ok(Some(Profile {
            key_id,
            secret,
            token,
            region: config_section.and_then(|s| s.get("region").cloned()),
        })),
        None if explicit.is_some() => Err(format!(
            "AWS_PROFILE={name}: no static keys for that profile in the shared credentials or \
             config file (single sign-on and role profiles are not read: export the keys, or use \
             `aws configure export-credentials`)"
        )),
        None => Ok(None),
    }
}

fn gcs(root: &Url) -> GoogleCloudStorageBuilder {
    let mut b = GoogleCloudStorageBuilder::from_env()
        .with_url(root.as_str())
        .with_retry(retry());
    for (k, v) in client_settings() {
        b = b.with_config(GoogleConfigKey::Client(k), v);
    }
    if let Ok(host) = std::env::var("STORAGE_EMULATOR_HOST") {
        let base = if host.contains("://") {
            host
        } else {
            format!("http://{host}")
        };
        b = b
            .with_base_url(base.trim_end_matches('/'))
            .with_skip_signature(true)
            .with_config(GoogleConfigKey::Client(ClientConfigKey::AllowHttp), "true");
    }
    b
}

/// `Key=Value;…` of an Azure storage connection string.
fn connection_string(text: &str) -> HashMap<String, String> {
    text.split(';')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn azure(root: &Url) -> Result<MicrosoftAzureBuilder, String> {
    let mut b = MicrosoftAzureBuilder::from_env()
        .with_url(root.as_str())
        .with_retry(retry());
    for (k, v) in client_settings() {
        b = b.with_config(AzureConfigKey::Client(k), v);
    }
    if let Ok(text) = std::env::var("AZURE_STORAGE_CONNECTION_STRING") {
        let cs = connection_string(&text);
        if let Some(account) = cs.get("accountname") {
            b = b.with_account(account);
        }
        if let Some(key) = cs.get("accountkey") {
            b = b.with_access_key(key);
        }
        if let Some(sas) = cs.get("sharedaccesssignature") {
            b = b.with_config(AzureConfigKey::SasKey, sas);
        }
        if let Some(endpoint) = cs.get("blobendpoint") {
            let endpoint = endpoint.trim_end_matches('/').to_string();
            if endpoint.starts_with("http://") {
                b = b.with_config(AzureConfigKey::Client(ClientConfigKey::AllowHttp), "true");
            }
            b = b.with_endpoint(endpoint);
        } else if cs
            .get("usedevelopmentstorage")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            b = b.with_use_emulator(true);
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_and_connection_strings_parse() {
        let i = ini("[default]\naws_access_key_id = AK\n# c\n[profile x]\nregion=eu-west-1\n");
        assert_eq!(i["default"]["aws_access_key_id"], "AK");
        assert_eq!(i["profile x"]["region"], "eu-west-1");
        let cs = connection_string(
            "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/dev;",
        );
        assert_eq!(cs["accountname"], "dev");
        assert_eq!(cs["blobendpoint"], "http://127.0.0.1:1/dev");
    }
}
