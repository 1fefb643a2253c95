//! The HTTPS server: `/validate` for AdmissionReviews, `/healthz`, `/readyz` and `/metrics`.
//! The only module that knows TLS and HTTP.
//!
//! Limits: request bodies are capped ([`ServerOptions::max_body_bytes`]); headers, bodies,
//! writes and TLS handshakes time out; anything that cannot be decoded is answered with a
//! denial that says why. On shutdown the server reports not-ready, keeps serving for
//! [`ServerOptions::shutdown_delay`] while endpoints are updated, then stops accepting and lets
//! open requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tokio_rustls::TlsAcceptor;

use crate::logging;
use crate::metrics::{self, Metrics, RequestResult};
use crate::policy::{Decision, PolicyCode, PolicyEngine};
use crate::review::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use crate::tls::{self, Reload, ReloadingCertResolver, TlsError};

/// The review endpoint.
pub const VALIDATE_PATH: &str = "/validate";

/// How the server listens and what it tolerates.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// PEM certificate chain (reloaded when it changes).
    pub tls_cert: PathBuf,
    /// PEM private key (reloaded when it changes).
    pub tls_key: PathBuf,
    /// Largest accepted request body. An UPDATE review carries two objects of up to about
    /// 1.5 MiB each (the etcd limit), so the default leaves room for both.
    pub max_body_bytes: usize,
    /// Time allowed for a TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for a request's headers; also how long an idle keep-alive connection
    /// stays open.
    pub header_timeout: Duration,
    /// Time allowed for a request's body once its headers arrived.
    pub body_timeout: Duration,
    /// Time allowed for any single write to make progress.
    pub write_timeout: Duration,
    /// How often the certificate files are checked for changes.
    pub reload_interval: Duration,
    /// How long to keep serving, not ready, after a shutdown signal.
    pub shutdown_delay: Duration,
    /// How long open connections get to finish after the listener closes.
    pub shutdown_timeout: Duration,
    /// Threads that serve requests; `None` for one per core. One is often best when the pod's
    /// CPU limit is about a core: requests then never wait for a thread to be woken.
    pub workers: Option<usize>,
}

impl ServerOptions {
    /// Defaults for `listen` with the given certificate files.
    pub fn new(listen: SocketAddr, tls_cert: PathBuf, tls_key: PathBuf) -> Self {
        Self {
            listen,
            tls_cert,
            tls_key,
            max_body_bytes: 6 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            reload_interval: Duration::from_secs(1),
            shutdown_delay: Duration::ZERO,
            workers: None,
            shutdown_timeout: Duration::from_secs(25),
        }
    }
}

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

struct State {
    engine: PolicyEngine,
    metrics: Metrics,
    ready: AtomicBool,
    max_body_bytes: usize,
    body_timeout: Duration,
}

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    resolver: Arc<ReloadingCertResolver>,
    state: Arc<State>,
    options: ServerOptions,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Loads the certificate and binds the listener.
    ///
    /// # Errors
    /// [`ServerError`] when the certificate cannot be used or the address cannot be bound.
    pub async fn bind(options: ServerOptions, engine: PolicyEngine) -> Result<Self, ServerError> {
        let resolver = Arc::new(ReloadingCertResolver::load(
            &options.tls_cert,
            &options.tls_key,
        )?);
        let acceptor = TlsAcceptor::from(tls::server_config(resolver.clone())?);
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: options.listen,
                    source,
                })?;
        let state = Arc::new(State {
            engine,
            metrics: Metrics::new(),
            ready: AtomicBool::new(true),
            max_body_bytes: options.max_body_bytes,
            body_timeout: options.body_timeout,
        });
        Ok(Self {
            listener,
            acceptor,
            resolver,
            state,
            options,
        })
    }

    /// The bound address (useful with port 0).
    ///
    /// # Errors
    /// The OS error, if the socket has no address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains as described in the module docs.
    ///
    /// # Errors
    /// None today; the signature leaves room for fatal listener errors.
    pub async fn run<F>(self, shutdown: F) -> Result<(), ServerError>
    where
        F: Future<Output = ()>,
    {
        let Self {
            listener,
            acceptor,
            resolver,
            state,
            options,
        } = self;
        let reloader = tokio::spawn(reload_certificates(
            resolver,
            state.clone(),
            options.reload_interval,
        ));
        let graceful = GracefulShutdown::new();
        let limits = ConnectionLimits {
            handshake: options.handshake_timeout,
            header: options.header_timeout,
            write: options.write_timeout,
        };
        let stop_accepting = async {
            shutdown.await;
            state.ready.store(false, Ordering::SeqCst);
            tracing::info!(
                delay_ms = u64::try_from(options.shutdown_delay.as_millis()).unwrap_or(u64::MAX),
                "shutdown requested: reporting not ready, still serving"
            );
            tokio::time::sleep(options.shutdown_delay).await;
        };
        tokio::pin!(stop_accepting);
        loop {
            tokio::select! {
                () = &mut stop_accepting => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _peer)) => {
                        tokio::spawn(serve_connection(
                            tcp,
                            acceptor.clone(),
                            state.clone(),
                            limits,
                            graceful.watcher(),
                        ));
                    }
                    Err(e) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        drop(listener);
        reloader.abort();
        let open = graceful.count();
        if tokio::time::timeout(options.shutdown_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                open,
                "connections still open at the shutdown timeout; closing them"
            );
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Binds, serves until SIGTERM or SIGINT, and drains: the whole life of `webhook serve`.
///
/// # Errors
/// [`ServerError`] when the server cannot start.
pub fn serve_until_signal(options: ServerOptions, engine: PolicyEngine) -> Result<(), ServerError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = options.workers {
        builder.worker_threads(workers.max(1));
    }
    let runtime = builder.enable_all().build().map_err(ServerError::Runtime)?;
    runtime.block_on(async move {
        let namespaces = engine.namespaces();
        let modes = PolicyCode::ALL
            .iter()
            .map(|p| format!("{p}={}", engine.modes().get(*p).as_str()))
            .collect::<Vec<_>>()
            .join(",");
        tracing::info!(
            emr_namespaces = %namespaces.names().collect::<Vec<_>>().join(","),
            namespace_labels = %namespaces
                .label_selector()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            modes = %modes,
            "policies loaded"
        );
        let server = Server::bind(options, engine).await?;
        if let Ok(addr) = server.local_addr() {
            let workers = tokio::runtime::Handle::current().metrics().num_workers();
            tracing::info!(%addr, path = VALIDATE_PATH, workers, "serving admission reviews");
        }
        server.run(termination_signal()).await
    })
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn reload_certificates(
    resolver: Arc<ReloadingCertResolver>,
    state: Arc<State>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let resolver = resolver.clone();
        // File reads are blocking; keep them off the request threads.
        let outcome = tokio::task::spawn_blocking(move || resolver.reload_if_changed()).await;
        match outcome {
            Ok(Reload::Unchanged) | Err(_) => {}
            Ok(Reload::Reloaded) => {
                state.metrics.observe_reload(true);
                tracing::info!("serving certificate reloaded");
            }
            Ok(Reload::Rejected(e)) => {
                state.metrics.observe_reload(false);
                tracing::warn!(error = %e, "serving certificate not reloaded; keeping the previous one");
            }
        }
    }
}

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    handshake: Duration,
    header: Duration,
    write: Duration,
}

async fn serve_connection(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    state: Arc<State>,
    limits: ConnectionLimits,
    watcher: Watcher,
) {
    let _ = tcp.set_nodelay(true);
    let mut stream = TimeoutStream::new(tcp);
    stream.set_write_timeout(Some(limits.write));
    let stream = Box::pin(stream);
    let tls = match tokio::time::timeout(limits.handshake, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        // Failed or abandoned handshakes are the client's problem; nothing to answer.
        Ok(Err(_)) | Err(_) => return,
    };
    let service = service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(route(req, &state).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header)
        // One buffer per response, so one TLS record rather than one per part.
        .writev(false)
        .keep_alive(true)
        .serve_connection(TokioIo::new(tls), service);
    let _ = watcher.watch(connection).await;
}

type HttpResponse = Response<Full<Bytes>>;

async fn route(req: Request<Incoming>, state: &State) -> HttpResponse {
    match (req.method(), req.uri().path()) {
        (&Method::POST, VALIDATE_PATH) => validate(req, state).await,
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => {
            if state.ready.load(Ordering::SeqCst) {
                text(StatusCode::OK, "ok\n")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
            }
        }
        (&Method::GET, "/metrics") => {
            let mut response = text(StatusCode::OK, state.metrics.encode());
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(metrics::CONTENT_TYPE),
            );
            response
        }
        (_, VALIDATE_PATH | "/healthz" | "/readyz" | "/metrics") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

async fn validate(req: Request<Incoming>, state: &State) -> HttpResponse {
    let start = Instant::now();
    let limit = state.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared.filter(|&n| n > limit as u64) {
        return invalid(
            state,
            start,
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            &format!("the request body ({length} bytes) is larger than the limit of {limit} bytes"),
        );
    }
    let collected = tokio::time::timeout(
        state.body_timeout,
        Limited::new(req.into_body(), limit).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return invalid(
                state,
                start,
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                &format!("the request body is larger than the limit of {limit} bytes"),
            )
        }
        Ok(Err(e)) => {
            return invalid(
                state,
                start,
                StatusCode::BAD_REQUEST,
                None,
                &format!("the request body could not be read: {e}"),
            )
        }
        Err(_) => {
            return invalid(
                state,
                start,
                StatusCode::REQUEST_TIMEOUT,
                None,
                &format!(
                    "the request body did not arrive within {} ms",
                    state.body_timeout.as_millis()
                ),
            )
        }
    };
    let request = match AdmissionReview::decode_request(&body) {
        Ok(request) => request,
        Err(e) => {
            let uid = AdmissionReview::salvage_uid(&body);
            return invalid(state, start, StatusCode::BAD_REQUEST, uid, &e.to_string());
        }
    };
    let decision = state.engine.review(&request);
    let response = decision.to_response(&request.uid);
    let elapsed = start.elapsed();
    state.metrics.observe_decision(&decision);
    state.metrics.observe_request(
        if response.allowed {
            RequestResult::Allowed
        } else {
            RequestResult::Denied
        },
        elapsed.as_secs_f64(),
    );
    log_decision(&request, &decision, &response, elapsed);
    json(StatusCode::OK, response.to_review_json())
}

/// Answers a request that cannot be reviewed with a denial saying why.
fn invalid(
    state: &State,
    start: Instant,
    status: StatusCode,
    uid: Option<String>,
    reason: &str,
) -> HttpResponse {
    let uid = uid.unwrap_or_default();
    let message =
        format!("emrguard: {reason}; the request is denied because it could not be checked");
    let response = AdmissionResponse::invalid(&uid, message);
    let elapsed = start.elapsed();
    state
        .metrics
        .observe_request(RequestResult::Invalid, elapsed.as_secs_f64());
    tracing::warn!(
        uid = %uid,
        status = status.as_u16(),
        allowed = false,
        reason,
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "admission request rejected"
    );
    json(status, response.to_review_json())
}

/// One line of the decision log.
#[derive(Serialize)]
struct DecisionRecord<'a> {
    timestamp: String,
    level: &'static str,
    message: &'static str,
    uid: &'a str,
    operation: &'static str,
    group: &'a str,
    resource: &'a str,
    subresource: &'a str,
    namespace: &'a str,
    name: &'a str,
    user: &'a str,
    allowed: bool,
    policies: Vec<&'static str>,
    violations: Vec<ViolationRecord<'a>>,
    exempt: Option<&'a str>,
    dry_run: bool,
    latency_us: u64,
}

#[derive(Serialize)]
struct ViolationRecord<'a> {
    policy: &'static str,
    mode: &'static str,
    message: &'a str,
}

/// Writes the decision as one JSON line. The record is serialized directly, with a fixed
/// schema, rather than through `tracing`'s field formatter: it is the audit trail, and the
/// request path's largest cost after the network.
fn log_decision(
    request: &AdmissionRequest<'_>,
    decision: &Decision,
    response: &AdmissionResponse,
    elapsed: Duration,
) {
    thread_local! {
        static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let record = DecisionRecord {
        timestamp: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        level: "INFO",
        message: "admission decision",
        uid: &request.uid,
        operation: request.operation.as_str(),
        group: &request.resource.group,
        resource: &request.resource.resource,
        subresource: request.subresource(),
        namespace: request.namespace(),
        name: request.name(),
        user: &request.user_info.username,
        allowed: response.allowed,
        policies: decision.checked.iter().map(|p| p.as_str()).collect(),
        violations: decision
            .violations
            .iter()
            .map(|v| ViolationRecord {
                policy: v.policy.as_str(),
                mode: v.mode.as_str(),
                message: &v.message,
            })
            .collect(),
        exempt: decision.exempt.as_deref(),
        dry_run: request.dry_run.unwrap_or(false),
        latency_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
    };
    LINE.with_borrow_mut(|line| {
        line.clear();
        if serde_json::to_writer(&mut *line, &record).is_ok() {
            line.push(b'\n');
            logging::write_line(line);
        }
    });
}

fn json(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
