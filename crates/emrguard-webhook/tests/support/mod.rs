//! A real server on 127.0.0.1 with a generated certificate, and a minimal HTTPS/1.1 client
//! that can also send broken, oversized and slow requests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use emrguard_webhook::certs;
use emrguard_webhook::server::{Server, ServerError, ServerOptions};
use emrguard_webhook::PolicyEngine;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

pub struct TestServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<Result<(), ServerError>>,
}

pub fn write_certs(dir: &std::path::Path) -> String {
    let generated = certs::generate(&["localhost".to_owned()], 1).unwrap();
    certs::write_to_dir(dir, &generated).unwrap();
    generated.ca_cert_pem
}

pub async fn start(engine: PolicyEngine, tweak: impl FnOnce(&mut ServerOptions)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = write_certs(dir.path());
    let mut options = ServerOptions::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
    );
    options.reload_interval = Duration::from_millis(100);
    tweak(&mut options);
    let server = Server::bind(options, engine).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        ca_pem,
        dir,
        stop: Some(stop),
        handle,
    }
}

impl TestServer {
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    pub async fn connect(&self) -> Client {
        self.connect_with_ca(&self.ca_pem).await.unwrap()
    }

    pub async fn connect_with_ca(&self, ca_pem: &str) -> std::io::Result<Client> {
        Client::connect(self.addr, ca_pem).await
    }

    /// Signals shutdown without waiting for it.
    pub fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals shutdown and waits until the server has stopped.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        self.signal_stop();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops")
            .unwrap()
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

pub struct Client {
    stream: TlsStream<TcpStream>,
    buffer: Vec<u8>,
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    pub async fn connect(addr: SocketAddr, ca_pem: &str) -> std::io::Result<Self> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = TcpStream::connect(addr).await?;
        let stream = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await?;
        Ok(Self {
            stream,
            buffer: Vec::new(),
        })
    }

    /// The DER of the certificate the server presented.
    pub fn peer_certificate(&self) -> Vec<u8> {
        self.stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.as_ref().to_vec())
            .unwrap_or_default()
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.send_raw(head.as_bytes()).await?;
        self.send_raw(body).await?;
        self.read_response().await
    }

    pub async fn get(&mut self, path: &str) -> std::io::Result<HttpResponse> {
        self.send_raw(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await?;
        self.read_response().await
    }

    pub async fn review(&mut self, body: &[u8]) -> HttpResponse {
        self.request("POST", "/validate", body).await.unwrap()
    }

    /// Reads one response; an error if the server closes the connection first.
    pub async fn read_response(&mut self) -> std::io::Result<HttpResponse> {
        let head_end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let body_start = head_end + 4;
        while self.buffer.len() < body_start + length {
            self.fill().await?;
        }
        let body = self.buffer[body_start..body_start + length].to_vec();
        self.buffer.drain(..body_start + length);
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission")
}

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(path)).unwrap()
}

/// Sorted `(file name, contents)` of a fixture directory.
pub fn fixtures(kind: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}
