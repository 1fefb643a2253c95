//! Real AdmissionReview JSON over real HTTPS on 127.0.0.1.

mod support;

use std::time::{Duration, Instant};

use emrguard_webhook::identity::ExemptSubjects;
use emrguard_webhook::namespaces::EmrNamespaces;
use emrguard_webhook::{Mode, PolicyEngine};
use support::{fixture, fixtures, start};

fn engine(mode: Mode) -> PolicyEngine {
    PolicyEngine::new(EmrNamespaces::from_names(["emr"]), mode)
        .with_exempt(ExemptSubjects::parse(&["Group:sre"]).unwrap())
}

fn request_uid(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["request"]["uid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_expected_answer() {
    let server = start(engine(Mode::Enforce), |_| {}).await;
    // One keep-alive connection for all of them.
    let mut client = server.connect().await;
    let allow = fixtures("allow");
    let deny = fixtures("deny");
    let invalid = fixtures("invalid");
    assert!(allow.len() >= 10 && deny.len() >= 7 && invalid.len() >= 3);

    for (name, body) in &allow {
        let response = client.review(body).await;
        assert_eq!(response.status, 200, "{name}");
        let review = response.json();
        assert_eq!(review["apiVersion"], "admission.k8s.io/v1", "{name}");
        assert_eq!(review["kind"], "AdmissionReview", "{name}");
        assert_eq!(
            review["response"]["uid"],
            request_uid(body).as_str(),
            "{name}"
        );
        assert_eq!(review["response"]["allowed"], true, "{name}: {review}");
        assert!(review["response"].get("warnings").is_none(), "{name}");
    }
    for (name, body) in &deny {
        let code = name.split('-').next().unwrap();
        let response = client.review(body).await;
        assert_eq!(response.status, 200, "{name}");
        let review = response.json();
        assert_eq!(
            review["response"]["uid"],
            request_uid(body).as_str(),
            "{name}"
        );
        assert_eq!(review["response"]["allowed"], false, "{name}: {review}");
        assert_eq!(review["response"]["status"]["code"], 403, "{name}");
        let message = review["response"]["status"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{code}: ")),
            "{name}: {message}"
        );
        assert!(
            message.contains("webhook.exempt-subjects"),
            "{name}: {message}"
        );
        assert!(
            review["response"]["auditAnnotations"][code.to_ascii_lowercase()]
                .as_str()
                .unwrap()
                .starts_with("enforce: "),
            "{name}"
        );
    }
    for (name, body) in &invalid {
        let response = client.review(body).await;
        assert_eq!(response.status, 400, "{name}");
        let review = response.json();
        assert_eq!(review["response"]["allowed"], false, "{name}");
        assert_eq!(review["response"]["status"]["code"], 400, "{name}");
        let message = review["response"]["status"]["message"].as_str().unwrap();
        assert!(
            message.contains("could not be checked"),
            "{name}: {message}"
        );
    }
    // The uid of a review that cannot be decoded as a whole is still echoed when present.
    let response = client
        .review(&fixture("invalid/unknown-operation.json"))
        .await;
    assert_eq!(
        response.json()["response"]["uid"],
        "7f0c0a5e-0000-4000-8000-999999999992"
    );

    let metrics = client.get("/metrics").await.unwrap().text();
    assert!(
        metrics.contains(&format!(
            "emrguard_webhook_requests_total{{result=\"denied\"}} {}",
            deny.len()
        )),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "emrguard_webhook_requests_total{{result=\"invalid\"}} {}",
        invalid.len() + 1
    )));
    assert!(
        metrics.contains("emrguard_webhook_decisions_total{policy=\"WH001\",result=\"exempt\"} 1")
    );
    assert!(
        metrics.contains("emrguard_webhook_decisions_total{policy=\"WH006\",result=\"denied\"} 1")
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_mode_allows_with_warnings_and_audit_mode_allows_silently() {
    let warn = start(engine(Mode::Warn), |_| {}).await;
    let audit = start(engine(Mode::Audit), |_| {}).await;
    let mut warn_client = warn.connect().await;
    let mut audit_client = audit.connect().await;
    for (name, body) in fixtures("deny") {
        let code = name.split('-').next().unwrap();
        let review = warn_client.review(&body).await.json();
        assert_eq!(review["response"]["allowed"], true, "{name}");
        let warnings = review["response"]["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{name}");
        assert!(
            warnings[0]
                .as_str()
                .unwrap()
                .starts_with(&format!("{code}: ")),
            "{name}"
        );

        let review = audit_client.review(&body).await.json();
        assert_eq!(review["response"]["allowed"], true, "{name}");
        assert!(review["response"].get("warnings").is_none(), "{name}");
        assert!(
            review["response"]["auditAnnotations"][code.to_ascii_lowercase()]
                .as_str()
                .unwrap()
                .starts_with("audit: ")
        );
    }
    // Audit mode still denies what cannot be decoded at all: there is no request to allow.
    let response = audit_client.review(b"{").await;
    assert_eq!(response.status, 400);
    warn.stop().await.unwrap();
    audit.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_denied_and_the_server_stays_up() {
    let server = start(engine(Mode::Enforce), |_| {}).await;
    let mut client = server.connect().await;
    for body in [
        &b""[..],
        b"\x00\xff\xfe binary",
        b"[]",
        b"{\"apiVersion\": 1}",
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-9"}}"#,
    ] {
        let response = client.review(body).await;
        assert_eq!(response.status, 400, "{body:?}");
        let review = response.json();
        assert_eq!(review["response"]["allowed"], false);
        assert!(review["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("emrguard: "));
    }
    // A request that is not HTTP closes that connection only.
    let mut garbage = server.connect().await;
    garbage
        .send_raw(b"\x16\x03\x01 NOT HTTP\r\n\r\n")
        .await
        .unwrap();
    let _ = garbage.read_response().await;
    // The same keep-alive connection, and new ones, still get answers.
    let ok = client
        .review(&fixture("deny/WH001-exec-by-tenant.json"))
        .await;
    assert_eq!(ok.json()["response"]["allowed"], false);
    let mut fresh = server.connect().await;
    assert_eq!(fresh.get("/healthz").await.unwrap().status, 200);
    // Wrong routes and methods.
    assert_eq!(fresh.get("/nope").await.unwrap().status, 404);
    assert_eq!(fresh.get("/validate").await.unwrap().status, 405);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_are_refused() {
    let server = start(engine(Mode::Enforce), |o| o.max_body_bytes = 64 * 1024).await;
    let mut client = server.connect().await;
    // Declared too large: refused before the body is read.
    client
        .send_raw(
            b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n",
        )
        .await
        .unwrap();
    let response = client.read_response().await.unwrap();
    assert_eq!(response.status, 413);
    let message = response.json()["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("limit of 65536 bytes"), "{message}");

    // Chunked, so the size only shows while reading.
    let mut chunked = server.connect().await;
    chunked
        .send_raw(
            b"POST /validate HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = vec![b'a'; 16 * 1024];
    for _ in 0..5 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if chunked.send_raw(&framed).await.is_err() {
            break;
        }
    }
    let _ = chunked.send_raw(b"0\r\n\r\n").await;
    let response = chunked.read_response().await.unwrap();
    assert_eq!(response.status, 413);

    let mut fresh = server.connect().await;
    let ok = fresh
        .review(&fixture("allow/pod-default-service-account.json"))
        .await;
    assert_eq!(ok.json()["response"]["allowed"], true);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_time_out_without_holding_up_others() {
    let server = start(engine(Mode::Enforce), |o| {
        o.body_timeout = Duration::from_millis(400);
        o.header_timeout = Duration::from_millis(400);
    })
    .await;
    let body = fixture("deny/WH001-exec-by-tenant.json");

    // Headers, then half the body, then nothing.
    let mut slow_body = server.connect().await;
    slow_body
        .send_raw(
            format!(
                "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    slow_body.send_raw(&body[..body.len() / 2]).await.unwrap();

    // Half a request line, then nothing.
    let mut slow_head = server.connect().await;
    slow_head.send_raw(b"POST /valid").await.unwrap();

    // Meanwhile a normal request is answered at once.
    let mut normal = server.connect().await;
    let started = Instant::now();
    let review = normal.review(&body).await.json();
    assert_eq!(review["response"]["allowed"], false);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(5), slow_body.read_response())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status, 408);
    let message = response.json()["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("did not arrive within 400 ms"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // The slow header is cut off: the connection closes.
    let closed = tokio::time::timeout(Duration::from_secs(5), slow_head.read_response())
        .await
        .unwrap();
    assert!(closed.is_err() || closed.unwrap().status == 408);

    // The server still answers. A new connection: the first one has been idle longer than
    // the header timeout by now, so the server may already have closed it.
    let mut after = server.connect().await;
    let review = after.review(&body).await.json();
    assert_eq!(review["response"]["allowed"], false);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_reload_keeps_open_connections() {
    let server = start(engine(Mode::Enforce), |_| {}).await;
    let mut kept = server.connect().await;
    let old_cert = kept.peer_certificate();
    assert_eq!(kept.get("/healthz").await.unwrap().status, 200);

    // Rotate: a new CA and a new serving pair in the same files.
    let new_ca = support::write_certs(server.dir.path());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fresh = loop {
        let client = server.connect_with_ca(&new_ca).await;
        if let Ok(client) = client {
            break client;
        }
        assert!(Instant::now() < deadline, "new certificate never served");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(fresh.peer_certificate(), old_cert);
    // Clients that trust only the old CA no longer connect.
    assert!(server.connect_with_ca(&server.ca_pem).await.is_err());
    // The connection opened before the rotation still works.
    let review = kept.review(&fixture("deny/WH007-host-network.json")).await;
    assert_eq!(review.json()["response"]["allowed"], false);
    let metrics = fresh.get("/metrics").await.unwrap().text();
    assert!(metrics.contains("emrguard_webhook_certificate_reloads_total{result=\"success\"} 1"));

    // A broken file is rejected and the current certificate stays. The watcher notices the
    // change on its own schedule (later on a loaded machine): wait for its failed reload.
    std::fs::write(server.cert_path(), "not a certificate").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut still = server.connect_with_ca(&new_ca).await.unwrap();
        assert_eq!(still.get("/healthz").await.unwrap().status, 200);
        let metrics = still.get("/metrics").await.unwrap().text();
        if metrics.contains("emrguard_webhook_certificate_reloads_total{result=\"failure\"} 1") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken certificate was never reported: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_reports_not_ready_and_finishes_open_requests() {
    let mut server = start(engine(Mode::Enforce), |o| {
        o.shutdown_delay = Duration::from_millis(600);
    })
    .await;
    let mut probe = server.connect().await;
    assert_eq!(probe.get("/readyz").await.unwrap().status, 200);
    let body = fixture("deny/WH003-pod-driver-sa-by-tenant.json");
    // A request in flight when the signal arrives.
    let mut in_flight = server.connect().await;
    in_flight
        .send_raw(
            format!(
                "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    in_flight.send_raw(&body[..10]).await.unwrap();

    server.signal_stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = probe.get("/readyz").await.unwrap();
    assert_eq!(ready.status, 503);
    // Still serving during the delay, on new connections too.
    let mut during = server.connect().await;
    assert_eq!(
        during.review(&body).await.json()["response"]["allowed"],
        false
    );

    in_flight.send_raw(&body[10..]).await.unwrap();
    let finished = in_flight.read_response().await.unwrap();
    assert_eq!(finished.json()["response"]["allowed"], false);

    let addr = server.addr;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.is_finished() {
        assert!(Instant::now() < deadline, "server did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await.unwrap();
    // The listener is closed.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
