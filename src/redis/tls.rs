//! How this crate's Redis clients are built, so that every connection it makes (the
//! multiplexed ones, both pools, the persister's blocking reader, a cluster's nodes) checks a
//! `rediss://` server against the same CA: `FLASHSALE_REDIS_CA_FILE`, else the system's store.
use deadpool::managed::{Manager, Metrics, RecycleResult};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{ErrorKind, RedisError, RedisResult, TlsCertificates};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Once;

/// A client of one server; with a CA file it speaks TLS, so the URL must be `rediss://`.
pub(super) fn client(url: &str, ca_file: Option<&Path>) -> RedisResult<redis::Client> {
    install_crypto_provider();
    match ca_file {
        None => redis::Client::open(url),
        Some(path) => redis::Client::build_with_tls(url, certificates(path)?),
    }
}

/// A cluster client's builder from its seeds: with a CA file, every node is reached over TLS
/// and checked against it.
pub(super) fn cluster_builder(
    seeds: &[String],
    ca_file: Option<&Path>,
) -> RedisResult<ClusterClientBuilder> {
    install_crypto_provider();
    let builder = ClusterClient::builder(seeds.to_vec());
    Ok(match ca_file {
        None => builder,
        Some(path) => builder.certs(certificates(path)?),
    })
}

fn certificates(path: &Path) -> RedisResult<TlsCertificates> {
    let invalid = |detail: String| {
        RedisError::from((
            ErrorKind::InvalidClientConfig,
            "FLASHSALE_REDIS_CA_FILE",
            format!("{}: {detail}", path.display()),
        ))
    };
    let pem = std::fs::read(path).map_err(|e| invalid(e.to_string()))?;
    // Checked here: a file without a certificate would leave nothing to trust, and every
    // connection would fail later with an unknown-issuer error that hides the cause.
    if CertificateDer::pem_slice_iter(&pem).next().is_none() {
        return Err(invalid("holds no PEM certificate".into()));
    }
    Ok(TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    })
}

/// redis-rs builds its TLS settings with rustls's process-wide crypto provider, which rustls
/// picks by itself only while exactly one provider is compiled in: a dependency bringing in
/// aws-lc-rs would make the first `rediss://` connection panic. ring (sqlx's choice too) is
/// installed once; an error means a provider is installed already, which is as good.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// deadpool's manager of cluster connections, built from our own client: deadpool-redis's
/// builds its client from URLs alone, with no way to give it the CA.
pub struct ClusterManager(pub ClusterClient);

impl Manager for ClusterManager {
    type Type = ClusterConnection;
    type Error = RedisError;

    async fn create(&self) -> RedisResult<ClusterConnection> {
        self.0.get_async_connection().await
    }

    async fn recycle(
        &self,
        conn: &mut ClusterConnection,
        _: &Metrics,
    ) -> RecycleResult<RedisError> {
        Ok(redis::cmd("PING").query_async(conn).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::{client, cluster_builder};
    use std::path::{Path, PathBuf};

    /// A throwaway CA's certificate (from `scripts/tls.sh`): parsed here, trusted nowhere.
    const CA: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBqTCCAU+gAwIBAgIURrXO6plHh8py5oQnYVBh905qfYUwCgYIKoZIzj0EAwIw\n\
IjEgMB4GA1UEAwwXZmxhc2hzYWxlIHRlc3Qgb3RoZXItY2EwHhcNMjYxMTI4MjMy\n\
NzQ2WhcNMzYxMTI1MjMyNzQ2WjAiMSAwHgYDVQQDDBdmbGFzaHNhbGUgdGVzdCBv\n\
dGhlci1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABALvbE1EwER+DKbJFlxF\n\
yqbWo2RHgroGZOFCoO7ih6J02Gb5leftiR/iLOfCYhbyjPArHiA2k2OYcN0t5g3O\n\
un6jYzBhMB0GA1UdDgQWBBQ5p4GWdJoT/OgwQdx4CrQF4j7YxjAfBgNVHSMEGDAW\n\
gBQ5p4GWdJoT/OgwQdx4CrQF4j7YxjAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n\
/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiEAle4KpS+lA75BtUih6CTmJLB73rql\n\
ZARMo3n2BoqNYcUCIEWHFUsnFT3VDvWlQsyztlWU8krAlCXOB6PUZFzXqmCB\n\
-----END CERTIFICATE-----\n\
";

    fn file_with(contents: &str) -> PathBuf {
        let name = format!("flashsale-ca-{}.pem", uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn rediss_cluster_seeds_build_a_client_that_trusts_the_ca_file() {
        let ca = file_with(CA);
        let seeds = [
            "rediss://10.0.0.1:7000".into(),
            "rediss://10.0.0.2:7001".into(),
        ];
        let built = |ca: Option<&Path>| {
            let client = cluster_builder(&seeds, ca).unwrap().build().unwrap();
            format!("{client:?}")
        };
        let with_ca = built(Some(&ca));
        assert!(with_ca.contains("tls: Some(Secure)"), "{with_ca}");
        assert!(with_ca.contains("root_cert_store: Some("), "{with_ca}");
        let system_store = built(None);
        assert!(system_store.contains("tls: Some(Secure)"), "{system_store}");
        assert!(system_store.contains("tls_params: None"), "{system_store}");
        std::fs::remove_file(ca).unwrap();
    }

    #[test]
    fn a_single_server_is_reached_over_tls_with_the_ca_file() {
        let ca = file_with(CA);
        let info = client("rediss://127.0.0.1:6391", Some(&ca)).unwrap();
        let info = format!("{:?}", info.get_connection_info());
        assert!(info.contains("root_cert_store: Some("), "{info}");
        let plain = client("redis://127.0.0.1:6390", Some(&ca)).unwrap_err();
        assert!(plain.to_string().contains("rediss://"), "{plain}");
        std::fs::remove_file(ca).unwrap();
    }

    #[test]
    fn a_ca_file_that_cannot_be_used_is_refused_naming_it() {
        let not_pem = file_with("not a certificate\n");
        for path in [not_pem.clone(), PathBuf::from("/nonexistent/ca.pem")] {
            let error = client("rediss://127.0.0.1:6391", Some(&path)).unwrap_err();
            let error = error.to_string();
            assert!(error.contains("FLASHSALE_REDIS_CA_FILE"), "{error}");
            assert!(error.contains(&path.display().to_string()), "{error}");
        }
        std::fs::remove_file(not_pem).unwrap();
    }
}
