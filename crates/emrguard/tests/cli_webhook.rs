//! `emrguard webhook certs | manifests | serve`, run as the binary: certificates from `certs`
//! served by `serve`, reviews over HTTPS, the JSON decision log, SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

fn emrguard() -> Command {
    Command::new(env!("CARGO_BIN_EXE_emrguard"))
}

fn fixture(path: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../emrguard-webhook/tests/fixtures/admission");
    std::fs::read(dir.join(path)).unwrap()
}

fn make_certs(dir: &Path) {
    let out = emrguard()
        .args([
            "webhook",
            "certs",
            "--dns-name",
            "localhost",
            "--days",
            "2",
            "--out-dir",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTPS request with `Connection: close`; returns the status and body.
fn https(
    port: u16,
    ca_pem: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port))?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    tls.write_all(body)?;
    tls.flush()?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match tls.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            // A close without close_notify after a complete response is fine here.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

#[test]
fn certs_serve_review_log_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    make_certs(&certs);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(certs.join("tls.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let ca = std::fs::read(certs.join("ca.crt")).unwrap();
    let config = dir.path().join("emrguard.toml");
    std::fs::write(
        &config,
        "[webhook]\nexempt-subjects = [\"Group:sre\"]\npolicy-modes = { WH007 = \"warn\" }\n",
    )
    .unwrap();
    let log_path = dir.path().join("webhook.log");
    let port = free_port();
    let mut child = emrguard()
        .args([
            "webhook",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--emr-namespace",
            "emr",
            "--workers",
            "1",
        ])
        .arg("--tls-cert")
        .arg(certs.join("tls.crt"))
        .arg("--tls-key")
        .arg(certs.join("tls.key"))
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200, body)) = https(port, &ca, "GET", "/healthz", b"") {
            assert_eq!(body, "ok\n");
            break;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    let (status, body) = https(
        port,
        &ca,
        "POST",
        "/validate",
        &fixture("deny/WH003-pod-driver-sa-by-tenant.json"),
    )
    .unwrap();
    assert_eq!(status, 200);
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(review["response"]["allowed"], false);
    let message = review["response"]["status"]["message"].as_str().unwrap();
    assert!(message.starts_with("WH003: "), "{message}");

    // WH007 is in warn mode in the configuration.
    let (_, body) = https(
        port,
        &ca,
        "POST",
        "/validate",
        &fixture("deny/WH007-host-network.json"),
    )
    .unwrap();
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(review["response"]["allowed"], true);
    assert!(review["response"]["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("WH007: "));

    // The exempt group from the configuration.
    let (_, body) = https(
        port,
        &ca,
        "POST",
        "/validate",
        &fixture("allow/exec-by-exempt-group.json"),
    )
    .unwrap();
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(review["response"]["allowed"], true);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(exit.success(), "exit {exit:?}: {stderr}");

    // One JSON line per decision, and nothing but JSON lines.
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let decisions: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["message"] == "admission decision")
        .collect();
    assert_eq!(decisions.len(), 3, "{log}");
    let denied = decisions
        .iter()
        .find(|d| d["uid"] == "7f0c0a5e-0000-4000-8000-000000000022")
        .expect("decision for the WH003 fixture");
    assert_eq!(denied["allowed"], false);
    assert_eq!(denied["policies"], serde_json::json!(["WH003", "WH007"]));
    assert_eq!(denied["violations"][0]["policy"], "WH003");
    assert_eq!(denied["violations"][0]["mode"], "enforce");
    assert!(denied["violations"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("WH003: "));
    assert_eq!(denied["user"], "alice");
    assert_eq!(denied["namespace"], "emr");
    assert!(denied["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(decisions.iter().any(|d| d["exempt"] == "Group:sre"));
    assert!(decisions
        .iter()
        .any(|d| d["violations"][0]["mode"] == "warn" && d["allowed"] == true));
    assert!(lines.iter().any(|l| l["message"] == "stopped"), "{log}");
    // The runtime itself reports the worker count it was built with.
    let serving = lines
        .iter()
        .find(|l| l["message"] == "serving admission reviews")
        .expect("a start line");
    assert_eq!(serving["workers"], 1, "{serving}");
}

#[test]
fn serve_refuses_an_unusable_setup() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let out = emrguard()
        .args(["webhook", "serve", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no EMR namespace"), "{stderr}");

    let out = emrguard()
        .args([
            "webhook",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--emr-namespace",
            "emr",
        ])
        .arg("--tls-cert")
        .arg(dir.path().join("missing.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.crt"), "{stderr}");

    // A key that does not belong to the certificate.
    let other = dir.path().join("other");
    make_certs(&other);
    let out = emrguard()
        .args([
            "webhook",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--emr-namespace",
            "emr",
        ])
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(other.join("tls.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS"), "{stderr}");
}

#[test]
fn manifests_command() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let out = emrguard()
        .args([
            "webhook",
            "manifests",
            "--namespace",
            "ops",
            "--replicas",
            "3",
            "--emr-namespace",
            "emr",
        ])
        .arg("--ca-file")
        .arg(dir.path().join("ca.crt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .skip(1)
        .map(|d| serde_yaml_ng::from_str(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    for kind in [
        "Deployment",
        "PodDisruptionBudget",
        "Service",
        "ValidatingWebhookConfiguration",
        "ServiceAccount",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    assert_eq!(deployment["metadata"]["namespace"], "ops");
    assert_eq!(deployment["spec"]["replicas"], 3);
    let vwc = docs
        .iter()
        .find(|d| d["kind"] == "ValidatingWebhookConfiguration")
        .unwrap();
    let values = &vwc["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"];
    assert_eq!(values, &serde_json::json!(["emr"]));
    assert!(vwc["webhooks"][0]["clientConfig"]["caBundle"].is_string());

    let out = emrguard()
        .args([
            "webhook",
            "manifests",
            "--replicas",
            "1",
            "--emr-namespace",
            "emr",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 2 replicas"));
}

#[test]
fn manifests_take_namespaces_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("virtual-clusters.json"),
        r#"{"virtualClusters": [
            {"id": "vc1", "name": "live", "state": "RUNNING",
             "containerProvider": {"type": "EKS", "id": "c", "info": {"eksInfo": {"namespace": "emr-snap"}}}},
            {"id": "vc2", "name": "gone", "state": "TERMINATED",
             "containerProvider": {"type": "EKS", "id": "c", "info": {"eksInfo": {"namespace": "emr-old"}}}}
        ]}"#,
    )
    .unwrap();
    let out = emrguard()
        .args([
            "webhook",
            "manifests",
            "--emr-namespace",
            "emr-extra",
            "--snapshot",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let vwc: serde_json::Value = text
        .split("\n---\n")
        .map(|d| serde_yaml_ng::from_str::<serde_json::Value>(d).unwrap_or_default())
        .find(|d| d["kind"] == "ValidatingWebhookConfiguration")
        .unwrap();
    let values = &vwc["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"];
    assert_eq!(values, &serde_json::json!(["emr-extra", "emr-snap"]));
}
